// Local users: argon2id password hashes, an optional enable secret, optional expiry, an optional
// CHAP credential (src/policy/chap-credential.ts has the trade-off). Hashing happens before the
// transaction opens (argon2id costs tens of milliseconds), so the write lock is held briefly.
// Every change bumps credential_version (the repository does; the credential cache keys on it) and
// is audited without secrets.
import { err, ok, type Result } from "../lib/result.ts";
import { encryptChapSecret, ntHashOf } from "../policy/chap-credential.ts";
import type { AdminCore } from "./context.ts";
import type { UserChange, UserView } from "./ports.ts";
import { checkPassword, checkUsername, missingNames } from "./validate.ts";

export interface NewUser {
  username: string;
  password: string;
  groups?: string[] | undefined;
  enableSecret?: string | undefined;
  expiresAt?: number | null | undefined;
  /** Opt-in CHAP credential, stored encrypted (needs the CHAP key). */
  chapSecret?: string | undefined;
  /** Opt-in MS-CHAP-only NT hash of the login password. */
  ntHashFromPassword?: boolean | undefined;
}

/** Fields of one user change. Each given field is its own audited step, in this order. */
export interface UserPatch {
  groups?: string[] | undefined;
  expiresAt?: number | null | undefined;
  enabled?: boolean | undefined;
  password?: string | undefined;
}

const FAILED = "users/write-failed";
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

export function userOperations(core: AdminCore) {
  const users = core.repos.users;
  const noUser = (name: string) => err("users/not-found", `user ${name} does not exist`);

  function unknownGroups(groups: string[]): Result<void> {
    const missing = missingNames(
      groups,
      core.repos.userGroups.list().map((g) => g.name),
    );
    return missing.length > 0
      ? err("users/unknown-group", `user group ${missing.join(", ")} does not exist`)
      : ok(undefined);
  }

  /** Apply every given step of `p` in one transaction (all or nothing); the password arrives hashed. */
  function apply(
    actor: string,
    username: string,
    p: Omit<UserPatch, "password">,
    password: UserChange | null = null,
  ): Result<UserView> {
    const name = username.normalize("NFC");
    if (users.get(name) === null) return noUser(name);
    if (p.groups !== undefined) {
      const g = unknownGroups(p.groups);
      if (!g.ok) return g;
    }
    return core.atomic(() => {
      const steps: Array<[UserChange, string, Record<string, unknown>]> = [];
      // Groups decide authorization, so their version bump also drops cached decisions.
      if (p.groups !== undefined) {
        const groups = [...new Set(p.groups)];
        steps.push([{ groups }, "user.groups", { groups }]);
      }
      if (p.expiresAt !== undefined)
        steps.push([{ expiresAt: p.expiresAt }, "user.expiry", { expiresAt: p.expiresAt }]);
      if (p.enabled !== undefined)
        steps.push([{ enabled: p.enabled }, p.enabled ? "user.enable" : "user.disable", {}]);
      if (password !== null) steps.push([password, "user.passwd", {}]);
      for (const [c, action, detail] of steps) {
        if (!users.update(name, c)) return noUser(name);
        core.audit(actor, action, name, detail);
      }
      return ok(users.get(name)!);
    }, FAILED);
  }

  /** Validate, hash the new password (if any), then apply. */
  async function change(actor: string, username: string, p: UserPatch): Promise<Result<UserView>> {
    const name = username.normalize("NFC");
    if (p.password === undefined) return apply(actor, name, p);
    const c = checkPassword(p.password);
    if (!c.ok) return c;
    const nt = users.hasNtHash(name);
    if (nt === null) return noUser(name);
    if (p.groups !== undefined) {
      const g = unknownGroups(p.groups);
      if (!g.ok) return g;
    }
    // An NT hash derived from the old password is re-derived; a CHAP secret is separate and kept.
    const password = {
      passwordHash: await core.o.hashPassword(p.password),
      ntHash: nt ? hex(ntHashOf(p.password)) : null,
    };
    return apply(actor, name, p, password);
  }

  return {
    list: (): UserView[] => users.list(),
    get: (username: string): UserView | null => users.get(username.normalize("NFC")),

    async add(actor: string, u: NewUser): Promise<Result<UserView>> {
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
      const key = core.o.chapKey;
      if (u.chapSecret !== undefined && !key.ok)
        return err(
          "users/no-chap-key",
          `a CHAP secret needs the encryption key: ${key.detail ?? key.code}`,
        );
      const groups = [...new Set(u.groups ?? [])];
      const g = unknownGroups(groups);
      if (!g.ok) return g;
      if (users.get(name.value) !== null)
        return err("users/exists", `user ${name.value} already exists`);
      const passwordHash = await core.o.hashPassword(u.password);
      const enableHash =
        u.enableSecret === undefined ? null : await core.o.hashPassword(u.enableSecret);
      const chapSecretEnc =
        u.chapSecret === undefined || !key.ok
          ? null
          : encryptChapSecret(key.value, name.value, u.chapSecret);
      const ntHash = u.ntHashFromPassword ? hex(ntHashOf(u.password)) : null;
      return core.atomic(() => {
        // Checked again inside the transaction: the hashing above yielded to other writers.
        const again = unknownGroups(groups);
        if (!again.ok) return again;
        const row = { username: name.value, passwordHash, enableHash, chapSecretEnc, ntHash };
        if (!users.insert({ ...row, expiresAt: u.expiresAt ?? null, groups }).ok)
          return err("users/exists", `user ${name.value} already exists`);
        core.audit(actor, "user.add", name.value, {
          groups: u.groups ?? [],
          hasEnable: u.enableSecret !== undefined,
          optIn: chapSecretEnc !== null ? "encrypted" : ntHash !== null ? "nt-hash" : "none",
          expiresAt: u.expiresAt ?? null,
        });
        return ok(users.get(name.value)!);
      }, FAILED);
    },

    update: change,
    setPassword: (actor: string, username: string, password: string) =>
      change(actor, username, { password }),
    setEnabled: (actor: string, username: string, enabled: boolean) =>
      apply(actor, username, { enabled }),
    setExpiry: (actor: string, username: string, expiresAt: number | null) =>
      apply(actor, username, { expiresAt }),
    /** Replace the memberships (all groups must exist; [] leaves the user in none). */
    setGroups: (actor: string, username: string, groups: string[]) =>
      apply(actor, username, { groups }),

    remove(actor: string, username: string): Result<void> {
      const name = username.normalize("NFC");
      return core.atomic(() => {
        if (!users.remove(name)) return noUser(name);
        core.audit(actor, "user.remove", name);
        return ok(undefined);
      }, FAILED);
    },
  };
}

export type UserOperations = ReturnType<typeof userOperations>;
