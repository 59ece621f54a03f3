// Decisions are values with stable reason codes, so engines log and count them without parsing text.
// Rule-bearing codes carry the rule name after a colon (`command-denied:no-reload`); `reasonKind()`
// gives the part before the colon for counters.

export const Reason = {
  /** Authentication succeeded (password, enable, CHAP, MS-CHAP). */
  authenticated: "authenticated",
  /** Authorization of a service (shell start) succeeded. */
  permitted: "permitted",
  unknownUser: "unknown-user",
  badPassword: "bad-password",
  lockedOut: "locked-out",
  /**
   * The password could not be verified now: the verify gate is full for this client or in all
   * (src/policy/verify-gate.ts). Answered as a failure at once; not counted against the user.
   */
  verifyBusy: "verify-busy",
  disabled: "disabled",
  expired: "expired",
  notAllowedOnDeviceGroup: "not-allowed-on-device-group",
  /** CHAP / MS-CHAP requested but the user has no usable credential for it (or no key configured). */
  noChapCredential: "no-chap-credential",
  /** Enable to a privilege level above the user's groups' maximum. */
  privLvlTooHigh: "priv-lvl-too-high",
  /** Authorization for a service none of the user's groups lists (shell is always listed). */
  serviceNotAllowed: "service-not-allowed",
  defaultDeny: "default-deny",
  defaultPermit: "default-permit",
  /** Change password: stored. */
  passwordChanged: "password-changed",
  /** Change password: the new password is empty, too long or not valid UTF-8. */
  badNewPassword: "bad-new-password",
  /** Change password: no writer configured, or the store refused the write. */
  changeFailed: "password-change-failed",
} as const;

export type FixedReason = (typeof Reason)[keyof typeof Reason];
export type ReasonCode = FixedReason | `command-denied:${string}` | `permitted:${string}`;

export interface Decision {
  allow: boolean;
  reason: ReasonCode;
  /** The rule that decided a command authorization, if any. */
  rule?: string;
  /** The user's privilege level (max over groups) when known. */
  privLvl?: number;
  /** Password decisions: true when the credential cache answered (no argon2 verify ran). */
  cached?: boolean;
}

export interface ShellDecision extends Decision {
  /** AV pairs to return in the REPLY (RFC 8907 §6.2), e.g. ["priv-lvl=15", "timeout=30"]. */
  av: string[];
}

export const allow = (reason: ReasonCode, extra?: Omit<Decision, "allow" | "reason">): Decision =>
  extra === undefined ? { allow: true, reason } : { allow: true, reason, ...extra };

export const deny = (
  reason: ReasonCode,
  extra: Omit<Decision, "allow" | "reason"> = {},
): Decision => ({
  allow: false,
  reason,
  ...extra,
});

/** The reason without the rule name: "command-denied:x" → "command-denied". */
export function reasonKind(r: ReasonCode): string {
  const i = r.indexOf(":");
  return i < 0 ? r : r.slice(0, i);
}
