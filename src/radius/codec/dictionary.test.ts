import { describe, expect, test } from "bun:test";
import { fromHex, hex } from "../../lib/bytes.ts";
import {
  attrByCode,
  attrByName,
  createDictionary,
  defaultDictionary,
  vendorById,
  vendorByName,
  type AttrDef,
} from "./dictionary.ts";
import { decodeValue, encodeValue, valueTag } from "./dictionary-values.ts";

const d = defaultDictionary();
const def = (n: string): AttrDef => {
  const a = attrByName(d, n);
  if (a === undefined) throw new Error(`no ${n}`);
  return a;
};
const enc = (n: string, v: string | number | bigint, tag?: number) => {
  const r = encodeValue(def(n), v, tag === undefined ? undefined : { tag });
  return r.ok ? hex(r.value) : r.code;
};
const dec = (n: string, h: string) => {
  const r = decodeValue(def(n), fromHex(h));
  return r.ok ? r.value : r.code;
};

describe("built-in dictionary", () => {
  test("lookups by name (case-insensitive) and by (vendor, type)", () => {
    expect(def("user-name").type).toBe(1);
    expect(attrByCode(d, 0, 80)!.name).toBe("Message-Authenticator");
    expect(attrByCode(d, 9, 1)!.name).toBe("Cisco-AVPair");
    expect(attrByCode(d, 311, 16)).toMatchObject({
      name: "MS-MPPE-Send-Key",
      encrypt: 2,
    });
    expect(attrByCode(d, 2636, 3)!.name).toBe("Juniper-Deny-Commands");
    expect(attrByCode(d, 14823, 2)).toMatchObject({
      name: "Aruba-User-Vlan",
      dataType: "integer",
    });
    expect(attrByCode(d, 30065, 1)!.name).toBe("Arista-AVPair");
    expect(def("Tunnel-Password")).toMatchObject({ encrypt: 2, hasTag: true });
    expect(def("User-Password").encrypt).toBe(1);
    expect(def("EAP-Message").concat).toBe(true);
    expect(vendorByName(d, "microsoft")!.id).toBe(311);
    expect(vendorById(d, 9)!.name).toBe("Cisco");
    expect(attrByName(d, "No-Such")).toBeUndefined();
  });

  test("integers with VALUE names", () => {
    expect(enc("Service-Type", "Administrative-User")).toBe("00000006");
    expect(enc("Service-Type", "administrative-user")).toBe("00000006");
    expect(enc("Acct-Status-Type", "Interim-Update")).toBe("00000003");
    expect(enc("Acct-Status-Type", "Alive")).toBe("00000003");
    expect(dec("Acct-Status-Type", "00000003")).toBe("Interim-Update");
    expect(dec("NAS-Port-Type", "0000000f")).toBe("Ethernet");
    expect(dec("Acct-Terminate-Cause", "00000001")).toBe("User-Request");
    expect(dec("Framed-Protocol", "00000001")).toBe("PPP");
    expect(dec("Service-Type", "00000063")).toBe(99);
    expect(enc("Session-Timeout", 3600)).toBe("00000e10");
    expect(enc("Session-Timeout", "3600")).toBe("00000e10");
    expect(enc("Session-Timeout", "-1")).toBe("radius/bad-value");
    expect(enc("Session-Timeout", 2 ** 32)).toBe("radius/bad-value");
    expect(enc("Service-Type", "Bogus")).toBe("radius/bad-value");
    expect(dec("Session-Timeout", "0e10")).toBe("radius/bad-value");
    expect(dec("Session-Timeout", "ffffffff")).toBe(4294967295);
    // The other widths, on a definition of each type (byte order is network order throughout).
    const as = (dataType: AttrDef["dataType"], h: string) => {
      const r = decodeValue(
        { ...def("Session-Timeout"), dataType, valueNames: new Map() },
        fromHex(h),
      );
      return r.ok ? r.value : r.code;
    };
    expect(as("signed", "fffffffe")).toBe(-2);
    expect(as("short", "0102")).toBe(258);
    expect(as("byte", "ff")).toBe(255);
    expect(as("integer64", "0000000100000002")).toBe("4294967298");
    expect(as("integer64", "ffffffffffffffff")).toBe("18446744073709551615");
  });

  test("addresses, prefixes, dates, octets, strings", () => {
    expect(enc("NAS-IP-Address", "192.168.1.16")).toBe("c0a80110");
    expect(dec("NAS-IP-Address", "c0a80110")).toBe("192.168.1.16");
    expect(enc("NAS-IP-Address", "::1")).toBe("radius/bad-value");
    expect(enc("NAS-IPv6-Address", "2001:db8::1")).toBe("20010db8000000000000000000000001");
    expect(dec("NAS-IPv6-Address", "20010db8000000000000000000000001")).toBe("2001:db8::1");
    expect(enc("Framed-IPv6-Prefix", "2001:db8::/32")).toBe("002020010db8");
    expect(dec("Framed-IPv6-Prefix", "002020010db8")).toBe("2001:db8::/32");
    expect(dec("Framed-IPv6-Prefix", "004020010db8000000000000000000000000")).toBe("2001:db8::/64");
    expect(dec("Framed-IPv6-Prefix", "0081")).toBe("radius/bad-value");
    expect(dec("Framed-IPv6-Prefix", "002020")).toBe("radius/bad-value");
    expect(enc("Framed-Interface-Id", "0011:2233:4455:6677")).toBe("0011223344556677");
    expect(dec("Framed-Interface-Id", "0011223344556677")).toBe("0011:2233:4455:6677");
    expect(enc("Event-Timestamp", "2024-01-01T00:00:00Z")).toBe("65920080");
    expect(dec("Event-Timestamp", "65920080")).toBe("2024-01-01T00:00:00.000Z");
    expect(enc("Class", "0xdeadBEEF")).toBe("deadbeef");
    expect(dec("Class", "deadbeef")).toBe("0xdeadbeef");
    expect(enc("Reply-Message", "héllo")).toBe("68c3a96c6c6f");
    expect(dec("Reply-Message", "68c3a96c6c6f")).toBe("héllo");
    expect(enc("Reply-Message", "x".repeat(254))).toBe("radius/bad-value");
    expect(enc("MS-CHAP-Response", "0x00")).toBe("radius/bad-value"); // octets[50]
  });

  test("tags (RFC 2868 §3.1)", () => {
    expect(enc("Tunnel-Type", "VLAN", 1)).toBe("0100000d");
    expect(dec("Tunnel-Type", "0100000d")).toBe("VLAN");
    expect(valueTag(def("Tunnel-Type"), fromHex("0100000d"))).toBe(1);
    expect(enc("Tunnel-Private-Group-Id", "100", 1)).toBe("01313030");
    expect(dec("Tunnel-Private-Group-Id", "01313030")).toBe("100");
    expect(dec("Tunnel-Private-Group-Id", "313030")).toBe("100");
    expect(enc("Tunnel-Type", "VLAN", 0x20)).toBe("radius/bad-value");
    expect(enc("User-Name", "x", 1)).toBe("radius/bad-value");
  });
});

describe("createDictionary", () => {
  test("later sources extend; errors carry line numbers", () => {
    const r = createDictionary(
      {
        vendors: [],
        attributes: [{ name: "Foo", type: 1, dataType: "string" }],
        values: [],
      },
      {
        vendors: [{ name: "Acme", id: 999 }],
        attributes: [{ name: "Acme-Level", type: 1, dataType: "integer", vendor: "Acme" }],
        values: [{ attr: "acme-level", name: "High", value: 9 }],
      },
    );
    if (!r.ok) throw new Error(r.code);
    expect(attrByCode(r.value, 999, 1)!.valuesByName.get("high")).toBe(9);
    expect(
      createDictionary({
        vendors: [],
        attributes: [],
        values: [{ attr: "Nope", name: "X", value: 1, line: 7 }],
      }),
    ).toMatchObject({
      ok: false,
      code: "dictionary/unknown-attribute",
      detail: "line 7: VALUE for Nope",
    });
    expect(
      createDictionary({
        vendors: [],
        attributes: [{ name: "X", type: 1, dataType: "string", vendor: "Nope" }],
        values: [],
      }).ok,
    ).toBe(false);
    expect(
      createDictionary({
        vendors: [],
        attributes: [{ name: "X", type: 1, dataType: "float" }],
        values: [],
      }),
    ).toMatchObject({ code: "dictionary/bad-type" });
  });
});
