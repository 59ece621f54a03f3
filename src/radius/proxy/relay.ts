// The per-request rewrite between the NAS and a home server (RFC 2865 §2.3, §5.33; RFC 2866 §3;
// RFC 3579 §3.2; RFC 2548 §2.4; RFC 2868 §3.5). Pure: both secrets are arguments.
//
// API
//   nasSideOf(request)                                     → NasSide   what must outlive the datagram
//   forwardRequest(request, nasSecret, homeSecret, f)      → Result<Uint8Array>  packet for the home server
//   checkHomeReply(raw, requestCode, sentAuth, homeSecret, requireMa) → Result<Packet>
//   relayReply(reply, sentAuth, homeSecret, nas, nasSecret) → Result<Uint8Array>  packet for the NAS
//   rejectFor(nas, nasSecret)                              → Result<Uint8Array>  our own Access-Reject
//   statusServer(identifier, authenticator, homeSecret)    → Result<Uint8Array>  RFC 5997 probe
//
// Traps:
// - Everything hidden with the Request Authenticator must be re-hidden: a new Access-Request gets a
//   new random authenticator, so User-Password (NAS secret → home secret) going up, and Tunnel-Password
//   and MS-MPPE-Send/Recv-Key (home secret + our authenticator → NAS secret + the NAS's) coming down.
// - CHAP without CHAP-Challenge used the NAS's Request Authenticator as the challenge (§2.2); it is
//   replaced, so the original goes along as CHAP-Challenge.
// - Proxy-State (§5.33): ours goes last. On the way back all Proxy-States of the reply are replaced by
//   the NAS's own, in their order: a home server that drops or reorders them cannot break the NAS.
// - Message-Authenticator is never copied: it is recomputed for whoever receives the packet, first
//   in the packet for Access-* (BlastRADIUS). State and Class pass through untouched.
import { err, ok, type Result } from "../../lib/result.ts";
import { verifyResponse } from "../codec/authenticator.ts";
import { encodeReply, encodeRequest } from "../codec/compose.ts";
import { verifyMessageAuthenticator } from "../codec/message-authenticator.ts";
import { AttrType, Code, decodePacket, type Attribute, type Packet } from "../codec/packet.ts";
import { hideMppeKey, hidePassword, hideTunnelPassword, unhideMppeKey, unhidePassword, unhideTunnelPassword } from "../codec/user-password.ts";
import { decodeVsa, encodeVsa } from "../codec/vsa.ts";

/** RFC 2548 §2.4.2, §2.4.3: Microsoft (311) MS-MPPE-Send-Key 16, MS-MPPE-Recv-Key 17. */
export const VENDOR_MICROSOFT = 311;
const MPPE_SEND_KEY = 16;
const MPPE_RECV_KEY = 17;
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
  for (const a of req.attributes) if (a.type === AttrType.ProxyState) proxyStates.push(a.value.slice());
  return { code: req.code, identifier: req.identifier, authenticator: req.authenticator.slice(), proxyStates };
}

export interface ForwardFields {
  identifier: number;
  /** Request Authenticator for an Access-Request (random); ignored for Accounting-Request. */
  authenticator: Uint8Array;
  proxyState: Uint8Array;
  /** Replacement User-Name (realm stripped); undefined keeps the NAS's. */
  userName?: Uint8Array | undefined;
}

export function forwardRequest(req: Packet, nasSecret: Uint8Array, homeSecret: Uint8Array, f: ForwardFields): Result<Uint8Array> {
  const access = req.code === Code.AccessRequest;
  if (!access && req.code !== Code.AccountingRequest) return err("proxy/unsupported-code", `code ${req.code}`);
  const attrs: Attribute[] = [];
  let hadMa = false;
  let chap = false;
  let chapChallenge = false;
  for (const a of req.attributes) {
    switch (a.type) {
      case AttrType.MessageAuthenticator:
        hadMa = true;
        continue;
      case AttrType.UserName:
        attrs.push(f.userName === undefined ? a : { type: a.type, value: f.userName });
        continue;
      case AttrType.UserPassword: {
        if (!access) return err("proxy/bad-attribute", "User-Password in an Accounting-Request");
        const plain = unhidePassword(a.value, nasSecret, req.authenticator);
        if (!plain.ok) return plain;
        const hidden = hidePassword(plain.value, homeSecret, f.authenticator);
        if (!hidden.ok) return hidden;
        attrs.push({ type: a.type, value: hidden.value });
        continue;
      }
      case AttrType.CHAPPassword:
        chap = true;
        break;
      case AttrType.CHAPChallenge:
        chapChallenge = true;
        break;
    }
    attrs.push(a);
  }
  if (access && chap && !chapChallenge) attrs.push({ type: AttrType.CHAPChallenge, value: req.authenticator });
  attrs.push({ type: AttrType.ProxyState, value: f.proxyState });
  return encodeRequest(
    { code: req.code, identifier: f.identifier, authenticator: access ? f.authenticator : undefined, attributes: attrs },
    homeSecret,
    { messageAuthenticator: access || hadMa },
  );
}

const ACCESS_REPLIES: ReadonlySet<number> = new Set([Code.AccessAccept, Code.AccessReject, Code.AccessChallenge]);

/** Which reply codes may answer which request code (RFC 2865 §4, 2866 §4, 5997 §3). */
export function replyFits(requestCode: number, replyCode: number): boolean {
  if (requestCode === Code.AccessRequest) return ACCESS_REPLIES.has(replyCode);
  if (requestCode === Code.AccountingRequest) return replyCode === Code.AccountingResponse;
  if (requestCode === Code.StatusServer) return replyCode === Code.AccessAccept || replyCode === Code.AccountingResponse;
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
  if (!replyFits(requestCode, p.code)) return err("proxy/unexpected-code", `code ${p.code} for request code ${requestCode}`);
  if (!verifyResponse(p.raw, sentAuth, homeSecret)) return err("proxy/bad-response-authenticator");
  const ma = verifyMessageAuthenticator(p.raw, homeSecret, sentAuth);
  if (!ma.ok) {
    const missing = ma.code === "radius/message-authenticator-missing";
    if (!missing) return err("proxy/bad-message-authenticator", ma.code);
    if (requireMa && (ACCESS_REPLIES.has(p.code) || requestCode === Code.StatusServer))
      return err("proxy/missing-message-authenticator");
  }
  return ok(p);
}

function rehideVsa(a: Attribute, from: Uint8Array, fromAuth: Uint8Array, to: Uint8Array, toAuth: Uint8Array): Result<Attribute> {
  const subs = decodeVsa(a.value);
  if (!subs.ok) return ok(a); // not the 1,1 layout: nothing we could re-encrypt, pass it on as it is
  if (!subs.value.some((s) => s.vendorType === MPPE_SEND_KEY || s.vendorType === MPPE_RECV_KEY)) return ok(a);
  const out: Array<{ vendorType: number; value: Uint8Array }> = [];
  for (const s of subs.value) {
    if (s.vendorType !== MPPE_SEND_KEY && s.vendorType !== MPPE_RECV_KEY) {
      out.push(s);
      continue;
    }
    const key = unhideMppeKey(s.value, from, fromAuth);
    if (!key.ok) return err("proxy/rehide-failed", `MS-MPPE key: ${key.code}`);
    // The salt is kept: it only has to be unique per attribute of one packet (RFC 2548 §2.4.2).
    const hidden = hideMppeKey(key.value, to, toAuth, s.value.subarray(0, 2));
    if (!hidden.ok) return hidden;
    out.push({ vendorType: s.vendorType, value: hidden.value });
  }
  return encodeVsa(VENDOR_MICROSOFT, out);
}

export function relayReply(reply: Packet, sentAuth: Uint8Array, homeSecret: Uint8Array, nas: NasSide, nasSecret: Uint8Array): Result<Uint8Array> {
  const attrs: Attribute[] = [];
  for (const a of reply.attributes) {
    if (a.type === AttrType.MessageAuthenticator || a.type === AttrType.ProxyState) continue;
    if (a.type === AttrType.TunnelPassword) {
      const pw = unhideTunnelPassword(a.value, homeSecret, sentAuth);
      if (!pw.ok) return err("proxy/rehide-failed", `Tunnel-Password: ${pw.code}`);
      const hidden = hideTunnelPassword(pw.value.password, nasSecret, nas.authenticator, pw.value.tag, a.value.subarray(1, 3));
      if (!hidden.ok) return hidden;
      attrs.push({ type: a.type, value: hidden.value });
      continue;
    }
    if (a.type === AttrType.VendorSpecific && a.value.length >= 4 && a.value[0] === 0 && a.value[1] === 0 && a.value[2] === 1 && a.value[3] === 55) {
      const r = rehideVsa(a, homeSecret, sentAuth, nasSecret, nas.authenticator);
      if (!r.ok) return r;
      attrs.push(r.value);
      continue;
    }
    attrs.push(a);
  }
  for (const ps of nas.proxyStates) attrs.push({ type: AttrType.ProxyState, value: ps });
  return encodeReply(nas, { code: reply.code, attributes: attrs }, nasSecret);
}

export function rejectFor(nas: NasSide, nasSecret: Uint8Array): Result<Uint8Array> {
  const attrs: Attribute[] = nas.proxyStates.map((value) => ({ type: AttrType.ProxyState, value }));
  return encodeReply(nas, { code: Code.AccessReject, attributes: attrs }, nasSecret);
}

const PROBE_NAS_ID = new TextEncoder().encode("aaa-proxy");

export function statusServer(identifier: number, authenticator: Uint8Array, homeSecret: Uint8Array): Result<Uint8Array> {
  return encodeRequest(
    { code: Code.StatusServer, identifier, authenticator, attributes: [{ type: NAS_IDENTIFIER, value: PROBE_NAS_ID }] },
    homeSecret,
    { messageAuthenticator: true },
  );
}
