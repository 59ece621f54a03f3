import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { fromHex, hex, utf8 } from "../../lib/bytes.ts";
import { obfuscate, type PadInput } from "./obfuscation.ts";

// An independent, deliberately naive reading of RFC 8907 §4.5: build the pad block by block with
// Buffer.concat and node:crypto, truncate, XOR. The implementation uses Bun.MD5 and scratch buffers.
function referencePad(h: PadInput, key: Uint8Array, length: number): Buffer {
  const sid = Buffer.alloc(4);
  sid.writeUInt32BE(h.sessionId >>> 0);
  const base = Buffer.concat([
    sid,
    Buffer.from(key),
    Buffer.from([(h.majorVersion << 4) | h.minorVersion, h.seqNo]),
  ]);
  const blocks: Buffer[] = [];
  let previous: Buffer | null = null;
  while (blocks.length * 16 < length) {
    const input: Buffer = previous === null ? base : Buffer.concat([base, previous]);
    previous = createHash("md5").update(input).digest();
    blocks.push(previous);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

function referenceObfuscate(body: Uint8Array, h: PadInput, key: Uint8Array): Uint8Array {
  const pad = referencePad(h, key, body.length);
  return Uint8Array.from(body, (b, i) => b ^ pad[i]!);
}

describe("obfuscate (§4.5 pseudo-pad)", () => {
  test("hand-derived vector: 40 zero bytes give the pad itself, three chained blocks", () => {
    // session_id 0x01020304, key "key", version 0xC0, seq_no 1. Derived outside this code with coreutils:
    //   MD5_1 = md5(01 02 03 04 'k' 'e' 'y' c0 01)            = 40a4d9e4f015bddba8ac0604a6de9909
    //   MD5_2 = md5(01 02 03 04 'k' 'e' 'y' c0 01 ‖ MD5_1)    = 5451964a9799385fc95bd496174cf38a
    //   MD5_3 = md5(01 02 03 04 'k' 'e' 'y' c0 01 ‖ MD5_2)    = 64869c015f41d92a70be8fb40a76a068
    // (printf '\x01\x02\x03\x04key\xc0\x01'; echo -n $MD5_1 | xxd -r -p) | md5sum, etc.
    // The pad for 40 bytes is MD5_1 ‖ MD5_2 ‖ the first 8 bytes of MD5_3.
    const h = {
      majorVersion: 0xc,
      minorVersion: 0,
      seqNo: 1,
      sessionId: 0x01020304,
    };
    const out = obfuscate(new Uint8Array(40), h, utf8("key"));
    expect(hex(out)).toBe(
      "40a4d9e4f015bddba8ac0604a6de9909" + "5451964a9799385fc95bd496174cf38a" + "64869c015f41d92a",
    );
  });

  test("published capture (pam_tacplus tacc, key testing123): 34-byte PAP START decrypts to its plaintext", () => {
    // FreeRADIUS src/tests/unit/protocols/tacacs/base.txt, from tacacs+_auth-authorize-acct_secret-testing123.pcap:
    // header c1 01 01 00 b7 0f c8 0e 00 00 00 22, body below; its decoded form is also listed there.
    const h = {
      majorVersion: 0xc,
      minorVersion: 1,
      seqNo: 1,
      sessionId: 0xb70fc80e,
    };
    const wire = fromHex("79d29a6667fefe8704af617ecb7920bbca61cf8b25ab709e68af9fd5aedec55d5e73");
    const plain = "0100020303090905" + hex(utf8("bobtapioca/0localhosthello"));
    expect(hex(obfuscate(wire, h, utf8("testing123")))).toBe(plain);
    expect(hex(obfuscate(fromHex(plain), h, utf8("testing123")))).toBe(hex(wire));
  });

  test("published capture: 53-byte authorization REQUEST (minor 0) decrypts to its plaintext", () => {
    const h = {
      majorVersion: 0xc,
      minorVersion: 0,
      seqNo: 1,
      sessionId: 0xe16678e6,
    };
    const wire = fromHex(
      "4bc5ea6213cccaa66a033c8e3fc05aaa46da12cdee486269679ab8b4db709830b7fcf69309d43f2ca9589e3c6a0ed55020e6a53946",
    );
    const plain =
      "0600020303090902" + "0b0b" + hex(utf8("bobtapioca/0localhostservice=pppprotocol=ip"));
    expect(hex(obfuscate(wire, h, utf8("testing123")))).toBe(plain);
  });

  test("equals the naive reference at every length 0..300, for several keys, versions and seq_no", () => {
    const keys = [
      new Uint8Array(0),
      utf8("k"),
      utf8("testing123"),
      Uint8Array.from({ length: 200 }, (_, i) => (i * 7) & 0xff),
    ];
    let checked = 0;
    for (const key of keys) {
      for (const [minorVersion, seqNo, sessionId] of [
        [0, 1, 0xdeadbeef],
        [1, 254, 0],
        [0, 7, 0x80000001],
      ] as const) {
        const h = { majorVersion: 0xc, minorVersion, seqNo, sessionId };
        for (let len = 0; len <= 300; len++) {
          const body = Uint8Array.from({ length: len }, (_, i) => (i * 31 + len) & 0xff);
          const got = obfuscate(body, h, key);
          expect(got.length).toBe(len);
          expect(hex(got)).toBe(hex(referenceObfuscate(body, h, key)));
          expect(hex(obfuscate(got, h, key))).toBe(hex(body));
          checked++;
        }
      }
    }
    expect(checked).toBe(4 * 3 * 301);
  });

  test("the pad depends on every input: session_id, key, version, seq_no", () => {
    const body = new Uint8Array(33);
    const base = { majorVersion: 0xc, minorVersion: 0, seqNo: 1, sessionId: 1 };
    const a = hex(obfuscate(body, base, utf8("secret")));
    expect(hex(obfuscate(body, { ...base, sessionId: 2 }, utf8("secret")))).not.toBe(a);
    expect(hex(obfuscate(body, base, utf8("secreT")))).not.toBe(a);
    expect(hex(obfuscate(body, { ...base, minorVersion: 1 }, utf8("secret")))).not.toBe(a);
    expect(hex(obfuscate(body, { ...base, seqNo: 3 }, utf8("secret")))).not.toBe(a);
  });

  test("does not modify its input and works on a view into a larger buffer", () => {
    const big = Uint8Array.from({ length: 100 }, (_, i) => i);
    const view = big.subarray(12, 80);
    const copy = view.slice();
    const h = { majorVersion: 0xc, minorVersion: 0, seqNo: 2, sessionId: 42 };
    const out = obfuscate(view, h, utf8("k"));
    expect(hex(view)).toBe(hex(copy));
    expect(hex(out)).toBe(hex(referenceObfuscate(copy, h, utf8("k"))));
  });
});
