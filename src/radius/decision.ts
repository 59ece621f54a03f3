// The RADIUS engine's decision records (policy/decision-record.ts), one per answered request:
// Access-Accept / -Reject (local or a home server's), Accounting-Response (stored) or an
// accounting record that could not be stored (failed). The transport hands them to the decision
// stream (transport/radius-metrics.ts); the auth log, the status page and a trace read them there.
// Drops stay what they are (counted, rate-limited logs): no answer, no decision.
import type { DecisionMethod, DecisionRecord, DecisionResult } from "../policy/decision-record.ts";
import { MS_VENDOR_ID, MsAttr } from "./codec/mschap.ts";
import { AttrType, Code, getAttr, type Packet } from "./codec/packet.ts";
import { findVendorAttr } from "./codec/vsa.ts";
import type { RadiusDevice, RadiusListenerRef, RadiusNote, RadiusSource } from "./engine-types.ts";

/** What a decision record reads of a request (answers.ts Ctx has it; no import back there). */
export interface DecidedRequest {
  readonly packet: Packet;
  readonly device: RadiusDevice;
  readonly source: RadiusSource;
  readonly listener: RadiusListenerRef;
  readonly start: number;
  readonly userName: string | null;
}

const textDecoder = new TextDecoder();

/** The credential an Access-Request carries, in the order access.ts looks at them. */
export function accessMethod(p: Packet): DecisionMethod {
  if (getAttr(p, AttrType.EAPMessage) !== undefined) return "EAP";
  if (getAttr(p, AttrType.UserPassword) !== undefined) return "PAP";
  if (getAttr(p, AttrType.CHAPPassword) !== undefined) return "CHAP";
  if (findVendorAttr(p, MS_VENDOR_ID, MsAttr.MSCHAP2Response) !== undefined) return "MS-CHAPv2";
  if (findVendorAttr(p, MS_VENDOR_ID, MsAttr.MSCHAPResponse) !== undefined) return "MS-CHAP";
  return "other";
}

/** A home server's answer as a result: its reply code. */
export function proxiedResult(bytes: Uint8Array): DecisionResult {
  switch (bytes[0]) {
    case Code.AccessAccept:
      return "accept";
    case Code.AccessChallenge:
      return "challenge";
    case Code.AccountingResponse:
      return "stored";
    default:
      return "reject";
  }
}

/** The decision note for request `c`, answered at `now` (ms, the engine's clock). */
export function decided(
  c: DecidedRequest,
  result: DecisionResult,
  reason: string,
  now: number,
  realm: string | null = null,
  homeServer: string | null = null,
): RadiusNote {
  const auth = c.listener.kind === "auth";
  let user = c.userName;
  if (user === null) {
    // Accounting and proxied requests: the User-Name as the NAS sent it (realm included).
    const raw = getAttr(c.packet, AttrType.UserName);
    user = raw === undefined ? "" : textDecoder.decode(raw);
  }
  const record: DecisionRecord = {
    event: auth ? "radius_access" : "radius_acct",
    protocol: "radius",
    method: auth ? accessMethod(c.packet) : "acct",
    result,
    reason,
    user,
    client: c.source.address,
    device: c.device.deviceName,
    group: c.device.groupName,
    proxy: null,
    realm,
    home_server: homeServer,
    latency_ms: Math.round((now - c.start) * 10) / 10,
  };
  return { what: "decided", record };
}
