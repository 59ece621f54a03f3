// The stream front door's contract with a protocol (the go-proxyproto idea: a listener wraps any
// protocol). The door (door.ts, conn.ts) owns everything that is not the protocol:
//
//   accept → total cap, pre-admission budget → PROXY v2 preamble + trust → per-client / per-proxy caps
//   → device (DevicePort) → secret (plug.secretOf) → plug.open(...) → bytes in, replies out
//
// plus the write queue with its backlog bound, the first-packet and idle deadlines and the sweep.
// A protocol is a StreamPlug: it names the secret it needs, opens one StreamSession per admitted
// connection and turns bytes into its own outputs (TACACS+: framer → session machine → send | job |
// close | note), writing replies back through the StreamLink. Nothing here knows TACACS+.
//
// Later rooms, one file each, without copying the door:
//   - RADIUS over TCP (RFC 6613): a plug whose framer reads the RADIUS Length field and whose session
//     feeds datagrams to the RADIUS engine, secretOf = device.radiusSecret.
//   - TLS (TACACS+ over TLS RFC 9887, RadSec RFC 6614): a layer between the preamble and the plug.
//     HAProxy sends PROXY v2 in clear *before* the TLS ClientHello, so TLS cannot be Bun.listen's
//     own `tls` option; it wraps the StreamSession instead (node:tls over an in-memory duplex):
//     a plug `tls(inner, context)` that decrypts in data() and encrypts on the way to link.send().
//     RadSec's secret is the fixed "radsec" (RFC 6614 §2.3), so its secretOf ignores the group.
import type { Device } from "../../policy/devices.ts";

/** Refusals the door makes (its counter label values; a plug's counter family carries them). */
export type DoorRefusal =
  | "limit_total"
  | "limit_client"
  | "limit_proxy"
  | "limit_unadmitted"
  | "unknown_device"
  | "no_secret"
  | "first_packet_timeout"
  | "idle_timeout"
  | "write_backlog"
  | "proxy_rejected_unknown"
  | "proxy_header_errors"
  | "proxy_required"
  | "proxy_store_error";

/** Who an admitted connection is, as the door resolved it. */
export interface Admission {
  device: Device;
  /** What plug.secretOf returned for the device (never null here). */
  secret: Uint8Array;
  /** The client: the PROXY v2 source when proxied, else the socket peer. */
  client: string;
  /** The registered proxy the connection came through; null when direct. */
  proxy: string | null;
  /** The socket peer. */
  peer: string;
}

/** What a session may do to its connection. */
export interface StreamLink {
  /** Bytes to the peer, in order. Partial writes and the backlog bound are the door's business. */
  send(bytes: Uint8Array): void;
  /** Close once everything already sent is written (bounded by the close-flush deadline). */
  close(): void;
  /** Cut now, unflushed (a failed job: nothing more can be trusted on this connection). */
  destroy(): void;
  /** The peer is alive (a whole packet, or an answer sent): the idle deadline restarts from now. */
  touch(now: number): void;
  /**
   * How long the process could not read sockets just before `now` (ms): bytes that waited that
   * long in the kernel were the server's backlog, not the client's burst (rate limits tolerate it).
   */
  stallMs(now: number): number;
  /** The device as resolved now (a long-lived connection re-checks it); null when gone. */
  resolveAgain(): Device | null;
}

export interface StreamSession {
  /** Bytes from the peer, after the PROXY v2 header (and, later, TLS). */
  data(chunk: Uint8Array): void;
  /** Work the door must wait for at a graceful stop (running protocol sessions and jobs). */
  busy(): number;
  /** True while an answer is outstanding: the idle deadline does not cut a connection then. */
  waiting(): boolean;
  /** The connection ended (either side): release what the session holds. */
  closed(): void;
}

export interface StreamPlug {
  /** The secret this protocol shares with the device; null refuses the connection (no_secret). */
  secretOf(device: Device): Uint8Array | null;
  open(admission: Admission, link: StreamLink): StreamSession;
  /** A refusal by the door: the plug counts and logs it in its protocol's family. */
  refused(reason: DoorRefusal, client: string, fields: Record<string, unknown>): void;
  /** Called by the door's sweep; `hasClient` says whether a client still holds connections. */
  sweep?(now: number, hasClient: (client: string) => boolean): void;
}
