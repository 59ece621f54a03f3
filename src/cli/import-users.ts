// `import csv users FILE`: header username,password[,groups][,enable_secret][,expires], groups
// separated by ";". Every row is checked before any hashing (a typo on the last line must not cost
// minutes of argon2), passwords are hashed before the transaction opens, four at a time, and all
// users go in with one transaction.
import { basename } from "node:path";
import { audit } from "../store/audit.ts";
import { bumpLocalGeneration } from "../store/open.ts";
import { userGroupMembers, userGroups, users } from "../store/schema.ts";
import { listUserGroups } from "../store/user-groups.ts";
import { checkPassword, checkUsername, hashPassword } from "../store/users.ts";
import { cell, parseCsvTable } from "./csv.ts";
import { csvOrFail, progressOf, readFile, RowError, type ImportContext } from "./import-util.ts";

/** Argon2 hashes in flight at once: Bun hashes on its thread pool; more only queues. */
const HASH_CONCURRENCY = 4;

function parseExpires(v: string, line: number): number | null {
  const s = v.trim();
  if (s === "" || s === "never") return null;
  const t = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(s) ? Date.parse(s) : NaN;
  if (Number.isNaN(t))
    throw new RowError(line, `expires must be an ISO 8601 date, "never" or empty, got "${v}"`);
  return t;
}

export async function csvUsers(file: string, ctx: ImportContext): Promise<string> {
  const t = csvOrFail(
    parseCsvTable(
      await readFile(file),
      ["username", "password"],
      ["groups", "enable_secret", "expires"],
    ),
  );
  const known = new Set(listUserGroups(ctx.store).map((g) => g.name));
  const existing = new Set(
    ctx.store.sqlite
      .query<{ u: string }, []>("SELECT username AS u FROM users")
      .all()
      .map((r) => r.u),
  );
  const seen = new Map<string, number>();
  // Check every row before hashing anything: a typo on the last line must not cost minutes.
  const rows = t.rows.map((r) => {
    const name = checkUsername(cell(t, r, "username").trim());
    if (!name.ok) throw new RowError(r.line, name.detail ?? name.code);
    const username = name.value;
    if (existing.has(username)) throw new RowError(r.line, `user ${username} already exists`);
    const first = seen.get(username);
    if (first !== undefined)
      throw new RowError(r.line, `user ${username} is also on line ${first}`);
    seen.set(username, r.line);
    // Passwords are taken exactly as written: spaces may be part of them.
    const password = cell(t, r, "password");
    const pw = checkPassword(password);
    if (!pw.ok) throw new RowError(r.line, pw.detail ?? pw.code);
    const enable = cell(t, r, "enable_secret");
    if (enable !== "") {
      const e = checkPassword(enable, "enable secret");
      if (!e.ok) throw new RowError(r.line, e.detail ?? e.code);
    }
    const groups = [
      ...new Set(
        cell(t, r, "groups")
          .split(";")
          .map((g) => g.trim())
          .filter((g) => g !== ""),
      ),
    ];
    const missing = groups.filter((g) => !known.has(g));
    if (missing.length > 0)
      throw new RowError(r.line, `user group ${missing.join(", ")} does not exist`);
    return {
      line: r.line,
      username,
      password,
      enable: enable === "" ? null : enable,
      groups,
      expiresAt: parseExpires(cell(t, r, "expires"), r.line),
    };
  });
  const progress = progressOf(ctx, rows.length);
  let hashed = 0;
  const hashes: Array<{ password: string; enable: string | null }> = new Array(rows.length);
  let next = 0;
  const worker = async () => {
    while (next < rows.length) {
      const i = next++;
      const r = rows[i]!;
      hashes[i] = {
        password: await hashPassword(r.password),
        enable: r.enable === null ? null : await hashPassword(r.enable),
      };
      progress(++hashed, "hashing passwords");
    }
  };
  await Promise.all(Array.from({ length: Math.min(HASH_CONCURRENCY, rows.length) }, worker));
  const groupIds = new Map(
    ctx.store.db
      .select({ id: userGroups.id, name: userGroups.name })
      .from(userGroups)
      .all()
      .map((g) => [g.name, g.id]),
  );
  ctx.store.db.transaction((tx) => {
    for (const [i, r] of rows.entries()) {
      const h = hashes[i]!;
      const row = tx
        .insert(users)
        .values({
          username: r.username,
          passwordHash: h.password,
          enableHash: h.enable,
          expiresAt: r.expiresAt,
        })
        .returning({ id: users.id })
        .get();
      const gids = r.groups.map((g) => groupIds.get(g));
      if (gids.some((g) => g === undefined))
        throw new RowError(r.line, "a user group was removed during the import");
      if (gids.length > 0)
        tx.insert(userGroupMembers)
          .values(gids.map((g) => ({ userId: row.id, userGroupId: g! })))
          .run();
    }
    audit(tx, ctx.actor, "import.users", basename(file), {
      users: rows.length,
    });
  });
  bumpLocalGeneration(ctx.store.sqlite);
  return `imported ${rows.length} users`;
}
