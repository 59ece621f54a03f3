import { describe, expect, test } from "bun:test";
import { fromHex, fromUtf8, hex, utf8 } from "../../lib/bytes.ts";
import { AttrType, decodePacket, getAttr } from "./packet.ts";
import { RFC2865_7_1_REQUEST, RFC2865_SECRET } from "./test-vectors.ts";
import { withConstantRandom } from "../../../test/support/constant-random.ts";
import { mulberry32 } from "../../../test/support/prng.ts";
import {
  hideMppeKey,
  hidePassword,
  hideTunnelPassword,
  PacketSalts,
  randomSalt,
  unhideMppeKey,
  unhidePassword,
  unhideTunnelPassword,
} from "./user-password.ts";

const secret = utf8(RFC2865_SECRET);
const ra = fromHex("0f403f9473978057bd83d5cb98f4227a");

describe("User-Password (RFC 2865 §5.2)", () => {
  test("RFC 2865 §7.1: unhides to 'arctangent' and re-hides byte for byte", () => {
    const p = decodePacket(RFC2865_7_1_REQUEST);
    if (!p.ok) throw new Error(p.code);
    const hidden = getAttr(p.value, AttrType.UserPassword)!;
    const plain = unhidePassword(hidden, secret, p.value.authenticator);
    expect(plain.ok && fromUtf8(plain.value)).toBe("arctangent");
    const again = hidePassword(utf8("arctangent"), secret, p.value.authenticator);
    expect(again.ok && hex(again.value)).toBe(hex(hidden));
  });

  test("round trip at 1, 16, 17, 128 octets; padding to 16", () => {
    const rnd = mulberry32(1);
    for (const n of [1, 15, 16, 17, 32, 33, 127, 128]) {
      const pw = new Uint8Array(n).map(() => 1 + Math.floor(rnd() * 255));
      const h = hidePassword(pw, secret, ra);
      if (!h.ok) throw new Error(h.code);
      expect(h.value.length).toBe(Math.ceil(n / 16) * 16);
      const u = unhidePassword(h.value, secret, ra);
      expect(u.ok && hex(u.value)).toBe(hex(pw));
    }
  });

  test("empty password hides to 16 octets; limits", () => {
    const h = hidePassword(new Uint8Array(0), secret, ra);
    expect(h.ok && h.value.length).toBe(16);
    expect(hidePassword(new Uint8Array(129), secret, ra)).toMatchObject({
      ok: false,
      code: "radius/password-too-long",
    });
    for (const n of [0, 15, 17, 144]) {
      expect(unhidePassword(new Uint8Array(n), secret, ra)).toMatchObject({
        ok: false,
        code: "radius/bad-hidden-length",
      });
    }
  });

  test("second block is chained on the first cipher block (differs from an unchained XOR)", () => {
    const pw = new Uint8Array(32).fill(0x41);
    const h = hidePassword(pw, secret, ra);
    if (!h.ok) throw new Error(h.code);
    const b2 = new Bun.CryptoHasher("md5").update(secret).update(h.value.subarray(0, 16)).digest();
    for (let i = 0; i < 16; i++) expect(h.value[16 + i]).toBe(0x41 ^ b2[i]!);
  });
});

describe("salted: Tunnel-Password (RFC 2868 §3.5), MS-MPPE keys (RFC 2548 §2.4.2)", () => {
  test("first block is MD5(S + R + salt) over the length-prefixed plaintext", () => {
    const salt = fromHex("8123");
    const h = hideTunnelPassword(utf8("tunnel"), secret, ra, 3, salt);
    if (!h.ok) throw new Error(h.code);
    expect(h.value[0]).toBe(3);
    expect(hex(h.value.subarray(1, 3))).toBe("8123");
    expect(h.value.length).toBe(3 + 16);
    const b1 = new Bun.CryptoHasher("md5").update(secret).update(ra).update(salt).digest();
    const p = new Uint8Array(16);
    p[0] = 6;
    p.set(utf8("tunnel"), 1);
    for (let i = 0; i < 16; i++) expect(h.value[3 + i]).toBe(p[i]! ^ b1[i]!);
    const u = unhideTunnelPassword(h.value, secret, ra);
    expect(u.ok && [u.value.tag, fromUtf8(u.value.password)]).toEqual([3, "tunnel"]);
  });

  test("MPPE key round trips (16 and 32 octets) and has the salt in front", () => {
    for (const n of [16, 32]) {
      const key = new Uint8Array(n).map((_, i) => i * 7);
      const h = hideMppeKey(key, secret, ra);
      if (!h.ok) throw new Error(h.code);
      expect(h.value[0]! & 0x80).toBe(0x80);
      expect(h.value.length).toBe(2 + Math.ceil((n + 1) / 16) * 16);
      const u = unhideMppeKey(h.value, secret, ra);
      expect(u.ok && hex(u.value)).toBe(hex(key));
    }
  });

  test("wrong secret is detected through the inner length most of the time; bad inputs refused", () => {
    let detected = 0;
    for (let i = 0; i < 200; i++) {
      const h = hideMppeKey(new Uint8Array(16), secret, ra, new Uint8Array([0x80, i])); // fixed salts: deterministic
      if (!h.ok) throw new Error(h.code);
      if (!unhideMppeKey(h.value, utf8("other"), ra).ok) detected++;
    }
    expect(detected).toBeGreaterThan(150); // inner length byte must be ≤ 31 of 256: ~88% caught
    expect(hideMppeKey(new Uint8Array(16), secret, ra, fromHex("0123"))).toMatchObject({
      ok: false,
      code: "radius/bad-salt",
    });
    expect(hideTunnelPassword(new Uint8Array(1), secret, ra, 0x20)).toMatchObject({
      ok: false,
      code: "radius/bad-tag",
    });
    expect(hideTunnelPassword(new Uint8Array(240), secret, ra).ok).toBe(false);
    expect(hideTunnelPassword(new Uint8Array(239), secret, ra).ok).toBe(true);
    expect(unhideTunnelPassword(new Uint8Array(0), secret, ra).ok).toBe(false);
    expect(unhideMppeKey(new Uint8Array(17), secret, ra).ok).toBe(false);
    expect(randomSalt()[0]! & 0x80).toBe(0x80);
  });

  test("PacketSalts: the salts of one packet are distinct and have the high bit set, across the 15-bit wrap", async () => {
    for (let p = 0; p < 2_000; p++) {
      const s = new PacketSalts();
      const seen = new Set<number>();
      for (let i = 0; i < 8; i++) {
        const v = s.take();
        expect(v.length).toBe(2);
        expect(v[0]! & 0x80).toBe(0x80);
        seen.add((v[0]! << 8) | v[1]!);
      }
      expect(seen.size).toBe(8);
    }
    // From 0x7fff the next is 0x0000 (high bit set: 0xffff, then 0x8000).
    await withConstantRandom(0xff, () => {
      const s = new PacketSalts();
      expect(Array.from(s.take())).toEqual([0xff, 0xff]);
      expect(Array.from(s.take())).toEqual([0x80, 0x00]);
    });
  });
});
