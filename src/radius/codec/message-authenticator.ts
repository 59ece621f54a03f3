// Message-Authenticator (type 80), RFC 3579 §3.2, RFC 5176 §3.3, RFC 5997 §3.
//
// API (pkt = the encoded packet, exactly Length octets; secret as bytes)
//   locateMessageAuthenticator(pkt)             → Result<number>  offset of the 16-octet value
//   computeMessageAuthenticator(pkt, secret, requestAuth?) → Result<Uint8Array>
//   signMessageAuthenticator(pkt, secret, requestAuth?)    → Result<void>  fills the existing attribute
//   verifyMessageAuthenticator(pkt, secret, requestAuth?)  → Result<true>  "…-missing" vs "…-mismatch"
//   MESSAGE_AUTHENTICATOR_LENGTH
//
// HMAC-MD5(secret, Code+ID+Length+Authenticator+Attributes) with the attribute's value as 16 zeros.
// Which Authenticator goes into the hash:
//   - requestAuth given: a reply (Access-Accept/Reject/Challenge, Accounting-Response, CoA/Disconnect
//     ACK/NAK, Status-Server replies): the *request's* authenticator. So compute it while the header still
//     holds the Request Authenticator, i.e. BEFORE signResponse() overwrites octets 4..20.
//   - no requestAuth, Accounting-/CoA-/Disconnect-Request: 16 zero octets (RFC 5176 §3.3; RFC 3579
//     treats Accounting-Request the same way), and sign it BEFORE signAccountingRequest().
//   - no requestAuth, other codes (Access-Request, Status-Server): the packet's own authenticator.
// The HMAC runs over ranges of the packet with the substitutions fed in between (see hmacAt).
import { timingSafeEqualAt } from "../../lib/bytes.ts";
import { hmacMd5Key } from "../../lib/md5.ts";
import { err, ok, type Result } from "../../lib/result.ts";
import { usesZeroAuthenticator } from "./authenticator.ts";
import { AttrType, HEADER_LENGTH } from "./packet.ts";

export const MESSAGE_AUTHENTICATOR_LENGTH = 16;
const ZERO16 = new Uint8Array(16);

export type MessageAuthenticatorErrorCode =
  | "radius/message-authenticator-missing"
  | "radius/message-authenticator-duplicate"
  | "radius/message-authenticator-bad-length"
  | "radius/message-authenticator-mismatch"
  | "radius/attr-overrun";

/** Offset of the value of the single Message-Authenticator; the packet must be well framed. */
export function locateMessageAuthenticator(
  pkt: Uint8Array,
): Result<number, MessageAuthenticatorErrorCode> {
  let found = -1;
  let o = HEADER_LENGTH;
  while (o < pkt.length) {
    if (o + 2 > pkt.length) return err("radius/attr-overrun");
    const t = pkt[o]!;
    const l = pkt[o + 1]!;
    if (l < 2 || o + l > pkt.length) return err("radius/attr-overrun");
    if (t === AttrType.MessageAuthenticator) {
      // RFC 3579 §3.2: exactly 18 octets; a second copy would let an attacker choose which one counts.
      if (l !== 2 + MESSAGE_AUTHENTICATOR_LENGTH)
        return err("radius/message-authenticator-bad-length", `Length ${l}`);
      if (found >= 0) return err("radius/message-authenticator-duplicate");
      found = o + 2;
    }
    o += l;
  }
  return found < 0 ? err("radius/message-authenticator-missing") : ok(found);
}

/**
 * HMAC-MD5 of the packet as the HMAC sees it — authenticator substituted, the Message-Authenticator
 * value as 16 zeros — fed as ranges of the original, so nothing is copied or sliced (this runs twice
 * per Access-Request: check the request, sign the reply).
 */
function hmacAt(
  pkt: Uint8Array,
  at: number,
  secret: Uint8Array,
  requestAuth: Uint8Array | undefined,
  out: Uint8Array = new Uint8Array(MESSAGE_AUTHENTICATOR_LENGTH),
  outAt = 0,
): Uint8Array {
  const key = hmacMd5Key(secret);
  const h = key.start().update(pkt, 0, 4);
  if (requestAuth !== undefined) h.update(requestAuth);
  else if (usesZeroAuthenticator(pkt[0]!)) h.update(ZERO16);
  else h.update(pkt, 4, HEADER_LENGTH);
  h.update(pkt, HEADER_LENGTH, at)
    .update(ZERO16)
    .update(pkt, at + MESSAGE_AUTHENTICATOR_LENGTH, pkt.length);
  // Written only now, after every octet was hashed: out may be pkt itself (signing in place).
  key.finish(out, outAt);
  return out;
}

export function computeMessageAuthenticator(
  pkt: Uint8Array,
  secret: Uint8Array,
  requestAuth?: Uint8Array,
): Result<Uint8Array, MessageAuthenticatorErrorCode> {
  const at = locateMessageAuthenticator(pkt);
  return at.ok ? ok(hmacAt(pkt, at.value, secret, requestAuth)) : at;
}

export function signMessageAuthenticator(
  pkt: Uint8Array,
  secret: Uint8Array,
  requestAuth?: Uint8Array,
): Result<void, MessageAuthenticatorErrorCode> {
  const at = locateMessageAuthenticator(pkt);
  if (!at.ok) return at;
  hmacAt(pkt, at.value, secret, requestAuth, pkt, at.value);
  return ok(undefined);
}

export function verifyMessageAuthenticator(
  pkt: Uint8Array,
  secret: Uint8Array,
  requestAuth?: Uint8Array,
): Result<true, MessageAuthenticatorErrorCode> {
  const at = locateMessageAuthenticator(pkt);
  if (!at.ok) return at;
  const want = hmacAt(pkt, at.value, secret, requestAuth);
  return timingSafeEqualAt(want, pkt, at.value)
    ? ok(true)
    : err("radius/message-authenticator-mismatch");
}
