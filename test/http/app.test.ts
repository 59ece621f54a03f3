import { describe, expect, test } from "bun:test";
import { createHttpApp } from "../../src/http/app.ts";
import type { ListenerStatus } from "../../src/lib/listener-status.ts";
import { silentLogger } from "../../src/lib/log.ts";
import { Registry } from "../../src/lib/metrics.ts";
import { startHttp } from "../../src/transport/http.ts";
import { createProxyCounters, proxyStats } from "../../src/transport/metrics.ts";

function setup(listeners: ListenerStatus[], storeOk = true) {
  const registry = new Registry();
  const proxy = createProxyCounters(registry);
  const app = createHttpApp({
    version: "9.9.9",
    startedAt: Date.now() - 5_000,
    registry,
    listeners: () => listeners,
    stats: () => ({ proxy: proxyStats(proxy) }),
    storeOk: () => storeOk,
  });
  return { app, proxy, registry };
}

const up: ListenerStatus[] = [
  { protocol: "tacacs", address: "127.0.0.1:4949", state: "listening" },
  { protocol: "http", address: "127.0.0.1:9090", state: "listening" },
];

describe("GET /api/health", () => {
  test("200 with per-listener status when everything listens", async () => {
    const res = await setup(up).app.request("/api/health");
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.status).toBe("ok");
    expect(body.version).toBe("9.9.9");
    expect(body.uptime_s).toBeGreaterThanOrEqual(5);
    expect(body.listeners).toEqual(up);
  });
  test("503 when a listener failed or the store does not answer", async () => {
    const failed = [
      ...up,
      {
        protocol: "radius-auth" as const,
        address: "127.0.0.1:1812",
        state: "failed" as const,
        error: "EADDRINUSE",
      },
    ];
    const r1 = await setup(failed).app.request("/api/health");
    expect(r1.status).toBe(503);
    expect(((await r1.json()) as any).listeners[2].error).toBe("EADDRINUSE");
    const r2 = await setup(up, false).app.request("/api/health");
    expect(r2.status).toBe(503);
    expect(((await r2.json()) as any).store).toBe("error");
  });
});

describe("GET /api/stats", () => {
  test("carries the PROXY counters under their design names", async () => {
    const { app, proxy } = setup(up);
    proxy.connections_proxied.inc(undefined, 3);
    proxy.proxy_rejected_unknown.inc();
    proxy.proxy_header_errors.inc({ reason: "proxy/bad-crc32c" });
    const body = (await (await app.request("/api/stats")).json()) as any;
    expect(body.proxy).toEqual({
      connections_proxied: 3,
      connections_direct: 0,
      proxy_headers_parsed: 0,
      proxy_header_errors: 1,
      proxy_rejected_unknown: 1,
      proxy_local: 0,
    });
    expect(body.counters.aaa_proxy_header_errors_total).toEqual([
      { reason: "proxy/bad-crc32c", value: 1 },
    ]);
  });
});

describe("GET /metrics", () => {
  test("Prometheus text format with HELP/TYPE and labelled series", async () => {
    const { app, proxy, registry } = setup(up);
    proxy.proxy_header_errors.inc({ reason: 'we"ird\\' });
    const h = registry.histogram("aaa_test_latency_seconds", "test", ["protocol"]);
    h.observe(0.0003, { protocol: "tacacs" });
    const res = await app.request("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
    const text = await res.text();
    expect(text).toContain(
      "# TYPE aaa_proxy_rejected_unknown_total counter\naaa_proxy_rejected_unknown_total 0\n",
    );
    expect(text).toContain('aaa_proxy_header_errors_total{reason="we\\"ird\\\\"} 1');
    expect(text).toContain('aaa_test_latency_seconds_bucket{protocol="tacacs",le="0.0005"} 1');
    expect(text).toContain('aaa_test_latency_seconds_bucket{protocol="tacacs",le="0.00025"} 0');
    expect(text).toContain('aaa_test_latency_seconds_count{protocol="tacacs"} 1');
  });
});

test("unknown routes are JSON 404s", async () => {
  const res = await setup(up).app.request("/api/nope");
  expect(res.status).toBe(404);
  expect(((await res.json()) as any).error).toBe("not_found");
});

describe("http.allow", () => {
  test("clients outside the allowed networks are closed at accept, before any route", async () => {
    const { app } = setup(up);
    const denied = startHttp({
      listen: "127.0.0.1:0",
      allow: ["10.0.0.0/8"],
      app,
      log: silentLogger,
    });
    const allowed = startHttp({
      listen: "127.0.0.1:0",
      allow: ["127.0.0.0/8"],
      app,
      log: silentLogger,
    });
    try {
      // No HTTP answer at all: the gate closes the socket in open() (issue 21, defect 4).
      const r1 = await fetch(`http://127.0.0.1:${denied.port}/api/health`).then(
        (r) => r.status,
        () => "closed",
      );
      expect(r1).toBe("closed");
      const r2 = await fetch(`http://127.0.0.1:${allowed.port}/api/health`);
      expect(r2.status).toBe(200);
    } finally {
      await denied.stop();
      await allowed.stop();
    }
  });
});
