import { describe, expect, test } from "bun:test";
import { ManualClock } from "../lib/clock.ts";
import { CredentialCache } from "./credential-cache.ts";

describe("credential cache", () => {
  test("hit, expiry, version, purpose", () => {
    const clock = new ManualClock();
    const c = new CredentialCache({ enabled: true, ttl: 1000, maxEntries: 10 }, clock);
    expect(c.has("login", 1, 1, "pw")).toBe(false);
    c.remember("login", 1, 1, "pw");
    expect(c.has("login", 1, 1, "pw")).toBe(true);
    expect(c.has("login", 1, 1, new TextEncoder().encode("pw"))).toBe(true);
    expect(c.has("login", 1, 1, "pw2")).toBe(false);
    expect(c.has("login", 1, 2, "pw")).toBe(false);
    expect(c.has("login", 2, 1, "pw")).toBe(false);
    expect(c.has("enable", 1, 1, "pw")).toBe(false);
    clock.advance(1000);
    expect(c.has("login", 1, 1, "pw")).toBe(false);
    expect(c.counters.size).toBe(0);
  });

  test("size bound evicts oldest; invalidateUser; disabled cache", () => {
    const clock = new ManualClock();
    const c = new CredentialCache({ enabled: true, ttl: 1000, maxEntries: 2 }, clock);
    c.remember("login", 1, 1, "a");
    c.remember("login", 2, 1, "b");
    c.remember("login", 3, 1, "c");
    expect(c.has("login", 1, 1, "a")).toBe(false);
    expect(c.has("login", 3, 1, "c")).toBe(true);
    c.invalidateUser(3);
    expect(c.has("login", 3, 1, "c")).toBe(false);
    expect(c.has("login", 2, 1, "b")).toBe(true);
    const off = new CredentialCache({ enabled: false, ttl: 1000, maxEntries: 2 }, clock);
    off.remember("login", 1, 1, "a");
    expect(off.has("login", 1, 1, "a")).toBe(false);
  });
});
