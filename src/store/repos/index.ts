// The SQLite implementation of the admin service's repositories (src/admin/ports.ts), and the one
// place the admin service is built over a Store. A PostgreSQL implementation would be a sibling of
// this folder; nothing above src/admin/ports.ts would change.
import { desc } from "drizzle-orm";
import type { AdminRepositories } from "../../admin/ports.ts";
import { createAdminService, type AdminOptions, type AdminService } from "../../admin/service.ts";
import { err } from "../../lib/result.ts";
import { argon2Hasher } from "../argon2.ts";
import { queryAccounting } from "../accounting.ts";
import type { Store } from "../open.ts";
import { audit } from "../schema.ts";
import { connOf, type Conn } from "./conn.ts";
import { sqliteDevices } from "./devices.ts";
import { sqliteRules } from "./rules.ts";
import { sqliteUserGroups } from "./user-groups.ts";
import { sqliteUsers } from "./users.ts";

export function sqliteRepositoriesOf(c: Conn): AdminRepositories {
  const { db } = c;
  // src/store/accounting.ts owns the accounting table; its query is wrapped, not moved (it reads
  // only the Drizzle handle of the Store it is given).
  const accountingStore: Store = { db, sqlite: c.sqlite, path: "", close: () => {} };
  return {
    devices: sqliteDevices(c),
    users: sqliteUsers(c),
    userGroups: sqliteUserGroups(c),
    rules: sqliteRules(c),
    accounting: { query: (q) => queryAccounting(accountingStore, q) },
    audit: {
      record: (time, actor, action, object, detail) =>
        db
          .insert(audit)
          .values({ time, actor, action, object, detail: JSON.stringify(detail) })
          .run(),
      list: (limit, offset) =>
        db
          .select()
          .from(audit)
          .orderBy(desc(audit.id))
          .limit(limit)
          .offset(offset)
          .all()
          .map((r) => ({ ...r, detail: JSON.parse(r.detail) as unknown })),
    },
    atomically: (fn) => c.sqlite.transaction(fn)(),
  };
}

export const sqliteRepositories = (store: Store): AdminRepositories =>
  sqliteRepositoriesOf(connOf(store));

/** Defaults for a service over this store: argon2id, and no CHAP key unless one is given. */
export function sqliteAdminService(store: Store, o: Partial<AdminOptions> = {}): AdminService {
  return createAdminService(sqliteRepositories(store), {
    hashPassword: o.hashPassword ?? argon2Hasher.hash,
    chapKey: o.chapKey ?? err("chap/no-key", "no CHAP key configured"),
    ...(o.now === undefined ? {} : { now: o.now }),
  });
}
