// The seam between the RADIUS server (src/radius/server.ts) and the RADIUS proxy
// (src/radius/proxy/*). The server validates a request (length rules, Request Authenticator /
// Message-Authenticator with the NAS secret, BlastRADIUS rules, duplicate detection, rate limit)
// and then, if a proxy is attached, emits a forward output; the UDP transport hands it to this port
// (transport/radius-outputs.ts) and gives the decision back to the server as a "routed" answer, the
// later reply as "proxied" (engine-types.ts).
//
// "local": the server answers it itself from policy (with the User-Name the realm stripped, if any).
// "reject": the realm is configured `reject`; the server sends an Access-Reject (auth) or drops
//           (accounting) — counted with `reason`.
// "drop": silently dropped (loop detected, too many Proxy-States, Status-Server from a NAS...).
// "forwarded": the proxy owns the request now and will call `reply` exactly once with the bytes
//           to send to the NAS (already signed with the NAS secret), or with null when it gives
//           up without an answer (accounting not acknowledged by any home server). The server
//           sends the bytes from the socket the request came in on and records them in the
//           duplicate cache, so a NAS retransmission is answered from the cache or absorbed while
//           the request is still in flight — never forwarded twice.
import type { Packet } from "./codec/packet.ts";

export interface ProxyRequestContext {
  /** The NAS (source address of the datagram), canonical text. */
  clientIp: string;
  clientPort: number;
  deviceName: string;
  deviceGroup: string;
  /** The NAS's shared secret (already converted to bytes once per device group). */
  nasSecret: Uint8Array;
  /** "auth" or "acct": which listener the request arrived on. */
  port: "auth" | "acct";
}

export type ProxyDecision =
  | { kind: "local"; /** User-Name to use locally if the realm says strip. */ userName?: string }
  | { kind: "reject"; reason: string }
  | { kind: "drop"; reason: string }
  | { kind: "forwarded" };

/**
 * The final answer for the NAS: the bytes (null: given up), the configured realm that routed the
 * request and the home server that answered (null: none did; the bytes are then our own
 * Access-Reject) — for the decision record (the auth log).
 */
export type ProxyReply = (
  bytes: Uint8Array | null,
  realm: string,
  homeServer: string | null,
) => void;

export interface RadiusProxyPort {
  handle(request: Packet, ctx: ProxyRequestContext, reply: ProxyReply): ProxyDecision;
}
