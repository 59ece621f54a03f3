import { expect, test } from "bun:test";
import { createHttpApp } from "../../src/http/app.ts";
import type { StatusModel } from "../../src/http/status-page.tsx";
import { Registry } from "../../src/lib/metrics.ts";
import { RateSampler, Ring } from "../../src/lib/recent.ts";

const model: StatusModel = {
  version: "1.2.3",
  uptimeS: 42,
  listeners: [
    { protocol: "tacacs", address: "127.0.0.1:4949", state: "listening" },
    { protocol: "radius-auth", address: "127.0.0.1:1812", state: "failed", error: "EADDRINUSE" },
  ],
  protocols: [{ protocol: "tacacs", pass: 30, fail: 10 }],
  rates: [{ name: "tacacs pass", points: [0, 5, 10, 15] }],
  rateIntervalS: 10,
  topClients: [{ client: "10.0.0.1", device: "r1", requests: 40 }],
  homeServers: [{ name: "hs1", pool: "p", state: "zombie", outstanding: 3 }],
  recentFailures: [
    {
      time: "2026-11-22T00:00:00Z",
      protocol: "tacacs",
      client: "10.0.0.9",
      user: "<script>alert(1)</script>",
      reason: "bad-password",
    },
  ],
};

test("the status page renders every section from the model, escaped, with no external assets", async () => {
  const app = createHttpApp({
    version: "1.2.3",
    startedAt: Date.now(),
    registry: new Registry(),
    listeners: () => [],
    stats: () => ({}),
    storeOk: () => true,
    status: () => model,
  });
  const res = await app.request("/");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/html");
  const html = await res.text();
  expect(html).toStartWith("<!doctype html>");
  expect(html).toContain("EADDRINUSE");
  expect(html).toMatch(/<td class="num pass">30<\/td>/);
  expect(html).toContain("75.0 %");
  expect(html).toContain("<polyline");
  expect(html).toContain("hs1");
  expect(html).toContain("bad-password");
  expect(html).not.toContain("<script>");
  expect(html).toContain("&lt;script&gt;");
  expect(html).not.toMatch(/(src|href)="https?:/);
});

test("without a status model `/` redirects to the health endpoint", async () => {
  const app = createHttpApp({
    version: "1",
    startedAt: Date.now(),
    registry: new Registry(),
    listeners: () => [],
    stats: () => ({}),
    storeOk: () => true,
  });
  const res = await app.request("/");
  expect(res.status).toBe(302);
  expect(res.headers.get("location")).toBe("/api/health");
});

test("Ring keeps the newest items in order; RateSampler records deltas", () => {
  const r = new Ring<number>(3);
  for (const i of [1, 2, 3, 4, 5]) r.push(i);
  expect(r.toArray()).toEqual([3, 4, 5]);
  let total = 0;
  const s = new RateSampler(() => ({ x: total }), 1000, 4);
  s.sample();
  total = 7;
  s.sample();
  total = 10;
  s.sample();
  total = 2; // counters reset
  s.sample();
  expect(s.snapshot()).toEqual([{ name: "x", points: [0, 7, 3, 0] }]);
});
