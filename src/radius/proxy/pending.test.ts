import { describe, expect, test } from "bun:test";
import { IdSpace, slotId, slotSocket } from "./pending.ts";

describe("identifier space per (socket, home server)", () => {
  test("far more than 256 in flight with several sockets, unique (socket, id) pairs, then full", () => {
    const ids = new IdSpace<number>(4);
    const seen = new Set<number>();
    for (let i = 0; i < 1024; i++) {
      const slot = ids.alloc(i);
      expect(slot).toBeGreaterThanOrEqual(0);
      expect(seen.has(slot)).toBe(false);
      seen.add(slot);
      expect(slotSocket(slot)).toBeLessThan(4);
      expect(slotId(slot)).toBeLessThan(256);
    }
    expect(ids.size).toBe(1024);
    expect(ids.alloc(9999)).toBe(-1);
  });
  test("the first socket is filled first, and freed identifiers come back last (FIFO)", () => {
    const ids = new IdSpace<string>(2);
    const a = ids.alloc("a");
    const b = ids.alloc("b");
    expect([slotSocket(a), slotSocket(b)]).toEqual([0, 0]);
    ids.release(a);
    // Socket 0 now has ids 2..255 free, then the released one: it is handed out last.
    const got: number[] = [];
    for (let i = 0; i < 255; i++) got.push(ids.alloc("x"));
    expect(got.indexOf(a)).toBe(254);
    expect(got.every((s) => slotSocket(s) === 0)).toBe(true);
    expect(slotSocket(ids.alloc("y"))).toBe(1);
    expect(ids.get(b)).toBe("b");
  });
  test("releasing twice is a bug", () => {
    const ids = new IdSpace<number>(1);
    const s = ids.alloc(1);
    ids.release(s);
    expect(() => ids.release(s)).toThrow();
  });
});
