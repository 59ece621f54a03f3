// The interfaces between policy and the rest of the system (DESIGN.md: engines ask policy through
// small interfaces; the store answers policy). Nothing here imports drizzle, sockets or timers.
//
// Engines see only `Policy` (bottom of this file). Policy sees only `PolicySource` (a read-only,
// in-memory snapshot of users, user groups and rules that the store adapter rebuilds when the
// database changes), `PasswordHasher` (argon2id by default) and `AccountingSink`.
import type { Decision, ShellDecision } from "./decisions.ts";

/** The device a request came from, as the device index resolved it. devices.ts's Device fits. */
export interface PolicyDevice {
  deviceName: string;
  groupId: number;
  groupName: string;
}

export interface PolicyUser {
  id: number;
  /** RFC 8265 UsernameCasePreserved: NFC-normalised, compared exactly. */
  username: string;
  enabled: boolean;
  /** argon2id PHC string. */
  passwordHash: string;
  /** argon2id PHC string of the TACACS+ enable secret; null: enable uses the login password. */
  enableHash: string | null;
  /** AES-256-GCM ciphertext of the opt-in CHAP cleartext (see chap-credential.ts); null: not opted in. */
  chapSecretEnc: string | null;
  /** Hex MD4 NT hash (MS-CHAP only); null: not opted in. */
  ntHash: string | null;
  /** Wall-clock epoch ms after which the account is expired; null: never. */
  expiresAt: number | null;
  /** Bumped on every credential or status change; the credential cache keys on it. */
  credentialVersion: number;
  userGroupIds: readonly number[];
}

export interface RadiusReplyAttribute {
  /** Dictionary name, e.g. "Session-Timeout" or "Cisco-AVPair"; the RADIUS engine maps it. */
  name: string;
  value: string;
}

export interface PolicyUserGroup {
  id: number;
  name: string;
  /** TACACS+ privilege level 0..15 granted on shell start. */
  privLvl: number;
  /** Service name → TACACS+ AV strings ("attr=value" mandatory, "attr*value" optional). */
  tacacsAv: Readonly<Record<string, readonly string[]>>;
  radiusReply: readonly RadiusReplyAttribute[];
  /** Device groups the members may use. Empty: none. */
  deviceGroupIds: readonly number[];
}

export type RuleAction = "permit" | "deny";

export interface PolicyRule {
  id: number;
  name: string;
  position: number;
  action: RuleAction;
  /** Compiled without the g/y flags, so test() keeps no state between calls. */
  pattern: RegExp;
  minPriv: number | null;
  maxPriv: number | null;
  /** Empty: every user group. Otherwise only users in one of these. */
  userGroupIds: readonly number[];
  /** Empty: every device group. Otherwise only devices in one of these. */
  deviceGroupIds: readonly number[];
}

export interface PolicySnapshot {
  usersByName: ReadonlyMap<string, PolicyUser>;
  groupsById: ReadonlyMap<number, PolicyUserGroup>;
  /** Sorted by position, then id. */
  rules: readonly PolicyRule[];
}

/** Returns the current snapshot; cheap to call per request (the adapter rebuilds only on change). */
export interface PolicySource {
  snapshot(): PolicySnapshot;
}

export interface PasswordHasher {
  /** Verifications it runs at once (its threads); the verify gate's default concurrency. */
  readonly concurrency?: number;
  verify(password: string | Uint8Array, hash: string): Promise<boolean>;
  /** Used once per process for the dummy hash that unknown users are verified against. */
  hash(password: string): Promise<string>;
}

export type AccountingProtocol = "tacacs" | "radius";
export type AccountingRecordType =
  "start" | "stop" | "update" | "watchdog" | "on" | "off" | "other";

export interface AccountingRecord {
  protocol: AccountingProtocol;
  /** Wall-clock epoch ms when received. */
  time: number;
  /** The resolved client address (after PROXY v2), never a field the client wrote. */
  clientIp: string;
  device: string | null;
  deviceGroup: string | null;
  username: string;
  sessionId: string;
  recordType: AccountingRecordType;
  attributes: Record<string, unknown>;
}

export interface AccountingSink {
  /** Resolves only after the record's transaction committed; rejects if it did not. */
  write(record: AccountingRecord): Promise<void>;
}

export interface PasswordRequest {
  username: string;
  password: string | Uint8Array;
  /** The resolved client address (after PROXY v2). Lockout keys on it. */
  clientIp: string;
  device: PolicyDevice;
}

export interface EnableRequest extends PasswordRequest {
  /** Requested privilege level (TACACS+ header priv_lvl). */
  privLvl: number;
}

export interface ChangePasswordRequest extends PasswordRequest {
  /** The new password (the old one is `password`). */
  newPassword: string | Uint8Array;
}

/** Writes a new login password for a local user (argon2id, credential version bump, audit). */
export interface PasswordWriter {
  setPassword(username: string, password: string): Promise<{ ok: boolean; detail?: string }>;
}

export interface IdentityRequest {
  username: string;
  clientIp: string;
  device: PolicyDevice;
}

export interface ShellRequest {
  username: string;
  device: PolicyDevice;
  /** TACACS+ service AV value, e.g. "shell". */
  service: string;
}

export interface CommandRequest {
  username: string;
  device: PolicyDevice;
  cmd: string;
  args: readonly string[];
  /** Privilege level the user is at (TACACS+ header priv_lvl). */
  privLvl: number;
}

/**
 * What the engines call. CHAP / MS-CHAP: the engine owns the protocol math (src/radius/codec/chap.ts,
 * mschap.ts); policy owns the decision. The engine passes a `check` callback; policy runs it only when
 * lockout, user state and device group allow, with the credential material, and counts the outcome.
 */
export interface Policy {
  /**
   * A Decision at once when the credential cache answers (no argon2 to wait for: the hot path of a
   * busy NAS), else a Promise. Callers handle both (`d instanceof Promise`), or simply await.
   */
  authenticatePassword(req: PasswordRequest): Decision | Promise<Decision>;
  authenticateEnable(req: EnableRequest): Decision | Promise<Decision>;
  /** TACACS+ CHPASS: the old password must authenticate (lockout applies), then the new one is stored. */
  changePassword(req: ChangePasswordRequest): Promise<Decision>;
  /** `check` gets the CHAP cleartext (UTF-8 bytes) and returns whether the response matched. */
  authenticateChap(req: IdentityRequest, check: (cleartext: Uint8Array) => boolean): Decision;
  /** `check` gets the 16-byte NT hash (MD4 of UTF-16LE password); engine computes v1/v2 from it. */
  authenticateMsChap(req: IdentityRequest, check: (ntHash: Uint8Array) => boolean): Decision;
  authorizeShell(req: ShellRequest): ShellDecision;
  authorizeCommand(req: CommandRequest): Decision;
  /** Access-Accept attributes for the user's groups (union, group order by id). Empty if unknown. */
  radiusReply(username: string): RadiusReplyAttribute[];
  account(record: AccountingRecord): Promise<void>;
}
