// Access-Request authentication: PAP (RFC 2865 §5.2), CHAP (§5.3, RFC 1994), MS-CHAP v1 / v2
// (RFC 2548, 2433, 2759) with MPPE keys (RFC 3079). The protocol math is the codec's; the decision
// (lockout, user state, device group) is policy's — CHAP and MS-CHAP hand policy a `check` callback.
//
// authenticateAccess(req) → AccessOutcome | Promise<AccessOutcome>   (PAP waits only for argon2 on a
// credential-cache miss)
//
// Wire traps:
// - User-Password and CHAP-Password together are contradictory (§5.2 "one of"): rejected.
// - MS-CHAPv2 hashes the user name without a "DOMAIN\" prefix (RFC 2759 §4), as FreeRADIUS strips it.
// - MS-CHAP2-Success and MS-MPPE keys go only into an Access-Accept; the keys are salted-hidden
//   with the Request Authenticator (RFC 2548 §2.4.2), so the reply cannot be cached across requests
//   — it is not: the duplicate cache answers only the same request.
// - EAP-Message is not served yet: Access-Reject (counted), never silence that would make the NAS retry.
import type { Policy, PolicyDevice } from "../policy/ports.ts";
import { verifyChapPassword, chapChallengeOf } from "./codec/chap.ts";
import {
  MS_VENDOR_ID,
  MsAttr,
  verifyMsChapV1,
  verifyMsChapV2,
  type MsChapV2Success,
} from "./codec/mschap.ts";
import { AttrType, getAttr, type Attribute, type Packet } from "./codec/packet.ts";
import { hideMppeKey, unhidePassword, type PacketSalts } from "./codec/user-password.ts";
import { encodeVsa, findVendorAttr } from "./codec/vsa.ts";

export interface AccessOutcome {
  allow: boolean;
  /** Policy reason code, or one of this file's ("no-credentials", "eap-not-supported", ...). */
  reason: string;
  /** Method-specific reply attributes (MS-CHAP2-Success + MPPE keys, or MS-CHAP-Error). */
  extra: Attribute[];
}

export interface AccessRequestContext {
  packet: Packet;
  secret: Uint8Array;
  userName: string;
  clientIp: string;
  device: PolicyDevice;
  policy: Policy;
  /** The reply's salts (MS-MPPE keys here, Tunnel-Password in the reply attributes): one packet. */
  salts: PacketSalts;
}

const NONE: Attribute[] = [];
const ascii = new TextEncoder();
/** RFC 2548 §2.4.1/2.4.2 values FreeRADIUS sends: Encryption-Allowed, RC4 40 or 128 bit allowed. */
const MPPE_POLICY_ALLOWED = new Uint8Array([0, 0, 0, 1]);
const MPPE_TYPES_40_OR_128 = new Uint8Array([0, 0, 0, 6]);

const reject = (reason: string, extra: Attribute[] = NONE): AccessOutcome => ({
  allow: false,
  reason,
  extra,
});

const papOutcome = (d: { allow: boolean; reason: string }): AccessOutcome => ({
  allow: d.allow,
  reason: d.reason,
  extra: NONE,
});

function msVsa(type: number, value: Uint8Array): Attribute[] {
  const r = encodeVsa(MS_VENDOR_ID, [{ vendorType: type, value }]);
  return r.ok ? [r.value] : [];
}

export function authenticateAccess(
  c: AccessRequestContext,
): AccessOutcome | Promise<AccessOutcome> {
  const p = c.packet;
  if (getAttr(p, AttrType.EAPMessage) !== undefined) return reject("eap-not-supported");
  const pap = getAttr(p, AttrType.UserPassword);
  const chap = getAttr(p, AttrType.CHAPPassword);
  if (pap !== undefined && chap !== undefined) return reject("conflicting-credentials");
  const req = { username: c.userName, clientIp: c.clientIp, device: c.device };
  if (pap !== undefined) {
    const pw = unhidePassword(pap, c.secret, p.authenticator);
    if (!pw.ok) return reject("bad-user-password");
    const d = c.policy.authenticatePassword({ ...req, password: pw.value });
    return d instanceof Promise ? d.then(papOutcome) : papOutcome(d);
  }
  if (chap !== undefined) {
    const challenge = chapChallengeOf(p);
    const d = c.policy.authenticateChap(req, (clear) => {
      const r = verifyChapPassword(chap, clear, challenge);
      return r.ok && r.value;
    });
    return { allow: d.allow, reason: d.reason, extra: NONE };
  }
  const msChallenge = findVendorAttr(p, MS_VENDOR_ID, MsAttr.MSCHAPChallenge);
  const v2 = findVendorAttr(p, MS_VENDOR_ID, MsAttr.MSCHAP2Response);
  if (msChallenge !== undefined && v2 !== undefined) return msChapV2(c, req, msChallenge, v2);
  const v1 = findVendorAttr(p, MS_VENDOR_ID, MsAttr.MSCHAPResponse);
  if (msChallenge !== undefined && v1 !== undefined) {
    const d = c.policy.authenticateMsChap(req, (ntHash) => {
      const r = verifyMsChapV1({
        ntHash,
        challenge: msChallenge,
        response: v1,
      });
      return r.ok && r.value;
    });
    return d.allow
      ? { allow: true, reason: d.reason, extra: NONE }
      : reject(d.reason, msChapError(v1[0] ?? 0));
  }
  return reject("no-credentials");
}

function msChapV2(
  c: AccessRequestContext,
  req: { username: string; clientIp: string; device: PolicyDevice },
  authChallenge: Uint8Array,
  response: Uint8Array,
): AccessOutcome {
  const slash = c.userName.lastIndexOf("\\");
  const hashedName = ascii.encode(slash >= 0 ? c.userName.slice(slash + 1) : c.userName);
  let success: MsChapV2Success | null = null;
  const d = c.policy.authenticateMsChap(req, (ntHash) => {
    const r = verifyMsChapV2({
      userName: hashedName,
      ntHash,
      authChallenge,
      response,
    });
    success = r.ok ? r.value : null;
    return success !== null;
  });
  const ident = response[0] ?? 0;
  const s = success as MsChapV2Success | null;
  if (!d.allow || s === null) return reject(d.reason, msChapError(ident));
  const send = hideMppeKey(s.sendKey, c.secret, c.packet.authenticator, c.salts.take());
  const recv = hideMppeKey(s.recvKey, c.secret, c.packet.authenticator, c.salts.take());
  s.sendKey.fill(0);
  s.recvKey.fill(0);
  if (!send.ok || !recv.ok) return reject("internal");
  return {
    allow: true,
    reason: d.reason,
    extra: [
      ...msVsa(MsAttr.MSCHAP2Success, s.success),
      ...msVsa(MsAttr.MSMPPERecvKey, recv.value),
      ...msVsa(MsAttr.MSMPPESendKey, send.value),
      ...msVsa(MsAttr.MSMPPEEncryptionPolicy, MPPE_POLICY_ALLOWED),
      ...msVsa(MsAttr.MSMPPEEncryptionTypes, MPPE_TYPES_40_OR_128),
    ],
  };
}

/** RFC 2759 §6 failure packet text: E=691 (authentication failure), R=0 (no retry). */
function msChapError(ident: number): Attribute[] {
  const text = ascii.encode("E=691 R=0 V=3");
  const v = new Uint8Array(1 + text.length);
  v[0] = ident;
  v.set(text, 1);
  return msVsa(MsAttr.MSCHAPError, v);
}
