// Vendor-Specific attribute (type 26) contents, RFC 2865 §5.26.
//
// API
//   decodeVsa(value, format?)                  → Result<VendorAttribute[]>  sub-attributes of one VSA
//   encodeVsa(vendorId, subs, format?)          → Result<Attribute>          one type-26 attribute
//   findVendorAttr(p, vendorId, vendorType)     first matching sub-attribute value (views, no copies)
//   VSA_FORMAT_DEFAULT, VendorFormat
//
// Layout: Vendor-Id (4 octets, high octet 0 = SMI Network Management Private Enterprise Code), then
// the vendor's "String". §5.26 only *recommends* the sub-attribute layout Vendor-Type(1) Vendor-Length(1)
// value, with Vendor-Length counting its own 2 header octets, and allows several sub-attributes in one
// VSA. Almost every vendor uses that (format 1,1: Cisco, Microsoft, Juniper, Aruba, Arista...). A few
// do not, e.g. USR (4-octet type, no length: format 4,0), Lucent and Starent (2,2). The format is a
// property of the vendor in the dictionary (VENDOR ... format=t,l), so callers pass it; WiMAX's
// continuation flag (format=1,1,c) is not supported and such VSAs stay opaque octets.
import { Reader, readU32 } from "../../lib/bytes.ts";
import { err, ok, type Result } from "../../lib/result.ts";
import { AttrType, MAX_ATTR_VALUE_LENGTH, type Attribute } from "./packet.ts";

export interface VendorFormat {
  typeSize: 1 | 2 | 4;
  /** 0 means "no length field": exactly one sub-attribute filling the rest of the VSA. */
  lengthSize: 0 | 1 | 2;
}
export const VSA_FORMAT_DEFAULT: VendorFormat = { typeSize: 1, lengthSize: 1 };

export interface VendorAttribute {
  vendorId: number;
  vendorType: number;
  value: Uint8Array;
}

export type VsaErrorCode = "radius/vsa-too-short" | "radius/vsa-malformed" | "radius/vsa-too-long";

/** RFC 2865 §5.26: Length ≥ 7 for the whole attribute, i.e. Vendor-Id plus at least one octet. */
const VENDOR_ID_LENGTH = 4;

export function decodeVsa(
  value: Uint8Array,
  format: VendorFormat = VSA_FORMAT_DEFAULT,
): Result<VendorAttribute[], VsaErrorCode> {
  const r = new Reader(value);
  const vendorId = r.u32();
  if (vendorId === undefined || r.remaining === 0)
    return err("radius/vsa-too-short", `${value.length} octets`);
  if (vendorId > 0xffffff)
    return err("radius/vsa-malformed", `Vendor-Id ${vendorId} has a non-zero high octet`);
  const out: VendorAttribute[] = [];
  const hdr = format.typeSize + format.lengthSize;
  while (r.remaining > 0) {
    const vendorType = readN(r, format.typeSize);
    if (vendorType === undefined)
      return err("radius/vsa-malformed", `vendor ${vendorId}: type cut`);
    if (format.lengthSize === 0) {
      out.push({ vendorId, vendorType, value: r.bytes(r.remaining)! });
      break;
    }
    const vlen = readN(r, format.lengthSize);
    if (vlen === undefined) return err("radius/vsa-malformed", `vendor ${vendorId}: length cut`);
    // Vendor-Length counts the sub-attribute header, so anything below it cannot be right.
    if (vlen < hdr)
      return err("radius/vsa-malformed", `vendor ${vendorId} type ${vendorType}: length ${vlen}`);
    const v = r.bytes(vlen - hdr);
    if (v === undefined)
      return err("radius/vsa-malformed", `vendor ${vendorId} type ${vendorType}: overrun`);
    out.push({ vendorId, vendorType, value: v });
  }
  return ok(out);
}

export function encodeVsa(
  vendorId: number,
  subs: readonly { vendorType: number; value: Uint8Array }[],
  format: VendorFormat = VSA_FORMAT_DEFAULT,
): Result<Attribute, VsaErrorCode> {
  if (!Number.isInteger(vendorId) || vendorId < 0 || vendorId > 0xffffff) {
    return err("radius/vsa-malformed", `Vendor-Id ${vendorId}`);
  }
  if (subs.length === 0 || (format.lengthSize === 0 && subs.length !== 1)) {
    return err(
      "radius/vsa-malformed",
      `${subs.length} sub-attributes for format ${format.typeSize},${format.lengthSize}`,
    );
  }
  const hdr = format.typeSize + format.lengthSize;
  let n = VENDOR_ID_LENGTH;
  for (const s of subs) {
    if (
      !Number.isInteger(s.vendorType) ||
      s.vendorType < 0 ||
      s.vendorType >= 2 ** (8 * format.typeSize)
    ) {
      return err("radius/vsa-malformed", `vendor type ${s.vendorType}`);
    }
    n += hdr + s.value.length;
  }
  if (n > MAX_ATTR_VALUE_LENGTH) return err("radius/vsa-too-long", `${n} octets`);
  const out = new Uint8Array(n);
  writeN(out, 0, 4, vendorId);
  let o = VENDOR_ID_LENGTH;
  for (const s of subs) {
    writeN(out, o, format.typeSize, s.vendorType);
    if (format.lengthSize > 0)
      writeN(out, o + format.typeSize, format.lengthSize, hdr + s.value.length);
    out.set(s.value, o + hdr);
    o += hdr + s.value.length;
  }
  return ok({ type: AttrType.VendorSpecific, value: out });
}

/**
 * First value of (vendorId, vendorType) among the packet's VSAs in format 1,1, without allocating.
 * Malformed VSAs are skipped (they stay visible as raw type-26 attributes).
 */
export function findVendorAttr(
  p: { attributes: readonly Attribute[] },
  vendorId: number,
  vendorType: number,
): Uint8Array | undefined {
  for (const a of p.attributes) {
    if (a.type !== AttrType.VendorSpecific) continue;
    const v = a.value;
    if (v.length < 6) continue;
    const id = readU32(v, 0);
    if (id !== vendorId) continue;
    let o = 4;
    while (o + 2 <= v.length) {
      const t = v[o]!;
      const l = v[o + 1]!;
      if (l < 2 || o + l > v.length) break;
      if (t === vendorType) return v.subarray(o + 2, o + l);
      o += l;
    }
  }
  return undefined;
}

function readN(r: Reader, n: 1 | 2 | 4): number | undefined {
  return n === 1 ? r.u8() : n === 2 ? r.u16() : r.u32();
}

function writeN(out: Uint8Array, at: number, n: number, v: number): void {
  for (let i = n - 1; i >= 0; i--) {
    out[at + i] = v & 0xff;
    v = Math.floor(v / 256);
  }
}
