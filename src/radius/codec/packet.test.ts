import { describe, expect, test } from "bun:test";
import { concat, fromHex, fromUtf8, hex, utf8 } from "../../lib/bytes.ts";
import {
  AttrType,
  Code,
  decodePacket,
  encodePacket,
  getAll,
  getAttr,
  isKnownCode,
  splitValue,
} from "./packet.ts";
import { RFC2865_7_1_ACCEPT, RFC2865_7_1_REQUEST, RFC2865_7_2_REQUEST } from "./test-vectors.ts";

const header = (code: number, id: number, len: number) =>
  fromHex(hex(new Uint8Array([code, id, len >> 8, len & 0xff])) + "00".repeat(16));

describe("decodePacket", () => {
  test("RFC 2865 §7.1 Access-Request: header, attributes, exact re-encode", () => {
    const r = decodePacket(RFC2865_7_1_REQUEST);
    if (!r.ok) throw new Error(r.code);
    const p = r.value;
    expect(p.code).toBe(Code.AccessRequest);
    expect(p.identifier).toBe(0);
    expect(hex(p.authenticator)).toBe("0f403f9473978057bd83d5cb98f4227a");
    expect(p.attributes.map((a) => a.type)).toEqual([1, 2, 4, 5]);
    expect(fromUtf8(getAttr(p, AttrType.UserName)!)).toBe("nemo");
    expect(hex(getAttr(p, AttrType.NASIPAddress)!)).toBe("c0a80110");
    expect(getAttr(p, 99)).toBeUndefined();
    const again = encodePacket(p);
    expect(again.ok && hex(again.value)).toBe(hex(RFC2865_7_1_REQUEST));
  });

  test("attribute values and the authenticator are copies: writing to them changes neither the datagram nor raw", () => {
    const dg = RFC2865_7_2_REQUEST.slice();
    const r = decodePacket(dg);
    if (!r.ok) throw new Error(r.code);
    const v = getAttr(r.value, AttrType.UserName)!;
    expect(new TextDecoder().decode(v)).toBe("flopsy");
    v.fill(0);
    r.value.authenticator.fill(0);
    expect(hex(dg)).toBe(hex(RFC2865_7_2_REQUEST));
    expect(hex(r.value.raw)).toBe(hex(RFC2865_7_2_REQUEST));
    expect(hex(getAttr(r.value, AttrType.UserName)!)).toBe("000000000000"); // the same copy each time
  });

  test("bytes beyond Length are ignored (RFC 2865 §3)", () => {
    const padded = concat([RFC2865_7_1_ACCEPT, fromHex("ffff0102")]);
    const r = decodePacket(padded);
    if (!r.ok) throw new Error(r.code);
    expect(r.value.raw.length).toBe(0x26);
    expect(r.value.attributes.length).toBe(3);
  });

  test("length rules", () => {
    expect(decodePacket(new Uint8Array(19))).toMatchObject({
      ok: false,
      code: "radius/too-short",
    });
    expect(decodePacket(header(1, 0, 19))).toMatchObject({
      ok: false,
      code: "radius/bad-length",
    });
    expect(decodePacket(concat([header(1, 0, 4097), new Uint8Array(4077)]))).toMatchObject({
      ok: false,
      code: "radius/bad-length",
    });
    expect(decodePacket(header(1, 0, 21))).toMatchObject({
      ok: false,
      code: "radius/length-exceeds-datagram",
    });
    expect(decodePacket(header(1, 0, 20))).toMatchObject({ ok: true });
    const max = concat([header(1, 0, 4096), new Uint8Array(4076)]);
    for (let i = 20; i < 4096; i += 254) {
      max[i] = 26;
      max[i + 1] = Math.min(254, 4096 - i);
    }
    expect(decodePacket(max)).toMatchObject({ ok: true });
  });

  test("attribute length 0 and 1 are too short; 2 is an empty value", () => {
    for (const l of [0, 1]) {
      const p = concat([header(1, 0, 22), new Uint8Array([1, l])]);
      expect(decodePacket(p)).toMatchObject({
        ok: false,
        code: "radius/attr-too-short",
      });
    }
    const r = decodePacket(concat([header(1, 0, 22), new Uint8Array([1, 2])]));
    expect(r.ok && r.value.attributes[0]!.value.length).toBe(0);
  });

  test("attributes must fill Length exactly", () => {
    // Attribute claims 6 octets but only 4 are inside Length (the rest is padding in the datagram).
    const p = concat([header(1, 0, 24), fromHex("01066e656d6f")]);
    expect(decodePacket(p)).toMatchObject({
      ok: false,
      code: "radius/attr-overrun",
    });
    // A lone type octet at the end.
    const q = concat([header(1, 0, 21), fromHex("01")]);
    expect(decodePacket(q)).toMatchObject({
      ok: false,
      code: "radius/attr-overrun",
    });
  });

  test("getAll keeps order", () => {
    const e = encodePacket({
      code: 2,
      identifier: 9,
      attributes: [
        { type: 18, value: utf8("a") },
        { type: 1, value: utf8("x") },
        { type: 18, value: utf8("b") },
      ],
    });
    const r = e.ok ? decodePacket(e.value) : e;
    if (!r.ok) throw new Error(r.code);
    expect(getAll(r.value, 18).map(fromUtf8)).toEqual(["a", "b"]);
  });
});

describe("encodePacket", () => {
  test("values over 253 octets are refused; splitValue chunks them", () => {
    const big = new Uint8Array(600).map((_, i) => i & 0xff);
    expect(
      encodePacket({
        code: 1,
        identifier: 0,
        attributes: [{ type: 79, value: big }],
      }),
    ).toMatchObject({ ok: false, code: "radius/attr-too-long" });
    const parts = splitValue(AttrType.EAPMessage, big);
    expect(parts.map((p) => p.value.length)).toEqual([253, 253, 94]);
    const e = encodePacket({ code: 1, identifier: 0, attributes: parts });
    const r = e.ok ? decodePacket(e.value) : e;
    if (!r.ok) throw new Error(r.code);
    expect(hex(concat(getAll(r.value, 79)))).toBe(hex(big));
    expect(splitValue(79, new Uint8Array(0)).length).toBe(1);
    expect(splitValue(79, new Uint8Array(253)).length).toBe(1);
  });

  test("packet over 4096 octets is refused", () => {
    // 20 + 15 × 255 = 3845; a last attribute of 2 + 249 makes exactly 4096.
    const attrs = Array.from({ length: 15 }, () => ({
      type: 26,
      value: new Uint8Array(253),
    }));
    const at = (n: number) => [...attrs, { type: 26, value: new Uint8Array(n) }];
    expect(encodePacket({ code: 1, identifier: 0, attributes: at(250) })).toMatchObject({
      ok: false,
      code: "radius/packet-too-long",
    });
    const e = encodePacket({ code: 1, identifier: 0, attributes: at(249) });
    expect(e.ok && e.value.length).toBe(4096);
  });

  test("bad fields", () => {
    expect(encodePacket({ code: 256, identifier: 0, attributes: [] }).ok).toBe(false);
    expect(encodePacket({ code: 1, identifier: -1, attributes: [] }).ok).toBe(false);
    expect(
      encodePacket({
        code: 1,
        identifier: 0,
        authenticator: new Uint8Array(15),
        attributes: [],
      }).ok,
    ).toBe(false);
  });

  test("messageAuthenticatorFirst places one zeroed 18-octet attribute first", () => {
    const e = encodePacket(
      {
        code: 2,
        identifier: 1,
        attributes: [
          { type: 18, value: utf8("hi") },
          { type: 80, value: new Uint8Array(16).fill(7) },
        ],
      },
      { messageAuthenticatorFirst: true },
    );
    const r = e.ok ? decodePacket(e.value) : e;
    if (!r.ok) throw new Error(r.code);
    expect(r.value.attributes.map((a) => a.type)).toEqual([80, 18]);
    expect(hex(r.value.attributes[0]!.value)).toBe("00".repeat(16));
    expect(r.value.raw.length).toBe(20 + 18 + 4);
  });
});

test("codes", () => {
  expect([Code.AccessChallenge, Code.StatusServer, Code.DisconnectRequest, Code.CoANAK]).toEqual([
    11, 12, 40, 45,
  ]);
  expect(isKnownCode(45)).toBe(true);
  expect(isKnownCode(6)).toBe(false);
});
