// The RADIUS engine's replies (steps 7–8 of server.ts, after the decision): an Access-Accept or
// -Reject from an access Answer, an Accounting-Response once the record is committed, and the
// bookkeeping every request ends with — the duplicate cache (the reply, or forget: a NAS
// retransmission is processed anew) and the notes that count and log it.
//
//   answerAccess(e, c, outcome, replyAttrs, salts, out)   fail-closed Accept → bare Reject when too large
//   answerAccounting(e, c, out)                           the record is committed: Accounting-Response
//   finish(e, c, reply | null, whyNone, out)              cache + latency + send, or forget + drop note
//   encode(e, request, secret, code, attrs, withMa, out)  reply bytes, or null (noted: a bug of ours)
import type { Clock } from "../lib/clock.ts";
import type { RadiusReplyAttribute } from "../policy/ports.ts";
import type { AccessOutcome } from "./access.ts";
import { encodeAnswer } from "./checks.ts";
import { AttrType, Code, type Attribute, type Packet } from "./codec/packet.ts";
import { PacketSalts } from "./codec/user-password.ts";
import { DropReason, type DropReasonCode } from "./counters.ts";
import { decided } from "./decision.ts";
import type { DuplicateCache, DuplicateKey } from "./duplicates.ts";
import type {
  RadiusDevice,
  RadiusListenerRef,
  RadiusOutput,
  RadiusSource,
  RadiusTicket,
} from "./engine-types.ts";
import type { ReplyAttributeMapper } from "./reply-attributes.ts";

const REJECT_MESSAGE = new TextEncoder().encode("Authentication failed");
const REJECT_ATTRS: readonly Attribute[] = [{ type: AttrType.ReplyMessage, value: REJECT_MESSAGE }];
export const NO_ATTRS: readonly Attribute[] = [];

/** A request past the duplicate check: the engine's Ticket. */
export interface Ctx extends RadiusTicket {
  readonly packet: Packet;
  readonly device: RadiusDevice;
  readonly secret: Uint8Array;
  readonly source: RadiusSource;
  readonly listener: RadiusListenerRef;
  readonly key: DuplicateKey;
  readonly start: number;
  /** The User-Name to decide with (the proxy's stripped one, or the packet's). */
  userName: string | null;
  /** The reply's salts, drawn by an access job (MS-MPPE keys) and the reply (Tunnel-Password). */
  salts: PacketSalts | null;
  /** An accounting job's record type, for its note. */
  recordType: string;
}

export interface AnswerEnv {
  readonly duplicates: DuplicateCache;
  readonly clock: Clock;
  readonly replies: ReplyAttributeMapper;
}

export function answerAccess(
  e: AnswerEnv,
  c: Ctx,
  o: AccessOutcome,
  replyAttrs: readonly RadiusReplyAttribute[],
  salts: PacketSalts | null,
  out: RadiusOutput[],
): void {
  const attrs: Attribute[] = [];
  if (o.allow) {
    if (c.userName !== null && replyAttrs.length > 0)
      e.replies.map(
        replyAttrs,
        c.secret,
        c.packet.authenticator,
        attrs,
        salts ?? new PacketSalts(),
      );
  } else attrs.push(...REJECT_ATTRS);
  for (const a of o.extra) attrs.push(a);
  let allow = o.allow;
  let reason = o.reason;
  const code = allow ? Code.AccessAccept : Code.AccessReject;
  let reply = encode(c.packet, c.secret, code, attrs, false, out);
  if (reply === null && allow) {
    // An Accept that does not fit in 4096 octets (the user group's reply attributes and the
    // echoed Proxy-States) cannot be sent; silence would have the NAS retry and then mark us
    // dead. Fail closed with a bare Access-Reject (Proxy-States only), counted and logged.
    allow = false;
    reason = "reply-too-large";
    reply = encode(c.packet, c.secret, Code.AccessReject, NO_ATTRS, false, out);
  }
  const group = c.device.groupName;
  const device = c.device.deviceName;
  if (reply !== null) {
    out.push({
      kind: "note",
      note: allow
        ? { what: "accepted", group, device }
        : { what: "rejected", group, device, reason },
    });
    out.push({
      kind: "note",
      note: decided(c, allow ? "accept" : "reject", reason, e.clock.now()),
    });
  }
  finish(e, c, reply, DropReason.internal, out);
}

export function answerAccounting(e: AnswerEnv, c: Ctx, type: string, out: RadiusOutput[]): void {
  const group = c.device.groupName;
  out.push({ kind: "note", note: { what: "accounted", group, device: c.device.deviceName, type } });
  out.push({ kind: "note", note: decided(c, "stored", "committed", e.clock.now()) });
  const reply = encode(c.packet, c.secret, Code.AccountingResponse, NO_ATTRS, false, out);
  finish(e, c, reply, DropReason.internal, out);
}

/** Records the outcome in the duplicate cache (reply) or forgets the request (no reply). */
export function finish(
  e: AnswerEnv,
  c: Ctx,
  reply: Uint8Array | null,
  whyNone: DropReasonCode,
  out: RadiusOutput[],
): void {
  if (reply === null) {
    e.duplicates.forget(c.key, c.packet.authenticator);
    out.push({
      kind: "note",
      note: { what: "dropped", group: c.device.groupName, reason: whyNone },
    });
    return;
  }
  const now = e.clock.now();
  e.duplicates.complete(c.key, c.packet.authenticator, reply, now);
  out.push({
    kind: "note",
    note: { what: "answered", port: c.listener.kind, seconds: (now - c.start) / 1000 },
  });
  out.push({ kind: "send", bytes: reply, to: c.source, via: c.listener });
}

export function encode(
  req: Packet,
  secret: Uint8Array,
  code: number,
  attrs: readonly Attribute[],
  withMa: boolean,
  out: RadiusOutput[],
): Uint8Array | null {
  const r = encodeAnswer(req, secret, code, attrs, withMa);
  if (r.ok) return r.value;
  out.push({
    kind: "note",
    note: {
      what: "internal",
      event: "radius_reply_encode_failed",
      reason: r.detail === undefined ? r.code : `${r.code}: ${r.detail}`,
    },
  });
  return null;
}
