// Request and Response Authenticators (RFC 2865 §3, RFC 2866 §3, RFC 5176 §3.5).
//
// API (all take the encoded packet — exactly Length octets, e.g. Packet.raw — and the shared secret
// as bytes; convert the secret once per client with utf8(), not per packet)
//   responseAuthenticator(pkt, requestAuth, secret)   MD5(Code+ID+Length+RequestAuth+Attributes+Secret)
//   signResponse(pkt, requestAuth, secret)            writes it into octets 4..20 (in place)
//   verifyResponse(pkt, requestAuth, secret)          constant-time check of a reply
//   accountingRequestAuthenticator(pkt, secret)       MD5(Code+ID+Length+16 zero octets+Attributes+Secret)
//   signAccountingRequest / verifyAccountingRequest   the same for Accounting-, CoA- and Disconnect-Request
//   randomAuthenticator()                             16 octets from crypto.getRandomValues, pooled (Access-Request,
//                                                     Status-Server: RFC 2865 §3 wants them unpredictable)
//   usesZeroAuthenticator(code)                       true for the request codes signed accounting-style
//
// Trap: the Request Authenticator of an Access-Request is random and *not* verifiable on its own; only
// accounting-style requests (RFC 2866 §3, RFC 5176 §3.5 for CoA/Disconnect) carry a keyed hash.
import { timingSafeEqualAt } from "../../lib/bytes.ts";
import { Md5 } from "../../lib/md5.ts";
import { AUTHENTICATOR_LENGTH, Code, HEADER_LENGTH } from "./packet.ts";

const ZERO16 = new Uint8Array(AUTHENTICATOR_LENGTH);
const hasher = new Md5();

/** The keyed hash into out[at, at + 16), or into a fresh array; pkt may be out (signing in place:
 *  the digest is written only after every input octet was read). */
function hashWith(
  pkt: Uint8Array,
  auth: Uint8Array,
  secret: Uint8Array,
  out: Uint8Array = new Uint8Array(AUTHENTICATOR_LENGTH),
  at = 0,
): Uint8Array {
  hasher
    .reset()
    .update(pkt, 0, 4)
    .update(auth)
    .update(pkt, HEADER_LENGTH)
    .update(secret)
    .digestInto(out, at);
  return out;
}

export function responseAuthenticator(
  pkt: Uint8Array,
  requestAuth: Uint8Array,
  secret: Uint8Array,
): Uint8Array {
  checkAuth(requestAuth);
  return hashWith(pkt, requestAuth, secret);
}

export function signResponse(pkt: Uint8Array, requestAuth: Uint8Array, secret: Uint8Array): void {
  checkAuth(requestAuth);
  hashWith(pkt, requestAuth, secret, pkt, 4);
}

export function verifyResponse(
  pkt: Uint8Array,
  requestAuth: Uint8Array,
  secret: Uint8Array,
): boolean {
  if (pkt.length < HEADER_LENGTH) return false;
  return timingSafeEqualAt(responseAuthenticator(pkt, requestAuth, secret), pkt, 4);
}

export function accountingRequestAuthenticator(pkt: Uint8Array, secret: Uint8Array): Uint8Array {
  return hashWith(pkt, ZERO16, secret);
}

/** For Accounting-Request, CoA-Request and Disconnect-Request (RFC 5176 §3.5 uses RFC 2866's rule). */
export function signAccountingRequest(pkt: Uint8Array, secret: Uint8Array): void {
  hashWith(pkt, ZERO16, secret, pkt, 4);
}

export function verifyAccountingRequest(pkt: Uint8Array, secret: Uint8Array): boolean {
  if (pkt.length < HEADER_LENGTH) return false;
  return timingSafeEqualAt(accountingRequestAuthenticator(pkt, secret), pkt, 4);
}

/**
 * CSPRNG octets drawn 4 KiB at a time: one getRandomValues call per 256 authenticators instead of
 * one each (the proxy needs one per forwarded request). Each authenticator is a fresh copy and no
 * octet is handed out twice.
 */
const pool = new Uint8Array(4096);
let poolAt = pool.length;

export function randomAuthenticator(): Uint8Array {
  if (poolAt + AUTHENTICATOR_LENGTH > pool.length) {
    crypto.getRandomValues(pool);
    poolAt = 0;
  }
  const a = pool.slice(poolAt, poolAt + AUTHENTICATOR_LENGTH);
  poolAt += AUTHENTICATOR_LENGTH;
  return a;
}

export function usesZeroAuthenticator(code: number): boolean {
  return (
    code === Code.AccountingRequest || code === Code.CoARequest || code === Code.DisconnectRequest
  );
}

function checkAuth(a: Uint8Array): void {
  // A bug, not bad input: the caller hands us the authenticator of a request it decoded itself.
  if (a.length !== AUTHENTICATOR_LENGTH)
    throw new RangeError(`authenticator must be 16 octets, got ${a.length}`);
}
