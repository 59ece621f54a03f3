// MD5 against RFC 1321 §A.5 and HMAC-MD5 against RFC 2202 §2, then against node:crypto (OpenSSL/
// BoringSSL, an independent implementation) over every length around the 64-octet block edges, split
// into ranges the way the RADIUS codec feeds them.
import { describe, expect, test } from "bun:test";
import { createHash, createHmac } from "node:crypto";
import { hmacMd5, hmacMd5Key, Md5, md5 } from "./md5.ts";
import { mulberry32 } from "../../test/support/prng.ts";

const prng = (seed: number) => {
  const r = mulberry32(seed);
  return {
    bytes: (n: number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(r() * 256)),
  };
};

const hex = (u: Uint8Array): string => Buffer.from(u).toString("hex");
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("MD5 (RFC 1321 §A.5 test suite)", () => {
  const suite: [string, string][] = [
    ["", "d41d8cd98f00b204e9800998ecf8427e"],
    ["a", "0cc175b9c0f1b6a831c399e269772661"],
    ["abc", "900150983cd24fb0d6963f7d28e17f72"],
    ["message digest", "f96b697d7cb7938d525a2f31aaf161d0"],
    ["abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"],
    [
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
      "d174ab98d277d9f5a5611c2c9f419d9f",
    ],
    ["1234567890".repeat(8), "57edf4a22be3c955ac49da2e2107b67a"],
  ];
  for (const [input, want] of suite)
    test(JSON.stringify(input.slice(0, 20)), () => {
      expect(hex(md5(text(input)))).toBe(want);
    });
});

describe("HMAC-MD5 (RFC 2202 §2)", () => {
  const cases: [Uint8Array, Uint8Array, string][] = [
    [new Uint8Array(16).fill(0x0b), text("Hi There"), "9294727a3638bb1c13f48ef8158bfc9d"],
    [text("Jefe"), text("what do ya want for nothing?"), "750c783e6ab0b503eaa86e310a5db738"],
    [
      new Uint8Array(16).fill(0xaa),
      new Uint8Array(50).fill(0xdd),
      "56be34521d144c88dbb8c733f0e8b3f6",
    ],
    [
      new Uint8Array(80).fill(0xaa),
      text("Test Using Larger Than Block-Size Key - Hash Key First"),
      "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd",
    ],
  ];
  cases.forEach(([key, data, want], i) =>
    test(`case ${i === 3 ? 6 : i + 1}`, () => {
      expect(hex(hmacMd5(key, data))).toBe(want);
    }),
  );
});

describe("against node:crypto", () => {
  test("every length 0..300, fed in three ranges, with a reused hasher", () => {
    const rnd = prng(1321);
    const h = new Md5();
    for (let n = 0; n <= 300; n++) {
      const d = rnd.bytes(n);
      const a = Math.floor(n / 3);
      const b = Math.floor((2 * n) / 3);
      h.reset().update(d, 0, a).update(d, a, b).update(d, b);
      expect(hex(h.digest())).toBe(createHash("md5").update(d).digest("hex"));
    }
  });

  test("HMAC with keys of 0..100 octets, cached key reused across messages", () => {
    const rnd = prng(2104);
    for (let k = 0; k <= 100; k++) {
      const key = rnd.bytes(k);
      for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 200]) {
        const d = rnd.bytes(n);
        expect(hex(hmacMd5(key, d))).toBe(createHmac("md5", key).update(d).digest("hex"));
      }
      expect(hmacMd5Key(key)).toBe(hmacMd5Key(key));
    }
  });

  test("digestInto writes at an offset and leaves the rest", () => {
    const out = new Uint8Array(20).fill(7);
    new Md5().update(text("abc")).digestInto(out, 4);
    expect(hex(out.subarray(4))).toBe("900150983cd24fb0d6963f7d28e17f72");
    expect([...out.subarray(0, 4)]).toEqual([7, 7, 7, 7]);
  });

  test("a range outside the data is a bug and throws", () => {
    expect(() => new Md5().update(new Uint8Array(4), 2, 5)).toThrow(RangeError);
  });
});
