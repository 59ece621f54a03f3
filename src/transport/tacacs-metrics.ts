// TACACS+ counters and the mapping from engine Notes to counters and flood-limited logs.
// Label values come from closed sets: reasons are the engine's and policy's fixed codes (rule names
// are cut off with reasonKind), types are the RFC's, device groups are admin-defined names.
// Usernames go to the decision stream (the auth log) and rate-limited logs, never to labels;
// secrets go nowhere. Each authentication, authorization and accounting note becomes one
// DecisionRecord (decision-record.ts): the auth-log line comes from there, not from here.
import type { Logger } from "../lib/log.ts";
import type { Counter, Histogram, Registry } from "../lib/metrics.ts";
import { reasonKind, type ReasonCode } from "../policy/decisions.ts";
import type {
  DecisionEvent,
  DecisionMethod,
  DecisionResult,
  DecisionStream,
} from "../policy/decision-record.ts";
import type { Note, RefusalReason as EngineRefusal } from "../tacacs/types.ts";
import type { DoorRefusal } from "./stream/plug.ts";

/** Every refusal counted as aaa_tacacs_refusals_total{reason}: the engine's, the plug's, the door's. */
export type RefusalReason = EngineRefusal | DoorRefusal;

export interface TacacsCounters {
  decision: Histogram;
  authen: Counter;
  author: Counter;
  acct: Counter;
  refusals: Counter;
  connections: Counter;
  deviceMatches: Counter;
}

const P = { protocol: "tacacs" } as const;

export function createTacacsCounters(
  r: Registry,
  gauges: { connections: () => number; sessions: () => number },
): TacacsCounters {
  r.gauge("aaa_tacacs_active_connections", "Open TACACS+ connections", gauges.connections);
  r.gauge("aaa_tacacs_active_sessions", "TACACS+ sessions in progress", gauges.sessions);
  return {
    authen: r.counter(
      "aaa_tacacs_authentications_total",
      "TACACS+ authentication results by type and reason",
      ["protocol", "type", "result", "reason"],
    ),
    author: r.counter("aaa_tacacs_authorizations_total", "TACACS+ authorization results", [
      "protocol",
      "result",
      "reason",
    ]),
    acct: r.counter("aaa_tacacs_accounting_total", "TACACS+ accounting records", [
      "protocol",
      "type",
      "result",
    ]),
    refusals: r.counter(
      "aaa_tacacs_refusals_total",
      "TACACS+ packets and connections refused, by reason",
      ["protocol", "reason"],
    ),
    connections: r.counter(
      "aaa_tacacs_connections_total",
      "TACACS+ connections accepted (device resolved, key known)",
      ["protocol", "via"],
    ),
    decision: r.histogram(
      "aaa_tacacs_decision_duration_seconds",
      "Time from a TACACS+ request to its answer from policy (argon2, rules, accounting commit), by job",
      ["protocol", "job"],
    ),
    deviceMatches: r.counter(
      "aaa_tacacs_device_matches_total",
      "TACACS+ connections by matched device group",
      ["protocol", "device_group", "via"],
    ),
  };
}

/** Refusals that are ordinary life (a client closing, a slow one) log at info; the rest at warn. */
const QUIET: ReadonlySet<RefusalReason> = new Set([
  "idle_timeout",
  "first_packet_timeout",
  "bad_key_connection",
]);

export function recordRefusal(
  c: TacacsCounters,
  log: Logger,
  reason: RefusalReason,
  who: string,
  fields: Record<string, unknown> = {},
): void {
  c.refusals.inc({ ...P, reason });
  log.limited(QUIET.has(reason) ? "info" : "warn", `tacacs:${reason}:${who}`, "tacacs_refused", {
    reason,
    client: who,
    ...fields,
  });
}

export interface NoteContext {
  client: string;
  device: string;
  group: string;
  proxy: string | null;
  /** Set by the session before it performs an answer's outputs: the job's time to decide. */
  latencyMs: number;
  decisions: DecisionStream;
  sessionsDelta: (d: number) => void;
}

const AUTHEN_RESULT = { pass: "accept", fail: "reject", error: "error" } as const;
const AUTHOR_RESULT = { permit: "permit", deny: "deny", error: "error" } as const;

/** One auth-log record per decision (decision-record.ts); built only when someone listens. */
function decided(
  ctx: NoteContext,
  event: DecisionEvent,
  method: DecisionMethod,
  result: DecisionResult,
  reason: string,
  user: string,
): void {
  if (!ctx.decisions.active) return;
  ctx.decisions.emit({
    event,
    protocol: "tacacs",
    method,
    result,
    reason,
    user,
    client: ctx.client,
    device: ctx.device,
    group: ctx.group,
    proxy: ctx.proxy,
    realm: null,
    home_server: null,
    latency_ms: ctx.latencyMs,
  });
}

export function recordNote(c: TacacsCounters, log: Logger, n: Note, ctx: NoteContext): void {
  switch (n.what) {
    case "refused":
      recordRefusal(
        c,
        log,
        n.reason,
        ctx.client,
        n.detail === undefined ? { device: ctx.device } : { device: ctx.device, detail: n.detail },
      );
      return;
    case "authen": {
      const reason = reasonKind(n.reason as ReasonCode);
      c.authen.inc({ protocol: "tacacs", type: n.authenType, result: n.result, reason });
      decided(ctx, "tacacs_authen", n.method, AUTHEN_RESULT[n.result], n.reason, n.username);
      return;
    }
    case "author": {
      const reason = reasonKind(n.reason as ReasonCode);
      c.author.inc({ protocol: "tacacs", result: n.result, reason });
      // The log keeps the rule's name ("command-denied:no-reload"): which rule decided is the
      // operator's question. Labels get the kind only (rule names are not a closed set).
      decided(ctx, "tacacs_author", "author", AUTHOR_RESULT[n.result], n.reason, n.username);
      return;
    }
    case "acct":
      c.acct.inc({ protocol: "tacacs", type: n.recordType, result: n.result });
      decided(
        ctx,
        "tacacs_acct",
        "acct",
        n.result === "success" ? "stored" : "failed",
        n.reason,
        n.username,
      );
      // Beside the auth-log line, an operator's alarm: a record we failed to store is our failure
      // (error); invalid flags or text are the client's mistake (warn): a fuzzing client wrote
      // 1,608 error lines in one run otherwise.
      if (n.result !== "success")
        log.limited(
          n.reason === "store-error" ? "error" : "warn",
          `tacacs_acct_error:${ctx.client}`,
          "tacacs_acct_error",
          { client: ctx.client, device: ctx.device, user: n.username, reason: n.reason },
        );
      return;
    case "session-start":
      ctx.sessionsDelta(1);
      return;
    case "session-end":
      ctx.sessionsDelta(-1);
      return;
  }
}
