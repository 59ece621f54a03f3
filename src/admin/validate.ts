// Every rule an admin write is checked against, in one place: names, shared secrets, CIDRs, user
// names and passwords, TACACS+ AV pairs, RADIUS reply attributes, privilege levels, rule patterns.
// Each check returns the canonical value or an error with the stable code the CLI prints and the
// admin API maps to a status (src/http/admin-common.ts `fail`).
import { utf8 } from "../lib/bytes.ts";
import { parseCidr } from "../lib/ip.ts";
import { err, ok, type Result } from "../lib/result.ts";
import type { RadiusReplyAttribute } from "../policy/ports.ts";

/** Device, group and proxy names are what scripts type: printable, no spaces, bounded. */
export const OBJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
/** Shared secrets: bounded; RFC 2865 §3 requires at least one octet; 16+ is recommended. */
export const MAX_SECRET = 256;
/** RADIUS User-Name carries at most 253 octets (RFC 2865 §5.1); TACACS+ allows 255. The smaller wins. */
const MAX_USERNAME_BYTES = 253;
/** Longer passwords only cost hashing time; RADIUS User-Password tops out at 128 octets anyway. */
const MAX_PASSWORD_BYTES = 1024;
/** TACACS+ AV pairs are at most 255 octets each (RFC 8907 §6.1, one length byte). */
const MAX_AV_LENGTH = 255;
/** RADIUS attribute values are at most 253 octets (RFC 2865 §5); longer values need splitting we do not do. */
const MAX_REPLY_VALUE = 253;
/** Patterns are admin input, but keep them readable and bounded. */
const MAX_PATTERN_LENGTH = 1024;

export function checkObjectName(kind: string, name: string): Result<string, "store/invalid"> {
  return OBJECT_NAME.test(name)
    ? ok(name)
    : err(
        "store/invalid",
        `${kind} name "${name}" must be 1-128 characters of letters, digits and . _ : @ -`,
      );
}

export function checkSecret(what: string, s: string): Result<string, "store/invalid"> {
  return s.length === 0 || s.length > MAX_SECRET
    ? err("store/invalid", `${what} must be 1-${MAX_SECRET} characters`)
    : ok(s);
}

export function canonicalCidr(what: string, s: string): Result<string, "store/invalid"> {
  const c = parseCidr(s);
  return c.ok ? ok(c.value.text) : err("store/invalid", `${what} "${s}" is not a valid CIDR`);
}

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

export function checkUserGroupName(name: string): Result<string> {
  return /^[A-Za-z0-9_.@-]{1,64}$/.test(name)
    ? ok(name)
    : err("usergroups/bad-name", "group name: 1-64 of letters, digits, _ . @ -");
}

export function checkPrivLvl(n: number): Result<number> {
  return Number.isInteger(n) && n >= 0 && n <= 15
    ? ok(n)
    : err("usergroups/bad-priv", "priv-lvl must be an integer 0..15 (RFC 8907 §6)");
}

/** "service=shell:priv-lvl=15" or "shell:priv-lvl=15"; `*` instead of `=` marks an optional AV. */
export function parseServiceAv(s: string): Result<{ service: string; av: string }> {
  const m = /^(?:service=)?([A-Za-z0-9_.-]+):([A-Za-z0-9_.-]+[=*].*)$/s.exec(s);
  if (m === null)
    return err("usergroups/bad-av", `bad AV "${s}": expected service=SERVICE:ATTR=VALUE`);
  const av = m[2]!;
  if (Buffer.byteLength(av) > MAX_AV_LENGTH)
    return err(
      "usergroups/bad-av",
      `AV "${av.slice(0, 20)}…" is longer than ${MAX_AV_LENGTH} bytes`,
    );
  return ok({ service: m[1]!, av });
}

/** A list of AV specs as the per-service map the policy reads. */
export function parseAvList(list: string[]): Result<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const s of list) {
    const r = parseServiceAv(s);
    if (!r.ok) return r;
    (out[r.value.service] ??= []).push(r.value.av);
  }
  return ok(out);
}

/** "Name=Value", the name as in the RADIUS dictionary. */
export function parseRadiusReply(s: string): Result<RadiusReplyAttribute> {
  const i = s.indexOf("=");
  const name = i < 0 ? "" : s.slice(0, i);
  if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(name))
    return err("usergroups/bad-reply", `bad RADIUS reply "${s}": expected Name=Value`);
  const value = s.slice(i + 1);
  if (Buffer.byteLength(value) > MAX_REPLY_VALUE)
    return err(
      "usergroups/bad-reply",
      `RADIUS reply ${name} value is longer than ${MAX_REPLY_VALUE} bytes`,
    );
  return ok({ name, value });
}

export function parseReplyList(list: string[]): Result<RadiusReplyAttribute[]> {
  const out: RadiusReplyAttribute[] = [];
  for (const s of list) {
    const r = parseRadiusReply(s);
    if (!r.ok) return r;
    out.push(r.value);
  }
  return ok(out);
}

export interface RuleFields {
  name: string;
  action: string;
  pattern: string;
  position?: number;
  minPriv?: number | null;
  maxPriv?: number | null;
}

/** Everything about a rule that needs no lookup. The pattern is compiled here, so an invalid one never reaches the store. */
export function checkRuleFields(r: RuleFields): Result<{
  action: "permit" | "deny";
  minPriv: number | null;
  maxPriv: number | null;
}> {
  if (!/^[A-Za-z0-9_.:@-]{1,64}$/.test(r.name))
    return err("rules/bad-name", "rule name: 1-64 of letters, digits, _ . : @ -");
  if (r.action !== "permit" && r.action !== "deny")
    return err("rules/bad-action", 'action must be "permit" or "deny"');
  if (r.pattern.length === 0 || r.pattern.length > MAX_PATTERN_LENGTH)
    return err("rules/bad-pattern", `pattern must be 1..${MAX_PATTERN_LENGTH} characters`);
  try {
    new RegExp(r.pattern);
  } catch (e) {
    return err("rules/bad-pattern", `invalid regular expression: ${(e as Error).message}`);
  }
  const priv = (n: number | null | undefined, what: string): Result<number | null> =>
    n === undefined || n === null
      ? ok(null)
      : Number.isInteger(n) && n >= 0 && n <= 15
        ? ok(n)
        : err("rules/bad-priv", `${what} must be an integer 0..15`);
  const minPriv = priv(r.minPriv, "min-priv");
  if (!minPriv.ok) return minPriv;
  const maxPriv = priv(r.maxPriv, "max-priv");
  if (!maxPriv.ok) return maxPriv;
  if (minPriv.value !== null && maxPriv.value !== null && minPriv.value > maxPriv.value)
    return err("rules/bad-priv", "min-priv is above max-priv");
  if (r.position !== undefined && (!Number.isSafeInteger(r.position) || r.position < 0))
    return err("rules/bad-position", "position must be a non-negative integer");
  return ok({ action: r.action, minPriv: minPriv.value, maxPriv: maxPriv.value });
}

/** Names in `wanted` that `known` lacks, deduplicated, in the order given. */
export function missingNames(wanted: string[], known: Iterable<string>): string[] {
  const have = new Set(known);
  return [...new Set(wanted)].filter((n) => !have.has(n));
}

/** ISO 8601 date or date-time → epoch ms; null for anything else (Date.parse accepts more, so the shape is required). */
export function parseIsoTime(s: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(s)) return null;
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : t;
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** "90m", "1h", "7d": how long ago, in ms (the duration syntax of aaa.toml); null for anything else. */
export function parseAge(s: string): number | null {
  const m = /^(\d{1,9})(ms|s|m|h|d)$/.exec(s.trim());
  return m === null ? null : Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}
