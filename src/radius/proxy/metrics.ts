// Prometheus series of the proxy. Labels come from the configuration only (home server names, pool
// names, a closed set of reasons), so the number of series is bounded by the config.
import type { Counter, Histogram, Registry } from "../../lib/metrics.ts";
import type { HealthStatus } from "./health.ts";

export type Labels = Record<string, string>;

export interface ServerGauge {
  labels: Labels;
  status(): HealthStatus;
  outstanding(): number;
}

export interface ProxyMetrics {
  homeRequests: Counter;
  homeReplies: Counter;
  homeTimeouts: Counter;
  homeRetries: Counter;
  homeDropped: Counter;
  homeProbes: Counter;
  homeTransitions: Counter;
  homeLatency: Histogram;
  poolRequests: Counter;
  poolReplies: Counter;
  poolTimeouts: Counter;
  poolRetries: Counter;
  poolLatency: Histogram;
  decisions: Counter;
}

const STATES: readonly HealthStatus[] = ["up", "zombie", "down"];

export function proxyMetrics(
  r: Registry,
  servers: () => readonly ServerGauge[],
  pools: () => ReadonlyArray<{ labels: Labels; outstanding: number }>,
): ProxyMetrics {
  const hs = ["home_server", "type"] as const;
  const pl = ["pool", "type"] as const;
  r.gauge(
    "aaa_radius_proxy_home_state",
    "Home server health: 1 for the current state (up, zombie, down)",
    () =>
      servers().flatMap((s) =>
        STATES.map((st) => ({
          labels: { ...s.labels, state: st },
          value: s.status() === st ? 1 : 0,
        })),
      ),
    [...hs, "state"],
  );
  r.gauge(
    "aaa_radius_proxy_home_outstanding",
    "Requests and probes in flight to a home server",
    () => servers().map((s) => ({ labels: s.labels, value: s.outstanding() })),
    hs,
  );
  r.gauge(
    "aaa_radius_proxy_pool_outstanding",
    "Proxied requests in flight through a pool",
    () => pools().map((p) => ({ labels: p.labels, value: p.outstanding })),
    pl,
  );
  return {
    homeRequests: r.counter(
      "aaa_radius_proxy_home_requests_total",
      "Requests sent to a home server (first transmissions)",
      hs,
    ),
    homeReplies: r.counter(
      "aaa_radius_proxy_home_replies_total",
      "Valid replies received from a home server",
      hs,
    ),
    homeTimeouts: r.counter(
      "aaa_radius_proxy_home_timeouts_total",
      "Transmissions to a home server left unanswered",
      hs,
    ),
    homeRetries: r.counter(
      "aaa_radius_proxy_home_retries_total",
      "Retransmissions and failover attempts sent to a home server",
      hs,
    ),
    homeDropped: r.counter(
      "aaa_radius_proxy_home_dropped_replies_total",
      "Replies dropped (unknown id, failed verification)",
      [...hs, "reason"],
    ),
    homeProbes: r.counter("aaa_radius_proxy_home_probes_total", "Status-Server probes by result", [
      ...hs,
      "result",
    ]),
    homeTransitions: r.counter(
      "aaa_radius_proxy_home_state_transitions_total",
      "Health transitions by new state",
      [...hs, "to"],
    ),
    homeLatency: r.histogram(
      "aaa_radius_proxy_home_latency_seconds",
      "Home server response time (per transmission)",
      hs,
    ),
    poolRequests: r.counter(
      "aaa_radius_proxy_pool_requests_total",
      "Requests forwarded through a pool",
      pl,
    ),
    poolReplies: r.counter(
      "aaa_radius_proxy_pool_replies_total",
      "Requests answered by a home server of a pool",
      pl,
    ),
    poolTimeouts: r.counter(
      "aaa_radius_proxy_pool_timeouts_total",
      "Requests given up after the last retry",
      pl,
    ),
    poolRetries: r.counter(
      "aaa_radius_proxy_pool_retries_total",
      "Retransmissions and failovers in a pool",
      pl,
    ),
    poolLatency: r.histogram(
      "aaa_radius_proxy_pool_latency_seconds",
      "Time from forwarding to the relayed reply, retries included",
      pl,
    ),
    decisions: r.counter("aaa_radius_proxy_decisions_total", "Proxy decisions by kind and reason", [
      "decision",
      "reason",
    ]),
  };
}

/**
 * A counter series incremented on the hot path as a plain number and added to the Registry's counter
 * on flush (every engine tick, ~10 ms): Counter.inc builds a series key string per call, which at
 * tens of thousands of requests per second costs more than the arithmetic it records.
 */
export class Tally {
  n = 0;
  private flushed = 0;
  constructor(
    private readonly counter: Counter,
    readonly labels: Labels,
  ) {}
  flush(): void {
    if (this.n === this.flushed) return;
    this.counter.inc(this.labels, this.n - this.flushed);
    this.flushed = this.n;
  }
}
