// The per-connection TACACS+ state machine (RFC 8907 §4): header rules, sessions multiplexed by
// session_id, seq_no, single-connect, wrong-key handling. No sockets, no policy, no clock reads:
//
//   const conn = newConnection(key, cfg);
//   onFrame(conn, frame, out)              a whole packet from the framer
//   onAnswer(conn, sessionId, answer, out) policy finished a Job the machine asked for
//
// Both append Outputs (send / job / close / note) to `out`; the transport performs them in order.
// State is mutated in place (one object per connection, no copies per packet: this is the hot path).
//
// Decisions this file makes, with the RFC's words:
//   - seq_no: a new session starts at 1 (§4.1); the client's next packet must be exactly the server's
//     last seq_no + 1. A reply that would need seq_no > 255 cannot exist, so a session whose next
//     server reply would be a prompt at 254 ends with ERROR instead (§4.1 "restart").
//   - TAC_PLUS_UNENCRYPTED_FLAG with a key configured (§4.5, §10.5.2): refused on every packet type.
//     We close the connection without a reply: an answer would be unobfuscated or unreadable, and
//     a client sending cleartext to a keyed server is misconfigured, not a peer to negotiate with.
//   - Wrong key (§4.5: "the field lengths do not add up"): the session gets an ERROR reply, the
//     connection takes no new sessions, and closes once the sessions already running have ended.
//   - Single-connect (§4.3): decided by the first packet of the connection; the SINGLE_CONNECT flag is
//     echoed only in the first reply. Without it, one session per connection, closed after the reply.
//   - minor_version (§5.4.2): 1 for PAP/CHAP/MS-CHAP START, 0 for ASCII, authorization and accounting;
//     a CONTINUE must use its START's version. Mismatch → ERROR.
//   - Unknown packet type (§3.6): no body can be built for it, so the client's header comes back with
//     seq_no + 1 and length 0, and the connection closes.
import { AcctStatus } from "./codec/accounting.ts";
import { AuthenStatus, expectedMinorVersion } from "./codec/authentication.ts";
import { AuthorStatus } from "./codec/authorization.ts";
import type { Frame } from "./codec/framer.ts";
import { HeaderFlag, MinorVersion, PacketType, type Header } from "./codec/header.ts";
import {
  decodePacket,
  encodeBody,
  encodePacket,
  type ClientPacket,
  type PacketBody,
} from "./codec/packet.ts";
import {
  authenMethod,
  authenVerdict,
  continueAuthen,
  startAuthen,
  type AsciiFlow,
  type AuthenStep,
} from "./authen.ts";
import type { DecisionMethod } from "../policy/decision-record.ts";
import { startAcct } from "./acct.ts";
import { denyResponse, startAuthor } from "./author.ts";
import type { Answer, EngineConfig, Job, Output, RefusalReason } from "./types.ts";

/** §4.1: seq_no is one byte. */
const MAX_SEQ_NO = 255;
const EMPTY_BODY = new Uint8Array(0);
/** Default cap on concurrent sessions per connection: devices multiplex a handful; bounds memory. */
export const DEFAULT_MAX_SESSIONS = 64;

interface Session {
  type: number;
  minor: number;
  /** The client's next seq_no. */
  nextSeq: number;
  /** A Job is outstanding: any packet for this session now is out of order. */
  busy: boolean;
  /** The header of the packet being answered. */
  pending: Header | null;
  flow: AsciiFlow | null;
  /** The auth log's method, from the START (authen sessions only). */
  method: DecisionMethod;
}

export interface ConnState {
  readonly key: Uint8Array;
  readonly cfg: EngineConfig;
  readonly sessions: Map<number, Session>;
  /** null until the first packet decided it. */
  singleConnect: boolean | null;
  repliesSent: number;
  sessionsStarted: number;
  /** Wrong key seen: no new sessions. */
  refuseNew: boolean;
  /** The device was removed, disabled or re-keyed since the connection began: no new sessions. */
  retired: boolean;
  closed: boolean;
}

export function newConnection(key: Uint8Array, cfg: EngineConfig): ConnState {
  return {
    key,
    cfg,
    sessions: new Map(),
    singleConnect: null,
    repliesSent: 0,
    sessionsStarted: 0,
    refuseNew: false,
    retired: false,
    closed: false,
  };
}

/**
 * The transport found the connection's device gone or changed (a long-lived single-connect
 * connection must not keep serving an old key or a removed device): running sessions finish,
 * new ones are refused with ERROR, and the connection closes when the last one ends.
 */
export function retire(conn: ConnState, out: Output[]): void {
  if (conn.retired || conn.closed) return;
  conn.retired = true;
  note(out, "device_changed");
  if (conn.sessions.size === 0) close(conn, out, "device_changed");
}

const EMPTY = new Uint8Array(0);

function errorBody(type: number, msg: string): PacketBody {
  if (type === PacketType.AUTHEN)
    return {
      kind: "authen-reply",
      body: { status: AuthenStatus.ERROR, flags: 0, serverMsg: msg, data: EMPTY },
    };
  if (type === PacketType.AUTHOR)
    return {
      kind: "author-response",
      body: { status: AuthorStatus.ERROR, args: [], serverMsg: msg, data: EMPTY },
    };
  return { kind: "acct-reply", body: { status: AcctStatus.ERROR, serverMsg: msg, data: EMPTY } };
}

function note(out: Output[], reason: RefusalReason, detail?: string): void {
  out.push({
    kind: "note",
    note: detail === undefined ? { what: "refused", reason } : { what: "refused", reason, detail },
  });
}

function close(conn: ConnState, out: Output[], reason: string): void {
  if (conn.closed) return;
  conn.closed = true;
  out.push({ kind: "close", reason });
}

/** Encodes and queues a reply to `h`; ends the session when `terminal`. */
function reply(
  conn: ConnState,
  h: Header,
  body: PacketBody,
  terminal: boolean,
  out: Output[],
): void {
  const seqNo = h.seqNo + 1;
  if (!terminal && seqNo >= MAX_SEQ_NO - 1) {
    note(out, "session_too_long");
    body = errorBody(h.type, "Session too long");
    terminal = true;
  }
  const flags =
    conn.repliesSent === 0 && conn.singleConnect === true ? HeaderFlag.SINGLE_CONNECT : 0;
  conn.repliesSent++;
  out.push({
    kind: "send",
    bytes: encodePacket(
      { type: h.type, seqNo, sessionId: h.sessionId, minorVersion: h.minorVersion, flags },
      encodeBody(body),
      conn.key,
    ),
  });
  const s = conn.sessions.get(h.sessionId);
  if (!terminal) {
    if (s) {
      s.nextSeq = seqNo + 1;
      s.pending = null;
    }
    return;
  }
  endSession(conn, h.sessionId, out);
}

function endSession(conn: ConnState, sessionId: number, out: Output[]): void {
  if (conn.sessions.delete(sessionId)) out.push({ kind: "note", note: { what: "session-end" } });
  if (conn.sessions.size === 0 && (conn.singleConnect !== true || conn.refuseNew || conn.retired))
    close(conn, out, conn.refuseNew ? "bad_key" : conn.retired ? "device_changed" : "session_done");
}

/** Refuse one packet with an ERROR reply when one can be sent, and end its session. */
function refuseWithError(
  conn: ConnState,
  h: Header,
  reason: RefusalReason,
  msg: string,
  out: Output[],
): void {
  note(out, reason);
  if ((h.seqNo & 1) === 1 && h.seqNo < MAX_SEQ_NO)
    reply(conn, h, errorBody(h.type, msg), true, out);
  else {
    endSession(conn, h.sessionId, out);
    if (conn.singleConnect !== true) close(conn, out, reason);
  }
}

export function onFrame(conn: ConnState, frame: Frame, out: Output[]): void {
  if (conn.closed) return;
  const h = frame.header;
  if (h.type !== PacketType.AUTHEN && h.type !== PacketType.AUTHOR && h.type !== PacketType.ACCT) {
    note(out, "bad_type", `type ${h.type}`);
    // §3.6: "If an error occurs but the type of the incoming packet cannot be determined, a packet
    // with the identical cleartext header but with a sequence number incremented by one and the
    // length set to zero MUST be returned to indicate an error." Then the connection closes.
    if (h.seqNo < MAX_SEQ_NO)
      out.push({
        kind: "send",
        bytes: encodePacket(
          {
            type: h.type,
            seqNo: h.seqNo + 1,
            sessionId: h.sessionId,
            minorVersion: h.minorVersion,
            flags: h.flags,
          },
          EMPTY_BODY,
          conn.key,
        ),
      });
    return close(conn, out, "bad_type");
  }
  if ((h.flags & HeaderFlag.UNENCRYPTED) !== 0) {
    note(out, "unencrypted_refused");
    return close(conn, out, "unencrypted_refused");
  }
  if (conn.singleConnect === null)
    conn.singleConnect = conn.cfg.singleConnect && (h.flags & HeaderFlag.SINGLE_CONNECT) !== 0;

  let s = conn.sessions.get(h.sessionId);
  if (s === undefined) {
    if (conn.refuseNew) {
      note(out, "bad_key_connection");
      return;
    }
    if (conn.retired)
      return refuseWithError(
        conn,
        h,
        "device_changed",
        "Device configuration changed; reconnect",
        out,
      );
    if (h.seqNo !== 1)
      return refuseWithError(conn, h, "bad_seq_no", "Unexpected sequence number", out);
    if (conn.singleConnect !== true && conn.sessionsStarted > 0) {
      return refuseWithError(conn, h, "no_single_connect", "Single-connect not negotiated", out);
    }
    if (conn.sessions.size >= conn.cfg.maxSessions)
      return refuseWithError(conn, h, "too_many_sessions", "Too many sessions", out);
    s = {
      type: h.type,
      minor: h.minorVersion,
      nextSeq: 1,
      busy: false,
      pending: null,
      flow: null,
      method: "other",
    };
    conn.sessions.set(h.sessionId, s);
    conn.sessionsStarted++;
    out.push({ kind: "note", note: { what: "session-start" } });
  } else if (s.busy || h.seqNo !== s.nextSeq || h.type !== s.type) {
    return refuseWithError(conn, h, "bad_seq_no", "Unexpected sequence number", out);
  }

  const r = decodePacket(h, frame.body, conn.key, "client");
  if (!r.ok) {
    if (r.code === "tacacs/length-mismatch" || r.code === "tacacs/short-body") {
      // §4.5: the only way a wrong key shows. No new sessions on this connection.
      conn.refuseNew = true;
      return refuseWithError(conn, h, "bad_key", "Bad secret", out);
    }
    if (r.code === "tacacs/bad-minor-version")
      return refuseWithError(conn, h, "bad_minor_version", "Bad minor version", out);
    return refuseWithError(conn, h, "bad_seq_no", r.code, out);
  }
  dispatch(conn, s, r.value, out);
}

function dispatch(conn: ConnState, s: Session, p: ClientPacket, out: Output[]): void {
  const h = p.header;
  switch (p.kind) {
    case "authen-start": {
      const want = expectedMinorVersion(p.body);
      if (want !== null && want !== h.minorVersion)
        return refuseWithError(conn, h, "bad_minor_version", "Bad minor version", out);
      s.method = authenMethod(p.body);
      return authenStep(conn, s, h, startAuthen(p.body, conn.cfg), out);
    }
    case "authen-continue":
      if (h.minorVersion !== s.minor)
        return refuseWithError(conn, h, "bad_minor_version", "Bad minor version", out);
      if (s.flow === null)
        return refuseWithError(conn, h, "bad_seq_no", "No authentication in progress", out);
      return authenStep(conn, s, h, continueAuthen(s.flow, p.body), out);
    case "author-request": {
      if (h.minorVersion !== MinorVersion.DEFAULT)
        return refuseWithError(conn, h, "bad_minor_version", "Bad minor version", out);
      const a = startAuthor(p.body);
      if (a.kind === "fail") {
        out.push({
          kind: "note",
          note: { what: "author", result: "deny", reason: a.reason, username: p.body.user },
        });
        return reply(
          conn,
          h,
          { kind: "author-response", body: denyResponse(a.serverMsg) },
          true,
          out,
        );
      }
      return askPolicy(s, h, a.job, out);
    }
    case "acct-request": {
      if (h.minorVersion !== MinorVersion.DEFAULT)
        return refuseWithError(conn, h, "bad_minor_version", "Bad minor version", out);
      const a = startAcct(p.body, h.sessionId);
      if (a.kind === "error") {
        out.push({
          kind: "note",
          note: {
            what: "acct",
            recordType: "invalid",
            result: "error",
            reason: a.reason,
            username: p.body.user,
          },
        });
        return reply(conn, h, errorBody(h.type, a.serverMsg), true, out);
      }
      return askPolicy(s, h, a.job, out);
    }
  }
}

function askPolicy(s: Session, h: Header, job: Job, out: Output[]): void {
  s.busy = true;
  s.pending = h;
  out.push({ kind: "job", sessionId: h.sessionId, job });
}

function authenStep(conn: ConnState, s: Session, h: Header, step: AuthenStep, out: Output[]): void {
  if (step.kind === "job") return askPolicy(s, h, step.job, out);
  const noted = (n: { result: "fail" | "error"; reason: string }) =>
    out.push({
      kind: "note",
      note: {
        what: "authen",
        authenType: "other",
        method: s.method,
        result: n.result,
        reason: n.reason,
        username: s.flow?.username ?? "",
      },
    });
  if (step.kind === "end") {
    noted(step.note);
    return endSession(conn, h.sessionId, out);
  }
  if (step.flow !== undefined) s.flow = step.flow;
  if (step.note !== undefined) noted(step.note);
  reply(conn, h, { kind: "authen-reply", body: step.reply }, step.terminal, out);
}

export function onAnswer(conn: ConnState, sessionId: number, a: Answer, out: Output[]): void {
  const s = conn.sessions.get(sessionId);
  if (conn.closed || s === undefined || s.pending === null) return;
  const h = s.pending;
  s.busy = false;
  switch (a.kind) {
    case "authen": {
      const d = a.decision;
      out.push({
        kind: "note",
        note: {
          what: "authen",
          authenType: a.authenType,
          method: s.method,
          result: d.allow ? "pass" : "fail",
          reason: d.reason,
          username: a.username,
        },
      });
      return reply(
        conn,
        h,
        { kind: "authen-reply", body: authenVerdict(d.allow, a.data) },
        true,
        out,
      );
    }
    case "author":
      out.push({
        kind: "note",
        note: {
          what: "author",
          result: a.allow ? "permit" : "deny",
          reason: a.reason,
          username: a.username,
        },
      });
      return reply(conn, h, a.reply, true, out);
    case "acct":
      out.push({
        kind: "note",
        note: {
          what: "acct",
          recordType: a.recordType,
          result: a.ok ? "success" : "error",
          reason: a.ok ? "committed" : "store-error",
          username: a.username,
        },
      });
      return reply(
        conn,
        h,
        a.ok
          ? { kind: "acct-reply", body: { status: AcctStatus.SUCCESS, serverMsg: "", data: EMPTY } }
          : errorBody(h.type, "Accounting not recorded"),
        true,
        out,
      );
  }
}
