// Who may send a PROXY v2 header, and what a connection becomes once the decoder has spoken
// (DESIGN.md rule 6: trust is decided outside the parser; cf. go-proxyproto policy.go).
// Pure: the caller passes the decoder's answer, the socket peer and "is the peer a registered proxy"
// (a boolean, or a function so the store is only asked when a header is actually present).
//
// Decision order (fail closed at every step):
//   1. enabled=false: no header is ever read (a stray one reaches the TACACS+ codec and fails there);
//      require=true then rejects everything, making the contradictory configuration visible.
//   2. need-more: wait. not-proxy: direct, unless require=true.
//   3. Something that looks like a PROXY header (valid or not, v1 included), with validate_sources:
//      the peer must be a registered proxy; a store failure rejects ("proxy_store_error").
//   4. Malformed header: strict (reject_invalid=true) rejects. Lenient skips it and treats the
//      connection as direct, but only when the 16-byte preamble was intact so that 16+len is known
//      (too-long, short-address, bad-tlv, bad-crc32c). With a bad version, command or family, or a v1
//      line, the length is meaningless: there is no safe place to resume, so even lenient rejects.
//      Lenient with require=true also rejects: a discarded header does not satisfy "require".
//   5. Valid header: LOCAL (health checks) and PROXY with UNSPEC/UNIX, or with a transport that does
//      not match the listener, keep the real socket addresses ("local"); TCP/UDP PROXY → "proxied".
import { normalizeIp } from "../lib/ip.ts";
import type { DecodeResult, Endpoint, ProxyErrorCode } from "./types.ts";

export interface ProxyTrustConfig {
  /** Read an optional PROXY v2 header on this listener. */
  enabled: boolean;
  /** Accept headers only from registered proxies. */
  validate_sources: boolean;
  /** Strict mode: a malformed header closes the connection. */
  reject_invalid: boolean;
  /** Every connection must start with a valid header (LOCAL counts). */
  require: boolean;
}

/** Is the socket peer a registered proxy? "store-error" (or a throwing function) fails closed. */
export type SourceCheck = boolean | "store-error" | (() => boolean | "store-error");

export interface TrustInput {
  decoded: DecodeResult;
  /** The real socket peer. */
  peer: Endpoint;
  peerIsProxy: SourceCheck;
  /** The listener's transport; a header for the other one is not applied. Default "stream". */
  transport?: "stream" | "dgram";
}

/** Stable reasons; they double as counter names. */
export type RejectReason =
  "proxy_rejected_unknown" | "proxy_header_errors" | "proxy_required" | "proxy_store_error";

export type LocalReason = "local-command" | "unspec-family" | "unix-family" | "transport-mismatch";

export type TrustAction =
  | { action: "need-more" }
  /** Use socket addresses; drop `discard` leading bytes first (may exceed what is buffered). */
  | { action: "direct"; discard: number; counter?: "proxy_header_errors"; code?: ProxyErrorCode }
  | { action: "proxied"; discard: number; client: Endpoint; proxy: Endpoint; destination: Endpoint }
  | { action: "local"; discard: number; why: LocalReason }
  | { action: "reject"; reason: RejectReason; code?: ProxyErrorCode };

function askSource(check: SourceCheck): boolean | "store-error" {
  if (typeof check !== "function") return check;
  try {
    return check();
  } catch {
    return "store-error";
  }
}

function reject(reason: RejectReason, code?: ProxyErrorCode): TrustAction {
  return code === undefined ? { action: "reject", reason } : { action: "reject", reason, code };
}

export function decideProxyTrust(config: ProxyTrustConfig, input: TrustInput): TrustAction {
  const { decoded } = input;
  if (!config.enabled)
    return config.require ? reject("proxy_required") : { action: "direct", discard: 0 };
  if (decoded.kind === "need-more") return { action: "need-more" };
  if (decoded.kind === "not-proxy")
    return config.require ? reject("proxy_required") : { action: "direct", discard: 0 };

  if (config.validate_sources) {
    const known = askSource(input.peerIsProxy);
    if (known === "store-error") return reject("proxy_store_error");
    if (known !== true) return reject("proxy_rejected_unknown");
  }

  if (decoded.kind === "error") {
    const { code, headerLength } = decoded;
    if (config.reject_invalid || config.require || headerLength === undefined)
      return reject("proxy_header_errors", code);
    return { action: "direct", discard: headerLength, counter: "proxy_header_errors", code };
  }

  const { header, consumed } = decoded;
  if (header.command === "LOCAL")
    return { action: "local", discard: consumed, why: "local-command" };
  if (header.addresses === null) {
    return {
      action: "local",
      discard: consumed,
      why: header.family === "UNSPEC" ? "unspec-family" : "unix-family",
    };
  }
  const headerTransport = header.family === "TCP4" || header.family === "TCP6" ? "stream" : "dgram";
  if (headerTransport !== (input.transport ?? "stream"))
    return { action: "local", discard: consumed, why: "transport-mismatch" };
  const proxy = { ip: normalizeIp(input.peer.ip) ?? input.peer.ip, port: input.peer.port };
  return {
    action: "proxied",
    discard: consumed,
    client: header.addresses.source,
    proxy,
    destination: header.addresses.destination,
  };
}
