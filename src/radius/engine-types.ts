// Data passed between the RADIUS engine (server.ts, answers.ts), its policy runner (jobs.ts) and the
// UDP transport, in the TACACS+ shape (src/tacacs/types.ts): the engine never calls policy, a home
// server or a socket; it appends Outputs and is told outcomes with an Answer for a Ticket.
//
//   server.handle(datagram, source, listener, out)   a datagram in
//   server.answer(ticket, answer, out)               a job's or a forward's outcome in
//
// The transport performs `out` in order: send → its outbox; job → runJob (jobs.ts), whose Answer
// (synchronous when policy is: a cached PAP login costs no promise) goes back through answer();
// forward → the proxy (RadiusProxyPort), whose decision and later reply go back through answer();
// note → the one place that turns notes into counters and log lines (transport/radius-metrics.ts).
import type { Clock } from "../lib/clock.ts";
import type { Device } from "../policy/devices.ts";
import type { AccountingRecord, RadiusReplyAttribute } from "../policy/ports.ts";
import type { Dictionary } from "./codec/dictionary.ts";
import type { Packet } from "./codec/packet.ts";
import type { DecisionRecord } from "../policy/decision-record.ts";
import type { PacketSalts } from "./codec/user-password.ts";
import type { AccessOutcome } from "./access.ts";
import type { DropReasonCode } from "./counters.ts";
import type { ProxyDecision, ProxyRequestContext } from "./proxy-port.ts";

/** What the engine needs of a resolved device (src/policy/devices.ts): the secret as bytes. */
export type RadiusDevice = Pick<
  Device,
  "deviceName" | "groupId" | "groupName" | "radiusSecret" | "requireMessageAuthenticator"
>;
export interface DeviceResolver {
  resolve(clientIp: string, proxyIp: null): RadiusDevice | null;
}

export interface RadiusSource {
  address: string;
  port: number;
}
export interface RadiusListenerRef {
  /** Distinct per socket: part of the duplicate key (RFC 5080 §2.2.2 "receiving socket"). */
  id: number;
  kind: "auth" | "acct";
}

export interface RadiusServerDeps {
  devices: DeviceResolver;
  clock: Clock;
  dictionary: Dictionary;
  duplicates: { lifetimeMs: number; maxEntries: number };
  /** Per-client token bucket; false = over the limit. Absent: no limit. */
  admit?: (clientKey: string, now: number) => boolean;
  /** Requests go to the proxy first (a forward output) when true. */
  proxied?: boolean;
}

/** A request the engine waits on; opaque to everyone else, handed back with its Answer. */
export interface RadiusTicket {
  readonly source: RadiusSource;
}

/** What the engine needs policy to decide. Secrets stay bytes and never reach a log. */
export type RadiusJob =
  | {
      kind: "access";
      packet: Packet;
      secret: Uint8Array;
      userName: string;
      clientIp: string;
      device: RadiusDevice;
      /** The reply's salts: MS-MPPE keys drawn by the decision, Tunnel-Passwords by the reply. */
      salts: PacketSalts;
    }
  | { kind: "account"; record: AccountingRecord };

export type RadiusAnswer =
  /** An access decision; `reply`: the user group's reply attributes (policy.radiusReply) on allow. */
  | { kind: "access"; outcome: AccessOutcome; reply: readonly RadiusReplyAttribute[] }
  | { kind: "account"; ok: true }
  | { kind: "account"; ok: false; detail: string }
  /** The proxy's decision on a forward output (anything but "forwarded"). */
  | { kind: "routed"; decision: Exclude<ProxyDecision, { kind: "forwarded" }> }
  /** The proxy's final bytes for the NAS (already signed), or null: it gave up. */
  | {
      kind: "proxied";
      bytes: Uint8Array | null;
      /** The configured realm that routed it and the home server that answered (null: none). */
      realm: string;
      homeServer: string | null;
    }
  /** The job or the proxy threw: a bug, answered by forgetting the request; `event` for the log. */
  | { kind: "failed"; detail: string; event?: "radius_proxy_error" };

/** Facts for counters and logs (transport/radius-metrics.ts). Label values from closed sets. */
export type RadiusNote =
  | { what: "received"; port: "auth" | "acct"; group: string; device: string | null }
  | { what: "dropped"; group: string; reason: DropReasonCode }
  | { what: "unknown-client"; client: string }
  | { what: "malformed"; client: string; group: string; code: string; detail: string | undefined }
  | { what: "not-authentic"; client: string; group: string; reason: DropReasonCode }
  | { what: "status-server"; port: "auth" | "acct" }
  | { what: "resent"; port: "auth" | "acct" }
  | { what: "accepted"; group: string; device: string }
  | { what: "rejected"; group: string; device: string; reason: string }
  | { what: "accounted"; group: string; device: string; type: string }
  | { what: "answered"; port: "auth" | "acct"; seconds: number }
  /** One per answered request, for the decision stream (the auth log): decision.ts. */
  | { what: "decided"; record: DecisionRecord }
  | { what: "proxy-drop"; reason: string; device: string }
  | { what: "reply-attribute-skipped"; attribute: string; reason: string }
  /** The transport's: replies the kernel refused (buffer full, or a pending ICMP error: `reason`). */
  | { what: "send-failed"; address: string; count: number; reason: string | undefined }
  /** The transport's: a socket error; info when a peer caused it (udp-errors.ts), else error. */
  | { what: "socket-error"; address: string; level: "info" | "error"; reason: string }
  /** The server's own failure (log level error): encode, accounting storage, a thrown job. */
  | { what: "internal"; event: string; reason: string; device?: string };

export type RadiusOutput =
  /** Send from the socket the request came in on (RFC 2865 §3: to the request's source). */
  | { kind: "send"; bytes: Uint8Array; to: RadiusSource; via: RadiusListenerRef }
  | { kind: "job"; ticket: RadiusTicket; job: RadiusJob }
  | { kind: "forward"; ticket: RadiusTicket; request: Packet; context: ProxyRequestContext }
  | { kind: "note"; note: RadiusNote };
