import { describe, expect, test } from "bun:test";
import { concat, fromHex, utf8 } from "../lib/bytes.ts";
import { crc32c } from "./crc32c.ts";
import { decodeProxyV2 } from "./decode.ts";
import { encodeProxyV2, encodeSslTlvValue } from "./encode.ts";
import { PP2_CLIENT, PP2_SUBTYPE_SSL, PP2_TYPE, type DecodeResult, type Tlv } from "./types.ts";

const SIG = "0d0a0d0a000d0a515549540a";
const ADDR4 = "c0a8010a 0a000001 d431 0031";

/** PROXY TCP4 with the given raw TLV bytes, len computed. */
function withTlvBytes(tlvHex: string): Uint8Array {
  const tlv = fromHex(tlvHex);
  const len = 12 + tlv.length;
  return concat([fromHex(SIG + "21 11"), Uint8Array.of(len >> 8, len & 0xff), fromHex(ADDR4), tlv]);
}
function header(r: DecodeResult) {
  if (r.kind !== "header") throw new Error(`expected header, got ${JSON.stringify(r)}`);
  return r.header;
}
const addresses = {
  source: { ip: "192.0.2.7", port: 1234 },
  destination: { ip: "198.51.100.1", port: 49 },
};

describe("TLVs", () => {
  test("known TLVs are interpreted, unknown ones skipped but kept in wire order", () => {
    // ALPN "h2", AUTHORITY "tacacs.example", custom 0xE0 "x", UNIQUE_ID 01 02, NOOP (3 bytes), NETNS "blue"
    const h = header(
      decodeProxyV2(
        withTlvBytes(
          "01 0002 6832" +
            "02 000e 7461636163732e6578616d706c65" +
            "e0 0001 78" +
            "05 0002 0102" +
            "04 0003 000000" +
            "30 0004 626c7565",
        ),
      ),
    );
    expect(h.alpn).toEqual(utf8("h2"));
    expect(h.authority).toBe("tacacs.example");
    expect(h.uniqueId).toEqual(Uint8Array.of(1, 2));
    expect(h.netns).toBe("blue");
    expect(h.tlvs.map((t) => t.type)).toEqual([0x01, 0x02, 0xe0, 0x05, 0x04, 0x30]);
    expect(h.tlvs[2]).toEqual({ type: 0xe0, value: utf8("x") });
    expect(h.addresses?.source).toEqual({ ip: "192.168.1.10", port: 54321 });
  });

  test("SSL TLV with sub-TLVs (hand-assembled)", () => {
    // client = SSL|CERT_CONN, verify = 0, VERSION "TLSv1.3", CN "router1", unknown sub 0x99.
    const value =
      "03 00000000" + "21 0007 544c5376312e33" + "22 0007 726f7574657231" + "99 0001 00";
    const h = header(
      decodeProxyV2(withTlvBytes(`20 ${(5 + 10 + 10 + 4).toString(16).padStart(4, "0")} ${value}`)),
    );
    expect(h.ssl).toMatchObject({
      client: PP2_CLIENT.SSL | PP2_CLIENT.CERT_CONN,
      verify: 0,
      version: "TLSv1.3",
      cn: "router1",
    });
    expect(h.ssl?.subTlvs.map((t) => t.type)).toEqual([0x21, 0x22, 0x99]);
    const rebuilt = encodeSslTlvValue({ client: 3, verify: 0, subTlvs: h.ssl?.subTlvs ?? [] });
    expect(rebuilt).toEqual(fromHex(value));
  });

  test("the first of two duplicated known TLVs wins", () => {
    expect(header(decodeProxyV2(withTlvBytes("02 0001 61" + "02 0001 62"))).authority).toBe("a");
  });

  test("malformed TLVs are refused with proxy/bad-tlv and the header size", () => {
    const bad = [
      "e0 0005 6162", // value overruns the header
      "e0 0001 61 ff", // one dangling byte
      "e0 0001 61 ff00", // a dangling TLV header of two bytes
      "03 0003 000000", // CRC32C value must be 4 bytes
      "20 0004 01000000", // SSL shorter than client + verify
      "20 0008 0100000000 2100ff", // SSL sub-TLV overruns the SSL value
      `05 0081 ${"00".repeat(129)}`, // UNIQUE_ID longer than 128
    ];
    for (const hex of bad) {
      const buf = withTlvBytes(hex);
      expect(decodeProxyV2(buf)).toMatchObject({
        kind: "error",
        code: "proxy/bad-tlv",
        headerLength: buf.length,
      });
    }
    expect(
      header(decodeProxyV2(withTlvBytes(`05 0080 ${"00".repeat(128)}`))).uniqueId?.length,
    ).toBe(128);
  });

  test("a TLV cannot reach into the payload that follows the header", () => {
    const buf = concat([withTlvBytes("e0 0001"), utf8("xyz")]); // len ends right after the TLV header
    expect(decodeProxyV2(buf)).toMatchObject({ kind: "error", code: "proxy/bad-tlv" });
  });
});

describe("CRC32C TLV", () => {
  test("a correct checksum verifies; value is the big-endian CRC of the header with the field zeroed", () => {
    const buf = encodeProxyV2({ command: "PROXY", family: "TCP4", addresses, crc32c: true });
    expect(buf.length).toBe(16 + 12 + 7);
    expect(buf.subarray(28, 31)).toEqual(Uint8Array.of(0x03, 0x00, 0x04));
    const zeroed = buf.slice();
    zeroed.fill(0, 31, 35);
    const want = crc32c(zeroed);
    expect(Array.from(buf.subarray(31))).toEqual([
      want >>> 24,
      (want >>> 16) & 0xff,
      (want >>> 8) & 0xff,
      want & 0xff,
    ]);
    expect(header(decodeProxyV2(buf)).crc32cVerified).toBe(true);
  });

  test("the CRC may sit before other TLVs", () => {
    const tlvs: Tlv[] = [
      { type: PP2_TYPE.CRC32C, value: new Uint8Array(4) },
      { type: 0xe1, value: utf8("after") },
    ];
    const h = header(decodeProxyV2(encodeProxyV2({ command: "PROXY", family: "UNSPEC", tlvs })));
    expect(h.crc32cVerified).toBe(true);
    expect(h.tlvs[1]).toEqual({ type: 0xe1, value: utf8("after") });
  });

  test("any changed bit in the header or the checksum is refused", () => {
    const buf = encodeProxyV2({
      command: "PROXY",
      family: "TCP4",
      addresses,
      tlvs: [{ type: 0xe0, value: utf8("abc") }],
      crc32c: true,
    });
    // Bytes 16.. are addresses, TLVs and the CRC; flipping any of them must break the checksum
    // (flipping TLV header bytes may instead break TLV parsing, which is also an error).
    // Wire trap: flipping the CRC TLV's own type byte (0x03 → 0x02) turns it into an AUTHORITY TLV
    // and the header then carries no checksum at all, so that one byte is left out.
    const crcType = buf.length - 7;
    expect(buf[crcType]).toBe(PP2_TYPE.CRC32C);
    for (let i = 16; i < buf.length; i++) {
      if (i === crcType) continue;
      const bad = buf.slice();
      bad[i] = bad[i]! ^ 0x01;
      const r = decodeProxyV2(bad);
      expect(r.kind).toBe("error");
      if (r.kind === "error") expect(["proxy/bad-crc32c", "proxy/bad-tlv"]).toContain(r.code);
    }
    const flipPort = buf.slice();
    flipPort[25] = flipPort[25]! ^ 0x80;
    expect(decodeProxyV2(flipPort)).toMatchObject({
      kind: "error",
      code: "proxy/bad-crc32c",
      headerLength: buf.length,
    });
  });

  test("two CRC32C TLVs are ambiguous and refused", () => {
    expect(decodeProxyV2(withTlvBytes("03 0004 00000000 03 0004 00000000"))).toMatchObject({
      code: "proxy/bad-tlv",
    });
  });
});

describe("SSL sub-TLV names", () => {
  test("cipher, signature and key algorithms", () => {
    const value = encodeSslTlvValue({
      client: PP2_CLIENT.SSL,
      verify: 1,
      subTlvs: [
        { type: PP2_SUBTYPE_SSL.CIPHER, value: utf8("TLS_AES_128_GCM_SHA256") },
        { type: PP2_SUBTYPE_SSL.SIG_ALG, value: utf8("SHA256") },
        { type: PP2_SUBTYPE_SSL.KEY_ALG, value: utf8("RSA2048") },
      ],
    });
    const h = header(
      decodeProxyV2(
        encodeProxyV2({
          command: "PROXY",
          family: "TCP4",
          addresses,
          tlvs: [{ type: PP2_TYPE.SSL, value }],
        }),
      ),
    );
    expect(h.ssl).toMatchObject({
      client: 1,
      verify: 1,
      cipher: "TLS_AES_128_GCM_SHA256",
      sigAlg: "SHA256",
      keyAlg: "RSA2048",
    });
  });
});
