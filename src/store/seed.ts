// The admin service over a bare connection, for the seeding shims (devices.ts, users.ts,
// user-groups.ts, rules.ts): test fixtures and the demo provisioning were written against those
// call shapes before the admin service existed. Their writes take the service's path — validation,
// hashing, audit — so there is still one write path; new code calls the service directly.
import type { Database } from "bun:sqlite";
import { createAdminService, type AdminService } from "../admin/service.ts";
import { err, ok, type Result } from "../lib/result.ts";
import { argon2Hasher } from "./argon2.ts";
import type { Store } from "./open.ts";
import { connOf, connOfSqlite } from "./repos/conn.ts";
import { sqliteRepositoriesOf } from "./repos/index.ts";

export function seedService(s: Store | Database, chapKey: Uint8Array | null = null): AdminService {
  const conn = "db" in s && "sqlite" in s ? connOf(s) : connOfSqlite(s as Database);
  return createAdminService(sqliteRepositoriesOf(conn), {
    hashPassword: argon2Hasher.hash,
    chapKey: chapKey === null ? err("chap/no-key", "no CHAP key given") : ok(chapKey),
  });
}

/** The shims' old result shape: success carries nothing. */
export const done = <T>(r: Result<T>): Result<void> => (r.ok ? ok(undefined) : r);
