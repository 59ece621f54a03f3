// A binary min-heap of deadlines. The proxy has one timer per request in flight and per probe; at
// tens of thousands of requests per second a setTimeout each would cost more than the forwarding
// itself, so deadlines live here and one interval timer drains what is due.
//
// Removal is O(log n): every item carries its position (`heapIndex`, -1 when not in the heap), so a
// request that is answered takes its timer out at once. The heap therefore holds what is in flight,
// not every request of the last timeout period — with lazy deletion, at 47,000 requests/s and a 1 s
// timeout, ~47,000 finished requests stayed reachable from the heap, and every tick popped as many
// dead timers.
export interface Timed {
  at: number;
  /** Position in the heap; -1 (or absent) when not in it. Maintained by the heap only. */
  heapIndex?: number;
}

export class MinHeap<T extends Timed> {
  private items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  push(t: T): void {
    if (t.heapIndex !== undefined && t.heapIndex >= 0)
      throw new Error("timer is already in the heap");
    this.items.push(t);
    this.up(t, this.items.length - 1);
  }

  peek(): T | undefined {
    return this.items[0];
  }

  pop(): T | undefined {
    const top = this.items[0];
    if (top !== undefined) this.removeAt(0);
    return top;
  }

  /** Take `t` out if it is in the heap (a no-op otherwise, e.g. after it was popped). */
  remove(t: T): void {
    const i = t.heapIndex;
    if (i === undefined || i < 0 || this.items[i] !== t) return;
    this.removeAt(i);
  }

  clear(): void {
    for (const t of this.items) t.heapIndex = -1;
    this.items = [];
  }

  private removeAt(i: number): void {
    const a = this.items;
    a[i]!.heapIndex = -1;
    const last = a.pop()!;
    if (i === a.length) return;
    // The last item fills the hole and moves up or down from there.
    if (i > 0 && last.at < a[(i - 1) >> 1]!.at) this.up(last, i);
    else this.down(last, i);
  }

  private up(t: T, i: number): void {
    const a = this.items;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = a[p]!;
      if (pt.at <= t.at) break;
      a[i] = pt;
      pt.heapIndex = i;
      i = p;
    }
    a[i] = t;
    t.heapIndex = i;
  }

  private down(t: T, i: number): void {
    const a = this.items;
    const n = a.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && a[r]!.at < a[l]!.at ? r : l;
      const ct = a[c]!;
      if (ct.at >= t.at) break;
      a[i] = ct;
      ct.heapIndex = i;
      i = c;
    }
    a[i] = t;
    t.heapIndex = i;
  }
}
