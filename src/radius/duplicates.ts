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
//   duplicateKey(socketId, address, port, identifier) → DuplicateKey (a value, not retained)
//   size, evicted
//
// The key is the receiving socket, the source address and port, and the Identifier — never a field
// the client wrote beyond the Identifier. The Request Authenticator decides between a retransmission
// (same) and a new request reusing the Identifier (different: replaces the entry, §2.2.2).
//
// Memory bound and expiry: entries are also linked in a list ordered by expiry (every insert and
// every complete() moves its entry to the tail with `now + lifetime`, and `now` only grows). Expired
// entries are swept from the head on each insert; past maxEntries the head is evicted, so a flood of
// distinct (address, port, id) tuples costs at most maxEntries entries. Every operation is O(1): a
// Map used as its own queue (delete and re-insert, iterate from the first key) degrades to a walk
// over deleted slots once the cache is full — 190 µs per request at 100,000 entries, measured.
// An evicted in-progress entry only means a retransmission arriving meanwhile is processed a second
// time — the RADIUS norm without a cache, never a wrong answer. In-progress entries do not expire
// (the lifetime counts from the reply); the server bounds them by its in-flight limit.
//
// Compact entries (issue 21, defect 7: an object, a Uint8Array and list links per entry cost
// ~1.5 KB of RSS each, 346 MB at the default 200,000): an entry is a slot number in parallel typed
// arrays (authenticator words, expiry, list links, where its reply is), the Map holds key → slot
// (a small integer, no object), and the reply octets are packed into shared chunks (reply-arena.ts).
// Keys are numbers too (duplicate-keys.ts: the source address interned once per device address, an
// open-addressing table of slot numbers). What
// remains per entry is ~70 octets of typed arrays and the reply's own octets, no object at all;
// duplicates.test.ts bounds the memory per entry. The slot arrays grow by doubling up to maxEntries.

import { readU32 } from "../lib/bytes.ts";
import { KeyTable, type DuplicateKey } from "./duplicate-keys.ts";
import { ReplyArena } from "./reply-arena.ts";

export { duplicateKey, type DuplicateKey } from "./duplicate-keys.ts";

export interface DuplicateConfig {
  /** RFC 5080 §2.2.2 suggests a few seconds to tens of seconds; config allows 5–30 s. */
  lifetimeMs: number;
  maxEntries: number;
}

/** No slot (list end) / no reply yet (in progress). */
const NONE = -1;
const INITIAL_SLOTS = 1024;

export type DuplicateVerdict =
  { kind: "new" } | { kind: "in-progress" } | { kind: "resend"; reply: Uint8Array };

const NEW: DuplicateVerdict = { kind: "new" };
const IN_PROGRESS: DuplicateVerdict = { kind: "in-progress" };

export class DuplicateCache {
  private readonly keys = new KeyTable();
  private readonly replies = new ReplyArena();
  private cap = 0;
  private count = 0;
  // Per slot. Request Authenticator as four 32-bit words: a private copy, no array per entry.
  private auth = new Uint32Array(0);
  private expires = new Float64Array(0);
  private prev = new Int32Array(0);
  private next = new Int32Array(0);
  /** The reply's chunk in the arena (NONE while in progress), its offset and length. */
  private chunk = new Int32Array(0);
  private off = new Int32Array(0);
  private len = new Int32Array(0);
  /** Slots never used start at `used`; released ones wait in `free`. */
  private used = 0;
  private readonly free: number[] = [];
  /** Oldest expiry first. */
  private head = NONE;
  private tail = NONE;
  /** Entries pushed out by the size bound before they expired. */
  evicted = 0;

  constructor(private readonly cfg: DuplicateConfig) {}

  get size(): number {
    return this.count;
  }

  check(key: DuplicateKey, authenticator: Uint8Array, now: number): DuplicateVerdict {
    let e = this.find(key);
    // A request still in progress stays "in progress" however long it takes (a proxied request
    // can outlive the lifetime: retries up to max_duration): a retransmission meanwhile must not
    // become a second request with a new identity upstream (RFC 5080 §2.2.2). The lifetime runs
    // from the reply.
    if (e !== NONE && this.sameAuth(e, authenticator)) {
      const chunk = this.chunk[e]!;
      if (chunk === NONE) return IN_PROGRESS;
      if (this.expires[e]! > now)
        return { kind: "resend", reply: this.replies.view(chunk, this.off[e]!, this.len[e]!) };
    }
    // New request, expired entry, or the Identifier reused with a new authenticator: start over
    // (reusing the entry when the key is known and the sweep left it).
    this.sweep(now);
    if (e === NONE || this.find(key) !== e) {
      while (this.count >= this.cfg.maxEntries && this.head !== NONE) {
        this.remove(this.head);
        this.evicted++;
      }
      e = this.insert(key);
    } else {
      this.unlink(e);
      this.dropReply(e);
    }
    this.setAuth(e, authenticator);
    this.expires[e] = now + this.cfg.lifetimeMs;
    this.append(e);
    return NEW;
  }

  complete(key: DuplicateKey, authenticator: Uint8Array, reply: Uint8Array, now: number): void {
    const e = this.find(key);
    // A newer request with the same key replaced ours meanwhile: its entry wins.
    if (e === NONE || !this.sameAuth(e, authenticator)) return;
    this.dropReply(e);
    this.chunk[e] = this.replies.put(reply);
    this.off[e] = this.replies.offset;
    this.len[e] = reply.length;
    this.expires[e] = now + this.cfg.lifetimeMs;
    this.unlink(e);
    this.append(e);
  }

  forget(key: DuplicateKey, authenticator: Uint8Array): void {
    const e = this.find(key);
    if (e !== NONE && this.sameAuth(e, authenticator)) this.remove(e);
  }

  clear(): void {
    this.keys.clear();
    this.replies.clear();
    this.count = 0;
    this.used = 0;
    this.free.length = 0;
    this.head = this.tail = NONE;
  }

  /**
   * Drops expired entries from the head; bounded work per call keeps latency flat under floods.
   * An expired entry still in progress is moved to the tail with a new lifetime instead (the list
   * stays ordered by expiry): it leaves when its request completes or is forgotten, or by eviction.
   */
  private sweep(now: number): void {
    for (let n = 0; n < 64; n++) {
      const h = this.head;
      if (h === NONE || this.expires[h]! > now) return;
      if (this.chunk[h] === NONE) {
        this.unlink(h);
        this.expires[h] = now + this.cfg.lifetimeMs;
        this.append(h);
      } else this.remove(h);
    }
  }

  private find(k: DuplicateKey): number {
    return this.count === 0 ? NONE : this.keys.find(k);
  }

  private insert(k: DuplicateKey): number {
    if (this.used === this.cap && this.free.length === 0) this.grow();
    const e = this.free.pop() ?? this.used++;
    this.keys.add(k, e);
    this.chunk[e] = NONE;
    this.count++;
    return e;
  }

  private remove(e: number): void {
    this.unlink(e);
    this.dropReply(e);
    this.keys.remove(e);
    this.free.push(e);
    this.count--;
  }

  /** Doubles the slot arrays (up to maxEntries) and rebuilds the table: rare, amortised O(1). */
  private grow(): void {
    const cap = Math.min(Math.max(INITIAL_SLOTS, this.cap * 2), Math.max(this.cfg.maxEntries, 1));
    const i32 = (old: Int32Array, n: number): Int32Array<ArrayBuffer> => {
      const a = new Int32Array(n);
      a.set(old);
      return a;
    };
    const auth = new Uint32Array(cap * 4);
    auth.set(this.auth);
    this.auth = auth;
    const expires = new Float64Array(cap);
    expires.set(this.expires);
    this.expires = expires;
    this.prev = i32(this.prev, cap);
    this.next = i32(this.next, cap);
    this.chunk = i32(this.chunk, cap);
    this.off = i32(this.off, cap);
    this.len = i32(this.len, cap);
    this.cap = cap;
    // Every slot below `used` that is not free is in the table.
    const freed = new Set(this.free);
    const live: number[] = [];
    for (let e = 0; e < this.used; e++) if (!freed.has(e)) live.push(e);
    this.keys.grow(cap, live);
  }

  private sameAuth(e: number, b: Uint8Array): boolean {
    // Not a secret comparison: the authenticator travelled in clear text.
    const a = this.auth;
    const i = e * 4;
    return (
      b.length === 16 &&
      a[i] === readU32(b, 0) &&
      a[i + 1] === readU32(b, 4) &&
      a[i + 2] === readU32(b, 8) &&
      a[i + 3] === readU32(b, 12)
    );
  }

  private setAuth(e: number, b: Uint8Array): void {
    const a = this.auth;
    const i = e * 4;
    a[i] = readU32(b, 0);
    a[i + 1] = readU32(b, 4);
    a[i + 2] = readU32(b, 8);
    a[i + 3] = readU32(b, 12);
  }

  private dropReply(e: number): void {
    const c = this.chunk[e]!;
    if (c !== NONE) this.replies.release(c);
    this.chunk[e] = NONE;
  }

  private unlink(e: number): void {
    const p = this.prev[e]!;
    const n = this.next[e]!;
    if (p === NONE) this.head = n;
    else this.next[p] = n;
    if (n === NONE) this.tail = p;
    else this.prev[n] = p;
    this.prev[e] = this.next[e] = NONE;
  }

  private append(e: number): void {
    this.prev[e] = this.tail;
    this.next[e] = NONE;
    if (this.tail === NONE) this.head = e;
    else this.next[this.tail] = e;
    this.tail = e;
  }
}
