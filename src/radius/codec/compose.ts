// Whole-packet builders: encode + Message-Authenticator + authenticator in the one correct order.
//
// API
//   encodeReply(request, reply, secret, opts?)  → Result<Uint8Array>  any response code
//   encodeRequest(request, secret, opts?)       → Result<Uint8Array>  any request code
//
// Order matters (RFC 3579 §3.2, RFC 5176 §3.3): Message-Authenticator is computed first, over the packet
// whose header holds the request's authenticator (replies) or zeros (accounting-style requests), and
// only then is the Response / Accounting Request Authenticator computed over the signed attribute.
// Message-Authenticator defaults: always first in Access-Accept/Reject/Challenge replies (BlastRADIUS)
// and in Access-Request / Status-Server requests (RFC 5997 §3 requires it there); elsewhere on request.
// Attribute values that need the Request Authenticator (User-Password, Tunnel-Password, MPPE keys) must
// be hidden by the caller beforehand; for a new Access-Request pass the authenticator it used.
import { err, type Result } from "../../lib/result.ts";
import {
  randomAuthenticator,
  signAccountingRequest,
  signResponse,
  usesZeroAuthenticator,
} from "./authenticator.ts";
import { signMessageAuthenticator } from "./message-authenticator.ts";
import { Code, encodePacket, type Attribute } from "./packet.ts";

export interface ComposeOptions {
  /** Put a Message-Authenticator first; the default depends on the code (see the header). */
  messageAuthenticator?: boolean;
}

const REPLY_NEEDS_MA: ReadonlySet<number> = new Set([
  Code.AccessAccept,
  Code.AccessReject,
  Code.AccessChallenge,
]);
const REQUEST_NEEDS_MA: ReadonlySet<number> = new Set([Code.AccessRequest, Code.StatusServer]);

export function encodeReply(
  request: { identifier: number; authenticator: Uint8Array },
  reply: { code: number; attributes: readonly Attribute[] },
  secret: Uint8Array,
  opts?: ComposeOptions,
): Result<Uint8Array> {
  const withMa = opts?.messageAuthenticator ?? REPLY_NEEDS_MA.has(reply.code);
  const enc = encodePacket(
    {
      code: reply.code,
      identifier: request.identifier,
      authenticator: request.authenticator,
      attributes: reply.attributes,
    },
    { messageAuthenticatorFirst: withMa },
  );
  if (!enc.ok) return enc;
  const pkt = enc.value;
  if (withMa) {
    const s = signMessageAuthenticator(pkt, secret, request.authenticator);
    if (!s.ok) return err(s.code, s.detail);
  }
  signResponse(pkt, request.authenticator, secret);
  return enc;
}

export function encodeRequest(
  request: {
    code: number;
    identifier: number;
    authenticator?: Uint8Array;
    attributes: readonly Attribute[];
  },
  secret: Uint8Array,
  opts?: ComposeOptions,
): Result<Uint8Array> {
  const zeroAuth = usesZeroAuthenticator(request.code);
  const withMa = opts?.messageAuthenticator ?? REQUEST_NEEDS_MA.has(request.code);
  const authenticator = zeroAuth ? undefined : (request.authenticator ?? randomAuthenticator());
  const enc = encodePacket(
    {
      code: request.code,
      identifier: request.identifier,
      authenticator,
      attributes: request.attributes,
    },
    { messageAuthenticatorFirst: withMa },
  );
  if (!enc.ok) return enc;
  const pkt = enc.value;
  if (withMa) {
    const s = signMessageAuthenticator(pkt, secret);
    if (!s.ok) return err(s.code, s.detail);
  }
  if (zeroAuth) signAccountingRequest(pkt, secret);
  return enc;
}
