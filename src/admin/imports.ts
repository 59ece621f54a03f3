// Imports: all or nothing. The caller (the CLI) parses its file format into rows that remember their
// line; every row is checked here, passwords are hashed before the transaction opens (argon2id costs
// tens of milliseconds each, HASH_CONCURRENCY at a time), and all rows go in with ONE transaction and
// one audit row. The first refused row comes back as an error carrying its line; the store is then
// unchanged.
import { err, ok, type Err, type Result } from "../lib/result.ts";
import type { AdminCore } from "./context.ts";
import { checkNewDevice, checkNewGroup, insertDevice, type NewDevice } from "./devices.ts";
import { checkPassword, checkUsername, missingNames, parseIsoTime } from "./validate.ts";

/** Argon2 hashes in flight at once: hashing runs on a thread pool; more only queues. */
const HASH_CONCURRENCY = 4;

/** A refused import: `line` names the row at fault; without it the store refused the write. */
export type ImportErr = Err & { line?: number };
export type ImportResult<T> = { ok: true; value: T } | ImportErr;
export type Progress = (done: number, what: string) => void;

export interface ImportDevice extends NewDevice {
  line: number;
}
export interface ImportGroup {
  line: number;
  name: string;
  radiusSecret: string;
  requireMessageAuthenticator: boolean;
  description: string;
}
export interface ImportUser {
  line: number;
  username: string;
  /** Taken exactly as written: spaces may be part of it. */
  password: string;
  /** Empty: none. */
  enableSecret: string;
  groups: string[];
  /** ISO 8601, "never" or empty. */
  expires: string;
}

const at = (line: number, e: Err): ImportErr => ({ ...e, line });
const FAILED = "import/write-failed";

export function importOperations(core: AdminCore) {
  const devices = core.repos.devices;

  /** Groups (each first) and devices in one transaction, under one audit action. */
  function groupsAndDevices(
    actor: string,
    action: string,
    source: string,
    groups: ImportGroup[],
    rows: ImportDevice[],
    progress: Progress = () => {},
  ): ImportResult<{ devices: number; groups: number }> {
    return core.atomic(() => {
      for (const g of groups) {
        const row = checkNewGroup(g);
        if (!row.ok) return at(g.line, row);
        if (!devices.insertGroup(row.value).ok)
          return at(g.line, err("store/duplicate", `group "${g.name}" already exists`));
      }
      for (const [i, d] of rows.entries()) {
        const row = checkNewDevice(d);
        if (!row.ok) return at(d.line, row);
        const ins = insertDevice(devices, row.value);
        if (!ins.ok) return at(d.line, ins);
        progress(i + 1, "devices");
      }
      core.audit(
        actor,
        action,
        source,
        groups.length > 0
          ? { devices: rows.length, groups: groups.map((g) => g.name) }
          : { devices: rows.length },
      );
      return ok({ devices: rows.length, groups: new Set(rows.map((r) => r.group)).size });
    }, FAILED);
  }

  return {
    /** `import csv devices`: every group must exist already. */
    devices: (actor: string, source: string, rows: ImportDevice[], progress?: Progress) =>
      groupsAndDevices(actor, "import.devices", source, [], rows, progress),

    /** `import freeradius-clients`: new groups holding the secrets, then their devices. */
    clients: (
      actor: string,
      source: string,
      groups: ImportGroup[],
      rows: ImportDevice[],
      progress?: Progress,
    ) => groupsAndDevices(actor, "import.freeradius-clients", source, groups, rows, progress),

    async users(
      actor: string,
      source: string,
      rows: ImportUser[],
      progress: Progress = () => {},
    ): Promise<ImportResult<{ users: number }>> {
      const known = core.repos.userGroups.list().map((g) => g.name);
      const existing = new Set(core.repos.users.list().map((u) => u.username));
      const seen = new Map<string, number>();
      const checked: Array<ImportUser & { expiresAt: number | null }> = [];
      // Every row is checked before any hashing: a typo on the last line must not cost minutes.
      for (const r of rows) {
        const name = checkUsername(r.username);
        if (!name.ok) return at(r.line, name);
        const username = name.value;
        if (existing.has(username))
          return at(r.line, err("users/exists", `user ${username} already exists`));
        const first = seen.get(username);
        if (first !== undefined)
          return at(r.line, err("users/exists", `user ${username} is also on line ${first}`));
        seen.set(username, r.line);
        const pw = checkPassword(r.password);
        if (!pw.ok) return at(r.line, pw);
        if (r.enableSecret !== "") {
          const e = checkPassword(r.enableSecret, "enable secret");
          if (!e.ok) return at(r.line, e);
        }
        const groups = [...new Set(r.groups)];
        const missing = missingNames(groups, known);
        if (missing.length > 0)
          return at(
            r.line,
            err("users/unknown-group", `user group ${missing.join(", ")} does not exist`),
          );
        const s = r.expires.trim();
        const expiresAt = s === "" || s === "never" ? null : parseIsoTime(s);
        if (expiresAt === null && s !== "" && s !== "never")
          return at(
            r.line,
            err(
              "users/bad-expiry",
              `expires must be an ISO 8601 date, "never" or empty, got "${r.expires}"`,
            ),
          );
        checked.push({ ...r, username, groups, expiresAt });
      }
      const hashes = new Array<{ password: string; enable: string | null }>(checked.length);
      let next = 0;
      let hashed = 0;
      const worker = async () => {
        while (next < checked.length) {
          const i = next++;
          const r = checked[i]!;
          hashes[i] = {
            password: await core.o.hashPassword(r.password),
            enable: r.enableSecret === "" ? null : await core.o.hashPassword(r.enableSecret),
          };
          progress(++hashed, "hashing passwords");
        }
      };
      await Promise.all(Array.from({ length: Math.min(HASH_CONCURRENCY, checked.length) }, worker));
      return core.atomic(() => {
        const now = new Set(core.repos.userGroups.list().map((g) => g.name));
        for (const [i, r] of checked.entries()) {
          if (r.groups.some((g) => !now.has(g)))
            return at(
              r.line,
              err("users/unknown-group", "a user group was removed during the import"),
            );
          const h = hashes[i]!;
          const ins = core.repos.users.insert({
            username: r.username,
            passwordHash: h.password,
            enableHash: h.enable,
            chapSecretEnc: null,
            ntHash: null,
            expiresAt: r.expiresAt,
            groups: r.groups,
          });
          if (!ins.ok) return at(r.line, err("users/exists", `user ${r.username} already exists`));
        }
        core.audit(actor, "import.users", source, { users: checked.length });
        return ok({ users: checked.length });
      }, FAILED);
    },
  };
}

export type ImportOperations = ReturnType<typeof importOperations>;
