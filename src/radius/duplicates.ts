// Duplicate detection for RADIUS requests, RFC 5080 §2.2.2 (and RFC 2865 §5 on the Identifier).
//
// API
//   new DuplicateCache({ lifetimeMs, maxEntries })
//   check(key, authenticator, now)   → { kind: "new" } | { kind: "in-progress" } | { kind: "resend", reply }
//                                      "new" also records the request as in progress
//   complete(key, authenticator, reply, now)  stores the reply (lifetime restarts) so a retransmission
//                                      gets the identical bytes without re-processing
//   forget(key, authenticator)        the request ended without a reply (e.g. accounting storage
//                                      failed): the NAS's retransmission must be processed anew
//   duplicateKey(socketId, address, port, identifier)
//   size, evicted
//
// The key is the receiving socket, the source address and port, and the Identifier — never a field
// the client wrote beyond the Identifier. The Request Authenticator decides between a retransmission
// (same) and a new request reusing the Identifier (different: replaces the entry, §2.2.2).
//
// Memory bound: a Map in insertion order doubles as the expiry queue, because every insert and every
// complete() re-inserts with `now + lifetime`, and `now` only grows. Expired entries are swept from
// the head on each insert (amortised O(1)); past maxEntries the oldest entry is evicted, so a flood of
// distinct (address, port, id) tuples costs at most maxEntries entries. An evicted in-progress entry
// only means a retransmission arriving meanwhile is processed a second time — the RADIUS norm
// without a cache, never a wrong answer.

export interface DuplicateConfig {
  /** RFC 5080 §2.2.2 suggests a few seconds to tens of seconds; config allows 5–30 s. */
  lifetimeMs: number;
  maxEntries: number;
}

interface Entry {
  auth: Uint8Array;
  reply: Uint8Array | null;
  expires: number;
}

export type DuplicateVerdict =
  | { kind: "new" }
  | { kind: "in-progress" }
  | { kind: "resend"; reply: Uint8Array };

const NEW: DuplicateVerdict = { kind: "new" };
const IN_PROGRESS: DuplicateVerdict = { kind: "in-progress" };

export function duplicateKey(
  socketId: number,
  address: string,
  port: number,
  identifier: number,
): string {
  return `${socketId}|${address}|${port}|${identifier}`;
}

function sameAuth(a: Uint8Array, b: Uint8Array): boolean {
  // Not a secret comparison: the authenticator travelled in clear text.
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class DuplicateCache {
  private readonly entries = new Map<string, Entry>();
  /** Entries pushed out by the size bound before they expired. */
  evicted = 0;

  constructor(private readonly cfg: DuplicateConfig) {}

  get size(): number {
    return this.entries.size;
  }

  check(key: string, authenticator: Uint8Array, now: number): DuplicateVerdict {
    const e = this.entries.get(key);
    if (e !== undefined && e.expires > now && sameAuth(e.auth, authenticator)) {
      return e.reply === null
        ? IN_PROGRESS
        : { kind: "resend", reply: e.reply };
    }
    // New request, expired entry, or the Identifier reused with a new authenticator: start over.
    // The authenticator is copied: the caller's view may point into a buffer reused later.
    this.put(
      key,
      {
        auth: authenticator.slice(),
        reply: null,
        expires: now + this.cfg.lifetimeMs,
      },
      now,
    );
    return NEW;
  }

  complete(
    key: string,
    authenticator: Uint8Array,
    reply: Uint8Array,
    now: number,
  ): void {
    const e = this.entries.get(key);
    // A newer request with the same key replaced ours meanwhile: its entry wins.
    if (e === undefined || !sameAuth(e.auth, authenticator)) return;
    e.reply = reply;
    e.expires = now + this.cfg.lifetimeMs;
    this.entries.delete(key);
    this.entries.set(key, e);
  }

  forget(key: string, authenticator: Uint8Array): void {
    const e = this.entries.get(key);
    if (e !== undefined && sameAuth(e.auth, authenticator))
      this.entries.delete(key);
  }

  private put(key: string, e: Entry, now: number): void {
    this.entries.delete(key);
    this.sweep(now);
    while (this.entries.size >= this.cfg.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
      this.evicted++;
    }
    this.entries.set(key, e);
  }

  /** Drops expired entries from the head; bounded work per call keeps latency flat under floods. */
  private sweep(now: number): void {
    let n = 0;
    for (const [k, e] of this.entries) {
      if (e.expires > now || n >= 64) break;
      this.entries.delete(k);
      n++;
    }
  }

  clear(): void {
    this.entries.clear();
  }
}
