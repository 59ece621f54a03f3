// Attribute hiding with the shared secret: User-Password (RFC 2865 §5.2), Tunnel-Password
// (RFC 2868 §3.5) and MS-MPPE-Send-Key / MS-MPPE-Recv-Key (RFC 2548 §2.4.2, §2.4.3).
//
// API
//   hidePassword(password, secret, requestAuth)           → Result<Uint8Array>  User-Password value
//   unhidePassword(value, secret, requestAuth)            → Result<Uint8Array>  trailing NULs stripped
//   hideTunnelPassword(password, secret, requestAuth, tag?, salt?) → Result<Uint8Array> Tag+Salt+String
//   unhideTunnelPassword(value, secret, requestAuth)      → Result<{tag, password}>
//   hideMppeKey(key, secret, requestAuth, salt?)          → Result<Uint8Array>  Salt+String
//   unhideMppeKey(value, secret, requestAuth)             → Result<Uint8Array>
//   randomSalt()                                           2 octets, high bit set (RFC 2868 §3.5)
//   rehideChain(c, fromSecret, fromAuth, toSecret, toAuth, out, at)  re-key an unsalted value in place
//
// All three use the same chain: b1 = MD5(S + R [+ Salt]), c(i) = p(i) xor b(i), b(i+1) = MD5(S + c(i)).
// R is the Request Authenticator of the Access-Request, also when the attribute travels in an
// Access-Accept. The salted forms prefix the plaintext with one length octet so that padding can be
// removed exactly; User-Password has no length octet, hence "trailing NULs stripped".
import { Md5 } from "../../lib/md5.ts";
import { err, ok, type Result } from "../../lib/result.ts";

/** RFC 2865 §5.2: "The String field is between 16 and 128 octets long, inclusive." */
export const MAX_USER_PASSWORD_LENGTH = 128;
/**
 * Salted values: the cipher text must fit one attribute. Tunnel-Password has 253-1(tag)-2(salt)=250
 * octets → 240 (a multiple of 16) → 239 data octets after the length octet. An MPPE key inside a
 * Microsoft VSA has 253-6-2=245 → 240 → 239 as well.
 */
export const MAX_SALTED_DATA_LENGTH = 239;

export type HideErrorCode =
  "radius/password-too-long" | "radius/bad-hidden-length" | "radius/bad-salt" | "radius/bad-tag";

const hasher = new Md5();
const blockKey = new Uint8Array(16);

function xorChain(
  data: Uint8Array,
  secret: Uint8Array,
  first: readonly Uint8Array[],
  decrypt: boolean,
): Uint8Array {
  const out = new Uint8Array(data.length);
  const b = blockKey;
  for (let i = 0; i < data.length; i += 16) {
    hasher.reset().update(secret);
    if (i === 0) for (const f of first) hasher.update(f);
    // The next block is keyed with the previous *cipher* block: the output when hiding, the input when unhiding.
    else hasher.update(decrypt ? data : out, i - 16, i);
    hasher.digestInto(b, 0);
    for (let j = 0; j < 16; j++) out[i + j] = data[i + j]! ^ b[j]!;
  }
  return out;
}

const padTo16 = (n: number): number => Math.max(16, Math.ceil(n / 16) * 16);

export function hidePassword(
  password: Uint8Array,
  secret: Uint8Array,
  requestAuth: Uint8Array,
): Result<Uint8Array, HideErrorCode> {
  if (password.length > MAX_USER_PASSWORD_LENGTH)
    return err("radius/password-too-long", `${password.length} octets`);
  const padded = new Uint8Array(padTo16(password.length));
  padded.set(password);
  return ok(xorChain(padded, secret, [requestAuth], false));
}

export function unhidePassword(
  value: Uint8Array,
  secret: Uint8Array,
  requestAuth: Uint8Array,
): Result<Uint8Array, HideErrorCode> {
  if (value.length < 16 || value.length > MAX_USER_PASSWORD_LENGTH || value.length % 16 !== 0) {
    return err("radius/bad-hidden-length", `User-Password ${value.length} octets`);
  }
  const plain = xorChain(value, secret, [requestAuth], true);
  let end = plain.length;
  while (end > 0 && plain[end - 1] === 0) end--;
  // slice, not subarray: a view would make the engine give `plain` a real ArrayBuffer (~0.4 µs).
  return ok(plain.slice(0, end));
}

export function randomSalt(): Uint8Array {
  const s = crypto.getRandomValues(new Uint8Array(2));
  s[0] = s[0]! | 0x80;
  return s;
}

/**
 * The salts of one packet. RFC 2548 §2.4.2 / RFC 2868 §3.5: "The contents of each Salt field in a
 * given Access-Accept packet MUST be unique", most significant bit set. Two independent random
 * salts collide once in 32,768 packets, and two MS-MPPE keys hidden with the same salt, secret and
 * Request Authenticator share their keystream (c1 ^ c2 = k1 ^ k2). So the first salt is random and
 * each next one is the previous + 1 in the 15 bits: distinct within the packet by construction.
 */
export class PacketSalts {
  private next = -1;
  take(): Uint8Array {
    if (this.next < 0) this.next = crypto.getRandomValues(new Uint16Array(1))[0]! & 0x7fff;
    const v = this.next;
    this.next = (v + 1) & 0x7fff;
    return new Uint8Array([0x80 | (v >>> 8), v & 0xff]);
  }
}

function saltedHide(
  data: Uint8Array,
  secret: Uint8Array,
  requestAuth: Uint8Array,
  salt: Uint8Array,
): Result<Uint8Array, HideErrorCode> {
  if (data.length > MAX_SALTED_DATA_LENGTH)
    return err("radius/password-too-long", `${data.length} octets`);
  // RFC 2868 §3.5 / RFC 2548 §2.4.2: the most significant bit of the salt MUST be set.
  if (salt.length !== 2 || (salt[0]! & 0x80) === 0) return err("radius/bad-salt");
  const plain = new Uint8Array(padTo16(data.length + 1));
  plain[0] = data.length;
  plain.set(data, 1);
  const cipher = xorChain(plain, secret, [requestAuth, salt], false);
  const out = new Uint8Array(2 + cipher.length);
  out.set(salt);
  out.set(cipher, 2);
  return ok(out);
}

function saltedUnhide(
  value: Uint8Array,
  secret: Uint8Array,
  requestAuth: Uint8Array,
): Result<Uint8Array, HideErrorCode> {
  const cipher = value.subarray(2);
  if (value.length < 2 + 16 || cipher.length % 16 !== 0)
    return err("radius/bad-hidden-length", `${value.length} octets`);
  const plain = xorChain(cipher, secret, [requestAuth, value.subarray(0, 2)], true);
  const n = plain[0]!;
  // A wrong secret shows up here as a length beyond the decrypted data.
  if (n > plain.length - 1)
    return err("radius/bad-hidden-length", `inner length ${n} > ${plain.length - 1}`);
  return ok(plain.slice(1, 1 + n));
}

export function hideTunnelPassword(
  password: Uint8Array,
  secret: Uint8Array,
  requestAuth: Uint8Array,
  tag = 0,
  salt: Uint8Array = randomSalt(),
): Result<Uint8Array, HideErrorCode> {
  // RFC 2868 §3.5: Tag 0x00..0x1F; always present for Tunnel-Password.
  if (!Number.isInteger(tag) || tag < 0 || tag > 0x1f) return err("radius/bad-tag", `tag ${tag}`);
  const r = saltedHide(password, secret, requestAuth, salt);
  if (!r.ok) return r;
  const out = new Uint8Array(1 + r.value.length);
  out[0] = tag;
  out.set(r.value, 1);
  return ok(out);
}

export function unhideTunnelPassword(
  value: Uint8Array,
  secret: Uint8Array,
  requestAuth: Uint8Array,
): Result<{ tag: number; password: Uint8Array }, HideErrorCode> {
  if (value.length < 1) return err("radius/bad-hidden-length", "empty");
  const r = saltedUnhide(value.subarray(1), secret, requestAuth);
  return r.ok ? ok({ tag: value[0]!, password: r.value }) : r;
}

export function hideMppeKey(
  key: Uint8Array,
  secret: Uint8Array,
  requestAuth: Uint8Array,
  salt: Uint8Array = randomSalt(),
): Result<Uint8Array, HideErrorCode> {
  return saltedHide(key, secret, requestAuth, salt);
}

export function unhideMppeKey(
  value: Uint8Array,
  secret: Uint8Array,
  requestAuth: Uint8Array,
): Result<Uint8Array, HideErrorCode> {
  return saltedUnhide(value, secret, requestAuth);
}

const rehideFrom = new Uint8Array(16);
const rehideTo = new Uint8Array(16);

/**
 * An unsalted hidden value (User-Password, RFC 2865 §5.2; MS-CHAP-MPPE-Keys, RFC 2548 §2.4.1) moved
 * from one chain to another without unpadding, block by block, written at out[at..]:
 * c' = c xor MD5(S_from + prev_from) xor MD5(S_to + prev_to). The padded plaintext keeps its length,
 * so trailing NULs (padding, or key octets that happen to be 0) come out exactly as they went in.
 * `c.length` must be a multiple of 16; `out` must not overlap `c`.
 */
export function rehideChain(
  c: Uint8Array,
  fromSecret: Uint8Array,
  fromAuth: Uint8Array,
  toSecret: Uint8Array,
  toAuth: Uint8Array,
  out: Uint8Array,
  at: number,
): void {
  // Ranges of c and out feed the hash (views of fresh arrays cost ~0.4 µs each, see packet.ts).
  for (let i = 0; i < c.length; i += 16) {
    hasher.reset().update(fromSecret);
    if (i === 0) hasher.update(fromAuth);
    else hasher.update(c, i - 16, i);
    hasher.digestInto(rehideFrom, 0);
    hasher.reset().update(toSecret);
    if (i === 0) hasher.update(toAuth);
    else hasher.update(out, at + i - 16, at + i);
    hasher.digestInto(rehideTo, 0);
    for (let j = 0; j < 16; j++) out[at + i + j] = c[i + j]! ^ rehideFrom[j]! ^ rehideTo[j]!;
  }
}
