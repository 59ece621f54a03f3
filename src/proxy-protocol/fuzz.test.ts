// Seeded, deterministic fuzzing of the PROXY v2 codec (DESIGN.md rule 9): random valid headers
// round-trip exactly; mutated and random inputs never throw, never depend on bytes past `consumed`,
// and whatever is accepted re-encodes.
import { describe, expect, test } from "bun:test";
import { concat, hex } from "../lib/bytes.ts";
import { normalizeIp } from "../lib/ip.ts";
import { decodeProxyV2 } from "./decode.ts";
import { encodeProxyV2, encodeSslTlvValue, type EncodeInput } from "./encode.ts";
import {
  PP2_FAMILY,
  PP2_SIGNATURE,
  PP2_TYPE,
  type DecodeResult,
  type Pp2Family,
  type ProxyHeader,
  type Tlv,
} from "./types.ts";
import { mulberry32 } from "../../test/support/prng.ts";

const FAMILIES = Object.keys(PP2_FAMILY) as Pp2Family[];
const KNOWN = new Set<number>(Object.values(PP2_TYPE));

function gen(rand: () => number) {
  const int = (n: number) => Math.floor(rand() * n);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
  const ip = (v6: boolean): string => {
    if (!v6) return Array.from(bytes(4)).join(".");
    const g = Array.from({ length: 8 }, () => (rand() < 0.3 ? 0 : int(0x10000)).toString(16));
    if (rand() < 0.1) return `::ffff:${Array.from(bytes(4)).join(".")}`; // IPv4-mapped
    return normalizeIp(g.join(":"))!;
  };
  const ascii = (n: number) =>
    new TextEncoder().encode(
      Array.from({ length: n }, () => String.fromCharCode(33 + int(90))).join(""),
    );
  const tlv = (): Tlv => {
    const pick = int(8);
    if (pick === 0) return { type: PP2_TYPE.ALPN, value: bytes(int(16)) };
    if (pick === 1) return { type: PP2_TYPE.AUTHORITY, value: ascii(int(40)) };
    if (pick === 2) return { type: PP2_TYPE.UNIQUE_ID, value: bytes(int(129)) };
    if (pick === 3) return { type: PP2_TYPE.NETNS, value: ascii(int(12)) };
    if (pick === 4) return { type: PP2_TYPE.NOOP, value: bytes(int(4)) };
    if (pick === 5) {
      const subTlvs = Array.from({ length: int(4) }, () => ({
        type: 0x21 + int(6),
        value: ascii(int(20)),
      }));
      return {
        type: PP2_TYPE.SSL,
        value: encodeSslTlvValue({ client: int(8), verify: int(2), subTlvs }),
      };
    }
    let type = int(256);
    while (KNOWN.has(type)) type = int(256);
    return { type, value: bytes(int(48)) };
  };
  const family = FAMILIES[int(FAMILIES.length)]!;
  const command = rand() < 0.8 ? "PROXY" : "LOCAL";
  const v6 = family === "TCP6" || family === "UDP6";
  const hasIp = v6 || family === "TCP4" || family === "UDP4";
  const input: EncodeInput = {
    command,
    family,
    addresses: hasIp
      ? { source: { ip: ip(v6), port: int(65536) }, destination: { ip: ip(v6), port: int(65536) } }
      : null,
    tlvs: Array.from({ length: int(5) }, tlv),
    crc32c: rand() < 0.5,
  };
  return input;
}

function toInput(h: ProxyHeader): EncodeInput {
  return { command: h.command, family: h.family, addresses: h.addresses, tlvs: h.tlvs };
}

function maskCrc(h: ProxyHeader): ProxyHeader {
  return {
    ...h,
    tlvs: h.tlvs.map((t) =>
      t.type === PP2_TYPE.CRC32C ? { type: t.type, value: new Uint8Array(4) } : t,
    ),
  };
}

function header(r: DecodeResult): { header: ProxyHeader; consumed: number } {
  if (r.kind !== "header") throw new Error(`expected header, got ${JSON.stringify(r)}`);
  return r;
}

describe("fuzz", () => {
  test("decode(encode(x)) == x for 3000 random valid headers, and re-encoding is byte-exact", () => {
    const rand = mulberry32(0x5eed);
    for (let i = 0; i < 3000; i++) {
      const x = gen(rand);
      const wire = encodeProxyV2(x);
      const { header: h, consumed } = header(decodeProxyV2(wire, { maxHeaderBytes: 65551 }));
      expect(consumed).toBe(wire.length);
      expect(h.command).toBe(x.command);
      expect(h.family).toBe(x.family);
      const ipFamily = x.addresses !== null;
      const wantAddr = x.command === "PROXY" && ipFamily ? (x.addresses ?? null) : null;
      expect(h.addresses).toEqual(
        wantAddr && {
          source: { ...wantAddr.source, ip: normalizeIp(wantAddr.source.ip)! },
          destination: { ...wantAddr.destination, ip: normalizeIp(wantAddr.destination.ip)! },
        },
      );
      expect(h.crc32cVerified).toBe(x.crc32c === true);
      const nonCrc = h.tlvs.filter((t) => t.type !== PP2_TYPE.CRC32C);
      expect(nonCrc).toEqual([...(x.tlvs ?? [])]);
      if (x.command === "PROXY" || !ipFamily) expect(encodeProxyV2(toInput(h))).toEqual(wire);
    }
  });

  test("mutated headers never throw, never read past consumed, and what is accepted re-encodes", () => {
    const rand = mulberry32(0xbadc0de);
    const int = (n: number) => Math.floor(rand() * n);
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 4000; i++) {
      const wire = encodeProxyV2(gen(rand));
      const buf = concat([wire, Uint8Array.from({ length: int(8) }, () => int(256))]);
      const flips = 1 + int(3);
      for (let f = 0; f < flips; f++) {
        const at = int(buf.length);
        buf[at] = rand() < 0.5 ? int(256) : buf[at]! ^ (1 << int(8));
      }
      const cut = rand() < 0.2 ? buf.subarray(0, int(buf.length + 1)) : buf;
      let r: DecodeResult;
      try {
        r = decodeProxyV2(cut);
      } catch (e) {
        throw new Error(`decoder threw on ${hex(cut)}: ${String(e)}`);
      }
      if (r.kind === "header") {
        accepted++;
        const { header: h, consumed } = r;
        expect(consumed).toBeLessThanOrEqual(cut.length);
        expect(decodeProxyV2(cut.subarray(0, consumed))).toEqual(r); // no peeking past the header
        const again = header(
          decodeProxyV2(encodeProxyV2(toInput(h)), { maxHeaderBytes: 65551 }),
        ).header;
        // LOCAL/UNSPEC/UNIX address bytes are not kept (they re-encode as zeros), so a CRC32C value
        // legitimately changes there; everything else must survive.
        expect(maskCrc(again)).toEqual(maskCrc(h));
        expect(again.crc32cVerified).toBe(h.crc32cVerified);
        if (h.addresses !== null) expect(encodeProxyV2(toInput(h))).toEqual(cut.slice(0, consumed));
      } else if (r.kind === "error") {
        refused++;
        if (r.headerLength !== undefined) expect(r.headerLength).toBeGreaterThanOrEqual(16);
      }
    }
    // The loop must exercise both paths, or it proves nothing.
    expect(accepted).toBeGreaterThan(200);
    expect(refused).toBeGreaterThan(200);
  });

  test("random bytes after a valid signature never throw", () => {
    const rand = mulberry32(42);
    const kinds = new Set<string>();
    for (let i = 0; i < 4000; i++) {
      const tail = Uint8Array.from({ length: Math.floor(rand() * 64) }, () =>
        Math.floor(rand() * 256),
      );
      if (rand() < 0.5 && tail.length > 0) tail[0] = 0x20 | (tail[0]! & 1);
      const r = decodeProxyV2(concat([PP2_SIGNATURE, tail]));
      kinds.add(r.kind === "error" ? r.code : r.kind);
    }
    expect(kinds.has("need-more")).toBe(true);
    expect(kinds.has("proxy/bad-version")).toBe(true);
    expect(kinds.has("proxy/bad-family")).toBe(true);
  });
});
