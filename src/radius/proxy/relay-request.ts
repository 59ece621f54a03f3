// The NAS → home server half of the per-request rewrite (RFC 2865 §2.3, §5.2, §5.33; RFC 2866 §3;
// RFC 3579 §3.2). Pure: both secrets are arguments. The way back is relay-reply.ts.
//
// API
//   nasSideOf(request)                                 → NasSide   what must outlive the datagram
//   forwardRequest(request, nasSecret, homeSecret, f)  → Result<Uint8Array>  packet for the home server
//   statusServer(identifier, authenticator, homeSecret) → Result<Uint8Array>  RFC 5997 probe
//
// Error codes are "radius-proxy/…", apart from the PROXY protocol's "proxy/…" (src/proxy-protocol/).
//
// Traps:
// - A new Access-Request gets a new random Request Authenticator, so User-Password is re-hidden
//   block by block from the NAS's chain (NAS secret + its authenticator) to ours (home secret + ours).
// - CHAP without CHAP-Challenge used the NAS's Request Authenticator as the challenge (§2.2); it is
//   replaced, so the original goes along as CHAP-Challenge.
// - Proxy-State (§5.33): ours goes last, after any the NAS (or a proxy before us) added.
// - Message-Authenticator is never copied: it is recomputed for the home server, first in the
//   packet. State and Class pass through untouched.
// - Hot path: the packet is sized in one pass, then written once into its final buffer and hashed
//   in compose.ts's order (Message-Authenticator over the packet holding the right authenticator,
//   then, for accounting, the Request Authenticator over the signed packet). relay.test.ts checks
//   it against independently computed hashes.
import { hmacMd5Into, md5Into } from "../../lib/md5.ts";
import { err, ok, type Result } from "../../lib/result.ts";
import { encodeRequest } from "../codec/compose.ts";
import {
  AttrType,
  Code,
  HEADER_LENGTH,
  MAX_ATTR_VALUE_LENGTH,
  MAX_PACKET_LENGTH,
  type Packet,
} from "../codec/packet.ts";
import { MAX_USER_PASSWORD_LENGTH, rehideChain } from "../codec/user-password.ts";

const NAS_IDENTIFIER = 32;

export interface NasSide {
  code: number;
  identifier: number;
  /** Copied: the datagram buffer is reused after the server's handler returns. */
  authenticator: Uint8Array;
  proxyStates: Uint8Array[];
}

export function nasSideOf(req: Packet): NasSide {
  const proxyStates: Uint8Array[] = [];
  for (const a of req.attributes)
    if (a.type === AttrType.ProxyState) proxyStates.push(a.value.slice());
  return {
    code: req.code,
    identifier: req.identifier,
    authenticator: req.authenticator.slice(),
    proxyStates,
  };
}

export interface ForwardFields {
  identifier: number;
  /** Request Authenticator for an Access-Request (random); ignored for Accounting-Request. */
  authenticator: Uint8Array;
  proxyState: Uint8Array;
  /** Replacement User-Name (realm stripped); undefined keeps the NAS's. */
  userName?: Uint8Array | undefined;
}

export function forwardRequest(
  req: Packet,
  nasSecret: Uint8Array,
  homeSecret: Uint8Array,
  f: ForwardFields,
): Result<Uint8Array> {
  const access = req.code === Code.AccessRequest;
  if (!access && req.code !== Code.AccountingRequest)
    return err("radius-proxy/unsupported-code", `code ${req.code}`);
  // Pass 1: size and checks. The packet is then written once, straight into its final buffer.
  let hadMa = false;
  let chap = false;
  let chapChallenge = false;
  let length = HEADER_LENGTH;
  for (const a of req.attributes) {
    switch (a.type) {
      case AttrType.MessageAuthenticator:
        hadMa = true;
        continue;
      case AttrType.UserName:
        length += 2 + (f.userName ?? a.value).length;
        continue;
      case AttrType.UserPassword:
        if (!access)
          return err("radius-proxy/bad-attribute", "User-Password in an Accounting-Request");
        if (
          a.value.length < 16 ||
          a.value.length > MAX_USER_PASSWORD_LENGTH ||
          a.value.length % 16 !== 0
        )
          return err("radius/bad-hidden-length", `User-Password ${a.value.length} octets`);
        break;
      case AttrType.CHAPPassword:
        chap = true;
        break;
      case AttrType.CHAPChallenge:
        chapChallenge = true;
        break;
    }
    length += 2 + a.value.length;
  }
  const addChallenge = access && chap && !chapChallenge;
  const withMa = access || hadMa;
  length += (withMa ? 18 : 0) + (addChallenge ? 18 : 0) + 2 + f.proxyState.length;
  if (length > MAX_PACKET_LENGTH) return err("radius/packet-too-long", `${length} octets`);
  if (f.userName !== undefined && f.userName.length > MAX_ATTR_VALUE_LENGTH)
    return err("radius/attr-too-long", "User-Name");
  if (f.proxyState.length > MAX_ATTR_VALUE_LENGTH)
    return err("radius/attr-too-long", "Proxy-State");

  const out = new Uint8Array(length);
  out[0] = req.code;
  out[1] = f.identifier;
  out[2] = length >>> 8;
  out[3] = length & 0xff;
  // Accounting: 16 zero octets while Message-Authenticator is computed (RFC 5176 §3.3 style).
  if (access) out.set(f.authenticator, 4);
  let o = HEADER_LENGTH;
  const maAt = o + 2;
  if (withMa) {
    out[o] = AttrType.MessageAuthenticator;
    out[o + 1] = 18;
    o += 18;
  }
  const put = (type: number, value: Uint8Array) => {
    out[o] = type;
    out[o + 1] = value.length + 2;
    out.set(value, o + 2);
    o += 2 + value.length;
  };
  for (const a of req.attributes) {
    if (a.type === AttrType.MessageAuthenticator) continue;
    if (a.type === AttrType.UserName && f.userName !== undefined) put(a.type, f.userName);
    else if (a.type === AttrType.UserPassword) {
      out[o] = a.type;
      out[o + 1] = a.value.length + 2;
      // User-Password (RFC 2865 §5.2) from the NAS's chain to the home server's.
      rehideChain(a.value, nasSecret, req.authenticator, homeSecret, f.authenticator, out, o + 2);
      o += 2 + a.value.length;
    } else put(a.type, a.value);
  }
  if (addChallenge) put(AttrType.CHAPChallenge, req.authenticator);
  put(AttrType.ProxyState, f.proxyState);
  if (withMa) hmacMd5Into(homeSecret, out, out, maAt);
  if (!access) md5Into(out, homeSecret, out, 4);
  return ok(out);
}

const PROBE_NAS_ID = new TextEncoder().encode("aaa-proxy");

export function statusServer(
  identifier: number,
  authenticator: Uint8Array,
  homeSecret: Uint8Array,
): Result<Uint8Array> {
  return encodeRequest(
    {
      code: Code.StatusServer,
      identifier,
      authenticator,
      attributes: [{ type: NAS_IDENTIFIER, value: PROBE_NAS_ID }],
    },
    homeSecret,
    { messageAuthenticator: true },
  );
}
