// Incremental PROXY v2 decoder (proxy-protocol.txt §2.2) for the start of a TCP stream.
// Call it with *all* bytes received so far (it keeps no state); it answers as early as it can:
//   - "not-proxy" on the first byte that differs from the v2 signature (and from the v1 "PROXY "
//     prefix): a TACACS+ header starts with 0xC0/0xC1, so direct clients are recognised at byte 1;
//   - version, command and family errors at bytes 13 and 14, "too-long" as soon as `len` is read;
//   - otherwise "need-more" until 16 + len bytes are there, then the whole header is validated —
//     except LOCAL, whose block §2.2 says to discard: an unknown family, short address block or
//     malformed TLV area is skipped, not refused (a well-formed CRC32C is still checked).
// Re-calling on every segment costs O(16) until the header is complete, so byte-by-byte arrival
// is cheap. v1 text headers are recognised only to be refused ("proxy/v1-unsupported"): we speak
// v2 only, and a v1 line has no length prefix to skip safely.
import { Reader } from "../lib/bytes.ts";
import { normalizeIp } from "../lib/ip.ts";
import { CRC32C_INIT, crc32cFinal, crc32cUpdate, crc32cUpdateZeros } from "./crc32c.ts";
import { parseTlvs } from "./tlv.ts";
import {
  type DecodeResult,
  type Endpoint,
  PP1_PREFIX,
  PP2_ABSOLUTE_MAX_HEADER,
  PP2_ADDRESS_LEN,
  PP2_COMMAND,
  PP2_DEFAULT_MAX_HEADER,
  PP2_FAMILY,
  PP2_PREAMBLE_LEN,
  PP2_SIGNATURE,
  PP2_VERSION,
  type Pp2Command,
  type Pp2Family,
  type ProxyErrorCode,
  type ProxyHeader,
} from "./types.ts";

export interface DecodeOptions {
  /** Cap on 16 + len, default PP2_DEFAULT_MAX_HEADER (2064). Must lie in [16, 65551]. */
  maxHeaderBytes?: number;
}

const NEED_MORE: DecodeResult = { kind: "need-more" };
const NOT_PROXY: DecodeResult = { kind: "not-proxy" };

const COMMAND_BY_NIBBLE = new Map<number, Pp2Command>(
  Object.entries(PP2_COMMAND).map(([k, v]) => [v, k as Pp2Command]),
);
const FAMILY_BY_BYTE = new Map<number, Pp2Family>(
  Object.entries(PP2_FAMILY).map(([k, v]) => [v, k as Pp2Family]),
);

function fail(code: ProxyErrorCode, detail: string, headerLength?: number): DecodeResult {
  return headerLength === undefined
    ? { kind: "error", code, detail }
    : { kind: "error", code, detail, headerLength };
}

/** Bytes so far are a (possibly complete) prefix of `want`? */
function matchesPrefix(r: Reader, want: Uint8Array): boolean {
  for (let i = 0; i < want.length; i++) {
    const b = r.u8();
    if (b === undefined) return true;
    if (b !== want[i]) return false;
  }
  return true;
}

export function decodeProxyV2(buf: Uint8Array, options: DecodeOptions = {}): DecodeResult {
  const max = options.maxHeaderBytes ?? PP2_DEFAULT_MAX_HEADER;
  if (!Number.isInteger(max) || max < PP2_PREAMBLE_LEN || max > PP2_ABSOLUTE_MAX_HEADER) {
    throw new RangeError(
      `maxHeaderBytes must be an integer in [${PP2_PREAMBLE_LEN}, ${PP2_ABSOLUTE_MAX_HEADER}]`,
    );
  }
  if (buf.length === 0) return NEED_MORE;

  if (buf[0] === PP1_PREFIX[0]) {
    if (!matchesPrefix(new Reader(buf), PP1_PREFIX)) return NOT_PROXY;
    if (buf.length < PP1_PREFIX.length) return NEED_MORE;
    return fail("proxy/v1-unsupported", "PROXY v1 text header; only v2 is accepted");
  }

  const r = new Reader(buf);
  if (!matchesPrefix(r, PP2_SIGNATURE)) return NOT_PROXY;
  const verCmd = r.u8();
  if (verCmd === undefined) return NEED_MORE;
  if (verCmd >> 4 !== PP2_VERSION)
    return fail("proxy/bad-version", `version nibble ${verCmd >> 4}`);
  const command = COMMAND_BY_NIBBLE.get(verCmd & 0x0f);
  if (command === undefined) return fail("proxy/bad-command", `command nibble ${verCmd & 0x0f}`);
  const famByte = r.u8();
  if (famByte === undefined) return NEED_MORE;
  const family = FAMILY_BY_BYTE.get(famByte);
  // LOCAL (§2.2): "the receiver must accept this connection as valid and must use the real
  // connection endpoints and discard the protocol block including the family which is ignored".
  // A health check must not fail on a family, address block or TLV area it does not use: those are
  // skipped. What is well-formed is still read, so a CRC32C TLV (HAProxy's check-send-proxy with
  // proxy-v2-options crc32c) is verified, and a mismatch is refused like any damaged header.
  const local = command === "LOCAL";
  if (family === undefined && !local)
    return fail("proxy/bad-family", `family byte 0x${famByte.toString(16).padStart(2, "0")}`);
  const len = r.u16();
  if (len === undefined) return NEED_MORE;

  const total = PP2_PREAMBLE_LEN + len;
  if (total > max)
    return fail("proxy/too-long", `header of ${total} bytes exceeds cap ${max}`, total);
  const skipped = (): DecodeResult => ({
    kind: "header",
    header: {
      version: 2,
      command,
      family: family ?? "UNSPEC",
      addresses: null,
      tlvs: [],
      crc32cVerified: false,
    },
    consumed: total,
  });
  // §2.2: "the receiver must ensure that len is at least the address size"; known before the block
  // arrives. (An unknown family only gets here for LOCAL.)
  const addressLen = family === undefined ? Infinity : PP2_ADDRESS_LEN[family];
  if (family === undefined || len < addressLen) {
    if (!local)
      return fail("proxy/short-address", `len ${len} < ${addressLen} for ${family}`, total);
    return buf.length < total ? NEED_MORE : skipped();
  }
  if (buf.length < total) return NEED_MORE;

  // Private copy: the caller's socket buffer may be reused, and TLV values are views into this.
  const block = buf.slice(0, total);
  const body = new Reader(block.subarray(PP2_PREAMBLE_LEN));
  const addrBytes = body.bytes(addressLen);
  if (addrBytes === undefined) throw new Error("unreachable: address length checked against len");
  const tlvArea = block.subarray(PP2_PREAMBLE_LEN + addressLen);

  const parsed = parseTlvs(tlvArea);
  if (!parsed.ok) return local ? skipped() : fail(parsed.code, parsed.detail ?? "", total);
  let crc32cVerified = false;
  if (parsed.value.crc32cValueOffset >= 0) {
    const at = PP2_PREAMBLE_LEN + addressLen + parsed.value.crc32cValueOffset;
    if (!checkCrc32c(block, at))
      return fail("proxy/bad-crc32c", "CRC32C TLV does not match the header", total);
    crc32cVerified = true;
  }

  // LOCAL: "the receiver must ... use the real connection endpoints", whatever the family says.
  const addresses = local ? null : readAddresses(family, addrBytes);
  const { tlvs, alpn, authority, uniqueId, netns, ssl } = parsed.value;
  const header: ProxyHeader = { version: 2, command, family, addresses, tlvs, crc32cVerified };
  if (alpn !== undefined) header.alpn = alpn;
  if (authority !== undefined) header.authority = authority;
  if (uniqueId !== undefined) header.uniqueId = uniqueId;
  if (netns !== undefined) header.netns = netns;
  if (ssl !== undefined) header.ssl = ssl;
  return { kind: "header", header, consumed: total };
}

/** §2.2.5: CRC32C over the whole header with the 4 value bytes taken as zero; value is big-endian. */
function checkCrc32c(block: Uint8Array, valueAt: number): boolean {
  const r = new Reader(block);
  if (!r.advance(valueAt)) return false;
  const claimed = r.u32();
  if (claimed === undefined) return false;
  let reg = crc32cUpdate(CRC32C_INIT, block.subarray(0, valueAt));
  reg = crc32cUpdateZeros(reg, 4);
  reg = crc32cUpdate(reg, block.subarray(valueAt + 4));
  return crc32cFinal(reg) === claimed;
}

function readAddresses(family: Pp2Family, bytes: Uint8Array): ProxyHeader["addresses"] {
  const ipLen =
    family === "TCP4" || family === "UDP4" ? 4 : family === "TCP6" || family === "UDP6" ? 16 : 0;
  // UNSPEC: no address; UNIX: two 108-byte paths, meaningless for a TCP listener. Use the socket's.
  if (ipLen === 0) return null;
  const r = new Reader(bytes);
  const src = r.bytes(ipLen);
  const dst = r.bytes(ipLen);
  const srcPort = r.u16();
  const dstPort = r.u16();
  if (src === undefined || dst === undefined || srcPort === undefined || dstPort === undefined) {
    throw new Error("unreachable: address block length checked against family");
  }
  const source: Endpoint = { ip: ipText(src), port: srcPort };
  const destination: Endpoint = { ip: ipText(dst), port: dstPort };
  return { source, destination };
}

/** Wire bytes → canonical text via lib/ip (RFC 5952 for v6; IPv4-mapped v6 becomes dotted IPv4). */
function ipText(b: Uint8Array): string {
  const raw =
    b.length === 4
      ? Array.from(b).join(".")
      : Array.from({ length: 8 }, (_, i) => ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16)).join(
          ":",
        );
  const text = normalizeIp(raw);
  if (text === null) throw new Error(`unreachable: ${raw} did not parse`);
  return text;
}
