import { describe, expect, test } from "bun:test";
import { PendingBudget, RateLimiter } from "./limits.ts";
import { LagMeter } from "./stream/lag.ts";

const takeN = (
  r: RateLimiter,
  b: ReturnType<RateLimiter["bucket"]>,
  n: number,
  now: number,
  stall = 0,
) => {
  let ok = 0;
  for (let i = 0; i < n; i++) if (r.take(b, 0, now, stall)) ok++;
  return ok;
};

describe("RateLimiter", () => {
  test("without a stall the refill is capped at burst, however long the gap", () => {
    const r = new RateLimiter({ ratePerSecond: 100, burst: 20, kinds: 1 });
    const b = r.bucket("c", 0);
    expect(takeN(r, b, 20, 0)).toBe(20);
    expect(takeN(r, b, 100, 60_000)).toBe(20);
  });

  test("a reported stall lets the bucket hold burst + rate × stall, and only while it is reported", () => {
    const r = new RateLimiter({ ratePerSecond: 100, burst: 20, kinds: 1 });
    const b = r.bucket("c", 0);
    // A full bucket, then a 1.5 s stall: 150 packets' worth of refill on top of the burst.
    expect(takeN(r, b, 200, 1500, 1500)).toBe(170);
    // An empty one gets what arrival-time charging would have given during the stall.
    expect(takeN(r, b, 200, 3000, 1500)).toBe(150);
    // After the stall is forgotten, the cap is burst again.
    expect(takeN(r, b, 100, 100_000, 0)).toBe(20);
  });
});

describe("PendingBudget", () => {
  test("bounded in all and per source; release frees the slot", () => {
    const p = new PendingBudget({ total: 3, perSource: 2 });
    expect([p.acquire("a"), p.acquire("a"), p.acquire("a")]).toEqual([true, true, false]);
    expect([p.acquire("b"), p.acquire("c")]).toEqual([true, false]);
    p.release("a");
    expect(p.acquire("c")).toBe(true);
    expect(p.active).toBe(3);
  });
});

describe("LagMeter", () => {
  test("a late tick is a stall, remembered for a second; on-time ticks report none", () => {
    let now = 0;
    const m = new LagMeter({ now: () => now, wall: () => now });
    m.start();
    try {
      for (now = 50; now <= 500; now += 50) m.tick(now);
      expect(m.stallMs(now)).toBe(0);
      // The loop was blocked for 1.5 s: the reads after it may run before the late tick...
      now += 1500;
      expect(m.stallMs(now)).toBeGreaterThanOrEqual(1400);
      // ...or after it.
      m.tick(now);
      expect(m.stallMs(now)).toBeGreaterThanOrEqual(1400);
      expect(m.stallMs(now + 900)).toBeGreaterThanOrEqual(1400);
      for (let t = now + 50; t <= now + 2000; t += 50) m.tick(t);
      expect(m.stallMs(now + 2000)).toBe(0);
    } finally {
      m.stop();
    }
  });
});
