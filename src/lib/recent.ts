// Bounded memory of recent things for the status page: the last failures (a ring buffer) and
// request-rate sparklines (cumulative counters sampled at a fixed interval into a ring).

export class Ring<T> {
  private items: T[] = [];
  private next = 0;
  constructor(readonly capacity: number) {}
  push(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
  }
  /** Oldest first. */
  toArray(): T[] {
    if (this.items.length < this.capacity) return [...this.items];
    return [...this.items.slice(this.next), ...this.items.slice(0, this.next)];
  }
  get size(): number {
    return this.items.length;
  }
}

export interface RateSeries {
  name: string;
  /** Per-interval deltas, oldest first. */
  points: number[];
}

/**
 * Samples named cumulative counters (e.g. "tacacs pass") every `intervalMs` and keeps the last
 * `keep` deltas of each. The caller drives sample() (a timer in the composition root).
 */
export class RateSampler {
  private last = new Map<string, number>();
  private series = new Map<string, Ring<number>>();
  constructor(
    private readonly read: () => Record<string, number>,
    readonly intervalMs: number,
    private readonly keep: number,
    private readonly maxSeries = 64,
  ) {}
  sample(): void {
    for (const [name, total] of Object.entries(this.read())) {
      let ring = this.series.get(name);
      if (!ring) {
        if (this.series.size >= this.maxSeries) continue;
        ring = new Ring<number>(this.keep);
        this.series.set(name, ring);
      }
      const prev = this.last.get(name) ?? total;
      ring.push(Math.max(0, total - prev)); // a counter reset shows as 0, not negative
      this.last.set(name, total);
    }
  }
  snapshot(): RateSeries[] {
    return [...this.series].map(([name, ring]) => ({ name, points: ring.toArray() }));
  }
}
