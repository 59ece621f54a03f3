import { describe, expect, test } from "bun:test";
import { ManualClock } from "../../lib/clock.ts";
import { firstTimeout, nextTimeout, onTimeout, startRetry, type RetryPolicy } from "./retry.ts";

const policy: RetryPolicy = {
  initialTimeout: 1000,
  maxTimeout: 5000,
  maxRetries: 4,
  maxDuration: 30_000,
};
const fixed = (x: number) => () => x;

describe("RFC 5080 §2.2.1 backoff", () => {
  test("RAND spans [-0.1, +0.1] of the base", () => {
    expect(firstTimeout(1000, fixed(0))).toBeCloseTo(900);
    expect(firstTimeout(1000, fixed(0.5))).toBeCloseTo(1000);
    expect(firstTimeout(1000, fixed(0.999999))).toBeCloseTo(1100, 0);
  });
  test("doubling, then capped at MRT + RAND*MRT", () => {
    expect(nextTimeout(1000, policy, fixed(0.5))).toBeCloseTo(2000);
    expect(nextTimeout(2000, policy, fixed(1))).toBeCloseTo(4200);
    expect(nextTimeout(4000, policy, fixed(0.5))).toBeCloseTo(5000);
    expect(nextTimeout(4000, policy, fixed(0))).toBeCloseTo(4500); // 5000 - 10 %
  });
  test("a clocked sequence: deadlines, MRC, then give up", () => {
    const clock = new ManualClock(0);
    const rand = fixed(0.5); // RAND = 0: exact doubling
    const { state, deadline } = startRetry(clock.now(), 1000, policy, rand);
    expect(deadline).toBe(1000);
    const seen: number[] = [];
    let at = deadline;
    for (let i = 0; i < 10; i++) {
      clock.advance(at - clock.now());
      const s = onTimeout(state, clock.now(), policy, rand);
      if (s.kind === "give-up") {
        expect(s.reason).toBe("max-retries");
        break;
      }
      seen.push(s.timeout);
      at = clock.now() + s.timeout;
    }
    expect(seen).toEqual([2000, 4000, 5000, 5000]);
    expect(state.attempts).toBe(5);
    expect(clock.now()).toBe(1000 + 2000 + 4000 + 5000 + 5000);
  });
  test("MRD: the last timeout is cut to the remaining duration, then the request ends", () => {
    const p: RetryPolicy = {
      initialTimeout: 1000,
      maxTimeout: 0,
      maxRetries: 10,
      maxDuration: 5000,
    };
    const rand = fixed(0.5);
    const { state } = startRetry(0, 1000, p, rand);
    const a = onTimeout(state, 1000, p, rand);
    expect(a).toEqual({ kind: "retry", timeout: 2000 });
    const b = onTimeout(state, 3000, p, rand);
    expect(b).toEqual({ kind: "retry", timeout: 2000 }); // 4000 cut to the 2000 left
    expect(onTimeout(state, 5000, p, rand)).toEqual({
      kind: "give-up",
      reason: "max-duration",
    });
  });
  test("jitter desynchronises: two proxies with different draws get different deadlines", () => {
    const a = startRetry(0, 1000, policy, fixed(0.1)).deadline;
    const b = startRetry(0, 1000, policy, fixed(0.9)).deadline;
    expect(a).toBeLessThan(1000);
    expect(b).toBeGreaterThan(1000);
  });
});
