// Issue 21, defect 10: /api/health says degraded, and why, while accounting cannot commit — EIO
// on the WAL fdatasync, a read-only store — and ok again once a batch is stored. (Disk full, end
// to end on a tmpfs: full-volume.test.ts.) On main before the fix health stayed 200 "store: ok".
import { afterAll, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { createHttpApp } from "../../src/http/app.ts";
import { Registry } from "../../src/lib/metrics.ts";
import type { AccountingRecord } from "../../src/policy/ports.ts";
import { AccountingWriter } from "../../src/store/accounting.ts";
import type { Store } from "../../src/store/open.ts";
import { tempStore } from "../support/tmp.ts";

const store = tempStore();
afterAll(() => store.remove());

const record = (sessionId: string): AccountingRecord => ({
  protocol: "radius",
  time: Date.now(),
  clientIp: "192.0.2.1",
  device: "nas1",
  deviceGroup: "nas",
  username: "alice",
  sessionId,
  recordType: "start",
  attributes: {},
});

function healthOf(writer: AccountingWriter) {
  const app = createHttpApp({
    version: "test",
    startedAt: Date.now(),
    registry: new Registry(),
    listeners: () => [],
    stats: () => ({}),
    storeOk: () => true,
    storeProblem: () => writer.problem,
  });
  return async () => {
    const r = await app.request("/api/health");
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
}

test("EIO on the WAL fdatasync: degraded (io-error) until a batch is synced again", async () => {
  let failSync = true;
  const writer = new AccountingWriter(store, {
    commitDelay: 0,
    maxBatch: 64,
    fdatasync: (_fd, done) => {
      const e = Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" });
      setImmediate(() => done(failSync ? e : null));
    },
  });
  const health = healthOf(writer);
  expect(await health()).toMatchObject({ status: 200, body: { status: "ok", store: "ok" } });
  await expect(writer.write(record("eio-1"))).rejects.toThrow("EIO");
  const bad = await health();
  expect(bad.status).toBe(503);
  expect(bad.body).toMatchObject({ status: "degraded", store: "degraded" });
  expect(String(bad.body.store_problem)).toContain("io-error");
  failSync = false;
  await writer.write(record("eio-2"));
  expect(await health()).toMatchObject({ status: 200, body: { status: "ok", store: "ok" } });
  writer.close();
});

test("a read-only store: degraded (read-only)", async () => {
  const sqlite = new Database(join(store.dir, "aaa.sqlite"), { readonly: true });
  const ro: Store = { ...store, sqlite, close: () => sqlite.close() };
  const writer = new AccountingWriter(ro, { commitDelay: 0, maxBatch: 64 });
  const health = healthOf(writer);
  await expect(writer.write(record("ro-1"))).rejects.toThrow();
  const bad = await health();
  expect(bad.status).toBe(503);
  expect(String(bad.body.store_problem)).toContain("read-only");
  writer.close();
  sqlite.close();
});
