// Request authenticity (RFC 2865 §3, RFC 2866 §3, RFC 3579 §3.2, RFC 5997 §3, BlastRADIUS) and the
// reply encoder with Proxy-State echo (RFC 2865 §5.33). Pure functions over a decoded packet.
//
//   checkAuthenticity(packet, device, secret) → null | DropReasonCode
//   encodeAnswer(request, secret, code, attrs, withMa) → Result<Uint8Array>
import type { Result } from "../lib/result.ts";
import { verifyAccountingRequest } from "./codec/authenticator.ts";
import { encodeReply } from "./codec/compose.ts";
import { verifyMessageAuthenticator } from "./codec/message-authenticator.ts";
import { AttrType, Code, getAttr, type Attribute, type Packet } from "./codec/packet.ts";
import { DropReason, type DropReasonCode } from "./counters.ts";
import type { RadiusDevice } from "./engine-types.ts";

/**
 * null when authentic, else why to drop. Message-Authenticator is verified whenever present and is
 * mandatory for Status-Server (RFC 5997 §3), EAP (RFC 3579 §3.1), groups that require it, and —
 * BlastRADIUS, CVE-2024-3596 — any Access-Request carrying Proxy-State, even where not required.
 * Accounting-Requests carry a keyed Request Authenticator (RFC 2866 §3), checked first.
 */
export function checkAuthenticity(
  p: Packet,
  device: RadiusDevice,
  secret: Uint8Array,
): DropReasonCode | null {
  const hasMa = getAttr(p, AttrType.MessageAuthenticator) !== undefined;
  if (p.code === Code.AccountingRequest) {
    if (!verifyAccountingRequest(p.raw, secret)) return DropReason.badAuthenticator;
  } else if (!hasMa) {
    if (
      p.code === Code.StatusServer ||
      device.requireMessageAuthenticator ||
      getAttr(p, AttrType.EAPMessage) !== undefined
    )
      return DropReason.missingMessageAuthenticator;
    if (getAttr(p, AttrType.ProxyState) !== undefined)
      return DropReason.proxyStateWithoutMessageAuthenticator;
  }
  if (hasMa && !verifyMessageAuthenticator(p.raw, secret).ok)
    return DropReason.badMessageAuthenticator;
  return null;
}

/**
 * The reply to `req`: `attrs`, then the request's Proxy-State attributes in their order (§5.33),
 * Message-Authenticator first for Access-Accept/Reject/Challenge (encodeReply's default) or when
 * `withMa` (Status-Server replies, RFC 5997 §3).
 */
export function encodeAnswer(
  req: Packet,
  secret: Uint8Array,
  code: number,
  attrs: readonly Attribute[],
  withMa: boolean,
): Result<Uint8Array> {
  let all = attrs;
  for (const a of req.attributes) {
    if (a.type !== AttrType.ProxyState) continue;
    if (all === attrs) all = [...attrs];
    (all as Attribute[]).push(a);
  }
  return encodeReply(
    req,
    { code, attributes: all },
    secret,
    withMa ? { messageAuthenticator: true } : undefined,
  );
}
