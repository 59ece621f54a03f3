// Incremental framing of a TACACS+ TCP byte stream (DESIGN.md rule 3).
//
//   const f = new Framer({ maxBodyLength });   // the transport passes its configured limit
//   f.push(chunk);
//   for (let r = f.next(); r.ok && r.value !== null; r = f.next()) handle(r.value);
//
// next() returns ok(null) when more bytes are needed (normal), ok(frame) for each whole packet, or
// an error. Errors are final: a stream that lost its framing cannot be resynchronised, so every
// later next() repeats the error and the connection should be closed. A bad major version is
// reported from the first byte; a too-long body is reported from the header, before any of the body
// is buffered, so a peer cannot make us hold more than one maximum-size packet.
// The body in a frame is still obfuscated; packet.ts decodes it with the peer's key.
//
// Buffering: one growable buffer with read/write offsets. Consumed bytes are dropped by moving the
// (short) unread tail to the front only when the buffer is full, so each byte is copied a bounded
// number of times however the stream is split: no O(n²) re-concatenation.
import { err, ok, type Result } from "../../lib/result.ts";
import { decodeHeader, HEADER_LENGTH, type Header } from "./header.ts";

/** Default cap on a body. Real packets are a few hundred bytes; 64 KiB leaves room for long arg lists. */
export const DEFAULT_MAX_BODY_LENGTH = 65536;

export interface Frame {
  header: Header;
  /** header.length bytes, still obfuscated unless header.flags has UNENCRYPTED. */
  body: Uint8Array;
  /** The whole packet as received (header ‖ body); body is a view into it. */
  raw: Uint8Array;
}

export type FramerError = "tacacs/bad-major-version" | "tacacs/body-too-long";

export class Framer {
  private buf: Uint8Array;
  private start = 0;
  private end = 0;
  private failed: { code: FramerError; detail?: string } | null = null;
  readonly maxBodyLength: number;

  constructor(options: { maxBodyLength: number }) {
    if (!Number.isInteger(options.maxBodyLength) || options.maxBodyLength < 0) {
      throw new RangeError(
        `maxBodyLength must be a non-negative integer: ${options.maxBodyLength}`,
      );
    }
    this.maxBodyLength = options.maxBodyLength;
    this.buf = new Uint8Array(4096);
  }

  /** Bytes received but not yet returned as frames. */
  get buffered(): number {
    return this.end - this.start;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0 || this.failed !== null) return;
    if (this.end + chunk.length > this.buf.length) {
      const unread = this.end - this.start;
      if (unread + chunk.length <= this.buf.length) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        let size = this.buf.length * 2;
        while (size < unread + chunk.length) size *= 2;
        const next = new Uint8Array(size);
        next.set(this.buf.subarray(this.start, this.end));
        this.buf = next;
      }
      this.start = 0;
      this.end = unread;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  next(): Result<Frame | null, FramerError> {
    if (this.failed !== null) return err(this.failed.code, this.failed.detail);
    const available = this.end - this.start;
    if (available === 0) return ok(null);
    const h = decodeHeader(this.buf.subarray(this.start, this.end));
    if (!h.ok) {
      if (h.code === "tacacs/short-header") return ok(null);
      return this.fail(h.code, h.detail);
    }
    const header = h.value;
    if (header.length > this.maxBodyLength) {
      return this.fail(
        "tacacs/body-too-long",
        `body length ${header.length} > ${this.maxBodyLength}`,
      );
    }
    const total = HEADER_LENGTH + header.length;
    if (available < total) return ok(null);
    const raw = this.buf.slice(this.start, this.start + total);
    this.start += total;
    if (this.start === this.end) this.start = this.end = 0;
    return ok({ header, body: raw.subarray(HEADER_LENGTH), raw });
  }

  private fail(code: FramerError, detail?: string): Result<never, FramerError> {
    this.failed = detail === undefined ? { code } : { code, detail };
    this.start = this.end = 0;
    return err(code, detail);
  }
}
