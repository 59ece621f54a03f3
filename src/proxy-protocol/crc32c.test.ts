import { describe, expect, test } from "bun:test";
import { utf8 } from "../lib/bytes.ts";
import { CRC32C_INIT, crc32c, crc32cFinal, crc32cUpdate, crc32cUpdateZeros } from "./crc32c.ts";

describe("crc32c published vectors", () => {
  test('check value of the Castagnoli CRC: "123456789" → 0xE3069283', () => {
    expect(crc32c(utf8("123456789"))).toBe(0xe3069283);
  });

  // RFC 3720 Appendix B.4 lists the CRC bytes in wire order (little-endian): "aa 36 91 8a" etc.
  test("RFC 3720 B.4: 32 bytes of zeros → 0x8A9136AA", () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
  });
  test("RFC 3720 B.4: 32 bytes of 0xFF → 0x62A8AB43", () => {
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
  });
  test("RFC 3720 B.4: 32 incrementing bytes 00..1f → 0x46DD794E", () => {
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
  });
  test("RFC 3720 B.4: 32 decrementing bytes 1f..00 → 0x113FDB5C", () => {
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
  });
  test("RFC 3720 B.4: iSCSI SCSI Read (10) command PDU → 0xD9963A56", () => {
    const pdu = new Uint8Array([
      0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00,
      0x00, 0x18, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00,
    ]);
    expect(crc32c(pdu)).toBe(0xd9963a56);
  });
  test("empty input → 0", () => {
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });
});

describe("crc32c incremental use", () => {
  test("splitting the input at every offset gives the same CRC", () => {
    const msg = utf8("The quick brown fox jumps over the lazy dog");
    const whole = crc32c(msg);
    expect(whole).toBe(0x22620404);
    for (let i = 0; i <= msg.length; i++) {
      const r = crc32cUpdate(crc32cUpdate(CRC32C_INIT, msg.subarray(0, i)), msg.subarray(i));
      expect(crc32cFinal(r)).toBe(whole);
    }
  });
  test("crc32cUpdateZeros equals feeding zero bytes", () => {
    const head = utf8("abc");
    const viaZeros = crc32cFinal(crc32cUpdateZeros(crc32cUpdate(CRC32C_INIT, head), 7));
    const viaBytes = crc32c(new Uint8Array([...head, 0, 0, 0, 0, 0, 0, 0]));
    expect(viaZeros).toBe(viaBytes);
  });
});
