// Lockout: after `maxFailures` failed authentications for one (username, resolved client address)
// within `window` ms, further attempts fail fast for `cooldown` ms without verifying anything.
// The client is the address after PROXY v2 resolution — never a field the client wrote (rem_addr,
// Calling-Station-Id), or an attacker could lock out someone else or dodge the counter.
//
// The table is bounded (`maxEntries`): a Map in insertion order; every touch re-inserts, so the
// first key is the least recently touched and is evicted first. An attacker spraying usernames can
// evict older entries — the bound protects memory, which matters more than a perfect counter.
//
// Concurrent guesses: a failure is only known after the ~65 ms argon2 verify, so a burst of guesses
// sent at once would all pass isLocked() before the first failure is recorded. begin() therefore
// counts verifications in progress as failures-to-be: with `failures + in progress >= maxFailures`
// another one is refused (as locked). The authenticator calls it once per distinct credential — the
// same password sent many times at once shares one verify — so a device opening many sessions with
// the right password is never refused by it. The in-progress map holds only running verifications.
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
  /** Verifications in progress per key (removed at 0): bounded by the requests in flight. */
  private readonly running = new Map<string, number>();

  constructor(
    private readonly config: LockoutConfig,
    private readonly clock: Clock,
    /** Called once each time a key becomes locked (for logging). */
    private readonly onLockout: (username: string, clientIp: string) => void = () => {},
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

  /**
   * Before a verification: false (refused, counted like a locked attempt) when the failures so far
   * plus the verifications already running reach maxFailures. Every true must be paired with end().
   */
  begin(username: string, clientIp: string): boolean {
    if (!this.config.enabled) return true;
    const key = Lockout.key(username, clientIp);
    const e = this.entries.get(key);
    const now = this.clock.now();
    const failures = e === undefined || now - e.firstFailure > this.config.window ? 0 : e.failures;
    const running = this.running.get(key) ?? 0;
    if (failures + running >= this.config.maxFailures) {
      this.counters.rejectedWhileLocked++;
      return false;
    }
    this.running.set(key, running + 1);
    return true;
  }

  /** After the verification that begin() admitted, before recordFailure / recordSuccess. */
  end(username: string, clientIp: string): void {
    if (!this.config.enabled) return;
    const key = Lockout.key(username, clientIp);
    const n = (this.running.get(key) ?? 1) - 1;
    if (n <= 0) this.running.delete(key);
    else this.running.set(key, n);
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

  /**
   * Take over another Lockout's failures and running lockouts (a reload builds a new policy),
   * newest kept within this table's bound — a reload must not unlock a user under attack.
   * Timestamps share the monotonic clock. Verifications in progress stay with the old instance:
   * they end there (the old authenticator calls its end()), so copying them would never be undone.
   */
  adopt(previous: Lockout): void {
    if (!this.config.enabled) return;
    const from = [...previous.entries];
    for (const [key, e] of from.slice(Math.max(0, from.length - this.config.maxEntries)))
      this.entries.set(key, { ...e });
    this.counters.lockouts += previous.counters.lockouts;
    this.counters.failures += previous.counters.failures;
    this.counters.rejectedWhileLocked += previous.counters.rejectedWhileLocked;
    this.counters.evictions += previous.counters.evictions;
    this.counters.tracked = this.entries.size;
  }

  clear(): void {
    this.entries.clear();
    this.running.clear();
    this.counters.tracked = 0;
  }
}
