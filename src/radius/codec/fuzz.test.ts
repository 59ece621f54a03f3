// Seeded fuzz loops over every decoder in this folder: never throws, never reads outside its input
// (values are views inside the datagram), and what is accepted re-encodes to the same octets.
import { describe, expect, test } from "bun:test";
import { hex, utf8 } from "../../lib/bytes.ts";
import { decodeValue } from "./dictionary-values.ts";
import type { WireAttribute } from "./packet.ts";
import { defaultDictionary } from "./dictionary.ts";
import { verifyMessageAuthenticator } from "./message-authenticator.ts";
import { parseMsChap2Response } from "./mschap.ts";
import { decodePacket, encodePacket } from "./packet.ts";
import { RFC2865_7_1_REQUEST, RFC2865_7_2_ACCEPT, RFC2865_7_2_REQUEST } from "./test-vectors.ts";
import { mulberry32 } from "../../../test/support/prng.ts";
import { unhideMppeKey, unhidePassword, unhideTunnelPassword } from "./user-password.ts";
import { decodeVsa, encodeVsa } from "./vsa.ts";

const secret = utf8("fuzz");
const SEEDS = [RFC2865_7_1_REQUEST, RFC2865_7_2_REQUEST, RFC2865_7_2_ACCEPT];

function mutate(rnd: () => number, src: Uint8Array): Uint8Array {
  let b = src.slice();
  const ops = 1 + Math.floor(rnd() * 4);
  for (let k = 0; k < ops; k++) {
    const r = rnd();
    if (r < 0.5 && b.length > 0) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
    else if (r < 0.7) b = b.subarray(0, Math.floor(rnd() * (b.length + 1)));
    else if (r < 0.85) {
      const extra = new Uint8Array(Math.floor(rnd() * 40)).map(() => Math.floor(rnd() * 256));
      const n = new Uint8Array(b.length + extra.length);
      n.set(b);
      n.set(extra, b.length);
      b = n;
    } else if (b.length >= 4) {
      // Point Length somewhere plausible, the interesting boundary.
      const len = 18 + Math.floor(rnd() * (b.length + 6));
      b[2] = len >> 8;
      b[3] = len & 0xff;
    }
  }
  return b;
}

function checkAccepted(dg: Uint8Array): boolean {
  const r = decodePacket(dg);
  if (!r.ok) return false;
  const p = r.value;
  for (const a of p.attributes) {
    // The octets at the attribute's offset, inside the packet's declared Length.
    const at = (a as WireAttribute).offset;
    expect(at + a.value.length).toBeLessThanOrEqual(p.raw.length);
    expect(hex(a.value)).toBe(hex(dg.subarray(at, at + a.value.length)));
  }
  const e = encodePacket(p);
  expect(e.ok && hex(e.value)).toBe(hex(p.raw));
  return true;
}

describe("fuzz", () => {
  test("mutated RFC packets: never throw; accepted ones re-encode identically", () => {
    const rnd = mulberry32(0xc0ffee);
    let accepted = 0;
    for (let i = 0; i < 5000; i++) {
      const dg = mutate(rnd, SEEDS[i % SEEDS.length]!);
      if (checkAccepted(dg)) accepted++;
      expect(() =>
        verifyMessageAuthenticator(dg.subarray(0, Math.min(dg.length, 4096)), secret),
      ).not.toThrow();
    }
    // Both paths must be exercised, or the loop is not testing anything.
    expect(accepted).toBeGreaterThan(500);
    expect(accepted).toBeLessThan(4900);
  });

  test("random datagrams with a valid-looking header", () => {
    const rnd = mulberry32(7);
    let accepted = 0;
    for (let i = 0; i < 3000; i++) {
      const n = 20 + Math.floor(rnd() * 120);
      const dg = new Uint8Array(n).map(() => Math.floor(rnd() * 256));
      const len = rnd() < 0.8 ? n : Math.floor(rnd() * 200);
      dg[2] = len >> 8;
      dg[3] = len & 0xff;
      // Bias towards well-formed attribute chains so acceptance is reachable.
      if (rnd() < 0.5) {
        let o = 20;
        while (o + 2 <= len && o + 2 <= n) {
          const l = 2 + Math.floor(rnd() * Math.min(20, len - o - 1));
          dg[o + 1] = Math.min(l, len - o);
          o += dg[o + 1]!;
        }
      }
      if (checkAccepted(dg)) accepted++;
    }
    expect(accepted).toBeGreaterThan(50);
  });

  test("VSA, hidden values, dictionary values, MS-CHAP attributes never throw", () => {
    const rnd = mulberry32(99);
    const d = defaultDictionary();
    const defs = [...d.attrsByCode.values()];
    const ra = new Uint8Array(16);
    let vsaOk = 0;
    for (let i = 0; i < 4000; i++) {
      const v = new Uint8Array(Math.floor(rnd() * 64)).map(() => Math.floor(rnd() * 256));
      if (rnd() < 0.5 && v.length >= 6) {
        v[0] = 0;
        v[4] = 1 + Math.floor(rnd() * 3);
        v[5] = v.length - 4;
      }
      const r = decodeVsa(v);
      if (r.ok) {
        vsaOk++;
        const e = encodeVsa(r.value[0]!.vendorId, r.value);
        expect(e.ok && hex(e.value.value)).toBe(hex(v));
      }
      expect(() => unhidePassword(v, secret, ra)).not.toThrow();
      expect(() => unhideTunnelPassword(v, secret, ra)).not.toThrow();
      expect(() => unhideMppeKey(v, secret, ra)).not.toThrow();
      expect(() => parseMsChap2Response(v)).not.toThrow();
      expect(() => decodeValue(defs[i % defs.length]!, v)).not.toThrow();
    }
    expect(vsaOk).toBeGreaterThan(200);
  });
});
