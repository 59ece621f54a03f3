// Process-wide gauges of the running server (memory, uptime, event-loop lag) and the gauges over
// the device index, policy and accounting writer. Each reads through a getter, because a reload
// replaces the policy and the services behind it.
import type { Registry } from "../lib/metrics.ts";
import type { DeviceIndex } from "../store/device-index.ts";
import { registerVerifyGateGauges } from "../policy/verify-gate.ts";
import type { StorePolicy } from "../store/policy-source.ts";
import { registerStorageGauges } from "../store/wal-guard.ts";
import type { GateCounters } from "../transport/http-gate.ts";

const LAG_TICK_MS = 100;
const LAG_WINDOW_MS = 10_000;

export interface LagMeter {
  /** Largest lateness in the last window, in seconds. */
  seconds(): number;
  /** Start the 100 ms timer (unref'd); returned for the caller to clear at shutdown. */
  start(): ReturnType<typeof setInterval>;
}

/** Event-loop lag: how late a 100 ms timer fires; the max over a 10 s window is exported. */
export function lagMeter(): LagMeter {
  const lag = { max: 0, current: 0, windowStart: 0 };
  let expected = 0;
  const tick = () => {
    const now = performance.now();
    lag.current = Math.max(lag.current, now - expected);
    if (now - lag.windowStart >= LAG_WINDOW_MS) {
      lag.max = lag.current;
      lag.current = 0;
      lag.windowStart = now;
    } else lag.max = Math.max(lag.max, lag.current);
    expected = now + LAG_TICK_MS;
  };
  return {
    seconds: () => lag.max / 1000,
    start() {
      lag.windowStart = performance.now();
      expected = lag.windowStart + LAG_TICK_MS;
      const t = setInterval(tick, LAG_TICK_MS);
      t.unref();
      return t;
    },
  };
}

export function registerGauges(
  r: Registry,
  o: {
    startedAt: number;
    index: DeviceIndex;
    policy: () => StorePolicy;
    lag: LagMeter;
    openTacacsConnections: () => number;
    openHttpConnections: () => number;
    httpRefusals: GateCounters;
  },
): void {
  r.gauge("aaa_devices", "Devices in the resolution index", () => o.index.stats.devices);
  r.gauge(
    "aaa_device_index_rebuilds",
    "Times the device index was rebuilt after a store change",
    () => o.index.stats.rebuilds,
  );
  r.gauge(
    "aaa_process_resident_memory_bytes",
    "Resident set size",
    () => process.memoryUsage().rss,
  );
  r.gauge("aaa_process_uptime_seconds", "Seconds since start-up", () =>
    Math.round((Date.now() - o.startedAt) / 1000),
  );
  r.gauge(
    "aaa_process_event_loop_lag_seconds",
    "Largest event-loop delay seen in the last 10 s (a 100 ms timer's lateness)",
    () => o.lag.seconds(),
  );
  r.gauge("aaa_open_connections", "Open TACACS+ connections", o.openTacacsConnections);
  r.gauge(
    "aaa_http_open_connections",
    "Open HTTP connections (through the accept gate)",
    o.openHttpConnections,
  );
  const refused = o.httpRefusals;
  r.gauge(
    "aaa_http_refused_connections",
    "HTTP connections closed at accept since start-up: not-in-allow, limit-client, limit-total",
    () => [
      { labels: { reason: "not-in-allow" }, value: refused.denied },
      { labels: { reason: "limit-client" }, value: refused.limitClient },
      { labels: { reason: "limit-total" }, value: refused.limitTotal },
    ],
    ["reason"],
  );
  r.gauge(
    "aaa_lockouts",
    "Lockouts started since start-up",
    () => o.policy().policy.lockout.counters.lockouts,
  );
  r.gauge(
    "aaa_credential_cache_entries",
    "Verified credentials held (keyed hashes)",
    () => o.policy().policy.cache.counters.size,
  );
  registerVerifyGateGauges(r, () => o.policy().policy.verifyGate);
  registerStorageGauges(r, () => o.policy().writer);
  r.gauge(
    "aaa_accounting_committed",
    "Accounting records committed since start-up",
    () => o.policy().writer.counters.committed,
  );
  r.gauge(
    "aaa_accounting_failed",
    "Accounting records whose commit failed since start-up",
    () => o.policy().writer.counters.failed,
  );
}
