import { describe, expect, test } from "bun:test";
import { attrByCode, attrByName, createDictionary, defaultDictionary } from "./dictionary.ts";
import { importFreeRadiusDictionary } from "./dictionary-import.ts";
import { mulberry32 } from "../../../test/support/prng.ts";

const SAMPLE = `
# comment line
VENDOR		Acme		9999
VENDOR		Wide		4846	format=2,2
BEGIN-VENDOR	Acme
ATTRIBUTE	Acme-Role		1	string
ATTRIBUTE	Acme-Level		2	integer	# trailing comment
ATTRIBUTE	Acme-Key		3	octets	encrypt=2
ATTRIBUTE	Acme-Tunnel		4	integer	has_tag
VALUE	Acme-Level	Low	1
VALUE	Acme-Level	High	0x10
END-VENDOR	Acme
ATTRIBUTE	Wide-Thing	300	String	Wide
ATTRIBUTE	Std-Thing	200	ipaddr
ATTRIBUTE	Ext-Thing	241.1	integer
$INCLUDE	dictionary.other
BEGIN-TLV	Foo
`;

describe("importFreeRadiusDictionary", () => {
  test("vendors, attributes with flags, values, includes, skipped", () => {
    const r = importFreeRadiusDictionary(SAMPLE);
    if (!r.ok) throw new Error(r.detail);
    const imp = r.value;
    expect(imp.vendors.map((v) => [v.name, v.id])).toEqual([
      ["Acme", 9999],
      ["Wide", 4846],
    ]);
    expect(imp.vendors[1]!.format).toEqual({ typeSize: 2, lengthSize: 2 });
    expect(imp.includes).toEqual([{ file: "dictionary.other", line: 16 }]);
    expect(imp.skipped.map((s) => s.line)).toEqual([15, 17]);
    const d = createDictionary(imp);
    if (!d.ok) throw new Error(d.detail);
    expect(attrByCode(d.value, 9999, 3)).toMatchObject({
      name: "Acme-Key",
      encrypt: 2,
      dataType: "octets",
    });
    expect(attrByCode(d.value, 9999, 4)!.hasTag).toBe(true);
    expect(attrByName(d.value, "Acme-Level")!.valuesByName.get("high")).toBe(16);
    expect(attrByCode(d.value, 4846, 300)).toMatchObject({
      name: "Wide-Thing",
      dataType: "string",
    });
    expect(attrByCode(d.value, 0, 200)!.name).toBe("Std-Thing");
  });

  test("merges with the built-in dictionary", () => {
    const r = importFreeRadiusDictionary(
      "VALUE\tService-Type\tMy-Service\t99\nBEGIN-VENDOR Cisco\nATTRIBUTE Cisco-New 250 string\nEND-VENDOR Cisco\n",
    );
    if (!r.ok) throw new Error(r.detail);
    const d = createDictionary(defaultSource(), r.value);
    if (!d.ok) throw new Error(d.detail);
    expect(attrByName(d.value, "Service-Type")!.valueNames.get(99)).toBe("My-Service");
    expect(attrByCode(d.value, 9, 250)!.name).toBe("Cisco-New");
  });

  test("errors carry line numbers", () => {
    const cases: [string, string][] = [
      ["ATTRIBUTE X", "line 1:"],
      ["\n\nATTRIBUTE X 1 float", "line 3:"],
      ["ATTRIBUTE X abc string", "line 1:"],
      ["VALUE A B", "line 1:"],
      ["VALUE A B -1", "line 1:"],
      ["VENDOR V 99 format=3,1", "line 1:"],
      ["VENDOR V 16777216", "line 1:"],
      ["END-VENDOR V", "line 1:"],
      ["BEGIN-VENDOR V\nBEGIN-VENDOR W", "line 2:"],
      ["BEGIN-VENDOR V\n", "BEGIN-VENDOR V not closed"],
      ["ATTRIBUTE X 1 string encrypt=9", "line 1:"],
      ["FOO bar", "line 1: unknown keyword"],
    ];
    for (const [text, want] of cases) {
      const r = importFreeRadiusDictionary(text);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.detail).toContain(want);
    }
    const unknown = importFreeRadiusDictionary("VALUE Nope A 1\n");
    expect(unknown.ok && createDictionary(unknown.value)).toMatchObject({
      ok: false,
      detail: "line 1: VALUE for Nope",
    });
  });

  test("fuzz: random line soup never throws", () => {
    const rnd = mulberry32(42);
    const words = [
      "ATTRIBUTE",
      "VALUE",
      "VENDOR",
      "BEGIN-VENDOR",
      "END-VENDOR",
      "$INCLUDE",
      "X",
      "1",
      "0x1f",
      "string",
      "integer",
      "octets[3]",
      "has_tag",
      "encrypt=2",
      "format=1,1",
      "#",
      "1.2",
      "70000",
      "Acme",
      "\t",
      "\n",
    ];
    for (let i = 0; i < 2000; i++) {
      let s = "";
      const n = Math.floor(rnd() * 30);
      for (let j = 0; j < n; j++)
        s += words[Math.floor(rnd() * words.length)]! + (rnd() < 0.3 ? "\n" : " ");
      const r = importFreeRadiusDictionary(s);
      if (r.ok) expect(() => createDictionary(r.value)).not.toThrow();
    }
  });
});

function defaultSource() {
  // The built-in dictionary re-expressed as a source, through the public lookups.
  const d = defaultDictionary();
  return {
    vendors: [...d.vendorsById.values()].map((v) => ({
      name: v.name,
      id: v.id,
    })),
    attributes: [...d.attrsByCode.values()].map((a) => ({
      name: a.name,
      type: a.type,
      dataType: a.dataType,
      vendor: a.vendorId === 0 ? undefined : d.vendorsById.get(a.vendorId)!.name,
    })),
    values: [...d.attrsByCode.values()].flatMap((a) =>
      [...a.valuesByName].map(([name, value]) => ({
        attr: a.name,
        name,
        value,
      })),
    ),
  };
}
