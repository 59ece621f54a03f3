import { describe, expect, test } from "bun:test";
import { DuplicateCache, duplicateKey } from "./duplicates.ts";

const auth = (n: number) => new Uint8Array(16).fill(n);
const reply = (n: number) => new Uint8Array([2, n, 0, 20]);

describe("DuplicateCache (RFC 5080 §2.2.2)", () => {
  test("new → in progress → reply cached → resent; a new authenticator starts over", () => {
    const c = new DuplicateCache({ lifetimeMs: 5_000, maxEntries: 100 });
    const k = duplicateKey(1, "192.0.2.1", 1812, 7);
    expect(c.check(k, auth(1), 0).kind).toBe("new");
    expect(c.check(k, auth(1), 10).kind).toBe("in-progress");
    c.complete(k, auth(1), reply(1), 20);
    const v = c.check(k, auth(1), 30);
    expect(v.kind === "resend" && Array.from(v.reply)).toEqual([2, 1, 0, 20]);
    expect(c.check(k, auth(2), 40).kind).toBe("new");
    // The old request's late completion must not overwrite the new one's entry.
    c.complete(k, auth(1), reply(9), 50);
    expect(c.check(k, auth(2), 60).kind).toBe("in-progress");
  });

  test("the key separates socket, address, port and identifier", () => {
    const c = new DuplicateCache({ lifetimeMs: 5_000, maxEntries: 100 });
    const keys = [
      duplicateKey(1, "192.0.2.1", 1812, 7),
      duplicateKey(2, "192.0.2.1", 1812, 7),
      duplicateKey(1, "192.0.2.2", 1812, 7),
      duplicateKey(1, "192.0.2.1", 1813, 7),
      duplicateKey(1, "192.0.2.1", 1812, 8),
    ];
    expect(new Set(keys.map((k) => `${k.socket}|${k.address}|${k.tag}`)).size).toBe(5);
    for (const k of keys) expect(c.check(k, auth(1), 0).kind).toBe("new");
    expect(c.size).toBe(5);
  });

  test("entries expire after the lifetime (counted from the reply)", () => {
    const c = new DuplicateCache({ lifetimeMs: 5_000, maxEntries: 100 });
    const k = duplicateKey(1, "a", 1, 1);
    c.check(k, auth(1), 0);
    c.complete(k, auth(1), reply(1), 1_000);
    expect(c.check(k, auth(1), 5_999).kind).toBe("resend");
    expect(c.check(k, auth(1), 6_000).kind).toBe("new");
  });

  test("a request still in progress past the lifetime stays in progress (a proxied request can take longer), sweeps included", () => {
    const c = new DuplicateCache({ lifetimeMs: 5_000, maxEntries: 100 });
    const k = duplicateKey(1, "a", 1, 1);
    c.check(k, auth(1), 0);
    // Other requests arrive meanwhile and sweep the head of the expiry list.
    for (let t = 1_000; t <= 20_000; t += 1_000)
      c.check(duplicateKey(1, "b", 1, t & 255), auth(3), t);
    expect(c.check(k, auth(1), 20_000).kind).toBe("in-progress");
    c.complete(k, auth(1), reply(1), 21_000);
    expect(c.check(k, auth(1), 25_999).kind).toBe("resend");
    expect(c.check(k, auth(1), 26_001).kind).toBe("new");
  });

  test("forget(): a request that ended without a reply is processed anew when retransmitted", () => {
    const c = new DuplicateCache({ lifetimeMs: 5_000, maxEntries: 100 });
    const k = duplicateKey(1, "a", 1, 1);
    c.check(k, auth(1), 0);
    c.forget(k, auth(2)); // not ours: ignored
    expect(c.check(k, auth(1), 1).kind).toBe("in-progress");
    c.forget(k, auth(1));
    expect(c.check(k, auth(1), 2).kind).toBe("new");
  });

  test("a flood of distinct keys stays within maxEntries; expired entries are swept on insert", () => {
    const c = new DuplicateCache({ lifetimeMs: 5_000, maxEntries: 1_000 });
    for (let i = 0; i < 50_000; i++)
      c.check(
        duplicateKey(1, `10.0.${i >> 8}.${i & 255}`, 1000 + (i % 7), i & 255),
        auth(i & 255),
        i * 0.01,
      );
    expect(c.size).toBe(1_000);
    expect(c.evicted).toBe(49_000);
    // Much later, new inserts sweep the expired head.
    for (let i = 0; i < 100; i++) c.check(duplicateKey(2, "x", i, 0), auth(0), 1_000_000);
    expect(c.size).toBeLessThanOrEqual(1_000);
    expect(c.check(duplicateKey(1, "10.0.0.0", 1000, 0), auth(0), 1_000_001).kind).toBe("new");
  });

  test("the stored authenticator is a copy (the caller's buffer may be reused)", () => {
    const c = new DuplicateCache({ lifetimeMs: 5_000, maxEntries: 10 });
    const a = auth(3);
    c.check(duplicateKey(1, "k", 1, 1), a, 0);
    a.fill(4);
    expect(c.check(duplicateKey(1, "k", 1, 1), auth(3), 1).kind).toBe("in-progress");
  });

  test("eviction takes the entry closest to expiry: a completed (refreshed) entry outlives older ones", () => {
    const c = new DuplicateCache({ lifetimeMs: 5_000, maxEntries: 3 });
    const k = (n: number) => duplicateKey(1, "192.0.2.1", 1812, n);
    for (let i = 0; i < 3; i++) c.check(k(i), auth(i), i);
    c.complete(k(0), auth(0), reply(0), 10); // k(0) now expires last
    c.check(k(3), auth(3), 11); // evicts k(1)
    expect(c.evicted).toBe(1);
    expect(c.check(k(0), auth(0), 12).kind).toBe("resend");
    expect(c.check(k(2), auth(2), 13).kind).toBe("in-progress");
    expect(c.check(k(1), auth(1), 14).kind).toBe("new"); // was evicted: processed anew (evicts k(2))
    expect(c.check(k(2), auth(2), 15).kind).toBe("new");
    expect(c.size).toBe(3);
  });
});

describe("DuplicateCache memory (issue 21, defect 7)", () => {
  test("50,000 entries with 100-octet replies: under 250 octets and no objects per entry", () => {
    const { heapStats } = require("bun:jsc") as typeof import("bun:jsc");
    const N = 50_000;
    const c = new DuplicateCache({ lifetimeMs: 30_000, maxEntries: 200_000 });
    const a = new Uint8Array(16);
    const measure = () => {
      Bun.gc(true);
      const h = heapStats();
      // heapSize includes the typed arrays' buffers (extra memory): it is the whole cost.
      return { bytes: h.heapSize, objects: h.objectCount };
    };
    const before = measure();
    for (let i = 0; i < N; i++) {
      a[0] = i & 255;
      a[1] = i >> 8;
      // 50 devices, distinct (port, identifier) tuples: the flood the cache is bounded against.
      const k = duplicateKey(
        1,
        `10.0.0.${i % 50}`,
        1024 + (((i / 50) | 0) % 60_000),
        (i >> 4) & 255,
      );
      c.check(k, a, 1);
      const r = new Uint8Array(100);
      r[0] = 2;
      c.complete(k, a, r, 2);
    }
    const after = measure();
    expect(c.size).toBe(N);
    // Measured 2026-12-06: ~182 octets (100 of them the reply) and 0.01 objects per entry; before
    // the compact layout 388 octets and 4 objects (entry, key string, reply, Map entry).
    expect((after.bytes - before.bytes) / N).toBeLessThan(250);
    expect((after.objects - before.objects) / N).toBeLessThan(0.5);
  });

  test("the key table agrees with a plain Map through inserts, replies, expiry and forgets", () => {
    // No eviction here (maxEntries above the key space), so the model is exact: an entry whose
    // reply expired is the same as no entry. Deletions (forget, sweep) exercise the table's
    // backward-shift removal; growth from 1,024 slots exercises its rebuild.
    const c = new DuplicateCache({ lifetimeMs: 1_000, maxEntries: 50_000 });
    let seed = 7;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const model = new Map<string, { auth: number; reply: number | null; expires: number }>();
    for (let step = 0; step < 80_000; step++) {
      const now = step * 0.05;
      const port = rand(40);
      const id = rand(200);
      const addr = `192.0.2.${rand(5)}`;
      const name = `${addr}|${port}|${id}`;
      const k = duplicateKey(1, addr, port, id);
      let m = model.get(name);
      if (m !== undefined && m.reply !== null && m.expires <= now) {
        model.delete(name);
        m = undefined;
      }
      const op = rand(10);
      if (op < 6) {
        const au = m !== undefined && rand(2) === 0 ? m.auth : rand(256);
        const v = c.check(k, auth(au), now);
        if (m !== undefined && m.auth === au) {
          if (m.reply === null) expect(v.kind).toBe("in-progress");
          else expect(v.kind === "resend" && v.reply[1]).toBe(m.reply);
        } else {
          expect(v.kind).toBe("new");
          model.set(name, { auth: au, reply: null, expires: now + 1_000 });
        }
      } else if (op < 9 && m !== undefined && m.reply === null) {
        const r = rand(256);
        c.complete(k, auth(m.auth), reply(r), now);
        model.set(name, { auth: m.auth, reply: r, expires: now + 1_000 });
      } else if (op === 9 && m !== undefined) {
        c.forget(k, auth(m.auth));
        model.delete(name);
      }
    }
    expect(c.evicted).toBe(0);
    expect(model.size).toBeGreaterThan(1_024);
  });
});
