import { describe, expect, test } from "bun:test";
import { concat, fromHex, utf8 } from "../lib/bytes.ts";
import { decodeProxyV2 } from "./decode.ts";
import { encodeProxyV2 } from "./encode.ts";
import { PP2_FAMILY, PP2_SIGNATURE, type DecodeResult } from "./types.ts";

const SIG = "0d0a0d0a000d0a515549540a";
// Hand-assembled from the §2.2 layout, independent of encode.ts.
// PROXY TCP4 192.168.1.10:54321 → 10.0.0.1:49, len 12.
const TCP4 = fromHex(SIG + "21 11 000c" + "c0a8010a 0a000001 d431 0031");
// PROXY TCP6 2001:db8::1:40000 → 2001:db8::2:49, len 36.
const TCP6 = fromHex(
  SIG +
    "21 21 0024" +
    "20010db8000000000000000000000001 20010db8000000000000000000000002 9c40 0031",
);
// LOCAL UNSPEC, len 0: what a health check sends.
const LOCAL = fromHex(SIG + "20 00 0000");

function header(r: DecodeResult) {
  if (r.kind !== "header") throw new Error(`expected header, got ${JSON.stringify(r)}`);
  return r;
}

describe("families and fields", () => {
  test("TCP4: addresses, ports, consumed, payload left intact", () => {
    const payload = fromHex("c0 01 01 00");
    const buf = concat([TCP4, payload]);
    const r = header(decodeProxyV2(buf));
    expect(r.consumed).toBe(28);
    expect(r.header).toMatchObject({
      version: 2,
      command: "PROXY",
      family: "TCP4",
      tlvs: [],
      crc32cVerified: false,
    });
    expect(r.header.addresses).toEqual({
      source: { ip: "192.168.1.10", port: 54321 },
      destination: { ip: "10.0.0.1", port: 49 },
    });
    expect(buf.subarray(r.consumed)).toEqual(payload);
  });

  test("TCP6: canonical text and the source port", () => {
    const r = header(decodeProxyV2(TCP6));
    expect(r.consumed).toBe(52);
    expect(r.header.family).toBe("TCP6");
    expect(r.header.addresses).toEqual({
      source: { ip: "2001:db8::1", port: 40000 },
      destination: { ip: "2001:db8::2", port: 49 },
    });
  });

  test("the encoder reproduces the hand-assembled fixtures byte for byte", () => {
    expect(
      encodeProxyV2({
        command: "PROXY",
        family: "TCP4",
        addresses: header(decodeProxyV2(TCP4)).header.addresses,
      }),
    ).toEqual(TCP4);
    expect(
      encodeProxyV2({
        command: "PROXY",
        family: "TCP6",
        addresses: header(decodeProxyV2(TCP6)).header.addresses,
      }),
    ).toEqual(TCP6);
    expect(encodeProxyV2({ command: "LOCAL", family: "UNSPEC" })).toEqual(LOCAL);
  });

  test("IPv4-mapped IPv6 source is normalised to IPv4 text", () => {
    const buf = fromHex(
      SIG +
        "21 21 0024" +
        "00000000000000000000ffffc0000201 00000000000000000000ffff0a000001 1f90 0031",
    );
    expect(header(decodeProxyV2(buf)).header.addresses?.source).toEqual({
      ip: "192.0.2.1",
      port: 8080,
    });
  });

  test("UDP4 and UDP6 carry addresses like TCP", () => {
    const u4 = concat([TCP4.subarray(0, 13), Uint8Array.of(PP2_FAMILY.UDP4), TCP4.subarray(14)]);
    const u6 = concat([TCP6.subarray(0, 13), Uint8Array.of(PP2_FAMILY.UDP6), TCP6.subarray(14)]);
    expect(header(decodeProxyV2(u4)).header).toMatchObject({
      family: "UDP4",
      addresses: { source: { ip: "192.168.1.10" } },
    });
    expect(header(decodeProxyV2(u6)).header).toMatchObject({
      family: "UDP6",
      addresses: { source: { port: 40000 } },
    });
  });

  test("LOCAL: addresses are null even when the family carries some", () => {
    expect(header(decodeProxyV2(LOCAL))).toMatchObject({
      consumed: 16,
      header: { command: "LOCAL", family: "UNSPEC", addresses: null },
    });
    const localTcp4 = concat([TCP4.subarray(0, 12), Uint8Array.of(0x20), TCP4.subarray(13)]);
    expect(header(decodeProxyV2(localTcp4))).toMatchObject({
      consumed: 28,
      header: { command: "LOCAL", family: "TCP4", addresses: null },
    });
  });

  test("LOCAL: a block it cannot read is discarded (§2.2) — an undefined family, a malformed TLV area", () => {
    // Family byte 0x77 (undefined), then 7 bytes that would be a TLV overrunning the block.
    const odd = concat([
      PP2_SIGNATURE,
      Uint8Array.of(0x20, 0x77, 0, 7),
      Uint8Array.of(0xe0, 0xff, 0xff, 1, 2, 3, 4),
      utf8("next"),
    ]);
    expect(decodeProxyV2(odd.subarray(0, 20))).toEqual({ kind: "need-more" });
    expect(header(decodeProxyV2(odd))).toMatchObject({
      consumed: 23,
      header: {
        command: "LOCAL",
        family: "UNSPEC",
        addresses: null,
        tlvs: [],
        crc32cVerified: false,
      },
    });
    // The same bytes as PROXY are refused.
    const asProxy = odd.slice();
    asProxy[12] = 0x21;
    expect(decodeProxyV2(asProxy)).toMatchObject({ kind: "error", code: "proxy/bad-family" });
    // UNSPEC family (no addresses) with a TLV overrunning the block: LOCAL skips it, PROXY refuses.
    const tlvBad = concat([
      PP2_SIGNATURE,
      Uint8Array.of(0x20, 0x00, 0, 4),
      Uint8Array.of(0xe0, 0, 9, 1),
    ]);
    expect(header(decodeProxyV2(tlvBad))).toMatchObject({
      consumed: 20,
      header: { command: "LOCAL", tlvs: [] },
    });
    tlvBad[12] = 0x21;
    expect(decodeProxyV2(tlvBad).kind).toBe("error");
  });

  test("PROXY UNSPEC: no address block, family recorded, addresses null", () => {
    const buf = fromHex(SIG + "21 00 0000");
    expect(header(decodeProxyV2(buf))).toMatchObject({
      consumed: 16,
      header: { command: "PROXY", family: "UNSPEC", addresses: null },
    });
  });

  test("UNIX stream and datagram: 216-byte block skipped, addresses null", () => {
    for (const fam of [0x31, 0x32] as const) {
      const buf = concat([
        PP2_SIGNATURE,
        Uint8Array.of(0x21, fam, 0x00, 216),
        new Uint8Array(216).fill(0x41),
        utf8("tail"),
      ]);
      const r = header(decodeProxyV2(buf));
      expect(r.consumed).toBe(232);
      expect(r.header.family).toBe(fam === 0x31 ? "UNIX_STREAM" : "UNIX_DGRAM");
      expect(r.header.addresses).toBeNull();
    }
  });
});

describe("incremental arrival", () => {
  test("every prefix shorter than the header is need-more; the full header decodes", () => {
    for (const fixture of [TCP4, TCP6, LOCAL]) {
      for (let i = 0; i < fixture.length; i++)
        expect(decodeProxyV2(fixture.subarray(0, i)).kind).toBe("need-more");
      expect(header(decodeProxyV2(fixture)).consumed).toBe(fixture.length);
    }
  });

  test("a header split at any offset into segments decodes the same once concatenated", () => {
    const whole = concat([TCP6, utf8("payload")]);
    const expected = decodeProxyV2(whole);
    for (let cut = 1; cut < whole.length; cut++) {
      const received = concat([whole.subarray(0, cut)]);
      const first = decodeProxyV2(received);
      expect(first.kind).toBe(cut < TCP6.length ? "need-more" : "header");
      expect(decodeProxyV2(concat([received, whole.subarray(cut)]))).toEqual(expected);
    }
  });

  test("a truncated header (len promises more) stays need-more", () => {
    expect(decodeProxyV2(TCP4.subarray(0, 27))).toEqual({ kind: "need-more" });
  });
});

describe("not a PROXY header", () => {
  test("a TACACS+ first byte is recognised at once", () => {
    expect(decodeProxyV2(Uint8Array.of(0xc0))).toEqual({ kind: "not-proxy" });
  });
  test("a mismatch at any signature byte is reported as soon as that byte arrives", () => {
    for (let k = 0; k < 12; k++) {
      const bad = PP2_SIGNATURE.slice(0, k + 1);
      bad[k] = bad[k]! ^ 0x20;
      expect(decodeProxyV2(bad)).toEqual({ kind: "not-proxy" });
      expect(decodeProxyV2(PP2_SIGNATURE.subarray(0, k + 1)).kind).toBe("need-more");
    }
  });
  test("PROXY v1 is refused with its own code; a near miss is not-proxy", () => {
    expect(decodeProxyV2(utf8("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"))).toMatchObject({
      kind: "error",
      code: "proxy/v1-unsupported",
    });
    expect(decodeProxyV2(utf8("PROX")).kind).toBe("need-more");
    expect(decodeProxyV2(utf8("PROXI")).kind).toBe("not-proxy");
    expect(decodeProxyV2(utf8("POST / HTTP/1.1")).kind).toBe("not-proxy");
  });
});

describe("preamble errors, decided as early as possible", () => {
  test("version other than 2 at byte 13", () => {
    for (const v of [0x0, 0x1, 0x3, 0xf]) {
      const r = decodeProxyV2(concat([PP2_SIGNATURE, Uint8Array.of((v << 4) | 1)]));
      expect(r).toMatchObject({ kind: "error", code: "proxy/bad-version" });
      expect(r).not.toHaveProperty("headerLength");
    }
  });
  test("command other than LOCAL/PROXY at byte 13", () => {
    for (let c = 2; c <= 0xf; c++) {
      expect(decodeProxyV2(concat([PP2_SIGNATURE, Uint8Array.of(0x20 | c)]))).toMatchObject({
        kind: "error",
        code: "proxy/bad-command",
      });
    }
  });
  test("every undefined family byte is refused at byte 14; the seven defined ones are not", () => {
    const defined = new Set<number>(Object.values(PP2_FAMILY));
    for (let f = 0; f < 256; f++) {
      const r = decodeProxyV2(concat([PP2_SIGNATURE, Uint8Array.of(0x21, f)]));
      expect(r.kind).toBe(defined.has(f) ? "need-more" : "error");
      if (!defined.has(f)) expect(r).toMatchObject({ code: "proxy/bad-family" });
    }
  });
  test("len over the cap is refused as soon as len is read, with the claimed size", () => {
    const preamble = (len: number) =>
      concat([PP2_SIGNATURE, Uint8Array.of(0x21, 0x11, len >> 8, len & 0xff)]);
    expect(decodeProxyV2(preamble(2048)).kind).toBe("need-more");
    expect(decodeProxyV2(preamble(2049))).toMatchObject({
      kind: "error",
      code: "proxy/too-long",
      headerLength: 2065,
    });
    expect(decodeProxyV2(preamble(0xffff))).toMatchObject({
      code: "proxy/too-long",
      headerLength: 65551,
    });
    expect(decodeProxyV2(preamble(100), { maxHeaderBytes: 115 })).toMatchObject({
      code: "proxy/too-long",
    });
    expect(decodeProxyV2(preamble(100), { maxHeaderBytes: 116 }).kind).toBe("need-more");
    expect(
      header(
        decodeProxyV2(concat([preamble(0xffff), new Uint8Array(0xffff)]), {
          maxHeaderBytes: 65551,
        }),
      ).consumed,
    ).toBe(65551);
  });
  test("a cap outside [16, 65551] is a programming error", () => {
    expect(() => decodeProxyV2(TCP4, { maxHeaderBytes: 15 })).toThrow(RangeError);
    expect(() => decodeProxyV2(TCP4, { maxHeaderBytes: 65552 })).toThrow(RangeError);
  });
  test("len shorter than the family's address block is refused before the block arrives", () => {
    const cases: [number, number][] = [
      [0x11, 11],
      [0x12, 0],
      [0x21, 35],
      [0x22, 12],
      [0x31, 215],
      [0x32, 1],
    ];
    for (const [fam, len] of cases) {
      const r = decodeProxyV2(concat([PP2_SIGNATURE, Uint8Array.of(0x21, fam, 0, len)]));
      expect(r).toMatchObject({
        kind: "error",
        code: "proxy/short-address",
        headerLength: 16 + len,
      });
    }
    // LOCAL does not: its block is discarded unread, family included (§2.2).
    expect(
      header(
        decodeProxyV2(concat([PP2_SIGNATURE, Uint8Array.of(0x20, 0x11, 0, 4), new Uint8Array(4)])),
      ),
    ).toMatchObject({ consumed: 20, header: { command: "LOCAL", addresses: null } });
  });
});
