import { describe, expect, test } from "bun:test";
import { fromHex, fromUtf8, hex, utf8 } from "../../lib/bytes.ts";
import { decodePacket, encodePacket } from "./packet.ts";
import { decodeVsa, encodeVsa, findVendorAttr } from "./vsa.ts";

describe("Vendor-Specific (RFC 2865 §5.26)", () => {
  test("Cisco-AVPair wire form decodes and re-encodes", () => {
    // 26, len 0x17: vendor 9, type 1, len 0x11, "shell:priv-lvl=15"
    const value = fromHex("00000009 01 13" + hex(utf8("shell:priv-lvl=15")));
    const d = decodeVsa(value);
    if (!d.ok) throw new Error(d.code);
    expect(d.value).toHaveLength(1);
    expect(d.value[0]!.vendorId).toBe(9);
    expect(d.value[0]!.vendorType).toBe(1);
    expect(fromUtf8(d.value[0]!.value)).toBe("shell:priv-lvl=15");
    const e = encodeVsa(9, d.value);
    expect(e.ok && hex(e.value.value)).toBe(hex(value));
  });

  test("several sub-attributes in one VSA; findVendorAttr scans them", () => {
    const e = encodeVsa(14823, [
      { vendorType: 1, value: utf8("guest") },
      { vendorType: 2, value: fromHex("0000000a") },
    ]);
    if (!e.ok) throw new Error(e.code);
    const pkt = encodePacket({
      code: 2,
      identifier: 0,
      attributes: [{ type: 26, value: fromHex("0000000901030a") }, e.value],
    });
    const p = pkt.ok ? decodePacket(pkt.value) : pkt;
    if (!p.ok) throw new Error(p.code);
    expect(hex(findVendorAttr(p.value, 14823, 2)!)).toBe("0000000a");
    expect(fromUtf8(findVendorAttr(p.value, 14823, 1)!)).toBe("guest");
    expect(findVendorAttr(p.value, 14823, 3)).toBeUndefined();
    expect(hex(findVendorAttr(p.value, 9, 1)!)).toBe("0a");
  });

  test("other formats: 2,2 (Lucent-style) and 4,0 (USR-style)", () => {
    const f22 = { typeSize: 2, lengthSize: 2 } as const;
    const e = encodeVsa(4846, [{ vendorType: 300, value: utf8("x") }], f22);
    expect(e.ok && hex(e.value.value)).toBe("000012ee" + "012c" + "0005" + "78");
    const d = e.ok ? decodeVsa(e.value.value, f22) : e;
    expect(d.ok && d.value[0]!.vendorType).toBe(300);
    const f40 = { typeSize: 4, lengthSize: 0 } as const;
    const u = decodeVsa(fromHex("000001ad 00009801 616263"), f40);
    expect(u.ok && [u.value[0]!.vendorType, fromUtf8(u.value[0]!.value)]).toEqual([0x9801, "abc"]);
    expect(
      encodeVsa(
        429,
        [
          { vendorType: 1, value: utf8("a") },
          { vendorType: 2, value: utf8("b") },
        ],
        f40,
      ).ok,
    ).toBe(false);
  });

  test("malformed", () => {
    expect(decodeVsa(fromHex("00000009"))).toMatchObject({
      code: "radius/vsa-too-short",
    });
    expect(decodeVsa(fromHex("01000009 0103 61"))).toMatchObject({
      code: "radius/vsa-malformed",
    });
    expect(decodeVsa(fromHex("00000009 0101"))).toMatchObject({
      code: "radius/vsa-malformed",
    });
    expect(decodeVsa(fromHex("00000009 0105 61"))).toMatchObject({
      code: "radius/vsa-malformed",
    });
    expect(decodeVsa(fromHex("00000009 0103 61 01"))).toMatchObject({
      code: "radius/vsa-malformed",
    });
    expect(encodeVsa(9, [{ vendorType: 1, value: new Uint8Array(248) }])).toMatchObject({
      code: "radius/vsa-too-long",
    });
    expect(encodeVsa(9, [{ vendorType: 1, value: new Uint8Array(247) }]).ok).toBe(true);
    expect(encodeVsa(9, [{ vendorType: 256, value: new Uint8Array(1) }]).ok).toBe(false);
    expect(encodeVsa(0x1000000, [{ vendorType: 1, value: new Uint8Array(1) }]).ok).toBe(false);
  });
});
