// The attribute dictionary: names ↔ (vendor, type), data types, flags, VALUE names.
//
// API
//   createDictionary(...sources)          → Result<Dictionary>  later sources override earlier names/codes
//   defaultDictionary()                   the built-in one (dictionary-data.ts), built once
//   attrByName(dict, name)                case-insensitive, as FreeRADIUS
//   attrByCode(dict, vendorId, type)      vendorId 0 = standard attribute
//   vendorByName(dict, name) / vendorById(dict, id)
//   types: DataType, AttrDef, VendorDef, AttrSpec, ValueSpec, VendorSpec, DictionarySource
// Value encoding and decoding by type lives in dictionary-values.ts (encodeValue / decodeValue).
//
// A source is plain data (what dictionary-import.ts produces from FreeRADIUS files): vendors, attributes
// and VALUE lines. VALUE lines may name an attribute defined in any source; an unknown one is an
// error carrying the line number when there is one. Several VALUE names may share a number (FreeRADIUS
// has Alive and Interim-Update = 3): all encode, the last one defined is the display name (as FreeRADIUS).
import { err, ok, type Result } from "../../lib/result.ts";
import { BUILTIN_DICTIONARY } from "./dictionary-data.ts";
import type { DictionarySource } from "./dictionary-source.ts";
import { VSA_FORMAT_DEFAULT, type VendorFormat } from "./vsa.ts";

export type { AttrSpec, DictionarySource, ValueSpec, VendorSpec } from "./dictionary-source.ts";

export const DATA_TYPES = [
  "string",
  "octets",
  "ipaddr",
  "ipv6addr",
  "ipv6prefix",
  "ipv4prefix",
  "integer",
  "date",
  "byte",
  "short",
  "signed",
  "integer64",
  "ifid",
  "ether",
  "abinary",
  "combo-ip",
  "tlv",
  "vsa",
  "extended",
  "long-extended",
  "evs",
] as const;
export type DataType = (typeof DATA_TYPES)[number];
const DATA_TYPE_SET: ReadonlySet<string> = new Set(DATA_TYPES);

export interface VendorDef {
  name: string;
  id: number;
  format: VendorFormat;
}
export interface AttrDef {
  name: string;
  vendorId: number;
  type: number;
  dataType: DataType;
  /** For octets[N]: the required length. */
  fixedLength?: number;
  encrypt: 0 | 1 | 2 | 3;
  hasTag: boolean;
  concat: boolean;
  /** number → display name (last defined). */
  valueNames: Map<number, string>;
  /** lower-case name → number (all aliases). */
  valuesByName: Map<string, number>;
}
export interface Dictionary {
  attrsByName: Map<string, AttrDef>;
  attrsByCode: Map<number, AttrDef>;
  vendorsByName: Map<string, VendorDef>;
  vendorsById: Map<number, VendorDef>;
}

/** Vendor-Ids are < 2^24 and vendor types < 2^16, so this key is exact in a double. */
const codeKey = (vendorId: number, type: number): number => vendorId * 65536 + type;

export type DictionaryErrorCode =
  "dictionary/unknown-vendor" | "dictionary/unknown-attribute" | "dictionary/bad-type";

export function createDictionary(
  ...sources: DictionarySource[]
): Result<Dictionary, DictionaryErrorCode> {
  const d: Dictionary = {
    attrsByName: new Map(),
    attrsByCode: new Map(),
    vendorsByName: new Map(),
    vendorsById: new Map(),
  };
  const at = (line: number | undefined) => (line === undefined ? "" : `line ${line}: `);
  for (const src of sources) {
    for (const v of src.vendors) {
      const def: VendorDef = {
        name: v.name,
        id: v.id,
        format: v.format ?? VSA_FORMAT_DEFAULT,
      };
      d.vendorsByName.set(v.name.toLowerCase(), def);
      d.vendorsById.set(v.id, def);
    }
    for (const a of src.attributes) {
      let vendorId = 0;
      if (a.vendor !== undefined) {
        const v = d.vendorsByName.get(a.vendor.toLowerCase());
        if (v === undefined)
          return err("dictionary/unknown-vendor", `${at(a.line)}${a.vendor} for ${a.name}`);
        vendorId = v.id;
      }
      const m = /^([a-z0-9-]+)(?:\[(\d+)\])?$/.exec(a.dataType.toLowerCase());
      if (m === null || !DATA_TYPE_SET.has(m[1]!))
        return err("dictionary/bad-type", `${at(a.line)}${a.name}: ${a.dataType}`);
      const def: AttrDef = {
        name: a.name,
        vendorId,
        type: a.type,
        dataType: m[1] as DataType,
        encrypt: a.encrypt ?? 0,
        hasTag: a.hasTag ?? false,
        concat: a.concat ?? false,
        valueNames: new Map(),
        valuesByName: new Map(),
      };
      if (m[2] !== undefined) def.fixedLength = Number(m[2]);
      const prev = d.attrsByCode.get(codeKey(vendorId, a.type));
      // An alias (FreeRADIUS has Client-Id and NAS-IP-Address = 4): as in FreeRADIUS the last definition
      // becomes the display name; the old names keep resolving, to the new definition, VALUEs shared.
      if (prev !== undefined) {
        def.valueNames = prev.valueNames;
        def.valuesByName = prev.valuesByName;
        for (const [k, v] of d.attrsByName) if (v === prev) d.attrsByName.set(k, def);
      }
      d.attrsByName.set(a.name.toLowerCase(), def);
      d.attrsByCode.set(codeKey(vendorId, a.type), def);
    }
  }
  // VALUE lines are resolved after every source's attributes, like FreeRADIUS's deferred value fixups
  // (its dictionary.compat names attributes that later files define).
  const ignored = new Set(
    sources.flatMap((s) => s.ignoredAttributes ?? []).map((n) => n.toLowerCase()),
  );
  for (const src of sources) {
    for (const v of src.values) {
      if (ignored.has(v.attr.toLowerCase()) && !d.attrsByName.has(v.attr.toLowerCase())) continue;
      const def = d.attrsByName.get(v.attr.toLowerCase());
      if (def === undefined)
        return err("dictionary/unknown-attribute", `${at(v.line)}VALUE for ${v.attr}`);
      def.valueNames.set(v.value, v.name);
      def.valuesByName.set(v.name.toLowerCase(), v.value);
    }
  }
  return ok(d);
}

let builtin: Dictionary | undefined;
export function defaultDictionary(): Dictionary {
  if (builtin === undefined) {
    const r = createDictionary(BUILTIN_DICTIONARY);
    if (!r.ok) throw new Error(`built-in dictionary is broken: ${r.code} ${r.detail ?? ""}`);
    builtin = r.value;
  }
  return builtin;
}

export const attrByName = (d: Dictionary, name: string): AttrDef | undefined =>
  d.attrsByName.get(name.toLowerCase());
export const attrByCode = (d: Dictionary, vendorId: number, type: number): AttrDef | undefined =>
  d.attrsByCode.get(codeKey(vendorId, type));
export const vendorByName = (d: Dictionary, name: string): VendorDef | undefined =>
  d.vendorsByName.get(name.toLowerCase());
export const vendorById = (d: Dictionary, id: number): VendorDef | undefined =>
  d.vendorsById.get(id);
