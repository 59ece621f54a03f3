// The repositories the admin service writes through, and the views it hands to the CLI and the
// admin API. This is an inner layer: src/store/repos implements it over SQLite today; a PostgreSQL
// implementation would be a second folder beside it, with nothing above this file changing.
//
// Repositories are plain storage: they do not validate, hash or audit (the service does all three,
// in one place). They take already-canonical values and report only what storage alone can know:
// a unique name already taken (Err "duplicate"), or an update/remove that found no row (false). Reads never return secrets, except the two `*Secrets()` reads that
// exist for `export json --include-secrets`.
//
// Limit: every method is synchronous, which fits SQLite's in-process driver. An asynchronous backend would make
// these return promises and `atomically` take an async function; the service's callers (CLI and
// HTTP) already await every operation, so only this file, the service and the backend would change.
import type { Result } from "../lib/result.ts";
import type {
  AccountingProtocol,
  AccountingRecord,
  RadiusReplyAttribute,
} from "../policy/ports.ts";

export interface GroupView {
  name: string;
  description: string;
  tacacs_secret_set: boolean;
  radius_secret_set: boolean;
  proxy_network: string | null;
  require_message_authenticator: boolean;
  devices: number;
}
export interface DeviceView {
  name: string;
  network: string;
  group: string;
  enabled: boolean;
  auto_registered: boolean;
}
export interface ProxyView {
  name: string;
  network: string;
  description: string;
}
export interface DeviceFilter {
  group?: string;
  name?: string;
  /** Page size; absent: all. */
  limit?: number;
  offset?: number;
}
export interface GroupRow {
  name: string;
  description: string;
  tacacsSecret: string | null;
  radiusSecret: string | null;
  proxyNetwork: string | null;
  requireMessageAuthenticator: boolean;
}
export type GroupChange = Partial<Omit<GroupRow, "name">>;
export interface DeviceRow {
  name: string;
  /** Canonical CIDR text. */
  network: string;
  group: string;
  enabled: boolean;
}

export interface DeviceRepository {
  listGroups(): GroupView[];
  getGroup(name: string): GroupView | null;
  /** Cheaper than getGroup (no device count): imports ask it once per row. */
  hasGroup(name: string): boolean;
  /** Cleartext group secrets by group name: export with secrets only. */
  groupSecrets(): Map<string, { tacacs_secret: string | null; radius_secret: string | null }>;
  insertGroup(g: GroupRow): Result<void, "duplicate">;
  /** False when the group does not exist. */
  updateGroup(name: string, change: GroupChange): boolean;
  removeGroup(name: string): boolean;
  listDevices(f?: DeviceFilter): DeviceView[];
  countDevices(group?: string): number;
  /** The group must exist (the service checks first). */
  insertDevice(d: DeviceRow): Result<void, "duplicate">;
  updateDevice(name: string, change: Partial<Omit<DeviceRow, "name">>): boolean;
  removeDevice(name: string): boolean;
  listProxies(): ProxyView[];
  insertProxy(p: ProxyView): Result<void, "duplicate">;
  updateProxy(name: string, change: Partial<Omit<ProxyView, "name">>): boolean;
  removeProxy(name: string): boolean;
}

export type ChapKind = "none" | "encrypted" | "nt-hash";
export interface UserView {
  username: string;
  enabled: boolean;
  groups: string[];
  expiresAt: number | null;
  enableSecret: boolean;
  chap: ChapKind;
  credentialVersion: number;
  createdAt: number;
}
/** What a user row holds besides its name: hashes and ciphertexts, never cleartext. */
export interface UserCredentials {
  passwordHash: string;
  enableHash: string | null;
  chapSecretEnc: string | null;
  /** Hex MD4 of the login password (MS-CHAP only). */
  ntHash: string | null;
}
export interface UserRow extends UserCredentials {
  username: string;
  expiresAt: number | null;
  groups: string[];
}
export type UserChange = Partial<
  Pick<UserRow, "passwordHash" | "ntHash" | "expiresAt" | "groups"> & { enabled: boolean }
>;

export interface UserRepository {
  list(): UserView[];
  get(username: string): UserView | null;
  /** Whether an NT hash is kept (a new password re-derives it). null: no such user. */
  hasNtHash(username: string): boolean | null;
  /** Hashes and ciphertexts by user name: export with secrets only. */
  credentials(): Map<string, UserCredentials>;
  /** The user groups in `groups` must exist (the service checks first). */
  insert(u: UserRow): Result<void, "duplicate">;
  /** Bumps credential_version (the credential cache keys on it). False: no such user. */
  update(username: string, change: UserChange): boolean;
  remove(username: string): boolean;
}

export interface UserGroupView {
  name: string;
  description: string;
  privLvl: number;
  av: Record<string, string[]>;
  radiusReply: RadiusReplyAttribute[];
  deviceGroups: string[];
  members: number;
}
export type UserGroupRow = Omit<UserGroupView, "members">;

export interface UserGroupRepository {
  list(): UserGroupView[];
  insert(g: UserGroupRow): Result<void, "duplicate">;
  update(name: string, change: Partial<Omit<UserGroupRow, "name">>): boolean;
  remove(name: string): boolean;
}

export interface RuleView {
  name: string;
  position: number;
  action: "permit" | "deny";
  pattern: string;
  minPriv: number | null;
  maxPriv: number | null;
  userGroups: string[];
  deviceGroups: string[];
}

export interface RuleRepository {
  /** By position, then insertion order. */
  list(): RuleView[];
  /** The highest position in use, or null without rules. */
  lastPosition(): number | null;
  insert(r: RuleView): Result<void, "duplicate">;
  /** Replaces everything but the name. */
  replace(r: RuleView): boolean;
  remove(name: string): boolean;
}

export interface AccountingQuery {
  since?: number;
  until?: number;
  user?: string;
  device?: string;
  protocol?: AccountingProtocol;
  limit: number;
  offset: number;
}
/** One page is at most this many rows, whatever the caller asks. */
export const ACCOUNTING_MAX_PAGE = 10_000;
export interface AccountingRow extends Omit<AccountingRecord, "attributes"> {
  id: number;
  attributes: Record<string, unknown>;
}
export interface AccountingReader {
  /** Newest first. */
  query(q: AccountingQuery): AccountingRow[];
}

export interface AuditEntry {
  id: number;
  time: number;
  actor: string;
  action: string;
  object: string;
  detail: unknown;
}
export interface AuditLog {
  /** `detail` arrives redacted; the log stores it as given. */
  record(time: number, actor: string, action: string, object: string, detail: unknown): void;
  /** Newest first. */
  list(limit: number, offset: number): AuditEntry[];
}

/**
 * Tells in-memory snapshots (the device index, the policy snapshot) that the store may have
 * changed: `version()` moves after any commit, this process's or another's (the CLI's), and is
 * cheap enough to call per request. SQLite: the WAL-index change counter and PRAGMA data_version
 * (src/store/open.ts ChangeWatch); a server database would use its notification channel.
 */
export interface ChangeFeed {
  version(): number;
}

export interface AdminRepositories {
  devices: DeviceRepository;
  users: UserRepository;
  userGroups: UserGroupRepository;
  rules: RuleRepository;
  accounting: AccountingReader;
  audit: AuditLog;
  /**
   * Run `fn` as one transaction: every write in it, its audit rows included, commits together or
   * not at all. `fn` throws to roll back (the service throws only its own Abort, caught again).
   * Nested calls join the outer transaction.
   */
  atomically<T>(fn: () => T): T;
}
