import { describe, expect, test } from "bun:test";
import { mulberry32 } from "../../../test/support/prng.ts";
import type { HealthStatus } from "./health.ts";
import { createPool, keyHash, selectServer, type ServerView, type Strategy } from "./pool.ts";

function world(n: number) {
  const status: HealthStatus[] = new Array(n).fill("up");
  const out: number[] = new Array(n).fill(0);
  const full: boolean[] = new Array(n).fill(false);
  const view: ServerView = {
    status: (i) => status[i]!,
    outstanding: (i) => out[i]!,
    full: (i) => full[i]!,
  };
  return { status, out, full, view };
}
const pool = (s: Strategy, n = 3) =>
  createPool(
    "p",
    s,
    Array.from({ length: n }, (_, i) => ({ server: i, name: `hs${i}` })),
  );
const rand = mulberry32(7);
const pickServer = (
  p: ReturnType<typeof pool>,
  v: ServerView,
  o: { tried?: number[]; key?: number } = {},
) => {
  const i = selectServer(p, v, { ...o, rand });
  return i < 0 ? -1 : p.members[i]!.server;
};

describe("round-robin", () => {
  test("rotates over up servers and skips down and full ones", () => {
    const w = world(3);
    const p = pool("round-robin");
    expect([0, 1, 2, 3, 4, 5].map(() => pickServer(p, w.view))).toEqual([0, 1, 2, 0, 1, 2]);
    w.status[1] = "down";
    w.full[2] = true;
    expect([0, 1, 2].map(() => pickServer(p, w.view))).toEqual([0, 0, 0]);
    w.status[0] = "down";
    expect(pickServer(p, w.view)).toBe(-1);
  });
  test("a zombie gets traffic only when nothing is up", () => {
    const w = world(2);
    const p = pool("round-robin", 2);
    w.status[0] = "zombie";
    expect([0, 1, 2].map(() => pickServer(p, w.view))).toEqual([1, 1, 1]);
    w.status[1] = "down";
    expect(pickServer(p, w.view)).toBe(0);
  });
  test("a retry goes to a server not yet tried, and back to a tried one when none is left", () => {
    const w = world(2);
    const p = pool("round-robin", 2);
    expect(pickServer(p, w.view, { tried: [0] })).toBe(1);
    expect(pickServer(p, w.view, { tried: [1] })).toBe(0);
    expect(pickServer(p, w.view, { tried: [0, 1] })).toBeGreaterThanOrEqual(0);
    const single = pool("round-robin", 1);
    expect(pickServer(single, w.view, { tried: [0] })).toBe(0);
  });
});

describe("least-outstanding", () => {
  test("fewest in flight wins; ties rotate", () => {
    const w = world(3);
    const p = pool("least-outstanding");
    w.out[0] = 5;
    w.out[1] = 2;
    w.out[2] = 9;
    expect(pickServer(p, w.view)).toBe(1);
    w.out[1] = 5;
    w.out[2] = 5;
    const picks = [0, 1, 2].map(() => pickServer(p, w.view));
    expect(new Set(picks).size).toBe(3);
  });
});

describe("failover", () => {
  test("always the first usable in order; back to the primary as soon as it is up", () => {
    const w = world(3);
    const p = pool("failover");
    expect([0, 1, 2].map(() => pickServer(p, w.view))).toEqual([0, 0, 0]);
    w.status[0] = "down";
    expect(pickServer(p, w.view)).toBe(1);
    expect(pickServer(p, w.view, { tried: [1] })).toBe(2);
    w.status[0] = "up";
    expect(pickServer(p, w.view)).toBe(0);
  });
});

describe("random", () => {
  test("spreads roughly evenly over the up servers, never picks a down one", () => {
    const w = world(3);
    w.status[2] = "down";
    const p = pool("random");
    const counts = [0, 0, 0];
    for (let i = 0; i < 2000; i++) counts[pickServer(p, w.view)]!++;
    expect(counts[2]).toBe(0);
    expect(counts[0]).toBeGreaterThan(800);
    expect(counts[1]).toBeGreaterThan(800);
  });
});

describe("keyed", () => {
  test("the same key always lands on the same server; keys spread over all servers", () => {
    const w = world(3);
    const p = pool("keyed");
    const seen = new Set<number>();
    for (let k = 0; k < 300; k++) {
      const key = keyHash(new TextEncoder().encode(`state-${k}`));
      const first = pickServer(p, w.view, { key });
      for (let j = 0; j < 5; j++) expect(pickServer(p, w.view, { key })).toBe(first);
      seen.add(first);
    }
    expect(seen.size).toBe(3);
  });
  test("losing a server moves only its own keys (rendezvous hashing)", () => {
    const w = world(3);
    const p = pool("keyed");
    const keys = Array.from({ length: 300 }, (_, k) =>
      keyHash(new TextEncoder().encode(`sess-${k}`)),
    );
    const before = keys.map((key) => pickServer(p, w.view, { key }));
    w.status[1] = "down";
    keys.forEach((key, i) => {
      const now = pickServer(p, w.view, { key });
      if (before[i] !== 1) expect(now).toBe(before[i]!);
      else expect(now).not.toBe(1);
    });
  });
  test("no key in the request: round-robin", () => {
    const w = world(3);
    const p = pool("keyed");
    expect([0, 1, 2].map(() => pickServer(p, w.view))).toEqual([0, 1, 2]);
  });
});
