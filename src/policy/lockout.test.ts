import { describe, expect, test } from "bun:test";
import { ManualClock } from "../lib/clock.ts";
import { Lockout } from "./lockout.ts";

const cfg = {
  enabled: true,
  maxFailures: 3,
  window: 60_000,
  cooldown: 300_000,
  maxEntries: 100,
};

describe("lockout", () => {
  test("locks after N failures within the window, for the cool-down", () => {
    const clock = new ManualClock();
    const locked: string[] = [];
    const l = new Lockout(cfg, clock, (u, ip) => locked.push(`${u}@${ip}`));
    l.recordFailure("alice", "192.0.2.1");
    l.recordFailure("alice", "192.0.2.1");
    expect(l.isLocked("alice", "192.0.2.1")).toBe(false);
    l.recordFailure("alice", "::ffff:192.0.2.1"); // same client after normalisation
    expect(l.isLocked("alice", "192.0.2.1")).toBe(true);
    expect(locked).toEqual(["alice@192.0.2.1"]);
    expect(l.isLocked("alice", "192.0.2.2")).toBe(false);
    expect(l.isLocked("bob", "192.0.2.1")).toBe(false);
    clock.advance(299_999);
    expect(l.isLocked("alice", "192.0.2.1")).toBe(true);
    clock.advance(1);
    expect(l.isLocked("alice", "192.0.2.1")).toBe(false);
    expect(l.counters).toMatchObject({
      failures: 3,
      lockouts: 1,
      rejectedWhileLocked: 2,
    });
  });

  test("begin() counts verifications in progress: failures + running reach max → refused; end() frees the slot", () => {
    const clock = new ManualClock();
    const l = new Lockout(cfg, clock);
    expect([
      l.begin("a", "192.0.2.1"),
      l.begin("a", "192.0.2.1"),
      l.begin("a", "192.0.2.1"),
    ]).toEqual([true, true, true]);
    expect(l.begin("a", "192.0.2.1")).toBe(false); // 0 failures + 3 running
    expect(l.begin("a", "192.0.2.9")).toBe(true); // another client has its own count
    l.end("a", "192.0.2.1");
    l.recordFailure("a", "192.0.2.1");
    expect(l.begin("a", "192.0.2.1")).toBe(false); // 1 failure + 2 running
    l.end("a", "192.0.2.1");
    l.end("a", "192.0.2.1");
    l.recordSuccess("a", "192.0.2.1");
    expect(l.begin("a", "192.0.2.1")).toBe(true);
    // Failures older than the window do not count.
    l.end("a", "192.0.2.1");
    l.recordFailure("b", "192.0.2.1");
    l.recordFailure("b", "192.0.2.1");
    clock.advance(60_001);
    expect([
      l.begin("b", "192.0.2.1"),
      l.begin("b", "192.0.2.1"),
      l.begin("b", "192.0.2.1"),
    ]).toEqual([true, true, true]);
    expect(l.counters.rejectedWhileLocked).toBe(2);
    // Off: always admitted.
    const off = new Lockout({ ...cfg, enabled: false }, clock);
    for (let i = 0; i < 10; i++) expect(off.begin("a", "192.0.2.1")).toBe(true);
  });

  test("failures spread wider than the window do not lock", () => {
    const clock = new ManualClock();
    const l = new Lockout(cfg, clock);
    for (let i = 0; i < 5; i++) {
      l.recordFailure("alice", "192.0.2.1");
      l.recordFailure("alice", "192.0.2.1");
      clock.advance(60_001);
    }
    expect(l.isLocked("alice", "192.0.2.1")).toBe(false);
  });

  test("success clears; off switch disables", () => {
    const clock = new ManualClock();
    const l = new Lockout(cfg, clock);
    l.recordFailure("a", "192.0.2.1");
    l.recordFailure("a", "192.0.2.1");
    l.recordSuccess("a", "192.0.2.1");
    l.recordFailure("a", "192.0.2.1");
    expect(l.isLocked("a", "192.0.2.1")).toBe(false);
    const off = new Lockout({ ...cfg, enabled: false }, clock);
    for (let i = 0; i < 10; i++) off.recordFailure("a", "192.0.2.1");
    expect(off.isLocked("a", "192.0.2.1")).toBe(false);
    expect(off.counters.failures).toBe(0);
  });

  test("table is bounded, oldest evicted", () => {
    const clock = new ManualClock();
    const l = new Lockout({ ...cfg, maxFailures: 1, maxEntries: 3 }, clock);
    for (let i = 0; i < 5; i++) l.recordFailure(`u${i}`, "192.0.2.1");
    expect(l.counters.tracked).toBe(3);
    expect(l.counters.evictions).toBe(2);
    expect(l.isLocked("u0", "192.0.2.1")).toBe(false);
    expect(l.isLocked("u4", "192.0.2.1")).toBe(true);
  });
});
