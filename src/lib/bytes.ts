// Bounds-checked reading and writing of wire bytes. Every codec reads through Reader so that
// a length taken from the wire can never index past the buffer (DESIGN.md rule 2).

export class Reader {
  private pos = 0;
  constructor(readonly buf: Uint8Array) {}

  get offset(): number {
    return this.pos;
  }
  get remaining(): number {
    return this.buf.length - this.pos;
  }
  has(n: number): boolean {
    return n >= 0 && this.pos + n <= this.buf.length;
  }
  /** Returns undefined when fewer than 1 byte remain. */
  u8(): number | undefined {
    if (this.pos + 1 > this.buf.length) return undefined;
    return this.buf[this.pos++];
  }
  u16(): number | undefined {
    if (this.pos + 2 > this.buf.length) return undefined;
    const b = this.buf;
    const v = (b[this.pos]! << 8) | b[this.pos + 1]!;
    this.pos += 2;
    return v;
  }
  u32(): number | undefined {
    if (this.pos + 4 > this.buf.length) return undefined;
    const v = readU32(this.buf, this.pos);
    this.pos += 4;
    return v;
  }
  /** A view (no copy) of the next n bytes, or undefined if they are not all there. */
  bytes(n: number): Uint8Array | undefined {
    if (n < 0 || this.pos + n > this.buf.length) return undefined;
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  advance(n: number): boolean {
    if (n < 0 || this.pos + n > this.buf.length) return false;
    this.pos += n;
    return true;
  }
}

/** Growable big-endian writer. */
export class Writer {
  private buf: Uint8Array;
  private pos = 0;
  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
  }
  get length(): number {
    return this.pos;
  }
  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
  u8(v: number): this {
    this.reserve(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }
  u16(v: number): this {
    this.reserve(2);
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    this.buf[this.pos++] = v & 0xff;
    return this;
  }
  u32(v: number): this {
    this.reserve(4);
    this.buf[this.pos++] = (v >>> 24) & 0xff;
    this.buf[this.pos++] = (v >>> 16) & 0xff;
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    this.buf[this.pos++] = v & 0xff;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }
  /** Overwrite a u16 already written (for length fields filled in last). */
  patchU16(at: number, v: number): void {
    if (at + 2 > this.pos) throw new RangeError("patchU16 beyond written bytes");
    this.buf[at] = (v >>> 8) & 0xff;
    this.buf[at + 1] = v & 0xff;
  }
  patchU32(at: number, v: number): void {
    if (at + 4 > this.pos) throw new RangeError("patchU32 beyond written bytes");
    this.buf[at] = (v >>> 24) & 0xff;
    this.buf[at + 1] = (v >>> 16) & 0xff;
    this.buf[at + 2] = (v >>> 8) & 0xff;
    this.buf[at + 3] = v & 0xff;
  }
  /** A copy of the written bytes. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });
export const utf8 = (s: string): Uint8Array => encoder.encode(s);

/** Unsigned big-endian 32-bit integer at b[at] (network order: RADIUS integers, vendor ids, IPv4). */
export const readU32 = (b: Uint8Array, at: number): number =>
  ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
export const fromUtf8 = (b: Uint8Array): string => decoder.decode(b);

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}
export function fromHex(s: string): Uint8Array {
  const clean = s.replace(/[\s:]/g, "");
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error(`bad hex: ${s}`);
  return new Uint8Array(Buffer.from(clean, "hex"));
}

/** Constant-time: a equals b[at, at + a.length) (no view of b needed). */
export function timingSafeEqualAt(a: Uint8Array, b: Uint8Array, at: number): boolean {
  if (at < 0 || at + a.length > b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[at + i]!;
  return d === 0;
}

/** Constant-time equality for secrets and authenticators (length is not secret). */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
