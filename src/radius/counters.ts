// RADIUS counters and the latency histogram, registered once per process in the metrics Registry
// (/metrics and /api/stats render them). Label values come from closed sets: the device group of a
// *known* client (operators define a handful; a per-device label would grow with the device table),
// a reason code from DropReason / the policy's reason codes, the listener kind. Unknown clients
// share device_group="". Per-device figures are in /api/stats (transport/radius-metrics.ts clients(), bounded).
import type { Counter, Histogram, Registry } from "../lib/metrics.ts";

/** Why a datagram got no answer. Stable strings: dashboards and tests use them. */
export const DropReason = {
  unknownClient: "unknown-client",
  /** The client's device group has no radius_secret. */
  noSecret: "no-secret",
  rateLimited: "rate-limited",
  malformed: "malformed",
  /** The kernel cut the datagram (larger than the receive buffer). */
  truncated: "truncated",
  /** A code we do not serve on this port (RFC 2865 §3: silently discarded). */
  unknownCode: "unknown-code",
  badAuthenticator: "bad-authenticator",
  badMessageAuthenticator: "bad-message-authenticator",
  /** The device group requires Message-Authenticator (default), or the code always does (Status-Server, EAP). */
  missingMessageAuthenticator: "missing-message-authenticator",
  /** BlastRADIUS (CVE-2024-3596): Proxy-State without Message-Authenticator. */
  proxyStateWithoutMessageAuthenticator: "proxy-state-without-message-authenticator",
  /** Retransmission of a request still being processed (RFC 5080 §2.2.2). */
  duplicate: "duplicate",
  /** Accounting record not committed: no Accounting-Response, the NAS retries. */
  storageFailed: "storage-failed",
  /** Too many requests in flight at once. */
  overload: "overload",
  /** The proxy decided to drop (loop, too many Proxy-States...) or gave up on a forwarded request. */
  proxy: "proxy",
  /** The server is stopping. */
  stopping: "stopping",
  /** socket.send() returned false (kernel buffer full). */
  sendFailed: "send-failed",
  internal: "internal",
} as const;
export type DropReasonCode = (typeof DropReason)[keyof typeof DropReason];

export interface RadiusCounters {
  requests: Counter;
  accepted: Counter;
  rejected: Counter;
  dropped: Counter;
  malformed: Counter;
  accounting: Counter;
  statusServer: Counter;
  resent: Counter;
  latency: Histogram;
}

export function createRadiusCounters(r: Registry): RadiusCounters {
  return {
    requests: r.counter(
      "aaa_radius_requests_total",
      "RADIUS datagrams received, by listener and device group",
      ["port", "device_group"],
    ),
    accepted: r.counter("aaa_radius_accepted_total", "Access-Accepts sent, by device group", [
      "device_group",
    ]),
    rejected: r.counter(
      "aaa_radius_rejected_total",
      "Access-Rejects sent, by device group and reason",
      ["device_group", "reason"],
    ),
    dropped: r.counter(
      "aaa_radius_dropped_total",
      "RADIUS datagrams dropped without a reply, by device group and reason",
      ["device_group", "reason"],
    ),
    malformed: r.counter(
      "aaa_radius_malformed_total",
      "Malformed RADIUS datagrams, by decoder error code",
      ["code"],
    ),
    accounting: r.counter(
      "aaa_radius_accounting_total",
      "Accounting-Requests committed and acknowledged, by device group and Acct-Status-Type",
      ["device_group", "type"],
    ),
    statusServer: r.counter(
      "aaa_radius_status_server_total",
      "Status-Server requests answered (RFC 5997), by listener",
      ["port"],
    ),
    resent: r.counter(
      "aaa_radius_duplicates_resent_total",
      "Retransmissions answered from the duplicate cache (RFC 5080 §2.2.2)",
      ["port"],
    ),
    latency: r.histogram(
      "aaa_radius_request_duration_seconds",
      "Time from datagram to reply, by listener",
      ["port"],
    ),
  };
}
