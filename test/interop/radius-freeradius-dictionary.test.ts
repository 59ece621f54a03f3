// Imports FreeRADIUS's own dictionaries (Debian package freeradius-common) with our importer and checks
// that our built-in dictionary agrees with them on every attribute and VALUE it defines.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  attrByCode,
  attrByName,
  createDictionary,
  defaultDictionary,
  type DictionarySource,
} from "../../src/radius/codec/dictionary.ts";
import { importFreeRadiusDictionary } from "../../src/radius/codec/dictionary-import.ts";
import { peersAvailable } from "../support/peers.ts";

const DIR = "/usr/share/freeradius";

function requireDir(): void {
  if (!existsSync(join(DIR, "dictionary"))) {
    throw new Error(
      `${DIR}/dictionary not found: install the Debian package freeradius-common (apt-get install -y freeradius-common)`,
    );
  }
}

/** Follows $INCLUDE from the top-level file, as FreeRADIUS does (relative to the including file's folder). */
function loadAll(file: string, out: DictionarySource[], seen: Set<string>): void {
  if (seen.has(file)) return;
  seen.add(file);
  const r = importFreeRadiusDictionary(readFileSync(file, "utf8"));
  if (!r.ok) throw new Error(`${file}: ${r.detail}`);
  for (const inc of r.value.includes) loadAll(join(DIR, inc.file), out, seen);
  out.push(r.value);
}

describe.skipIf(!peersAvailable("freeradius-common"))(
  "FreeRADIUS dictionaries (freeradius-common)",
  () => {
    test("single files: rfc2865, cisco, microsoft", () => {
      requireDir();
      const read = (f: string) => {
        const r = importFreeRadiusDictionary(readFileSync(join(DIR, f), "utf8"));
        if (!r.ok) throw new Error(`${f}: ${r.detail}`);
        return r.value;
      };
      const rfc = createDictionary(read("dictionary.rfc2865"));
      if (!rfc.ok) throw new Error(rfc.detail);
      expect(attrByCode(rfc.value, 0, 2)).toMatchObject({
        name: "User-Password",
        encrypt: 1,
      });
      expect(attrByName(rfc.value, "Service-Type")!.valuesByName.get("administrative-user")).toBe(
        6,
      );
      const vendors = createDictionary(read("dictionary.cisco"), read("dictionary.microsoft"));
      if (!vendors.ok) throw new Error(vendors.detail);
      expect(attrByCode(vendors.value, 9, 1)!.name).toBe("Cisco-AVPair");
      expect(attrByCode(vendors.value, 311, 17)).toMatchObject({
        name: "MS-MPPE-Recv-Key",
        encrypt: 2,
      });
      expect(attrByCode(vendors.value, 311, 25)).toMatchObject({
        name: "MS-CHAP2-Response",
        fixedLength: 50,
      });
    });

    test("the whole tree imports, and our built-in dictionary agrees with it", () => {
      requireDir();
      const sources: DictionarySource[] = [];
      loadAll(join(DIR, "dictionary"), sources, new Set());
      expect(sources.length).toBeGreaterThan(100);
      const fr = createDictionary(...sources);
      if (!fr.ok) throw new Error(fr.detail);
      const ours = defaultDictionary();
      let checked = 0;
      for (const a of ours.attrsByCode.values()) {
        const theirs = attrByCode(fr.value, a.vendorId, a.type);
        expect(theirs, `${a.name}`).toBeDefined();
        expect([a.name, a.dataType, a.fixedLength, a.encrypt, a.hasTag]).toEqual([
          theirs!.name,
          theirs!.dataType,
          theirs!.fixedLength,
          theirs!.encrypt,
          theirs!.hasTag,
        ]);
        for (const [name, value] of a.valuesByName) {
          expect(theirs!.valuesByName.get(name), `${a.name} ${name}`).toBe(value);
        }
        checked++;
      }
      expect(checked).toBeGreaterThan(100);
    });
  },
);
