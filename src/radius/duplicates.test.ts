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
    expect(new Set(keys).size).toBe(5);
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
    c.check("k", a, 0);
    a.fill(4);
    expect(c.check("k", auth(3), 1).kind).toBe("in-progress");
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
