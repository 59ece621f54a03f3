// One audit row outside the admin service (the demo provisioning's summary line). Redacted the same
// way as every admin write (src/admin/context.ts).
import { redact } from "../admin/context.ts";
import type { Db } from "./open.ts";
import { audit as auditTable } from "./schema.ts";

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
    .values({ time, actor, action, object, detail: JSON.stringify(redact(detail)) })
    .run();
}
