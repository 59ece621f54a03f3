// CRC32C (Castagnoli), as used by the PROXY v2 PP2_TYPE_CRC32C TLV (proxy-protocol.txt §2.2.5).
// Reflected polynomial 0x82F63B78 (0x1EDC6F41 bit-reversed), initial value 0xFFFFFFFF, final XOR
// 0xFFFFFFFF: the iSCSI CRC of RFC 3720 §12.1 / Appendix B.4. Table-driven, one byte per step;
// a PROXY header is at most a few KiB, so slicing-by-8 would buy nothing here.

const POLY_REFLECTED = 0x82f63b78;

const TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY_REFLECTED : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** The register value before any byte is fed (pre-inverted initial value). */
export const CRC32C_INIT = 0xffffffff;

/**
 * Feed bytes into a running (non-finalised) CRC register. Start from CRC32C_INIT and finish with
 * crc32cFinal. Splitting a message across several calls gives the same result as one call.
 */
export function crc32cUpdate(register: number, bytes: Uint8Array): number {
  let c = register >>> 0;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return c >>> 0;
}

/** Feed n zero bytes (the CRC field itself is zeroed while the checksum is computed). */
export function crc32cUpdateZeros(register: number, n: number): number {
  let c = register >>> 0;
  for (let i = 0; i < n; i++) c = TABLE[c & 0xff]! ^ (c >>> 8);
  return c >>> 0;
}

export function crc32cFinal(register: number): number {
  return (register ^ 0xffffffff) >>> 0;
}

/** CRC32C of a whole message, as an unsigned 32-bit number. */
export function crc32c(bytes: Uint8Array): number {
  return crc32cFinal(crc32cUpdate(CRC32C_INIT, bytes));
}
