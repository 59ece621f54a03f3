// Data passed between the TACACS+ session machine (session.ts), the per-type handlers (authen.ts,
// author.ts, acct.ts), the policy runner (jobs.ts) and the transport. Everything is plain data:
// the machine never calls policy or touches a socket; it asks for work with a Job and is told the
// outcome with an Answer (DESIGN.md rule 7: step(state, event, now) → outputs).
import type { DecisionMethod } from "../policy/decision-record.ts";
import type { Decision } from "../policy/decisions.ts";
import type { AcctRequest } from "./codec/accounting.ts";
import type { AuthorRequest } from "./codec/authorization.ts";
import type { PacketBody } from "./codec/packet.ts";

export interface EngineConfig {
  /** Grant single-connect (RFC 8907 §4.3) when a client asks for it. */
  singleConnect: boolean;
  /**
   * Refuse PAP and ASCII login and ASCII change password (RFC 8907 §10.5.3: "only accept
   * challenge/response options"). Enable is exempt unless onlyChapEnable: devices only do enable by
   * ASCII or PAP, so refusing it means no enable through TACACS+ at all.
   */
  onlyChap: boolean;
  onlyChapEnable: boolean;
  /** Concurrent sessions on one single-connect connection (implementation cap, see session.ts). */
  maxSessions: number;
}

/** What the machine needs policy to decide. Secrets stay bytes and never reach a log. */
export type Job =
  | {
      kind: "password";
      purpose: "login" | "enable";
      authenType: string;
      username: string;
      password: Uint8Array;
      privLvl: number;
    }
  | { kind: "chpass"; username: string; oldPassword: Uint8Array; newPassword: Uint8Array }
  | { kind: "chap"; username: string; id: number; challenge: Uint8Array; response: Uint8Array }
  | { kind: "mschap1"; username: string; id: number; challenge: Uint8Array; response: Uint8Array }
  | { kind: "mschap2"; username: string; id: number; challenge: Uint8Array; response: Uint8Array }
  | { kind: "author"; req: AuthorRequest; service: string; cmd: string | null; cmdArgs: string[] }
  | {
      kind: "acct";
      req: AcctRequest;
      recordType: "start" | "stop" | "watchdog" | "update";
      tacacsSessionId: number;
    };

export type Answer =
  | { kind: "authen"; authenType: string; decision: Decision; username: string; data?: Uint8Array }
  | {
      kind: "author";
      reply: PacketBody & { kind: "author-response" };
      allow: boolean;
      reason: string;
      username: string;
    }
  | { kind: "acct"; ok: boolean; recordType: string; detail?: string; username: string };

/** Facts for counters and logs; the transport maps them to metrics (labels from closed sets). */
export type Note =
  | { what: "refused"; reason: RefusalReason; detail?: string }
  | {
      what: "authen";
      authenType: string;
      /** The auth log's method (enable, PAP, ASCII, CHAP, ...), from the START. */
      method: DecisionMethod;
      result: "pass" | "fail" | "error";
      reason: string;
      username: string;
    }
  | { what: "author"; result: "permit" | "deny" | "error"; reason: string; username: string }
  | {
      what: "acct";
      recordType: string;
      result: "success" | "error";
      reason: string;
      username: string;
    }
  | { what: "session-start" }
  | { what: "session-end" };

/** Refusals of the TACACS+ engine and its transport plug, as counter label values (the stream
 *  door's own — caps, deadlines, PROXY v2, unknown device — are transport/stream/plug.ts's). */
export type RefusalReason =
  | "bad_key"
  | "bad_key_connection"
  | "device_changed"
  | "unencrypted_refused"
  | "bad_version"
  | "bad_minor_version"
  | "bad_type"
  | "bad_seq_no"
  | "body_too_long"
  | "no_single_connect"
  | "too_many_sessions"
  | "session_too_long"
  | "rate_limited";

export type Output =
  | { kind: "send"; bytes: Uint8Array }
  | { kind: "job"; sessionId: number; job: Job }
  /** Close once everything queued is written. */
  | { kind: "close"; reason: string }
  | { kind: "note"; note: Note };
