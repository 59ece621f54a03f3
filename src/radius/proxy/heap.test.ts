import { describe, expect, test } from "bun:test";
import { MinHeap } from "./heap.ts";

interface T {
  at: number;
  heapIndex?: number;
  id: number;
}

/** A small deterministic generator (tests must not depend on Math.random). */
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe("MinHeap", () => {
  test("pops in deadline order", () => {
    const h = new MinHeap<T>();
    for (const at of [5, 1, 4, 1, 3, 9, 2]) h.push({ at, id: at });
    const out: number[] = [];
    for (let t = h.pop(); t !== undefined; t = h.pop()) out.push(t.at);
    expect(out).toEqual([1, 1, 2, 3, 4, 5, 9]);
    expect(h.size).toBe(0);
  });

  test("remove takes an item out from anywhere; removing twice or after pop is a no-op", () => {
    const h = new MinHeap<T>();
    const items: T[] = [7, 3, 8, 1, 6, 2, 9, 4].map((at, id) => ({ at, id }));
    for (const t of items) h.push(t);
    h.remove(items[2]!); // 8, a leaf
    h.remove(items[3]!); // 1, the root
    h.remove(items[3]!);
    expect(items[3]!.heapIndex).toBe(-1);
    const top = h.pop()!;
    expect(top.at).toBe(2);
    h.remove(top);
    expect(h.size).toBe(5);
    const out: number[] = [];
    for (let t = h.pop(); t !== undefined; t = h.pop()) out.push(t.at);
    expect(out).toEqual([3, 4, 6, 7, 9]);
  });

  test("a re-armed item (remove, new deadline, push) moves; pushing one already in is refused", () => {
    const h = new MinHeap<T>();
    const a: T = { at: 10, id: 1 };
    const b: T = { at: 20, id: 2 };
    h.push(a);
    h.push(b);
    expect(() => h.push(a)).toThrow();
    h.remove(a);
    a.at = 30;
    h.push(a);
    expect(h.pop()).toBe(b);
    expect(h.pop()).toBe(a);
  });

  test("random pushes, removes and pops agree with a sorted reference", () => {
    const rand = lcg(42);
    const h = new MinHeap<T>();
    const live = new Map<number, T>();
    let next = 0;
    for (let step = 0; step < 20_000; step++) {
      const r = rand();
      if (r < 0.5) {
        const t: T = { at: Math.floor(rand() * 1000), id: next++ };
        h.push(t);
        live.set(t.id, t);
      } else if (r < 0.8 && live.size > 0) {
        const ids = [...live.keys()];
        const t = live.get(ids[Math.floor(rand() * ids.length)]!)!;
        h.remove(t);
        live.delete(t.id);
      } else if (live.size > 0) {
        const t = h.pop()!;
        const min = Math.min(...[...live.values()].map((x) => x.at));
        expect(t.at).toBe(min);
        live.delete(t.id);
      }
      expect(h.size).toBe(live.size);
    }
    for (const t of live.values()) expect(t.heapIndex).toBeGreaterThanOrEqual(0);
  });
});
