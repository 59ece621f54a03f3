// Connection-level counters shared by the transports. The PROXY v2 names are the ones the
// design fixes (connections_proxied, connections_direct, proxy_headers_parsed,
// proxy_header_errors, proxy_rejected_unknown); /api/stats shows them under those names.
import type { Counter, Registry } from "../lib/metrics.ts";

export interface ProxyCounters {
  connections_proxied: Counter;
  connections_direct: Counter;
  proxy_headers_parsed: Counter;
  proxy_header_errors: Counter;
  proxy_rejected_unknown: Counter;
  proxy_local: Counter;
}

export function createProxyCounters(r: Registry): ProxyCounters {
  return {
    connections_proxied: r.counter(
      "aaa_tacacs_connections_proxied_total",
      "TACACS+ connections whose client address came from a PROXY v2 header",
    ),
    connections_direct: r.counter(
      "aaa_tacacs_connections_direct_total",
      "TACACS+ connections without a PROXY header",
    ),
    proxy_headers_parsed: r.counter(
      "aaa_proxy_headers_parsed_total",
      "PROXY v2 headers parsed successfully",
    ),
    proxy_header_errors: r.counter(
      "aaa_proxy_header_errors_total",
      "Malformed PROXY v2 headers, by reason",
      ["reason"],
    ),
    proxy_rejected_unknown: r.counter(
      "aaa_proxy_rejected_unknown_total",
      "PROXY v2 headers from a source that is not a registered proxy",
    ),
    proxy_local: r.counter(
      "aaa_proxy_local_total",
      "PROXY v2 LOCAL headers (balancer health checks)",
    ),
  };
}

export function proxyStats(c: ProxyCounters): Record<string, number> {
  return {
    connections_proxied: c.connections_proxied.total(),
    connections_direct: c.connections_direct.total(),
    proxy_headers_parsed: c.proxy_headers_parsed.total(),
    proxy_header_errors: c.proxy_header_errors.total(),
    proxy_rejected_unknown: c.proxy_rejected_unknown.total(),
    proxy_local: c.proxy_local.total(),
  };
}
