// MS-CHAP v1 (RFC 2433), MS-CHAP v2 (RFC 2759), MPPE keys (RFC 3079), RADIUS attributes (RFC 2548).
//
// API
//   MS_VENDOR_ID, MsAttr                                    Microsoft vendor 311 attribute numbers
//   ntPasswordHash(password)                                MD4(UTF-16LE(password)), RFC 2759 §8.3
//   hashNtPasswordHash(hash)                                MD4(hash), §8.4
//   challengeResponse(challenge8, hash16)                   3×DES with 7-octet key parts, §8.5
//   challengeHash(peerChallenge, authChallenge, userName)   SHA1(...)[0..8], §8.2
//   generateNtResponse(authChallenge, peerChallenge, userName, ntHash)   24 octets, §8.1
//   generateAuthenticatorResponse(ntHash, ntResponse, peerChallenge, authChallenge, userName) "S=<40 HEX>", §8.7
//   getMasterKey(hashHash, ntResponse) / getAsymmetricStartKey(master, len, isSend, isServer)  RFC 3079 §3.4
//   mppeKeys(ntHash, ntResponse)  → {sendKey, recvKey}      server side, 128-bit (FreeRADIUS mschap's choice)
//   parseMsChap2Response(v) / parseMsChapResponse(v)       → Result<...>   the 50-octet VSA values
//   verifyMsChapV2(args) → Result<{success, sendKey, recvKey} | null>   null = wrong password
//   verifyMsChapV1(args) → Result<boolean>
//
// userName is the octets the peer hashed: RFC 2759 uses the name *without* a "DOMAIN\" prefix, so a
// caller that sees one strips it before calling (as FreeRADIUS does). LM responses are not supported.
import { createCipheriv, createHash } from "node:crypto";
import { hex, timingSafeEqual } from "../../lib/bytes.ts";
import { err, ok, type Result } from "../../lib/result.ts";

export const MS_VENDOR_ID = 311;
export const MsAttr = {
  MSCHAPResponse: 1,
  MSCHAPError: 2,
  MSMPPEEncryptionPolicy: 7,
  MSMPPEEncryptionTypes: 8,
  MSCHAPChallenge: 11,
  MSMPPESendKey: 16,
  MSMPPERecvKey: 17,
  MSCHAP2Response: 25,
  MSCHAP2Success: 26,
} as const;

const u8 = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
const md4 = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash("md4");
  for (const p of parts) h.update(p);
  return u8(h.digest());
};
const sha1 = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash("sha1");
  for (const p of parts) h.update(p);
  return u8(h.digest());
};
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

export function ntPasswordHash(password: string): Uint8Array {
  return md4(u8(Buffer.from(password, "utf16le")));
}

export function hashNtPasswordHash(hash: Uint8Array): Uint8Array {
  return md4(hash);
}

/** RFC 2759 §8.6 DesEncrypt: 7 key octets spread over 8, the low bit of each (parity) left 0. */
function desEncrypt(clear8: Uint8Array, key7: Uint8Array): Uint8Array {
  const k = new Uint8Array(8);
  let bits = 0n;
  for (const b of key7) bits = (bits << 8n) | BigInt(b);
  for (let i = 0; i < 8; i++) k[i] = Number((bits >> BigInt(49 - 7 * i)) & 0x7fn) << 1;
  const c = createCipheriv("des-ecb", k, null);
  c.setAutoPadding(false);
  return u8(c.update(clear8));
}

export function challengeResponse(challenge: Uint8Array, passwordHash: Uint8Array): Uint8Array {
  const z = new Uint8Array(21);
  z.set(passwordHash.subarray(0, 16));
  const out = new Uint8Array(24);
  for (let i = 0; i < 3; i++) out.set(desEncrypt(challenge, z.subarray(7 * i, 7 * i + 7)), 8 * i);
  return out;
}

export function challengeHash(
  peerChallenge: Uint8Array,
  authChallenge: Uint8Array,
  userName: Uint8Array,
): Uint8Array {
  return sha1(peerChallenge, authChallenge, userName).subarray(0, 8);
}

export function generateNtResponse(
  authChallenge: Uint8Array,
  peerChallenge: Uint8Array,
  userName: Uint8Array,
  ntHash: Uint8Array,
): Uint8Array {
  return challengeResponse(challengeHash(peerChallenge, authChallenge, userName), ntHash);
}

const MAGIC1 = ascii("Magic server to client signing constant");
const MAGIC2 = ascii("Pad to make it do more than one iteration");

export function generateAuthenticatorResponse(
  ntHash: Uint8Array,
  ntResponse: Uint8Array,
  peerChallenge: Uint8Array,
  authChallenge: Uint8Array,
  userName: Uint8Array,
): string {
  const digest = sha1(hashNtPasswordHash(ntHash), ntResponse, MAGIC1);
  const final = sha1(digest, challengeHash(peerChallenge, authChallenge, userName), MAGIC2);
  return `S=${hex(final).toUpperCase()}`;
}

// RFC 3079 §3.4 constants.
const MPPE_MAGIC1 = ascii("This is the MPPE Master Key");
const MPPE_MAGIC2 = ascii(
  "On the client side, this is the send key; on the server side, it is the receive key.",
);
const MPPE_MAGIC3 = ascii(
  "On the client side, this is the receive key; on the server side, it is the send key.",
);
const SHS_PAD1 = new Uint8Array(40);
const SHS_PAD2 = new Uint8Array(40).fill(0xf2);

export function getMasterKey(passwordHashHash: Uint8Array, ntResponse: Uint8Array): Uint8Array {
  return sha1(passwordHashHash, ntResponse, MPPE_MAGIC1).subarray(0, 16);
}

export function getAsymmetricStartKey(
  masterKey: Uint8Array,
  keyLength: 8 | 16,
  isSend: boolean,
  isServer: boolean,
): Uint8Array {
  const s = isSend === isServer ? MPPE_MAGIC3 : MPPE_MAGIC2;
  return sha1(masterKey, SHS_PAD1, s, SHS_PAD2).subarray(0, keyLength);
}

/** MS-MPPE-Send-Key / MS-MPPE-Recv-Key for an Access-Accept: the NAS is the PPP server. */
export function mppeKeys(
  ntHash: Uint8Array,
  ntResponse: Uint8Array,
): { sendKey: Uint8Array; recvKey: Uint8Array } {
  const master = getMasterKey(hashNtPasswordHash(ntHash), ntResponse);
  return {
    sendKey: getAsymmetricStartKey(master, 16, true, true),
    recvKey: getAsymmetricStartKey(master, 16, false, true),
  };
}

export type MsChapErrorCode = "radius/mschap-bad-attribute";

/** RFC 2548 §2.3.2 MS-CHAP2-Response: Ident(1) Flags(1) Peer-Challenge(16) Reserved(8) Response(24). */
export function parseMsChap2Response(
  v: Uint8Array,
): Result<{ ident: number; peerChallenge: Uint8Array; ntResponse: Uint8Array }, MsChapErrorCode> {
  if (v.length !== 50)
    return err("radius/mschap-bad-attribute", `MS-CHAP2-Response ${v.length} octets, want 50`);
  return ok({
    ident: v[0]!,
    peerChallenge: v.subarray(2, 18),
    ntResponse: v.subarray(26, 50),
  });
}

/** RFC 2548 §2.1.3 MS-CHAP-Response: Ident(1) Flags(1) LM-Response(24) NT-Response(24); Flags bit 0 = use NT. */
export function parseMsChapResponse(
  v: Uint8Array,
): Result<{ ident: number; useNt: boolean; ntResponse: Uint8Array }, MsChapErrorCode> {
  if (v.length !== 50)
    return err("radius/mschap-bad-attribute", `MS-CHAP-Response ${v.length} octets, want 50`);
  return ok({
    ident: v[0]!,
    useNt: (v[1]! & 1) === 1,
    ntResponse: v.subarray(26, 50),
  });
}

export interface MsChapV2Success {
  /** MS-CHAP2-Success value: Ident ‖ "S=<40 hex digits>" (RFC 2548 §2.3.3). */
  success: Uint8Array;
  sendKey: Uint8Array;
  recvKey: Uint8Array;
}

export function verifyMsChapV2(a: {
  userName: Uint8Array;
  ntHash: Uint8Array;
  /** MS-CHAP-Challenge value (16 octets). */
  authChallenge: Uint8Array;
  /** MS-CHAP2-Response value (50 octets). */
  response: Uint8Array;
}): Result<MsChapV2Success | null, MsChapErrorCode> {
  if (a.authChallenge.length !== 16)
    return err("radius/mschap-bad-attribute", `MS-CHAP-Challenge ${a.authChallenge.length} octets`);
  const r = parseMsChap2Response(a.response);
  if (!r.ok) return r;
  const { ident, peerChallenge, ntResponse } = r.value;
  const want = generateNtResponse(a.authChallenge, peerChallenge, a.userName, a.ntHash);
  if (!timingSafeEqual(want, ntResponse)) return ok(null);
  const s = ascii(
    generateAuthenticatorResponse(a.ntHash, ntResponse, peerChallenge, a.authChallenge, a.userName),
  );
  const success = new Uint8Array(1 + s.length);
  success[0] = ident;
  success.set(s, 1);
  return ok({ success, ...mppeKeys(a.ntHash, ntResponse) });
}

export function verifyMsChapV1(a: {
  ntHash: Uint8Array;
  challenge: Uint8Array;
  response: Uint8Array;
}): Result<boolean, MsChapErrorCode> {
  if (a.challenge.length !== 8)
    return err(
      "radius/mschap-bad-attribute",
      `MS-CHAP-Challenge ${a.challenge.length} octets, want 8`,
    );
  const r = parseMsChapResponse(a.response);
  if (!r.ok) return r;
  if (!r.value.useNt) return err("radius/mschap-bad-attribute", "LM-only response");
  return ok(timingSafeEqual(challengeResponse(a.challenge, a.ntHash), r.value.ntResponse));
}
