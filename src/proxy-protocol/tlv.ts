// PROXY v2 TLV vector (proxy-protocol.txt §2.2): after the address block, until the end of `len`,
// a sequence of { u8 type; u8 length_hi; u8 length_lo; value[length] }. Every length is checked
// against what is left of the header before slicing; the header itself is capped in decode.ts, which
// also bounds how many TLVs one header can hold (at most len / 3).
import { fromUtf8, Reader } from "../lib/bytes.ts";
import { err, ok, type Result } from "../lib/result.ts";
import { PP2_SUBTYPE_SSL, PP2_TYPE, PP2_UNIQUE_ID_MAX, type SslInfo, type Tlv } from "./types.ts";

/** type (1) + length (2). */
const TLV_HEADER_LEN = 3;
/** §2.2.5: PP2_TYPE_SSL value starts with client (u8) and verify (u32), then sub-TLVs. */
const SSL_FIXED_LEN = 5;
/** §2.2.5: the CRC32C value is exactly one 32-bit number. */
const CRC32C_VALUE_LEN = 4;

export interface ParsedTlvs {
  tlvs: Tlv[];
  /** Offset of the CRC32C value inside the parsed area, or -1 when absent. */
  crc32cValueOffset: number;
  alpn?: Uint8Array;
  authority?: string;
  uniqueId?: Uint8Array;
  netns?: string;
  ssl?: SslInfo;
}

/** Split a byte area into TLVs. A TLV that overruns the area, or a dangling 1-2 bytes, is an error. */
export function splitTlvs(
  area: Uint8Array,
): Result<{ tlvs: Tlv[]; offsets: number[] }, "proxy/bad-tlv"> {
  const r = new Reader(area);
  const tlvs: Tlv[] = [];
  const offsets: number[] = [];
  while (r.remaining > 0) {
    const type = r.u8();
    const length = r.u16();
    if (type === undefined || length === undefined)
      return err("proxy/bad-tlv", `truncated TLV header at ${r.offset}`);
    const valueOffset = r.offset;
    // Wire trap: the TLV length is a u16 and is not bounded by the header len; check before slicing.
    const value = r.bytes(length);
    if (value === undefined) {
      return err(
        "proxy/bad-tlv",
        `TLV 0x${type.toString(16)} length ${length} overruns header (${area.length - valueOffset} left)`,
      );
    }
    tlvs.push({ type, value });
    offsets.push(valueOffset);
  }
  return ok({ tlvs, offsets });
}

function parseSsl(value: Uint8Array): Result<SslInfo, "proxy/bad-tlv"> {
  const r = new Reader(value);
  const client = r.u8();
  const verify = r.u32();
  if (client === undefined || verify === undefined)
    return err("proxy/bad-tlv", `PP2_TYPE_SSL shorter than ${SSL_FIXED_LEN} bytes`);
  const sub = splitTlvs(value.subarray(SSL_FIXED_LEN));
  if (!sub.ok) return err("proxy/bad-tlv", `PP2_TYPE_SSL sub-TLV: ${sub.detail ?? ""}`);
  const ssl: SslInfo = { client, verify, subTlvs: sub.value.tlvs };
  for (const t of sub.value.tlvs) {
    const text = () => fromUtf8(t.value);
    // First occurrence wins, as for top-level TLVs.
    if (t.type === PP2_SUBTYPE_SSL.VERSION) ssl.version ??= text();
    else if (t.type === PP2_SUBTYPE_SSL.CN) ssl.cn ??= text();
    else if (t.type === PP2_SUBTYPE_SSL.CIPHER) ssl.cipher ??= text();
    else if (t.type === PP2_SUBTYPE_SSL.SIG_ALG) ssl.sigAlg ??= text();
    else if (t.type === PP2_SUBTYPE_SSL.KEY_ALG) ssl.keyAlg ??= text();
  }
  return ok(ssl);
}

/**
 * Parse the TLV area and interpret the types we know. Unknown types (including the custom 0xE0-0xEF
 * range) are only kept in `tlvs`. A duplicated known type keeps its first value, except CRC32C:
 * two checksums are ambiguous and refused.
 */
export function parseTlvs(area: Uint8Array): Result<ParsedTlvs, "proxy/bad-tlv"> {
  const split = splitTlvs(area);
  if (!split.ok) return split;
  const { tlvs, offsets } = split.value;
  const out: ParsedTlvs = { tlvs, crc32cValueOffset: -1 };
  for (let i = 0; i < tlvs.length; i++) {
    const t = tlvs[i]!;
    switch (t.type) {
      case PP2_TYPE.ALPN:
        out.alpn ??= t.value;
        break;
      case PP2_TYPE.AUTHORITY:
        out.authority ??= fromUtf8(t.value);
        break;
      case PP2_TYPE.CRC32C:
        if (t.value.length !== CRC32C_VALUE_LEN)
          return err("proxy/bad-tlv", `CRC32C TLV of length ${t.value.length}`);
        if (out.crc32cValueOffset >= 0) return err("proxy/bad-tlv", "more than one CRC32C TLV");
        out.crc32cValueOffset = offsets[i]!;
        break;
      case PP2_TYPE.NOOP:
        break; // §2.2.4: padding/alignment, value ignored.
      case PP2_TYPE.UNIQUE_ID:
        if (t.value.length > PP2_UNIQUE_ID_MAX)
          return err(
            "proxy/bad-tlv",
            `UNIQUE_ID of ${t.value.length} bytes > ${PP2_UNIQUE_ID_MAX}`,
          );
        out.uniqueId ??= t.value;
        break;
      case PP2_TYPE.SSL: {
        if (out.ssl !== undefined) break;
        const ssl = parseSsl(t.value);
        if (!ssl.ok) return ssl;
        out.ssl = ssl.value;
        break;
      }
      case PP2_TYPE.NETNS:
        out.netns ??= fromUtf8(t.value);
        break;
      default:
        break; // unknown: preserved in `tlvs`, otherwise skipped (§2.2: receivers must ignore unknown types)
    }
  }
  return ok(out);
}
