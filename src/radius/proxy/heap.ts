// A binary min-heap of deadlines. The proxy has one timer per request attempt and per probe; at
// tens of thousands of requests per second a setTimeout each would cost more than the forwarding
// itself, so deadlines live here and one interval timer drains what is due. Cancelled timers are not
// removed (no O(n) search): their owner ignores them when they fire ("lazy deletion"), which keeps the
// heap bounded by rate × longest timeout.
export interface Timed {
  at: number;
}

export class MinHeap<T extends Timed> {
  private items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  push(t: T): void {
    const a = this.items;
    a.push(t);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]!.at <= t.at) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = t;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    let i = 0;
    const n = a.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && a[r]!.at < a[l]!.at ? r : l;
      if (a[c]!.at >= last.at) break;
      a[i] = a[c]!;
      i = c;
    }
    a[i] = last;
    return top;
  }

  clear(): void {
    this.items = [];
  }
}
