// Counters, gauges and histograms with bounded label sets, rendered as Prometheus text
// (exposition format 0.0.4) and as JSON for /api/stats. Label values come from a closed set
// (protocol, result, reason, device group, home server) — never from a user name — so the
// number of series is bounded; a metric refuses new series past maxSeries and counts that.

type Labels = Record<string, string>;

/**
 * Series by label values, as nested maps (one level per label name). The hot path — a counter
 * increment per request — then does one Map.get per label on short interned strings; building a
 * joined key string per call cost ~30 % of a TACACS+ single-connect authentication.
 */
class SeriesIndex<S> {
  private root = new Map<string, unknown>();
  private leaf: S | undefined;
  readonly list: S[] = [];
  constructor(private readonly names: readonly string[]) {}

  find(labels: Labels | undefined): S | undefined {
    const names = this.names;
    if (names.length === 0) return this.leaf;
    let m: Map<string, unknown> | undefined = this.root;
    const last = names.length - 1;
    for (let i = 0; i < last; i++) {
      m = m.get(labels?.[names[i]!] ?? "") as Map<string, unknown> | undefined;
      if (m === undefined) return undefined;
    }
    return m.get(labels?.[names[last]!] ?? "") as S | undefined;
  }

  add(labels: Labels | undefined, s: S): void {
    this.list.push(s);
    const names = this.names;
    if (names.length === 0) {
      this.leaf = s;
      return;
    }
    let m = this.root;
    const last = names.length - 1;
    for (let i = 0; i < last; i++) {
      const v = labels?.[names[i]!] ?? "";
      let next = m.get(v) as Map<string, unknown> | undefined;
      if (next === undefined) {
        next = new Map();
        m.set(v, next);
      }
      m = next;
    }
    m.set(labels?.[names[last]!] ?? "", s);
  }

  get size(): number {
    return this.list.length;
  }

  clear(): void {
    this.root = new Map();
    this.leaf = undefined;
    this.list.length = 0;
  }
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function renderLabels(names: readonly string[], values: string[], extra?: string): string {
  const parts = names.map((n, i) => `${n}="${escapeLabel(values[i] ?? "")}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(",")}}` : "";
}

abstract class Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    protected readonly maxSeries: number,
  ) {}
  dropped = 0;
  abstract render(): string;
  abstract toJSON(): unknown;
  abstract reset(): void;
}

export class Counter extends Metric {
  private series = new SeriesIndex<{ values: string[]; v: number }>(this.labelNames);
  inc(labels?: Labels, by = 1): void {
    const s = this.series.find(labels);
    if (s) s.v += by;
    else if (this.series.size < this.maxSeries)
      this.series.add(labels, { values: this.labelNames.map((n) => labels?.[n] ?? ""), v: by });
    else this.dropped++;
  }
  get(labels?: Labels): number {
    return this.series.find(labels)?.v ?? 0;
  }
  total(): number {
    let t = 0;
    for (const s of this.series.list) t += s.v;
    return t;
  }
  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} counter\n`;
    if (this.series.size === 0 && this.labelNames.length === 0) out += `${this.name} 0\n`;
    for (const s of this.series.list)
      out += `${this.name}${renderLabels(this.labelNames, s.values)} ${s.v}\n`;
    return out;
  }
  toJSON(): unknown {
    if (this.labelNames.length === 0) return this.get();
    return this.series.list.map((s) => ({
      ...Object.fromEntries(this.labelNames.map((n, i) => [n, s.values[i]])),
      value: s.v,
    }));
  }
  reset(): void {
    this.series.clear();
  }
}

export class Gauge extends Metric {
  constructor(
    name: string,
    help: string,
    public read: () => number | Array<{ labels: Labels; value: number }>,
    labelNames: readonly string[] = [],
  ) {
    super(name, help, labelNames, Infinity);
  }
  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} gauge\n`;
    const v = this.read();
    if (typeof v === "number") out += `${this.name} ${v}\n`;
    else
      for (const s of v)
        out += `${this.name}${renderLabels(
          this.labelNames,
          this.labelNames.map((n) => s.labels[n] ?? ""),
        )} ${s.value}\n`;
    return out;
  }
  toJSON(): unknown {
    return this.read();
  }
  reset(): void {}
}

export class Histogram extends Metric {
  private series: SeriesIndex<{ values: string[]; counts: number[]; sum: number; n: number }>;
  constructor(
    name: string,
    help: string,
    readonly buckets: readonly number[],
    labelNames: readonly string[],
    maxSeries: number,
  ) {
    super(name, help, labelNames, maxSeries);
    this.series = new SeriesIndex(labelNames);
  }
  observe(value: number, labels?: Labels): void {
    let s = this.series.find(labels);
    if (!s) {
      if (this.series.size >= this.maxSeries) {
        this.dropped++;
        return;
      }
      s = {
        values: this.labelNames.map((n) => labels?.[n] ?? ""),
        counts: new Array(this.buckets.length).fill(0),
        sum: 0,
        n: 0,
      };
      this.series.add(labels, s);
    }
    for (let i = 0; i < this.buckets.length; i++)
      if (value <= this.buckets[i]!) {
        s.counts[i]!++;
        break;
      }
    s.sum += value;
    s.n++;
  }
  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} histogram\n`;
    for (const s of this.series.list) {
      let cum = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        cum += s.counts[i]!;
        out += `${this.name}_bucket${renderLabels(this.labelNames, s.values, `le="${this.buckets[i]}"`)} ${cum}\n`;
      }
      out += `${this.name}_bucket${renderLabels(this.labelNames, s.values, 'le="+Inf"')} ${s.n}\n`;
      out += `${this.name}_sum${renderLabels(this.labelNames, s.values)} ${s.sum}\n`;
      out += `${this.name}_count${renderLabels(this.labelNames, s.values)} ${s.n}\n`;
    }
    return out;
  }
  toJSON(): unknown {
    return this.series.list.map((s) => ({
      ...Object.fromEntries(this.labelNames.map((n, i) => [n, s.values[i]])),
      count: s.n,
      sum: s.sum,
    }));
  }
  reset(): void {
    this.series.clear();
  }
}

/** Latency buckets in seconds: 50 µs .. 5 s. */
export const LATENCY_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
  5,
] as const;

export class Registry {
  private metrics = new Map<string, Metric>();
  constructor(private readonly maxSeries = 2_000) {}

  /**
   * Registering a name again with the same kind and labels returns the existing metric (a service
   * restarted by a reload keeps counting where it was); a gauge takes the new read function.
   * Anything else under an existing name is a bug.
   */
  private add<M extends Metric>(m: M): M {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(m.name)) throw new Error(`bad metric name ${m.name}`);
    const existing = this.metrics.get(m.name);
    if (existing) {
      if (
        existing.constructor !== m.constructor ||
        existing.labelNames.join() !== m.labelNames.join()
      )
        throw new Error(`metric ${m.name} registered twice with different shapes`);
      if (existing instanceof Gauge && m instanceof Gauge) existing.read = m.read;
      return existing as M;
    }
    this.metrics.set(m.name, m);
    return m;
  }
  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames, this.maxSeries));
  }
  gauge(
    name: string,
    help: string,
    read: () => number | Array<{ labels: Labels; value: number }>,
    labelNames: readonly string[] = [],
  ): Gauge {
    return this.add(new Gauge(name, help, read, labelNames));
  }
  histogram(
    name: string,
    help: string,
    labelNames: readonly string[] = [],
    buckets: readonly number[] = LATENCY_BUCKETS,
  ): Histogram {
    return this.add(new Histogram(name, help, buckets, labelNames, this.maxSeries));
  }
  get(name: string): Metric | undefined {
    return this.metrics.get(name);
  }
  renderPrometheus(): string {
    let out = "";
    for (const m of this.metrics.values()) out += m.render();
    return out;
  }
  toJSON(): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    for (const m of this.metrics.values()) o[m.name] = m.toJSON();
    return o;
  }
  reset(): void {
    for (const m of this.metrics.values()) m.reset();
  }
}
