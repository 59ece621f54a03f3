import { describe, expect, test } from "bun:test";
import { fromHex, hex } from "../../lib/bytes.ts";
import { decodeHeader, encodeHeader, HEADER_LENGTH, HeaderFlag, PacketType } from "./header.ts";

describe("TACACS+ header (§4.1)", () => {
  test("decodes the published PAP START header and re-encodes it exactly", () => {
    // FreeRADIUS tacacs base.txt capture: c1 01 01 00 b7 0f c8 0e 00 00 00 22
    const bytes = fromHex("c1010100b70fc80e00000022");
    const r = decodeHeader(bytes);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toEqual({
      majorVersion: 0xc,
      minorVersion: 1,
      type: PacketType.AUTHEN,
      seqNo: 1,
      flags: 0,
      sessionId: 0xb70fc80e,
      length: 34,
    });
    expect(hex(encodeHeader(r.value))).toBe(hex(bytes));
  });

  test("keeps unknown flag bits and reads only the first 12 bytes", () => {
    const bytes = fromHex("c00302f5ffffffff0001000099");
    const r = decodeHeader(bytes);
    if (!r.ok) throw new Error(r.code);
    expect(r.value.flags).toBe(0xf5);
    expect(r.value.flags & HeaderFlag.UNENCRYPTED).toBe(1);
    expect(r.value.flags & HeaderFlag.SINGLE_CONNECT).toBe(4);
    expect(r.value.sessionId).toBe(0xffffffff);
    expect(r.value.length).toBe(0x00010000);
    expect(hex(encodeHeader(r.value))).toBe(hex(bytes.subarray(0, HEADER_LENGTH)));
  });

  test("unknown type and minor version are decoded as numbers (packet.ts refuses them)", () => {
    const r = decodeHeader(fromHex("c70901000000000100000000"));
    if (!r.ok) throw new Error(r.code);
    expect(r.value.minorVersion).toBe(7);
    expect(r.value.type).toBe(9);
  });

  test("refuses a short header at every length 0..11", () => {
    const full = fromHex("c0010100000000010000000a");
    for (let n = 0; n < HEADER_LENGTH; n++) {
      const r = decodeHeader(full.subarray(0, n));
      expect(r.ok ? "ok" : r.code).toBe("tacacs/short-header");
    }
  });

  test("refuses a major version other than 0xC as soon as the first byte is there", () => {
    for (const v of [0x00, 0x10, 0xb0, 0xd1, 0xff]) {
      const r = decodeHeader(Uint8Array.of(v));
      expect(r.ok ? "ok" : r.code).toBe("tacacs/bad-major-version");
    }
  });

  test("encodeHeader throws on values that do not fit (caller bug)", () => {
    const h = {
      majorVersion: 0xc,
      minorVersion: 0,
      type: 1,
      seqNo: 1,
      flags: 0,
      sessionId: 1,
      length: 0,
    };
    expect(() => encodeHeader({ ...h, seqNo: 256 })).toThrow(RangeError);
    expect(() => encodeHeader({ ...h, sessionId: -1 })).toThrow(RangeError);
    expect(() => encodeHeader({ ...h, length: 2 ** 32 })).toThrow(RangeError);
    expect(() => encodeHeader({ ...h, minorVersion: 16 })).toThrow(RangeError);
  });
});
