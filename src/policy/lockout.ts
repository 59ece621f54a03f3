// Lockout: after `maxFailures` failed authentications for one (username, resolved client address)
// within `window` ms, further attempts fail fast for `cooldown` ms without verifying anything.
// The client is the address after PROXY v2 resolution — never a field the client wrote (rem_addr,
// Calling-Station-Id), or an attacker could lock out someone else or dodge the counter.
//
// The table is bounded (`maxEntries`): a Map in insertion order; every touch re-inserts, so the
// first key is the least recently touched and is evicted first. An attacker spraying usernames can
// evict older entries — the bound protects memory, which matters more than a perfect counter.
import type { Clock } from "../lib/clock.ts";
import { normalizeIp } from "../lib/ip.ts";

export interface LockoutConfig {
  enabled: boolean;
  maxFailures: number;
  window: number;
  cooldown: number;
  maxEntries: number;
}

interface Entry {
  firstFailure: number;
  failures: number;
  /** Monotonic ms until which attempts are refused; 0: not locked. */
  lockedUntil: number;
}

/** Plain counters the HTTP layer can read and serialise as they are. */
export interface LockoutCounters {
  failures: number;
  lockouts: number;
  rejectedWhileLocked: number;
  evictions: number;
  tracked: number;
}

export class Lockout {
  readonly counters: LockoutCounters = {
    failures: 0,
    lockouts: 0,
    rejectedWhileLocked: 0,
    evictions: 0,
    tracked: 0,
  };
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly config: LockoutConfig,
    private readonly clock: Clock,
    /** Called once each time a key becomes locked (for logging). */
    private readonly onLockout: (
      username: string,
      clientIp: string,
    ) => void = () => {},
  ) {}

  private static key(username: string, clientIp: string): string {
    // NUL cannot appear in a normalised address; it separates the parts unambiguously.
    return `${normalizeIp(clientIp) ?? clientIp}\u0000${username}`;
  }

  /** True when this (user, client) must be refused now without verifying. Counts the refusal. */
  isLocked(username: string, clientIp: string): boolean {
    // Nothing tracked (the normal state): no key to build.
    if (!this.config.enabled || this.entries.size === 0) return false;
    const e = this.entries.get(Lockout.key(username, clientIp));
    if (e === undefined || e.lockedUntil === 0) return false;
    if (this.clock.now() < e.lockedUntil) {
      this.counters.rejectedWhileLocked++;
      return true;
    }
    // Cool-down over: start afresh.
    this.entries.delete(Lockout.key(username, clientIp));
    this.counters.tracked = this.entries.size;
    return false;
  }

  recordFailure(username: string, clientIp: string): void {
    if (!this.config.enabled) return;
    this.counters.failures++;
    const key = Lockout.key(username, clientIp);
    const now = this.clock.now();
    let e = this.entries.get(key);
    if (e !== undefined) this.entries.delete(key);
    if (
      e === undefined ||
      now - e.firstFailure > this.config.window ||
      (e.lockedUntil !== 0 && now >= e.lockedUntil)
    ) {
      e = { firstFailure: now, failures: 0, lockedUntil: 0 };
    }
    e.failures++;
    if (e.failures >= this.config.maxFailures && e.lockedUntil === 0) {
      e.lockedUntil = now + this.config.cooldown;
      this.counters.lockouts++;
      this.onLockout(username, normalizeIp(clientIp) ?? clientIp);
    }
    while (this.entries.size >= this.config.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
      this.counters.evictions++;
    }
    this.entries.set(key, e);
    this.counters.tracked = this.entries.size;
  }

  /** A success clears the failure history of this (user, client). */
  recordSuccess(username: string, clientIp: string): void {
    if (!this.config.enabled || this.entries.size === 0) return;
    if (this.entries.delete(Lockout.key(username, clientIp)))
      this.counters.tracked = this.entries.size;
  }

  clear(): void {
    this.entries.clear();
    this.counters.tracked = 0;
  }
}
