// Credential cache: argon2id costs tens of milliseconds by design; a device polling every few seconds
// should not pay that per request. After a *successful* verify we remember
//   HMAC-SHA256(per-process random key, purpose ‖ user id ‖ credential version ‖ password) → expiry.
// The key never leaves the process, so a memory dump of the map does not allow offline guessing
// without also taking the key; the password itself is never stored. Failures are never inserted.
// A password change, disable/enable or expiry change bumps users.credential_version, so old entries
// stop matching at once (they age out or are evicted); `invalidateUser` and `clear` drop them early.
import { randomBytes } from "node:crypto";
import type { Clock } from "../lib/clock.ts";

export interface CredentialCacheConfig {
  enabled: boolean;
  /** ms an entry stays valid after the verify that created it. */
  ttl: number;
  maxEntries: number;
}

export type CredentialPurpose = "login" | "enable";

export interface CredentialCacheCounters {
  hits: number;
  misses: number;
  inserts: number;
  evictions: number;
  size: number;
}

interface Entry {
  expires: number;
  userId: number;
}

export class CredentialCache {
  readonly counters: CredentialCacheCounters = {
    hits: 0,
    misses: 0,
    inserts: 0,
    evictions: 0,
    size: 0,
  };
  /** HMAC-SHA256 keyed with a per-process random key; each digest continues a copy of it. */
  private readonly keyed = new Bun.CryptoHasher("sha256", randomBytes(32));
  private readonly head = new Uint8Array(17);
  private readonly headView = new DataView(this.head.buffer);
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly config: CredentialCacheConfig,
    private readonly clock: Clock,
  ) {}

  /** The keyed hash that identifies this credential (also used to coalesce concurrent checks). */
  digest(
    purpose: CredentialPurpose,
    userId: number,
    version: number,
    password: string | Uint8Array,
  ): string {
    // Fixed-width prefix: purpose byte, 8-byte id, 8-byte version, then the password bytes.
    // (Bun's native HMAC, copied from the keyed state, and a reused prefix buffer: this runs on
    // every authentication.)
    const head = this.head;
    head[0] = purpose === "login" ? 1 : 2;
    this.headView.setFloat64(1, userId);
    this.headView.setFloat64(9, version);
    const h = this.keyed.copy();
    h.update(head);
    h.update(password);
    return h.digest("base64");
  }

  has(
    purpose: CredentialPurpose,
    userId: number,
    version: number,
    password: string | Uint8Array,
  ): boolean {
    if (!this.config.enabled) return false;
    const k = this.digest(purpose, userId, version, password);
    const e = this.entries.get(k);
    if (e !== undefined && this.clock.now() < e.expires) {
      this.counters.hits++;
      return true;
    }
    if (e !== undefined) {
      this.entries.delete(k);
      this.counters.size = this.entries.size;
    }
    this.counters.misses++;
    return false;
  }

  /** Call only after a successful verify. */
  remember(
    purpose: CredentialPurpose,
    userId: number,
    version: number,
    password: string | Uint8Array,
  ): void {
    if (!this.config.enabled) return;
    const k = this.digest(purpose, userId, version, password);
    this.entries.delete(k);
    while (this.entries.size >= this.config.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
      this.counters.evictions++;
    }
    this.entries.set(k, {
      expires: this.clock.now() + this.config.ttl,
      userId,
    });
    this.counters.inserts++;
    this.counters.size = this.entries.size;
  }

  invalidateUser(userId: number): void {
    for (const [k, e] of this.entries) if (e.userId === userId) this.entries.delete(k);
    this.counters.size = this.entries.size;
  }

  clear(): void {
    this.entries.clear();
    this.counters.size = 0;
  }
}
