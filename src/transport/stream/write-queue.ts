// Replies a peer has not read yet. TCP writes can be partial (socket.write returns the bytes taken,
// -1 once closed): the unwritten tail waits here and is flushed on drain, in order.
//
// A client that keeps sending and never reads would grow the queue without end (each request also
// pushes its idle deadline back), ~200 MB in 4 s in the review that found it: past the bound the
// connection is dropped and counted (write_backlog).

/**
 * Unread reply bytes one connection may hold. Replies are small (a TACACS+ AUTHOR RESPONSE with many
 * AV pairs is a few KiB) and a device reads each before its next request, so 1 MiB is hundreds of
 * replies behind: only a peer that does not read gets there.
 */
export const MAX_WRITE_BACKLOG = 1 << 20;

export interface Writable {
  write(bytes: Uint8Array): number;
}

export type WriteResult = "ok" | "closed" | "overflow";

export class WriteQueue {
  private parts: Uint8Array[] = [];
  /** Bytes waiting in `parts`. */
  private bytes = 0;

  get empty(): boolean {
    return this.parts.length === 0;
  }

  /** Bytes waiting (for the write_backlog log line). */
  get size(): number {
    return this.bytes;
  }

  write(socket: Writable, bytes: Uint8Array): WriteResult {
    if (this.parts.length > 0) return this.push(bytes);
    const n = socket.write(bytes);
    if (n < 0) return "closed";
    return n < bytes.length ? this.push(bytes.subarray(n)) : "ok";
  }

  /** On drain: "ok" when everything is written, else still waiting ("ok" too) or "closed". */
  flush(socket: Writable): "ok" | "closed" {
    while (this.parts.length > 0) {
      const b = this.parts[0]!;
      const n = socket.write(b);
      if (n < 0) return "closed";
      this.bytes -= n;
      if (n < b.length) {
        this.parts[0] = b.subarray(n);
        return "ok";
      }
      this.parts.shift();
    }
    return "ok";
  }

  clear(): void {
    // Setting .length on an (almost always) empty array costs more than the check, per connection.
    if (this.parts.length !== 0) this.parts = [];
    this.bytes = 0;
  }

  private push(bytes: Uint8Array): WriteResult {
    this.bytes += bytes.length;
    if (this.bytes > MAX_WRITE_BACKLOG) return "overflow";
    this.parts.push(bytes);
    return "ok";
  }
}
