// Accounting durability: a record is reported stored only after its transaction committed; when the
// database cannot be written, every waiting write() rejects and nothing is claimed stored.
import { afterEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { drizzle } from "drizzle-orm/bun-sqlite";
import type { AccountingRecord } from "../../src/policy/ports.ts";
import { AccountingWriter, purgeAccounting, queryAccounting } from "../../src/store/accounting.ts";
import { openStore, type Store } from "../../src/store/open.ts";
import * as schema from "../../src/store/schema.ts";

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0).reverse()) f();
});

function tempStore(): Store {
  const dir = mkdtempSync(join(tmpdir(), "aaa-acct-"));
  const s = openStore(join(dir, "aaa.db"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanup.push(() => s.close());
  return s;
}

const rec = (i: number, o: Partial<AccountingRecord> = {}): AccountingRecord => ({
  protocol: "tacacs",
  time: 1_700_000_000_000 + i,
  clientIp: "192.0.2.1",
  device: "r1",
  deviceGroup: "core",
  username: `u${i % 3}`,
  sessionId: String(i),
  recordType: "start",
  attributes: { task_id: String(i), service: "shell" },
  ...o,
});

const count = (s: Store) =>
  s.sqlite.query<{ n: number }, []>("SELECT count(*) AS n FROM accounting").get()!.n;

describe("accounting writer", () => {
  test("group commit: nothing resolves before the commit; one transaction per batch", async () => {
    const s = tempStore();
    const w = new AccountingWriter(s, { commitDelay: 50, maxBatch: 1000 });
    const settled: number[] = [];
    const ps = Array.from({ length: 10 }, (_, i) => w.write(rec(i)).then(() => settled.push(i)));
    await Bun.sleep(5);
    // Still waiting for the commit delay: not stored, and not claimed stored.
    expect(settled).toEqual([]);
    expect(count(s)).toBe(0);
    await Promise.all(ps);
    expect(settled.length).toBe(10);
    expect(count(s)).toBe(10);
    expect(w.counters).toMatchObject({ committed: 10, batches: 1, failed: 0 });
  });

  test("a batch of 37 (two 16-row INSERTs and five single rows) stores every field of every record, in order", async () => {
    const s = tempStore();
    const w = new AccountingWriter(s, { commitDelay: 20, maxBatch: 1000 });
    const records = Array.from({ length: 37 }, (_, i) =>
      rec(i, {
        protocol: i % 2 ? "radius" : "tacacs",
        device: i % 5 ? `r${i}` : null,
        deviceGroup: i % 7 ? `g${i}` : null,
        recordType: i % 3 ? "stop" : "start",
        attributes: { n: i, s: `v${i}` },
      }),
    );
    await Promise.all(records.map((r) => w.write(r)));
    expect(w.counters).toMatchObject({ committed: 37, batches: 1 });
    const rows = s.sqlite
      .query<Record<string, unknown>, []>(
        "SELECT protocol, time, client_ip, device, device_group, username, session_id, record_type, attributes FROM accounting ORDER BY id",
      )
      .all();
    expect(rows).toEqual(
      records.map((r) => ({
        protocol: r.protocol,
        time: r.time,
        client_ip: r.clientIp,
        device: r.device,
        device_group: r.deviceGroup,
        username: r.username,
        session_id: r.sessionId,
        record_type: r.recordType,
        attributes: JSON.stringify(r.attributes),
      })),
    );
  });

  test("max_batch triggers an immediate commit", async () => {
    const s = tempStore();
    const w = new AccountingWriter(s, { commitDelay: 1000, maxBatch: 4 });
    const ps = Array.from({ length: 8 }, (_, i) => w.write(rec(i)));
    expect(count(s)).toBe(8); // two full batches committed synchronously
    await Promise.all(ps);
    expect(w.counters.batches).toBe(2);
  });

  test("read-only database (second connection opened readonly): write() rejects, nothing stored", async () => {
    const s = tempStore();
    const ro = new Database(s.path, { readonly: true });
    cleanup.push(() => ro.close());
    const roStore: Store = {
      db: drizzle({ client: ro, schema }),
      sqlite: ro,
      path: s.path,
      close: () => ro.close(),
    };
    const w = new AccountingWriter(roStore, { commitDelay: 1, maxBatch: 100 });
    const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => w.write(rec(i))));
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/readonly|read-only/i);
    expect(w.counters).toMatchObject({ committed: 0, failed: 5 });
    expect(count(s)).toBe(0);
  });

  test("query_only: the whole batch is rolled back and rejected, later batches work again", async () => {
    const s = tempStore();
    const w = new AccountingWriter(s, { commitDelay: 1, maxBatch: 100 });
    await w.write(rec(0));
    s.sqlite.exec("PRAGMA query_only = 1");
    // 18 records: one 16-row INSERT and two single rows, all refused together.
    const failed = await Promise.allSettled(
      Array.from({ length: 18 }, (_, i) => w.write(rec(1 + i))),
    );
    expect(failed.every((r) => r.status === "rejected")).toBe(true);
    expect(count(s)).toBe(1);
    expect(w.counters.failed).toBe(18);
    s.sqlite.exec("PRAGMA query_only = 0");
    await w.write(rec(3));
    expect(count(s)).toBe(2);
  });

  test("file store: a committed batch is acknowledged only after the WAL's fdatasync; later batches share the next one; the connection stays synchronous=FULL", async () => {
    const s = tempStore();
    const pending: Array<(e: Error | null) => void> = [];
    const w = new AccountingWriter(s, {
      commitDelay: 1,
      maxBatch: 2,
      fdatasync: (_fd, done) => pending.push(done),
    });
    const settled: number[] = [];
    const track = (i: number) => w.write(rec(i)).then(() => settled.push(i));
    const first = [track(0), track(1)]; // maxBatch: committed at once, fdatasync started
    expect(count(s)).toBe(2);
    expect(pending.length).toBe(1);
    const later = [track(2), track(3), track(4), track(5)]; // two more commits while it runs
    expect(count(s)).toBe(6);
    expect(pending.length).toBe(1);
    await Bun.sleep(5);
    expect(settled).toEqual([]); // committed, but the disk has not answered: nothing acknowledged
    pending.shift()!(null);
    await Promise.all(first);
    expect(settled).toEqual([0, 1]);
    expect(pending.length).toBe(1); // one fdatasync for both later batches
    pending.shift()!(null);
    await Promise.all(later);
    expect(settled).toEqual([0, 1, 2, 3, 4, 5]);
    expect(w.counters).toMatchObject({ committed: 6, batches: 3, failed: 0 });
    expect(
      s.sqlite.query<{ synchronous: number }, []>("PRAGMA synchronous").get()!.synchronous,
    ).toBe(2); // FULL for every other write on this connection
  });

  test("file store: a failing fdatasync rejects its batch (the NAS retries); the next batch syncs again", async () => {
    const s = tempStore();
    const pending: Array<(e: Error | null) => void> = [];
    const w = new AccountingWriter(s, {
      commitDelay: 1,
      maxBatch: 1,
      fdatasync: (_fd, done) => pending.push(done),
    });
    const bad = w.write(rec(0));
    pending.shift()!(new Error("EIO: i/o error, fdatasync"));
    await expect(bad).rejects.toThrow("EIO");
    const good = w.write(rec(1));
    pending.shift()!(null);
    await good;
    expect(w.counters).toMatchObject({ committed: 1, failed: 1 });
  });

  test("file store with the real fdatasync: records are acknowledged and stored", async () => {
    const s = tempStore();
    const w = new AccountingWriter(s, { commitDelay: 0, maxBatch: 10 });
    await Promise.all(Array.from({ length: 25 }, (_, i) => w.write(rec(i))));
    expect(count(s)).toBe(25);
    expect(w.counters).toMatchObject({ committed: 25, failed: 0 });
  });

  test("close flushes and then refuses", async () => {
    const s = tempStore();
    const w = new AccountingWriter(s, { commitDelay: 1000, maxBatch: 100 });
    const p = w.write(rec(0));
    w.close();
    await p;
    expect(count(s)).toBe(1);
    await expect(w.write(rec(1))).rejects.toThrow("closed");
  });
});

describe("accounting query and retention", () => {
  test("filters, newest first, paging", async () => {
    const s = tempStore();
    const w = new AccountingWriter(s, { commitDelay: 1, maxBatch: 1000 });
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        w.write(rec(i, i % 2 === 0 ? {} : { protocol: "radius", device: "r2" })),
      ),
    );
    const all = queryAccounting(s, { limit: 100 });
    expect(all.length).toBe(30);
    expect(all[0]!.sessionId).toBe("29");
    expect(all[0]!.attributes).toEqual({ task_id: "29", service: "shell" });
    expect(queryAccounting(s, { user: "u1", limit: 100 }).every((r) => r.username === "u1")).toBe(
      true,
    );
    expect(queryAccounting(s, { protocol: "radius", limit: 100 }).length).toBe(15);
    expect(queryAccounting(s, { device: "r2", protocol: "tacacs" }).length).toBe(0);
    expect(
      queryAccounting(s, {
        since: 1_700_000_000_010,
        until: 1_700_000_000_019,
        limit: 100,
      }).length,
    ).toBe(10);
    const p1 = queryAccounting(s, { limit: 7 });
    const p2 = queryAccounting(s, { limit: 7, offset: 7 });
    expect(p1.map((r) => r.sessionId)).toEqual(all.slice(0, 7).map((r) => r.sessionId));
    expect(p2.map((r) => r.sessionId)).toEqual(all.slice(7, 14).map((r) => r.sessionId));
  });

  test("purge deletes only records older than retention_days", async () => {
    const s = tempStore();
    const w = new AccountingWriter(s, { commitDelay: 1, maxBatch: 1000 });
    const now = 1_800_000_000_000;
    const day = 86_400_000;
    await Promise.all([
      w.write(rec(0, { time: now - 91 * day })),
      w.write(rec(1, { time: now - 89 * day })),
      w.write(rec(2, { time: now })),
    ]);
    expect(purgeAccounting(s, 0, now)).toBe(0);
    expect(purgeAccounting(s, 90, now)).toBe(1);
    expect(queryAccounting(s).map((r) => r.sessionId)).toEqual(["2", "1"]);
  });
});
