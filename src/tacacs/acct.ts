// Accounting, RFC 8907 §7: a REQUEST becomes a Job (or an immediate ERROR for a flag combination the
// §7.2 table calls invalid); the record is built by jobs.ts, which knows the resolved client address.
// SUCCESS is sent only after AccountingSink.write() resolved, i.e. after the record's COMMIT (§7.2:
// the server "MUST NOT" report success for a record it has not stored).
import { AcctFlag, validAcctFlags, type AcctRequest } from "./codec/accounting.ts";
import { parseArg } from "./codec/av.ts";
import type { Job } from "./types.ts";

export type AcctStep =
  { kind: "job"; job: Job } | { kind: "error"; serverMsg: string; reason: string };

export function recordTypeOf(flags: number): "start" | "stop" | "watchdog" | "update" | null {
  if (!validAcctFlags(flags)) return null;
  const f = flags & (AcctFlag.START | AcctFlag.STOP | AcctFlag.WATCHDOG);
  if (f === AcctFlag.START) return "start";
  if (f === AcctFlag.STOP) return "stop";
  if (f === AcctFlag.WATCHDOG) return "watchdog";
  return "update"; // WATCHDOG|START: a watchdog carrying an update (§7.2)
}

export function startAcct(req: AcctRequest, tacacsSessionId: number): AcctStep {
  const recordType = recordTypeOf(req.flags);
  if (recordType === null)
    return { kind: "error", serverMsg: "Invalid accounting flags", reason: "bad-flags" };
  if (req.lossyText) return { kind: "error", serverMsg: "Invalid text", reason: "bad-text" };
  return { kind: "job", job: { kind: "acct", req, recordType, tacacsSessionId } };
}

/**
 * Attributes for the stored record: every AV (repeated names become arrays) plus the request fields.
 * AV names are the client's text: a plain `{}` would read "toString" or "constructor" from
 * Object.prototype (stored as [null, value]) and swallow "__proto__" as a prototype change, so the
 * names are collected in a Map and copied out as own data properties (JSON.stringify keeps them).
 */
export function acctAttributes(req: AcctRequest, tacacsSessionId: number): Record<string, unknown> {
  const av = new Map<string, string | string[]>();
  for (const a of req.args) {
    const p = parseArg(a);
    if (!p.ok) continue;
    const prev = av.get(p.value.attr);
    if (prev === undefined) av.set(p.value.attr, p.value.value);
    else if (Array.isArray(prev)) prev.push(p.value.value);
    else av.set(p.value.attr, [prev, p.value.value]);
  }
  const out: Record<string, unknown> = {};
  for (const [name, value] of av)
    Object.defineProperty(out, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return Object.assign(out, {
    tacacs_session_id: tacacsSessionId,
    port: req.port,
    rem_addr: req.remAddr,
    priv_lvl: req.privLvl,
    authen_method: req.authenMethod,
    flags: req.flags,
  });
}

/** The record's session id: the client's task_id when present (it links START and STOP), else ours. */
export function acctSessionId(req: AcctRequest, tacacsSessionId: number): string {
  for (const a of req.args) {
    const p = parseArg(a);
    if (p.ok && p.value.attr === "task_id" && p.value.value !== "") return p.value.value;
  }
  return tacacsSessionId.toString(16).padStart(8, "0");
}
