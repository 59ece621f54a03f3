// Importer for FreeRADIUS-format dictionary files (the format of /usr/share/freeradius/dictionary.*).
//
// API
//   importFreeRadiusDictionary(text) → Result<ImportedDictionary>   pure: no file access
//   ImportedDictionary = DictionarySource + includes (not followed) + skipped (lines understood but
//   not supported), to be merged with createDictionary(defaultSource, imported, ...)
//
// Supported lines:  ATTRIBUTE name number type [flags]   (flags: encrypt=1|2|3, has_tag, concat, others
//   ignored; a 4th token naming a vendor is the old "ATTRIBUTE ... vendor" form)
//   VALUE attribute name number    VENDOR name id [format=t,l[,c]]    BEGIN-VENDOR name / END-VENDOR name
//   $INCLUDE file (reported in `includes`, never read here).
// Skipped and reported: dotted numbers (TLV / extended attributes, RFC 6929), BEGIN-TLV, PROTOCOL, FLAGS,
// and the WiMAX continuation flag ",c" (the vendor is kept with its t,l format).
// Everything else is an error "dictionary/parse" whose detail starts with "line N:".
import { err, ok, type Result } from "../../lib/result.ts";
import { DATA_TYPES, type AttrSpec, type DictionarySource } from "./dictionary.ts";
import type { VendorFormat } from "./vsa.ts";

export interface ImportedDictionary extends DictionarySource {
  includes: { file: string; line: number }[];
  skipped: { line: number; reason: string }[];
}

/** A dictionary file is configuration, not wire data, but it is still bounded: FreeRADIUS's largest is ~200 kB. */
export const MAX_DICTIONARY_TEXT = 4 * 1024 * 1024;
const TYPE_RE = new RegExp(`^(${DATA_TYPES.join("|")})(\\[\\d+\\])?$`);
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.\-/+]*$/;

function parseNumber(s: string): number | undefined {
  if (/^\d+$/.test(s)) return Number(s);
  if (/^0x[0-9a-f]+$/i.test(s)) return Number.parseInt(s.slice(2), 16);
  return undefined;
}

function parseFormat(s: string): { format: VendorFormat; continuation: boolean } | undefined {
  const m = /^format=([124]),([012])(,c)?$/.exec(s);
  if (m === null) return undefined;
  return {
    format: {
      typeSize: Number(m[1]) as 1 | 2 | 4,
      lengthSize: Number(m[2]) as 0 | 1 | 2,
    },
    continuation: m[3] !== undefined,
  };
}

export function importFreeRadiusDictionary(
  text: string,
): Result<ImportedDictionary, "dictionary/parse"> {
  if (text.length > MAX_DICTIONARY_TEXT)
    return err("dictionary/parse", `file larger than ${MAX_DICTIONARY_TEXT} characters`);
  const out: ImportedDictionary = {
    vendors: [],
    attributes: [],
    values: [],
    includes: [],
    skipped: [],
    ignoredAttributes: [],
  };
  const knownVendors = new Set<string>();
  const skippedAttrs = new Set<string>();
  let vendor: string | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const fail = (why: string) => err("dictionary/parse", `line ${line}: ${why}`);
    const hash = lines[i]!.indexOf("#");
    const t = (hash < 0 ? lines[i]! : lines[i]!.slice(0, hash))
      .trim()
      .split(/\s+/)
      .filter((x) => x !== "");
    if (t.length === 0) continue;
    const kw = t[0]!;
    switch (kw) {
      case "ATTRIBUTE": {
        if (t.length < 4 || t.length > 5) return fail("ATTRIBUTE needs: name number type [flags]");
        const [, name, num, rawType, extra] = t as [
          string,
          string,
          string,
          string,
          string | undefined,
        ];
        if (!NAME_RE.test(name)) return fail(`bad attribute name "${name}"`);
        const type = parseNumber(num);
        const oldStyleVendor =
          extra !== undefined && !extra.includes("=") && knownVendors.has(extra.toLowerCase())
            ? extra
            : undefined;
        // Dotted numbers are TLVs / RFC 6929 extended attributes; numbers > 255 outside a vendor are
        // FreeRADIUS-internal (never on the wire). Both are skipped along with their VALUE lines.
        if (
          /^\d+(\.\d+)+$/.test(num) ||
          (vendor === undefined && oldStyleVendor === undefined && type !== undefined && type > 255)
        ) {
          out.skipped.push({
            line,
            reason: `${name}: number ${num} is not a wire attribute we support`,
          });
          skippedAttrs.add(name.toLowerCase());
          out.ignoredAttributes!.push(name);
          continue;
        }
        if (type === undefined || type > 65535) return fail(`bad attribute number "${num}"`);
        const dataType = rawType.toLowerCase();
        if (!TYPE_RE.test(dataType)) return fail(`unknown type "${rawType}"`);
        const spec: AttrSpec = { name, type, dataType, vendor, line };
        if (extra !== undefined) {
          if (oldStyleVendor !== undefined) spec.vendor = oldStyleVendor;
          else {
            for (const f of extra.split(",")) {
              if (f === "has_tag") spec.hasTag = true;
              else if (f === "concat") spec.concat = true;
              else if (f.startsWith("encrypt=")) {
                const e = Number(f.slice(8));
                if (e !== 0 && e !== 1 && e !== 2 && e !== 3) return fail(`bad flag "${f}"`);
                spec.encrypt = e;
              }
            }
          }
        }
        out.attributes.push(spec);
        break;
      }
      case "VALUE": {
        if (t.length !== 4) return fail("VALUE needs: attribute name number");
        const value = parseNumber(t[3]!);
        if (value === undefined || value > 0xffffffff) return fail(`bad value number "${t[3]}"`);
        if (skippedAttrs.has(t[1]!.toLowerCase())) {
          out.skipped.push({ line, reason: `VALUE of skipped ${t[1]}` });
          continue;
        }
        out.values.push({ attr: t[1]!, name: t[2]!, value, line });
        break;
      }
      case "VENDOR": {
        if (t.length < 3 || t.length > 4) return fail("VENDOR needs: name id [format=t,l]");
        const id = parseNumber(t[2]!);
        if (id === undefined || id > 0xffffff) return fail(`bad vendor id "${t[2]}"`);
        const f = t[3] === undefined ? undefined : parseFormat(t[3]);
        if (t[3] !== undefined && f === undefined) return fail(`bad vendor format "${t[3]}"`);
        if (f?.continuation)
          out.skipped.push({
            line,
            reason: `${t[1]}: continuation flag not supported`,
          });
        out.vendors.push(
          f === undefined ? { name: t[1]!, id, line } : { name: t[1]!, id, format: f.format, line },
        );
        knownVendors.add(t[1]!.toLowerCase());
        break;
      }
      case "BEGIN-VENDOR":
        if (t.length < 2 || t.length > 3) return fail("BEGIN-VENDOR needs a vendor name");
        if (vendor !== undefined) return fail(`BEGIN-VENDOR ${t[1]} inside ${vendor}`);
        vendor = t[1]!;
        break;
      case "END-VENDOR":
        if (vendor === undefined || t[1]?.toLowerCase() !== vendor.toLowerCase())
          return fail(`END-VENDOR ${t[1] ?? ""} without BEGIN-VENDOR`);
        vendor = undefined;
        break;
      case "$INCLUDE":
      case "$INCLUDE-":
        if (t.length !== 2) return fail("$INCLUDE needs one file name");
        out.includes.push({ file: t[1]!, line });
        break;
      case "BEGIN-TLV":
      case "END-TLV":
      case "PROTOCOL":
      case "BEGIN-PROTOCOL":
      case "END-PROTOCOL":
      case "FLAGS":
        out.skipped.push({ line, reason: `${kw} not supported` });
        break;
      default:
        return fail(`unknown keyword "${kw}"`);
    }
  }
  if (vendor !== undefined)
    return err("dictionary/parse", `line ${lines.length}: BEGIN-VENDOR ${vendor} not closed`);
  return ok(out);
}
