// Local users: argon2id password hashes (Bun.password), optional enable secret, optional expiry,
// optional CHAP credential (see src/policy/chap-credential.ts for the trade-off). Every change bumps
// credential_version (the credential cache keys on it), is audited without secrets, and bumps the
// local generation so this process's policy snapshot rebuilds.
import { eq, inArray } from "drizzle-orm";
import { utf8 } from "../lib/bytes.ts";
import { err, ok, type Result } from "../lib/result.ts";
import { encryptChapSecret, ntHashOf } from "../policy/chap-credential.ts";
import { audit } from "./audit.ts";
import type { Store } from "./open.ts";
import { bumpLocalGeneration } from "./policy-source.ts";
import { userGroupMembers, userGroups, users } from "./schema.ts";
import { ARGON2_OPTIONS } from "../policy/authenticate.ts";

/** RADIUS User-Name carries at most 253 octets (RFC 2865 §5.1); TACACS+ allows 255. The smaller wins. */
const MAX_USERNAME_BYTES = 253;
/** Longer passwords only cost hashing time; RADIUS User-Password tops out at 128 octets anyway. */
const MAX_PASSWORD_BYTES = 1024;

export const hashPassword = (p: string): Promise<string> => Bun.password.hash(p, ARGON2_OPTIONS);

/** RFC 8265 §3.3 UsernameCasePreserved, simplified: NFC, no whitespace or control characters. */
export function checkUsername(raw: string): Result<string> {
  const name = raw.normalize("NFC");
  if (name.length === 0) return err("users/bad-name", "user name is empty");
  if (utf8(name).length > MAX_USERNAME_BYTES)
    return err("users/bad-name", `user name is longer than ${MAX_USERNAME_BYTES} bytes`);
  if (/[\s\p{Cc}\p{Cf}]/u.test(name))
    return err("users/bad-name", "user name contains spaces or control characters");
  return ok(name);
}

export function checkPassword(p: string, what = "password"): Result<string> {
  if (p.length === 0) return err("users/bad-password", `${what} is empty`);
  if (utf8(p).length > MAX_PASSWORD_BYTES)
    return err("users/bad-password", `${what} is longer than ${MAX_PASSWORD_BYTES} bytes`);
  return ok(p);
}

export interface NewUser {
  username: string;
  password: string;
  groups: string[];
  enableSecret?: string;
  expiresAt?: number | null;
  /** Opt-in CHAP credential (needs chapKey). */
  chapSecret?: string;
  /** Opt-in MS-CHAP-only NT hash of the login password. */
  ntHashFromPassword?: boolean;
  chapKey?: Uint8Array | null;
}

function groupIds(store: Store, names: string[]): Result<number[]> {
  const unique = [...new Set(names)];
  if (unique.length === 0) return ok([]);
  const rows = store.db
    .select({ id: userGroups.id, name: userGroups.name })
    .from(userGroups)
    .where(inArray(userGroups.name, unique))
    .all();
  const missing = unique.filter((n) => !rows.some((r) => r.name === n));
  if (missing.length > 0)
    return err("users/unknown-group", `user group ${missing.join(", ")} does not exist`);
  return ok(rows.map((r) => r.id));
}

export async function addUser(
  store: Store,
  u: NewUser,
  actor: string,
): Promise<Result<{ id: number }>> {
  const name = checkUsername(u.username);
  if (!name.ok) return name;
  for (const [p, what] of [
    [u.password, "password"],
    [u.enableSecret, "enable secret"],
    [u.chapSecret, "CHAP secret"],
  ] as const) {
    if (p === undefined) continue;
    const c = checkPassword(p, what);
    if (!c.ok) return c;
  }
  if (u.chapSecret !== undefined && u.ntHashFromPassword)
    return err("users/bad-chap", "choose either a CHAP secret or an NT hash, not both");
  if (u.chapSecret !== undefined && (u.chapKey === null || u.chapKey === undefined)) {
    return err(
      "users/no-chap-key",
      "a CHAP secret needs the encryption key: set the variable named by policy.chap_key_env (64 hex chars)",
    );
  }
  const ids = groupIds(store, u.groups);
  if (!ids.ok) return ids;
  const exists = store.db
    .select({ id: users.id })
    .from(users)
    .where(eq(users.username, name.value))
    .get();
  if (exists !== undefined) return err("users/exists", `user ${name.value} already exists`);
  const passwordHash = await hashPassword(u.password);
  const enableHash = u.enableSecret === undefined ? null : await hashPassword(u.enableSecret);
  const chapSecretEnc =
    u.chapSecret === undefined ? null : encryptChapSecret(u.chapKey!, name.value, u.chapSecret);
  const ntHash = u.ntHashFromPassword ? Buffer.from(ntHashOf(u.password)).toString("hex") : null;
  try {
    const id = store.db.transaction((tx) => {
      const row = tx
        .insert(users)
        .values({
          username: name.value,
          passwordHash,
          enableHash,
          chapSecretEnc,
          ntHash,
          expiresAt: u.expiresAt ?? null,
        })
        .returning({ id: users.id })
        .get();
      if (ids.value.length > 0)
        tx.insert(userGroupMembers)
          .values(ids.value.map((g) => ({ userId: row.id, userGroupId: g })))
          .run();
      audit(tx, actor, "user.add", name.value, {
        groups: u.groups,
        hasEnable: u.enableSecret !== undefined,
        optIn: chapSecretEnc !== null ? "encrypted" : ntHash !== null ? "nt-hash" : "none",
        expiresAt: u.expiresAt ?? null,
      });
      return row.id;
    });
    bumpLocalGeneration(store.sqlite);
    return ok({ id });
  } catch (e) {
    return err("users/write-failed", (e as Error).message);
  }
}

export interface UserView {
  username: string;
  enabled: boolean;
  groups: string[];
  expiresAt: number | null;
  enableSecret: boolean;
  chap: "none" | "encrypted" | "nt-hash";
  credentialVersion: number;
  createdAt: number;
}

/** What may be shown: never hashes, ciphertexts or NT hashes, only whether they are set. */
export function listUsers(store: Store): UserView[] {
  const rows = store.db.select().from(users).orderBy(users.username).all();
  const memberships = store.db
    .select({ userId: userGroupMembers.userId, name: userGroups.name })
    .from(userGroupMembers)
    .innerJoin(userGroups, eq(userGroups.id, userGroupMembers.userGroupId))
    .orderBy(userGroups.name)
    .all();
  return rows.map((r) => ({
    username: r.username,
    enabled: r.enabled,
    groups: memberships.filter((m) => m.userId === r.id).map((m) => m.name),
    expiresAt: r.expiresAt,
    enableSecret: r.enableHash !== null,
    chap: r.chapSecretEnc !== null ? "encrypted" : r.ntHash !== null ? "nt-hash" : "none",
    credentialVersion: r.credentialVersion,
    createdAt: r.createdAt,
  }));
}

function update(
  store: Store,
  username: string,
  actor: string,
  action: string,
  detail: Record<string, unknown>,
  set: Partial<typeof users.$inferInsert>,
): Result<void> {
  const name = username.normalize("NFC");
  const row = store.db
    .select({ id: users.id, v: users.credentialVersion })
    .from(users)
    .where(eq(users.username, name))
    .get();
  if (row === undefined) return err("users/not-found", `user ${name} does not exist`);
  try {
    store.db.transaction((tx) => {
      tx.update(users)
        .set({ ...set, credentialVersion: row.v + 1 })
        .where(eq(users.id, row.id))
        .run();
      audit(tx, actor, action, name, detail);
    });
  } catch (e) {
    return err("users/write-failed", (e as Error).message);
  }
  bumpLocalGeneration(store.sqlite);
  return ok(undefined);
}

/** New login password. An NT hash derived from the old password is re-derived; a CHAP secret is separate and kept. */
export async function setPassword(
  store: Store,
  username: string,
  password: string,
  actor: string,
): Promise<Result<void>> {
  const c = checkPassword(password);
  if (!c.ok) return c;
  const row = store.db
    .select({ ntHash: users.ntHash })
    .from(users)
    .where(eq(users.username, username.normalize("NFC")))
    .get();
  if (row === undefined) return err("users/not-found", `user ${username} does not exist`);
  const passwordHash = await hashPassword(password);
  const ntHash = row.ntHash === null ? null : Buffer.from(ntHashOf(password)).toString("hex");
  return update(store, username, actor, "user.passwd", {}, { passwordHash, ntHash });
}

export function setEnabled(
  store: Store,
  username: string,
  enabled: boolean,
  actor: string,
): Result<void> {
  return update(store, username, actor, enabled ? "user.enable" : "user.disable", {}, { enabled });
}

export function setExpiry(
  store: Store,
  username: string,
  expiresAt: number | null,
  actor: string,
): Result<void> {
  return update(store, username, actor, "user.expiry", { expiresAt }, { expiresAt });
}

/** Replace a user's group memberships (all groups must exist; [] leaves the user in none). */
export function setUserGroups(
  store: Store,
  username: string,
  groups: string[],
  actor: string,
): Result<void> {
  const name = username.normalize("NFC");
  const ids = groupIds(store, groups);
  if (!ids.ok) return ids;
  const row = store.db
    .select({ id: users.id, v: users.credentialVersion })
    .from(users)
    .where(eq(users.username, name))
    .get();
  if (row === undefined) return err("users/not-found", `user ${name} does not exist`);
  try {
    store.db.transaction((tx) => {
      tx.delete(userGroupMembers).where(eq(userGroupMembers.userId, row.id)).run();
      if (ids.value.length > 0)
        tx.insert(userGroupMembers)
          .values(ids.value.map((g) => ({ userId: row.id, userGroupId: g })))
          .run();
      // Groups decide authorization, so cached decisions keyed on the version must go too.
      tx.update(users)
        .set({ credentialVersion: row.v + 1 })
        .where(eq(users.id, row.id))
        .run();
      audit(tx, actor, "user.groups", name, { groups: [...new Set(groups)] });
    });
  } catch (e) {
    return err("users/write-failed", (e as Error).message);
  }
  bumpLocalGeneration(store.sqlite);
  return ok(undefined);
}

export function removeUser(store: Store, username: string, actor: string): Result<void> {
  const name = username.normalize("NFC");
  try {
    const removed = store.db.transaction((tx) => {
      const r = tx.delete(users).where(eq(users.username, name)).returning({ id: users.id }).all();
      if (r.length > 0) audit(tx, actor, "user.remove", name);
      return r.length;
    });
    if (removed === 0) return err("users/not-found", `user ${name} does not exist`);
  } catch (e) {
    return err("users/write-failed", (e as Error).message);
  }
  bumpLocalGeneration(store.sqlite);
  return ok(undefined);
}
