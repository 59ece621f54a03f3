// Reply bytes of the duplicate cache (duplicates.ts), packed into shared chunks instead of one
// Uint8Array per entry: a typed array costs ~150 bytes of object, buffer and allocator overhead
// before its first octet, more than a typical Access-Accept itself (issue 21, defect 7).
//
//   const a = new ReplyArena();
//   const chunk = a.put(reply)            → chunk id; the octets are at a.offset (read right after)
//   a.view(chunk, offset, length)         → the stored octets (a view, no copy)
//   a.release(chunk)                      one reply of that chunk is no longer needed
//
// Chunks are append-only: octets once written are never overwritten, so a view handed out stays
// valid (it keeps its chunk's buffer alive) after the chunk is released. A chunk is dropped when its
// last reply is released. Replies are written in completion order and the cache drops them in
// expiry order — the same order — so chunks free from the oldest; a reply released out of order
// (a request whose Identifier was reused) leaves a hole until its chunk's other replies expire, at
// most one cache lifetime later. Memory: the live replies' octets plus at most one lifetime of holes.

/** Chunk size: ~1,000 typical replies; a RADIUS packet is at most 4096 octets (RFC 2865 §3). */
const CHUNK_BYTES = 64 * 1024;

interface Chunk {
  bytes: Uint8Array;
  live: number;
}

export class ReplyArena {
  private readonly chunks = new Map<number, Chunk>();
  private cur: Chunk | null = null;
  private curId = -1;
  private pos = 0;
  /** Where the octets of the last put() start. */
  offset = 0;

  /** Octets held by chunks (live replies and holes). */
  get bytes(): number {
    return this.chunks.size * CHUNK_BYTES;
  }

  put(reply: Uint8Array): number {
    let c = this.cur;
    if (c === null || this.pos + reply.length > c.bytes.length) {
      if (c !== null && c.live === 0) this.chunks.delete(this.curId);
      c = { bytes: new Uint8Array(Math.max(CHUNK_BYTES, reply.length)), live: 0 };
      this.cur = c;
      this.curId++;
      this.pos = 0;
      this.chunks.set(this.curId, c);
    }
    c.bytes.set(reply, this.pos);
    this.offset = this.pos;
    this.pos += reply.length;
    c.live++;
    return this.curId;
  }

  view(chunk: number, offset: number, length: number): Uint8Array {
    // A chunk is in the map while a reply in it is live; callers only view live replies.
    return this.chunks.get(chunk)!.bytes.subarray(offset, offset + length);
  }

  release(chunk: number): void {
    const c = this.chunks.get(chunk);
    if (c === undefined) return;
    c.live--;
    // The chunk being filled stays: the next put() writes on in it.
    if (c.live <= 0 && c !== this.cur) this.chunks.delete(chunk);
  }

  clear(): void {
    this.chunks.clear();
    this.cur = null;
    this.pos = 0;
  }
}
