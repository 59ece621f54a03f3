// The audit trail: who changed what, when. Used by every admin write (CLI and API). Secrets never
// reach the table: any detail key that looks like a credential is replaced by "[redacted]", at any
// depth, so a careless caller cannot leak a password through `detail`.
import type { Db } from "./open.ts";
import { audit as auditTable } from "./schema.ts";

const SECRET_KEY = /pass|secret|hash|key|token|credential|chap|enc/i;

function redact(v: unknown, depth = 0): unknown {
  if (depth > 8) return "[too deep]";
  if (Array.isArray(v)) return v.map((x) => redact(x, depth + 1));
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v))
      out[k] = SECRET_KEY.test(k) ? "[redacted]" : redact(x, depth + 1);
    return out;
  }
  return v;
}

/** Record one change. `detail` is redacted of secret-looking keys before it is stored. */
/** A database or a transaction (drizzle's `tx`): anything that can insert. */
export type DbLike = Pick<Db, "insert">;

export function audit(
  db: DbLike,
  actor: string,
  action: string,
  object: string,
  detail: Record<string, unknown> = {},
  time = Date.now(),
): void {
  db.insert(auditTable)
    .values({
      time,
      actor,
      action,
      object,
      detail: JSON.stringify(redact(detail)),
    })
    .run();
}
