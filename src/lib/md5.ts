// MD5 (RFC 1321) and HMAC-MD5 (RFC 2104) in plain TypeScript, for the RADIUS hot path.
//
//   const h = new Md5(); h.update(a).update(b, 4, 20); h.digestInto(out, 4);   // no allocation
//   const k = hmacMd5Key(secret);   // per secret, cached: the pad blocks are hashed once
//   k.start().update(pkt); k.finish(out, 0)     → HMAC-MD5(secret, pkt) into out[0, 16)
//   md5(a, b?) / hmacMd5(key, data)              one-shot helpers returning a fresh Uint8Array
//
// Why not node:crypto: every RADIUS request needs four to six MD5/HMAC computations over a few
// dozen octets (Message-Authenticator check and signature, User-Password, Response Authenticator).
// createHash/createHmac allocate a native object and a Buffer per call and cross into C++ for each
// update; that was ~30 % of the server's CPU per request. This JIT-compiled version hashes from the
// caller's bytes with ranges (no subarray views), reuses its state, and an HMAC key keeps the
// states after its ipad/opad blocks so each HMAC costs one block fewer on each side.
// MD5 is used only where the RADIUS RFCs require it; it is not a general-purpose hash here.

const INIT = [0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476];

export class Md5 {
  /** The state words; HmacMd5Key finishes from them without a second pass through bytes. */
  readonly h = new Int32Array(4);
  /** Partial block carried between update() calls. */
  private readonly buf = new Uint8Array(64);
  private bufLen = 0;
  /** Bytes hashed so far (a RADIUS packet is at most 4096, so a double is exact). */
  private total = 0;

  constructor() {
    this.reset();
  }

  reset(): this {
    this.h[0] = INIT[0]!;
    this.h[1] = INIT[1]!;
    this.h[2] = INIT[2]!;
    this.h[3] = INIT[3]!;
    this.bufLen = 0;
    this.total = 0;
    return this;
  }

  /** Continue from another hash's state (HMAC keys keep theirs after the pad block). */
  copyFrom(o: Md5): this {
    // By hand: TypedArray.set() is a native call, and this runs four times per Access-Request.
    const h = this.h;
    const oh = o.h;
    h[0] = oh[0]!;
    h[1] = oh[1]!;
    h[2] = oh[2]!;
    h[3] = oh[3]!;
    for (let i = 0; i < o.bufLen; i++) this.buf[i] = o.buf[i]!;
    this.bufLen = o.bufLen;
    this.total = o.total;
    return this;
  }

  /** Hash data[start, end). */
  update(data: Uint8Array, start = 0, end = data.length): this {
    if (start < 0 || end > data.length || start > end)
      throw new RangeError(`md5 update range [${start}, ${end}) of ${data.length}`);
    this.total += end - start;
    let i = start;
    const buf = this.buf;
    let n = this.bufLen;
    if (n > 0) {
      const take = Math.min(64 - n, end - i);
      for (let j = 0; j < take; j++) buf[n + j] = data[i + j]!;
      i += take;
      n += take;
      if (n < 64) {
        this.bufLen = n;
        return this;
      }
      compress(this.h, buf, 0);
      n = 0;
    }
    for (; i + 64 <= end; i += 64) compress(this.h, data, i);
    // Counted from 0, not `for (; i < end; i++) buf[n++] = data[i]`: with `end` from the default
    // parameter JSC compiled that form ~7× slower (4.5 ns a byte, measured, Bun 1.4.5).
    const rest = end - i;
    for (let j = 0; j < rest; j++) buf[n + j] = data[i + j]!;
    this.bufLen = n + rest;
    return this;
  }

  /** Finish into out[at, at + 16); the hash must be reset() or copyFrom()'d before reuse. */
  digestInto(out: Uint8Array, at = 0): void {
    const bits = this.total * 8;
    const buf = this.buf;
    let n = this.bufLen;
    buf[n++] = 0x80;
    if (n > 56) {
      while (n < 64) buf[n++] = 0;
      compress(this.h, buf, 0);
      n = 0;
    }
    while (n < 56) buf[n++] = 0;
    // Length in bits, little-endian 64-bit (the high word is 0 below 512 MiB).
    const lo = bits >>> 0;
    const hi = Math.floor(bits / 2 ** 32) >>> 0;
    buf[56] = lo;
    buf[57] = lo >>> 8;
    buf[58] = lo >>> 16;
    buf[59] = lo >>> 24;
    buf[60] = hi;
    buf[61] = hi >>> 8;
    buf[62] = hi >>> 16;
    buf[63] = hi >>> 24;
    compress(this.h, buf, 0);
    stateInto(this.h, out, at);
  }

  digest(): Uint8Array {
    const out = new Uint8Array(16);
    this.digestInto(out, 0);
    return out;
  }
}

/** The state words as the 16-octet digest (little-endian words, RFC 1321 §3.5) at out[at]. */
function stateInto(h: Int32Array, out: Uint8Array, at: number): void {
  for (let j = 0; j < 4; j++) {
    const v = h[j]!;
    out[at + 4 * j] = v;
    out[at + 4 * j + 1] = v >>> 8;
    out[at + 4 * j + 2] = v >>> 16;
    out[at + 4 * j + 3] = v >>> 24;
  }
}

/**
 * One 64-octet block at d[o] into h (RFC 1321 §3.4), fully unrolled: the per-step shift, constant
 * and message word are literals, so the JIT keeps a, b, c, d and the sixteen words in registers
 * (a table-driven loop measured 2× slower). Generated, not hand-typed: step i uses
 * K[i] = floor(|sin(i + 1)| · 2^32) and the word/shift schedule of RFC 1321.
 */
function compress(h: Int32Array, d: Uint8Array, o: number): void {
  const w0 = d[o + 0]! | (d[o + 1]! << 8) | (d[o + 2]! << 16) | (d[o + 3]! << 24);
  const w1 = d[o + 4]! | (d[o + 5]! << 8) | (d[o + 6]! << 16) | (d[o + 7]! << 24);
  const w2 = d[o + 8]! | (d[o + 9]! << 8) | (d[o + 10]! << 16) | (d[o + 11]! << 24);
  const w3 = d[o + 12]! | (d[o + 13]! << 8) | (d[o + 14]! << 16) | (d[o + 15]! << 24);
  const w4 = d[o + 16]! | (d[o + 17]! << 8) | (d[o + 18]! << 16) | (d[o + 19]! << 24);
  const w5 = d[o + 20]! | (d[o + 21]! << 8) | (d[o + 22]! << 16) | (d[o + 23]! << 24);
  const w6 = d[o + 24]! | (d[o + 25]! << 8) | (d[o + 26]! << 16) | (d[o + 27]! << 24);
  const w7 = d[o + 28]! | (d[o + 29]! << 8) | (d[o + 30]! << 16) | (d[o + 31]! << 24);
  const w8 = d[o + 32]! | (d[o + 33]! << 8) | (d[o + 34]! << 16) | (d[o + 35]! << 24);
  const w9 = d[o + 36]! | (d[o + 37]! << 8) | (d[o + 38]! << 16) | (d[o + 39]! << 24);
  const w10 = d[o + 40]! | (d[o + 41]! << 8) | (d[o + 42]! << 16) | (d[o + 43]! << 24);
  const w11 = d[o + 44]! | (d[o + 45]! << 8) | (d[o + 46]! << 16) | (d[o + 47]! << 24);
  const w12 = d[o + 48]! | (d[o + 49]! << 8) | (d[o + 50]! << 16) | (d[o + 51]! << 24);
  const w13 = d[o + 52]! | (d[o + 53]! << 8) | (d[o + 54]! << 16) | (d[o + 55]! << 24);
  const w14 = d[o + 56]! | (d[o + 57]! << 8) | (d[o + 58]! << 16) | (d[o + 59]! << 24);
  const w15 = d[o + 60]! | (d[o + 61]! << 8) | (d[o + 62]! << 16) | (d[o + 63]! << 24);
  let a = h[0]!;
  let b = h[1]!;
  let c = h[2]!;
  let d_ = h[3]!;
  let t: number;
  t = (a + ((b & c) | (~b & d_)) + -680876936 + w0) | 0;
  a = (b + ((t << 7) | (t >>> 25))) | 0;
  t = (d_ + ((a & b) | (~a & c)) + -389564586 + w1) | 0;
  d_ = (a + ((t << 12) | (t >>> 20))) | 0;
  t = (c + ((d_ & a) | (~d_ & b)) + 606105819 + w2) | 0;
  c = (d_ + ((t << 17) | (t >>> 15))) | 0;
  t = (b + ((c & d_) | (~c & a)) + -1044525330 + w3) | 0;
  b = (c + ((t << 22) | (t >>> 10))) | 0;
  t = (a + ((b & c) | (~b & d_)) + -176418897 + w4) | 0;
  a = (b + ((t << 7) | (t >>> 25))) | 0;
  t = (d_ + ((a & b) | (~a & c)) + 1200080426 + w5) | 0;
  d_ = (a + ((t << 12) | (t >>> 20))) | 0;
  t = (c + ((d_ & a) | (~d_ & b)) + -1473231341 + w6) | 0;
  c = (d_ + ((t << 17) | (t >>> 15))) | 0;
  t = (b + ((c & d_) | (~c & a)) + -45705983 + w7) | 0;
  b = (c + ((t << 22) | (t >>> 10))) | 0;
  t = (a + ((b & c) | (~b & d_)) + 1770035416 + w8) | 0;
  a = (b + ((t << 7) | (t >>> 25))) | 0;
  t = (d_ + ((a & b) | (~a & c)) + -1958414417 + w9) | 0;
  d_ = (a + ((t << 12) | (t >>> 20))) | 0;
  t = (c + ((d_ & a) | (~d_ & b)) + -42063 + w10) | 0;
  c = (d_ + ((t << 17) | (t >>> 15))) | 0;
  t = (b + ((c & d_) | (~c & a)) + -1990404162 + w11) | 0;
  b = (c + ((t << 22) | (t >>> 10))) | 0;
  t = (a + ((b & c) | (~b & d_)) + 1804603682 + w12) | 0;
  a = (b + ((t << 7) | (t >>> 25))) | 0;
  t = (d_ + ((a & b) | (~a & c)) + -40341101 + w13) | 0;
  d_ = (a + ((t << 12) | (t >>> 20))) | 0;
  t = (c + ((d_ & a) | (~d_ & b)) + -1502002290 + w14) | 0;
  c = (d_ + ((t << 17) | (t >>> 15))) | 0;
  t = (b + ((c & d_) | (~c & a)) + 1236535329 + w15) | 0;
  b = (c + ((t << 22) | (t >>> 10))) | 0;
  t = (a + ((d_ & b) | (~d_ & c)) + -165796510 + w1) | 0;
  a = (b + ((t << 5) | (t >>> 27))) | 0;
  t = (d_ + ((c & a) | (~c & b)) + -1069501632 + w6) | 0;
  d_ = (a + ((t << 9) | (t >>> 23))) | 0;
  t = (c + ((b & d_) | (~b & a)) + 643717713 + w11) | 0;
  c = (d_ + ((t << 14) | (t >>> 18))) | 0;
  t = (b + ((a & c) | (~a & d_)) + -373897302 + w0) | 0;
  b = (c + ((t << 20) | (t >>> 12))) | 0;
  t = (a + ((d_ & b) | (~d_ & c)) + -701558691 + w5) | 0;
  a = (b + ((t << 5) | (t >>> 27))) | 0;
  t = (d_ + ((c & a) | (~c & b)) + 38016083 + w10) | 0;
  d_ = (a + ((t << 9) | (t >>> 23))) | 0;
  t = (c + ((b & d_) | (~b & a)) + -660478335 + w15) | 0;
  c = (d_ + ((t << 14) | (t >>> 18))) | 0;
  t = (b + ((a & c) | (~a & d_)) + -405537848 + w4) | 0;
  b = (c + ((t << 20) | (t >>> 12))) | 0;
  t = (a + ((d_ & b) | (~d_ & c)) + 568446438 + w9) | 0;
  a = (b + ((t << 5) | (t >>> 27))) | 0;
  t = (d_ + ((c & a) | (~c & b)) + -1019803690 + w14) | 0;
  d_ = (a + ((t << 9) | (t >>> 23))) | 0;
  t = (c + ((b & d_) | (~b & a)) + -187363961 + w3) | 0;
  c = (d_ + ((t << 14) | (t >>> 18))) | 0;
  t = (b + ((a & c) | (~a & d_)) + 1163531501 + w8) | 0;
  b = (c + ((t << 20) | (t >>> 12))) | 0;
  t = (a + ((d_ & b) | (~d_ & c)) + -1444681467 + w13) | 0;
  a = (b + ((t << 5) | (t >>> 27))) | 0;
  t = (d_ + ((c & a) | (~c & b)) + -51403784 + w2) | 0;
  d_ = (a + ((t << 9) | (t >>> 23))) | 0;
  t = (c + ((b & d_) | (~b & a)) + 1735328473 + w7) | 0;
  c = (d_ + ((t << 14) | (t >>> 18))) | 0;
  t = (b + ((a & c) | (~a & d_)) + -1926607734 + w12) | 0;
  b = (c + ((t << 20) | (t >>> 12))) | 0;
  t = (a + (b ^ c ^ d_) + -378558 + w5) | 0;
  a = (b + ((t << 4) | (t >>> 28))) | 0;
  t = (d_ + (a ^ b ^ c) + -2022574463 + w8) | 0;
  d_ = (a + ((t << 11) | (t >>> 21))) | 0;
  t = (c + (d_ ^ a ^ b) + 1839030562 + w11) | 0;
  c = (d_ + ((t << 16) | (t >>> 16))) | 0;
  t = (b + (c ^ d_ ^ a) + -35309556 + w14) | 0;
  b = (c + ((t << 23) | (t >>> 9))) | 0;
  t = (a + (b ^ c ^ d_) + -1530992060 + w1) | 0;
  a = (b + ((t << 4) | (t >>> 28))) | 0;
  t = (d_ + (a ^ b ^ c) + 1272893353 + w4) | 0;
  d_ = (a + ((t << 11) | (t >>> 21))) | 0;
  t = (c + (d_ ^ a ^ b) + -155497632 + w7) | 0;
  c = (d_ + ((t << 16) | (t >>> 16))) | 0;
  t = (b + (c ^ d_ ^ a) + -1094730640 + w10) | 0;
  b = (c + ((t << 23) | (t >>> 9))) | 0;
  t = (a + (b ^ c ^ d_) + 681279174 + w13) | 0;
  a = (b + ((t << 4) | (t >>> 28))) | 0;
  t = (d_ + (a ^ b ^ c) + -358537222 + w0) | 0;
  d_ = (a + ((t << 11) | (t >>> 21))) | 0;
  t = (c + (d_ ^ a ^ b) + -722521979 + w3) | 0;
  c = (d_ + ((t << 16) | (t >>> 16))) | 0;
  t = (b + (c ^ d_ ^ a) + 76029189 + w6) | 0;
  b = (c + ((t << 23) | (t >>> 9))) | 0;
  t = (a + (b ^ c ^ d_) + -640364487 + w9) | 0;
  a = (b + ((t << 4) | (t >>> 28))) | 0;
  t = (d_ + (a ^ b ^ c) + -421815835 + w12) | 0;
  d_ = (a + ((t << 11) | (t >>> 21))) | 0;
  t = (c + (d_ ^ a ^ b) + 530742520 + w15) | 0;
  c = (d_ + ((t << 16) | (t >>> 16))) | 0;
  t = (b + (c ^ d_ ^ a) + -995338651 + w2) | 0;
  b = (c + ((t << 23) | (t >>> 9))) | 0;
  t = (a + (c ^ (b | ~d_)) + -198630844 + w0) | 0;
  a = (b + ((t << 6) | (t >>> 26))) | 0;
  t = (d_ + (b ^ (a | ~c)) + 1126891415 + w7) | 0;
  d_ = (a + ((t << 10) | (t >>> 22))) | 0;
  t = (c + (a ^ (d_ | ~b)) + -1416354905 + w14) | 0;
  c = (d_ + ((t << 15) | (t >>> 17))) | 0;
  t = (b + (d_ ^ (c | ~a)) + -57434055 + w5) | 0;
  b = (c + ((t << 21) | (t >>> 11))) | 0;
  t = (a + (c ^ (b | ~d_)) + 1700485571 + w12) | 0;
  a = (b + ((t << 6) | (t >>> 26))) | 0;
  t = (d_ + (b ^ (a | ~c)) + -1894986606 + w3) | 0;
  d_ = (a + ((t << 10) | (t >>> 22))) | 0;
  t = (c + (a ^ (d_ | ~b)) + -1051523 + w10) | 0;
  c = (d_ + ((t << 15) | (t >>> 17))) | 0;
  t = (b + (d_ ^ (c | ~a)) + -2054922799 + w1) | 0;
  b = (c + ((t << 21) | (t >>> 11))) | 0;
  t = (a + (c ^ (b | ~d_)) + 1873313359 + w8) | 0;
  a = (b + ((t << 6) | (t >>> 26))) | 0;
  t = (d_ + (b ^ (a | ~c)) + -30611744 + w15) | 0;
  d_ = (a + ((t << 10) | (t >>> 22))) | 0;
  t = (c + (a ^ (d_ | ~b)) + -1560198380 + w6) | 0;
  c = (d_ + ((t << 15) | (t >>> 17))) | 0;
  t = (b + (d_ ^ (c | ~a)) + 1309151649 + w13) | 0;
  b = (c + ((t << 21) | (t >>> 11))) | 0;
  t = (a + (c ^ (b | ~d_)) + -145523070 + w4) | 0;
  a = (b + ((t << 6) | (t >>> 26))) | 0;
  t = (d_ + (b ^ (a | ~c)) + -1120210379 + w11) | 0;
  d_ = (a + ((t << 10) | (t >>> 22))) | 0;
  t = (c + (a ^ (d_ | ~b)) + 718787259 + w2) | 0;
  c = (d_ + ((t << 15) | (t >>> 17))) | 0;
  t = (b + (d_ ^ (c | ~a)) + -343485551 + w9) | 0;
  b = (c + ((t << 21) | (t >>> 11))) | 0;

  h[0] = (h[0]! + a) | 0;
  h[1] = (h[1]! + b) | 0;
  h[2] = (h[2]! + c) | 0;
  h[3] = (h[3]! + d_) | 0;
}

/** The outer hash's one block: the inner digest (octets 0-15), then padding for 64 + 16 octets. */
const OUTER = new Uint8Array(64);
OUTER[16] = 0x80;
OUTER[56] = ((64 + 16) * 8) & 0xff;
OUTER[57] = ((64 + 16) * 8) >> 8;

/** An HMAC-MD5 key with its padded blocks already hashed (RFC 2104 §4, "precomputations"). */
export class HmacMd5Key {
  private readonly inner = new Md5();
  private readonly outer = new Md5();
  private readonly work = new Md5();
  private readonly outH = new Int32Array(4);

  constructor(key: Uint8Array) {
    // RFC 2104 §2: keys longer than the block are hashed first.
    const k = key.length > 64 ? new Md5().update(key).digest() : key;
    const pad = new Uint8Array(64);
    pad.set(k);
    for (let i = 0; i < 64; i++) pad[i]! ^= 0x36;
    this.inner.update(pad);
    for (let i = 0; i < 64; i++) pad[i]! ^= 0x36 ^ 0x5c;
    this.outer.update(pad);
  }

  /** A hash primed with K ^ ipad; update() it with the message, then finish() it. */
  start(): Md5 {
    return this.work.copyFrom(this.inner);
  }

  /** Completes the HMAC begun with start() into out[at, at + 16). */
  finish(out: Uint8Array, at = 0): void {
    // The outer hash is a single block of fixed shape: the inner digest, written straight into
    // it, then constant padding. No buffering, no padding loop.
    this.work.digestInto(OUTER, 0);
    const h = this.outH;
    const oh = this.outer.h;
    h[0] = oh[0]!;
    h[1] = oh[1]!;
    h[2] = oh[2]!;
    h[3] = oh[3]!;
    compress(h, OUTER, 0);
    stateInto(h, out, at);
  }
}

/** Keys are cached per secret byte array; callers convert a secret to bytes once and reuse it. */
const keys = new WeakMap<Uint8Array, HmacMd5Key>();

export function hmacMd5Key(secret: Uint8Array): HmacMd5Key {
  let k = keys.get(secret);
  if (k === undefined) {
    k = new HmacMd5Key(secret);
    keys.set(secret, k);
  }
  return k;
}

const shared = new Md5();

/** MD5(a ‖ b). */
export function md5(a: Uint8Array, b?: Uint8Array): Uint8Array {
  shared.reset().update(a);
  if (b !== undefined) shared.update(b);
  return shared.digest();
}

/** MD5(a ‖ b) into out[at, at + 16); out may be a or b (written after both were hashed). */
export function md5Into(a: Uint8Array, b: Uint8Array, out: Uint8Array, at: number): void {
  shared.reset().update(a).update(b).digestInto(out, at);
}

/** HMAC-MD5(key, data) into out[at, at + 16); out may be data (written after it was hashed). */
export function hmacMd5Into(key: Uint8Array, data: Uint8Array, out: Uint8Array, at: number): void {
  const k = hmacMd5Key(key);
  k.start().update(data);
  k.finish(out, at);
}

/** HMAC-MD5(key, data) into a fresh 16-octet array. */
export function hmacMd5(key: Uint8Array, data: Uint8Array): Uint8Array {
  const k = hmacMd5Key(key);
  k.start().update(data);
  const out = new Uint8Array(16);
  k.finish(out, 0);
  return out;
}
