// The home server → NAS half of the per-request rewrite (RFC 2865 §3, §5.33; RFC 2866 §3;
// RFC 3579 §3.2; RFC 2548 §2.4; RFC 2868 §3.5). Pure: both secrets are arguments. The way up is
// relay-request.ts.
//
// API
//   checkHomeReply(raw, requestCode, sentAuth, homeSecret, requireMa) → Result<Packet>
//   relayReply(reply, sentAuth, homeSecret, nas, nasSecret) → Result<Uint8Array>  packet for the NAS
//   rejectFor(nas, nasSecret)                              → Result<Uint8Array>  our own Access-Reject
//   replyFits(requestCode, replyCode)                      → boolean
//
// Error codes are "radius-proxy/…", apart from the PROXY protocol's "proxy/…" (src/proxy-protocol/).
//
// Traps:
// - What the home server hid with our Request Authenticator must be re-hidden for the NAS with its
//   own: Tunnel-Password, MS-CHAP-MPPE-Keys and MS-MPPE-Send/Recv-Key (home secret + our
//   authenticator → NAS secret + the NAS's).
// - Proxy-State (§5.33): all Proxy-States of the reply are replaced by the NAS's own, in their
//   order: a home server that drops or reorders them cannot break the NAS.
// - Message-Authenticator is never copied: it is recomputed for the NAS, first in the packet for
//   Access-* (BlastRADIUS). State and Class pass through untouched.
// - Hot path: replies are verified as ranges of the datagram (no copy), then written once into
//   their final buffer and hashed in compose.ts's order. relay.test.ts checks all of it against
//   independently computed hashes.
import { hmacMd5Into, md5Into } from "../../lib/md5.ts";
import { err, ok, type Result } from "../../lib/result.ts";
import { verifyResponse } from "../codec/authenticator.ts";
import {
  locateMessageAuthenticator,
  verifyMessageAuthenticator,
} from "../codec/message-authenticator.ts";
import {
  AttrType,
  Code,
  decodePacket,
  getAttr,
  HEADER_LENGTH,
  MAX_ATTR_VALUE_LENGTH,
  MAX_PACKET_LENGTH,
  type Attribute,
  type Packet,
} from "../codec/packet.ts";
import {
  hideMppeKey,
  hideTunnelPassword,
  rehideChain,
  unhideMppeKey,
  unhideTunnelPassword,
} from "../codec/user-password.ts";
import { decodeVsa, encodeVsa } from "../codec/vsa.ts";
import type { NasSide } from "./relay-request.ts";

/**
 * Microsoft (311) attributes hidden with the Request Authenticator: MS-CHAP-MPPE-Keys 12 (RFC 2548
 * §2.4.1, the User-Password chain, MS-CHAPv1), MS-MPPE-Send-Key 16 and -Recv-Key 17 (§2.4.2, §2.4.3,
 * salted).
 */
export const VENDOR_MICROSOFT = 311;
const MSCHAP_MPPE_KEYS = 12;
const MPPE_SEND_KEY = 16;
const MPPE_RECV_KEY = 17;
const hiddenMs = (t: number): boolean =>
  t === MSCHAP_MPPE_KEYS || t === MPPE_SEND_KEY || t === MPPE_RECV_KEY;

/**
 * A reply for the NAS, signed like encodeReply (compose.ts): Message-Authenticator first (Access-*),
 * computed over the packet holding the NAS's Request Authenticator, then the Response Authenticator.
 */
function encodeForNas(
  nas: NasSide,
  code: number,
  attrs: readonly Attribute[],
  nasSecret: Uint8Array,
): Result<Uint8Array> {
  const withMa = ACCESS_REPLIES.has(code);
  let length = HEADER_LENGTH + (withMa ? 18 : 0);
  for (const a of attrs) {
    if (a.value.length > MAX_ATTR_VALUE_LENGTH)
      return err("radius/attr-too-long", `attribute ${a.type}`);
    length += 2 + a.value.length;
  }
  if (length > MAX_PACKET_LENGTH) return err("radius/packet-too-long", `${length} octets`);
  const out = new Uint8Array(length);
  out[0] = code;
  out[1] = nas.identifier;
  out[2] = length >>> 8;
  out[3] = length & 0xff;
  out.set(nas.authenticator, 4);
  let o = HEADER_LENGTH;
  if (withMa) {
    out[o] = AttrType.MessageAuthenticator;
    out[o + 1] = 18;
    o += 18;
  }
  for (const a of attrs) {
    out[o] = a.type;
    out[o + 1] = a.value.length + 2;
    out.set(a.value, o + 2);
    o += 2 + a.value.length;
  }
  if (withMa) hmacMd5Into(nasSecret, out, out, HEADER_LENGTH + 2);
  md5Into(out, nasSecret, out, 4);
  return ok(out);
}

const ACCESS_REPLIES: ReadonlySet<number> = new Set([
  Code.AccessAccept,
  Code.AccessReject,
  Code.AccessChallenge,
]);

/** Which reply codes may answer which request code (RFC 2865 §4, 2866 §4, 5997 §3). */
export function replyFits(requestCode: number, replyCode: number): boolean {
  if (requestCode === Code.AccessRequest) return ACCESS_REPLIES.has(replyCode);
  if (requestCode === Code.AccountingRequest) return replyCode === Code.AccountingResponse;
  if (requestCode === Code.StatusServer)
    return replyCode === Code.AccessAccept || replyCode === Code.AccountingResponse;
  return false;
}

export function checkHomeReply(
  raw: Uint8Array,
  requestCode: number,
  sentAuth: Uint8Array,
  homeSecret: Uint8Array,
  requireMa: boolean,
): Result<Packet> {
  const d = decodePacket(raw);
  if (!d.ok) return d;
  const p = d.value;
  if (!replyFits(requestCode, p.code))
    return err("radius-proxy/unexpected-code", `code ${p.code} for request code ${requestCode}`);
  // Both checks hash the reply with the Request Authenticator we sent in place of the Response
  // Authenticator (RFC 2865 §3; RFC 3579 §3.2 with the attribute zeroed), fed as ranges of the
  // datagram: no copy.
  if (!verifyResponse(p.raw, sentAuth, homeSecret))
    return err("radius-proxy/bad-response-authenticator");
  // RFC 3579 §3.2: exactly one, exactly 18 octets (a second copy would let a forger choose which
  // one counts); located in the packet itself, where the HMAC zeroes it.
  const at = locateMessageAuthenticator(p.raw);
  if (!at.ok) {
    if (at.code !== "radius/message-authenticator-missing")
      return err("radius-proxy/bad-message-authenticator", "duplicate or bad length");
    if (requireMa && (ACCESS_REPLIES.has(p.code) || requestCode === Code.StatusServer))
      return err("radius-proxy/missing-message-authenticator");
    // RFC 3579 §3.2: "Any packet that contains an EAP-Message attribute MUST also contain a
    // Message-Authenticator attribute" — whatever require_message_authenticator says.
    if (getAttr(p, AttrType.EAPMessage) !== undefined)
      return err("radius-proxy/missing-message-authenticator", "EAP-Message without it");
    return ok(p);
  }
  if (!verifyMessageAuthenticator(p.raw, homeSecret, sentAuth).ok)
    return err("radius-proxy/bad-message-authenticator", "mismatch");
  return ok(p);
}

function rehideVsa(
  a: Attribute,
  from: Uint8Array,
  fromAuth: Uint8Array,
  to: Uint8Array,
  toAuth: Uint8Array,
): Result<Attribute> {
  const subs = decodeVsa(a.value);
  if (!subs.ok) return ok(a); // not the 1,1 layout: nothing we could re-encrypt, pass it on as it is
  if (!subs.value.some((s) => hiddenMs(s.vendorType))) return ok(a);
  const out: Array<{ vendorType: number; value: Uint8Array }> = [];
  for (const s of subs.value) {
    if (!hiddenMs(s.vendorType)) {
      out.push(s);
      continue;
    }
    if (s.vendorType === MSCHAP_MPPE_KEYS) {
      // 24 octets of keys padded to 32 and hidden like User-Password: re-keyed without unpadding.
      if (s.value.length === 0 || s.value.length % 16 !== 0)
        return err("radius-proxy/rehide-failed", `MS-CHAP-MPPE-Keys ${s.value.length} octets`);
      const v = new Uint8Array(s.value.length);
      rehideChain(s.value, from, fromAuth, to, toAuth, v, 0);
      out.push({ vendorType: s.vendorType, value: v });
      continue;
    }
    const key = unhideMppeKey(s.value, from, fromAuth);
    if (!key.ok) return err("radius-proxy/rehide-failed", `MS-MPPE key: ${key.code}`);
    // The salt is kept: it only has to be unique per attribute of one packet (RFC 2548 §2.4.2).
    const hidden = hideMppeKey(key.value, to, toAuth, s.value.subarray(0, 2));
    if (!hidden.ok) return hidden;
    out.push({ vendorType: s.vendorType, value: hidden.value });
  }
  return encodeVsa(VENDOR_MICROSOFT, out);
}

export function relayReply(
  reply: Packet,
  sentAuth: Uint8Array,
  homeSecret: Uint8Array,
  nas: NasSide,
  nasSecret: Uint8Array,
): Result<Uint8Array> {
  const attrs: Attribute[] = [];
  for (const a of reply.attributes) {
    if (a.type === AttrType.MessageAuthenticator || a.type === AttrType.ProxyState) continue;
    if (a.type === AttrType.TunnelPassword) {
      const pw = unhideTunnelPassword(a.value, homeSecret, sentAuth);
      if (!pw.ok) return err("radius-proxy/rehide-failed", `Tunnel-Password: ${pw.code}`);
      const hidden = hideTunnelPassword(
        pw.value.password,
        nasSecret,
        nas.authenticator,
        pw.value.tag,
        a.value.subarray(1, 3),
      );
      if (!hidden.ok) return hidden;
      attrs.push({ type: a.type, value: hidden.value });
      continue;
    }
    if (
      a.type === AttrType.VendorSpecific &&
      a.value.length >= 4 &&
      a.value[0] === 0 &&
      a.value[1] === 0 &&
      a.value[2] === 1 &&
      a.value[3] === 55
    ) {
      const r = rehideVsa(a, homeSecret, sentAuth, nasSecret, nas.authenticator);
      if (!r.ok) return r;
      attrs.push(r.value);
      continue;
    }
    attrs.push(a);
  }
  for (const ps of nas.proxyStates) attrs.push({ type: AttrType.ProxyState, value: ps });
  return encodeForNas(nas, reply.code, attrs, nasSecret);
}

export function rejectFor(nas: NasSide, nasSecret: Uint8Array): Result<Uint8Array> {
  const attrs: Attribute[] = nas.proxyStates.map((value) => ({
    type: AttrType.ProxyState,
    value,
  }));
  return encodeForNas(nas, Code.AccessReject, attrs, nasSecret);
}
