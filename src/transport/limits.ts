// Connection caps and token-bucket rate limits, keyed by the *resolved* client (the PROXY v2 source,
// not the balancer). Reusable by any transport: nothing here knows TACACS+ or RADIUS.
//
//   const caps = new ConnectionCaps({ total: 10_000, perClient: 256, perProxy: 5_000 });
//   if (!caps.acceptTotal()) refuse("limit_total");           // at accept, before the client is known
//   const why = caps.acquire(clientIp, proxyIp);              // after PROXY v2 resolution
//   ... caps.release(clientIp, proxyIp) / caps.releaseTotal() when the connection ends
//
//   const rates = new RateLimiter({ ratePerSecond: 1000, burst: 2000, kinds: 3 });
//   const bucket = rates.bucket(clientIp);                     // hold it for the connection's life
//   if (!rates.take(bucket, kind, nowMs, lag.stallMs(nowMs))) refuse("rate_limited");
//
// Memory is bounded: a client's counters exist only while it has connections; idle buckets are
// dropped by sweep() (a full bucket carries no information), and at most maxKeys buckets exist — past
// that, new clients share one overflow bucket, so a spoofing flood is limited as a whole.
export type CapRefusal = "limit_total" | "limit_client" | "limit_proxy";

export interface CapConfig {
  total: number;
  perClient: number;
  perProxy: number;
}

export class ConnectionCaps {
  private total = 0;
  private readonly perClient = new Map<string, number>();
  private readonly perProxy = new Map<string, number>();

  constructor(private readonly cfg: CapConfig) {}

  get active(): number {
    return this.total;
  }

  /** Global cap, checked at accept time. Pair every true with one releaseTotal(). */
  acceptTotal(): boolean {
    if (this.total >= this.cfg.total) return false;
    this.total++;
    return true;
  }

  releaseTotal(): void {
    if (this.total > 0) this.total--;
  }

  /** Per-client and per-proxy caps; null when admitted. Pair every null with one release(). */
  acquire(client: string, proxy: string | null): CapRefusal | null {
    const c = this.perClient.get(client) ?? 0;
    if (c >= this.cfg.perClient) return "limit_client";
    if (proxy !== null) {
      const p = this.perProxy.get(proxy) ?? 0;
      if (p >= this.cfg.perProxy) return "limit_proxy";
      this.perProxy.set(proxy, p + 1);
    }
    this.perClient.set(client, c + 1);
    return null;
  }

  release(client: string, proxy: string | null): void {
    dec(this.perClient, client);
    if (proxy !== null) dec(this.perProxy, proxy);
  }

  clients(): number {
    return this.perClient.size;
  }

  hasClient(client: string): boolean {
    return this.perClient.has(client);
  }
}

function dec(m: Map<string, number>, k: string): void {
  const n = m.get(k);
  if (n === undefined) return;
  if (n <= 1) m.delete(k);
  else m.set(k, n - 1);
}

export interface RateConfig {
  /** Sustained rate per key and kind. */
  ratePerSecond: number;
  /** Bucket depth (tokens available after an idle period). */
  burst: number;
  /** Number of independent kinds per key (TACACS+: AUTHEN, AUTHOR, ACCT). */
  kinds: number;
  /** Bound on remembered keys (default 100,000). */
  maxKeys?: number;
}

/** One key's buckets: [tokens, lastRefillMs] per kind. */
export interface Bucket {
  readonly key: string;
  state: Float64Array;
  lastUse: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly overflow: Bucket;
  private readonly maxKeys: number;
  private readonly perMs: number;

  constructor(private readonly cfg: RateConfig) {
    this.maxKeys = cfg.maxKeys ?? 100_000;
    this.perMs = cfg.ratePerSecond / 1000;
    this.overflow = this.fresh("\u0000overflow", 0);
  }

  private fresh(key: string, now: number): Bucket {
    const state = new Float64Array(this.cfg.kinds * 2);
    for (let i = 0; i < this.cfg.kinds; i++) {
      state[2 * i] = this.cfg.burst;
      state[2 * i + 1] = now;
    }
    return { key, state, lastUse: now };
  }

  bucket(key: string, now: number): Bucket {
    let b = this.buckets.get(key);
    if (b !== undefined) return b;
    if (this.buckets.size >= this.maxKeys) return this.overflow;
    b = this.fresh(key, now);
    this.buckets.set(key, b);
    return b;
  }

  /**
   * Takes one token of `kind` (0-based); false when the bucket is empty.
   *
   * `stallMs`: how long the server itself recently could not read (LagMeter). Packets read now may
   * have been sent at any time during that stall; charged at arrival they would have met a bucket
   * refilling all along, so while the stall is reported the bucket may hold burst + rate × stall
   * (the reads that drain the backlog spend it). A client idle for an hour gets no more than that:
   * only the server's stall counts, a healthy loop reports 0, and the cap is back at burst then.
   */
  take(b: Bucket, kind: number, now: number, stallMs = 0): boolean {
    const s = b.state;
    const i = 2 * kind;
    const elapsed = now - s[i + 1]!;
    let tokens = s[i]!;
    if (elapsed > 0) {
      tokens = Math.min(this.cfg.burst + stallMs * this.perMs, tokens + elapsed * this.perMs);
      s[i + 1] = now;
    }
    b.lastUse = now;
    if (tokens < 1) {
      s[i] = tokens;
      return false;
    }
    s[i] = tokens - 1;
    return true;
  }

  /** Forget buckets idle long enough to have refilled completely (they would be recreated identical). */
  sweep(now: number, inUse: (key: string) => boolean = () => false): void {
    const fullAfter = this.cfg.burst / this.perMs;
    for (const [k, b] of this.buckets)
      if (now - b.lastUse > fullAfter && !inUse(k)) this.buckets.delete(k);
  }

  get size(): number {
    return this.buckets.size;
  }
}

/**
 * Connections whose socket peer is neither a registered proxy nor a device, counted while they wait
 * for their PROXY v2 header (or first byte) to be decided: a small budget in all and per source, so
 * unknown addresses cannot hold the slots that proxies and devices need (issue 21, defect 3: 1,494
 * unknown addresses holding 10,500 idle connections left a real client at 30 % success).
 */
export class PendingBudget {
  private total = 0;
  private readonly perSource = new Map<string, number>();

  constructor(private readonly cfg: { total: number; perSource: number }) {}

  /** Pair every true with one release(source). */
  acquire(source: string): boolean {
    if (this.total >= this.cfg.total) return false;
    const n = this.perSource.get(source) ?? 0;
    if (n >= this.cfg.perSource) return false;
    this.perSource.set(source, n + 1);
    this.total++;
    return true;
  }

  release(source: string): void {
    if (this.total > 0) this.total--;
    dec(this.perSource, source);
  }

  get active(): number {
    return this.total;
  }
}
