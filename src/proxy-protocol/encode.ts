// PROXY v2 header builder (proxy-protocol.txt §2.2), for tests, the load generator and interop tools.
// The inputs come from our own code, so malformed ones are bugs: this module throws RangeError
// rather than returning a Result. Everything decodeProxyV2 accepts re-encodes through here.
import { Writer } from "../lib/bytes.ts";
import { parseIp } from "../lib/ip.ts";
import { crc32c } from "./crc32c.ts";
import {
  type Endpoint,
  PP2_ADDRESS_LEN,
  PP2_COMMAND,
  PP2_FAMILY,
  PP2_PREAMBLE_LEN,
  PP2_SIGNATURE,
  PP2_TYPE,
  PP2_VERSION,
  type Pp2Command,
  type Pp2Family,
  type Tlv,
} from "./types.ts";

export interface EncodeInput {
  command: Pp2Command;
  family: Pp2Family;
  /** Required for PROXY with TCP4/UDP4/TCP6/UDP6; otherwise ignored and the block is zero-filled. */
  addresses?: { source: Endpoint; destination: Endpoint } | null;
  /** Written in order. Any CRC32C TLV in the list gets its 4-byte value computed. */
  tlvs?: readonly Tlv[];
  /** Append a CRC32C TLV (computed) when the list has none. */
  crc32c?: boolean;
}

/** The wire len field is a u16. */
const MAX_LEN = 0xffff;

function ipBytes(ip: string, family: Pp2Family): Uint8Array {
  const p = parseIp(ip);
  if (!p.ok) throw new RangeError(`not an IP address: ${ip}`);
  const v6 = family === "TCP6" || family === "UDP6";
  if (!v6) {
    if (p.value.family !== 4) throw new RangeError(`${ip} is not IPv4 (family ${family})`);
    return p.value.bytes;
  }
  if (p.value.family === 6) return p.value.bytes;
  // IPv4 text under a v6 family: send it IPv4-mapped (::ffff:a.b.c.d), which decodes back to the same text.
  const mapped = new Uint8Array(16);
  mapped[10] = 0xff;
  mapped[11] = 0xff;
  mapped.set(p.value.bytes, 12);
  return mapped;
}

function port(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new RangeError(`bad port ${n}`);
  return n;
}

export function encodeProxyV2(input: EncodeInput): Uint8Array {
  const { command, family } = input;
  const addressLen = PP2_ADDRESS_LEN[family];
  if (addressLen === undefined) throw new RangeError(`unknown family ${family}`);
  const tlvs: Tlv[] = [...(input.tlvs ?? [])];
  if (input.crc32c && !tlvs.some((t) => t.type === PP2_TYPE.CRC32C))
    tlvs.push({ type: PP2_TYPE.CRC32C, value: new Uint8Array(4) });

  const w = new Writer(PP2_PREAMBLE_LEN + addressLen + 64);
  w.bytes(PP2_SIGNATURE);
  w.u8((PP2_VERSION << 4) | PP2_COMMAND[command]);
  w.u8(PP2_FAMILY[family]);
  w.u16(0); // len, patched below

  const ipLen =
    family === "TCP4" || family === "UDP4" ? 4 : family === "TCP6" || family === "UDP6" ? 16 : 0;
  const a = input.addresses;
  if (ipLen > 0 && a) {
    w.bytes(ipBytes(a.source.ip, family)).bytes(ipBytes(a.destination.ip, family));
    w.u16(port(a.source.port)).u16(port(a.destination.port));
  } else {
    if (ipLen > 0 && command === "PROXY") throw new RangeError(`PROXY ${family} needs addresses`);
    w.bytes(new Uint8Array(addressLen));
  }

  const crcAt: number[] = [];
  for (const t of tlvs) {
    if (!Number.isInteger(t.type) || t.type < 0 || t.type > 0xff)
      throw new RangeError(`bad TLV type ${t.type}`);
    if (t.value.length > MAX_LEN) throw new RangeError(`TLV 0x${t.type.toString(16)} too long`);
    w.u8(t.type).u16(t.value.length);
    if (t.type === PP2_TYPE.CRC32C) {
      if (t.value.length !== 4) throw new RangeError("CRC32C TLV value must be 4 bytes");
      crcAt.push(w.length);
      w.u32(0);
    } else {
      w.bytes(t.value);
    }
  }
  const len = w.length - PP2_PREAMBLE_LEN;
  if (len > MAX_LEN)
    throw new RangeError(`header payload of ${len} bytes exceeds the u16 len field`);
  w.patchU16(PP2_PREAMBLE_LEN - 2, len);
  if (crcAt.length > 1) throw new RangeError("at most one CRC32C TLV");
  // §2.2.5: checksum over the whole header with the CRC32C value zeroed, stored in network order.
  if (crcAt.length === 1) w.patchU32(crcAt[0]!, crc32c(w.finish()));
  return w.finish();
}

/** Build a PP2_TYPE_SSL value: client bits, verify result, then sub-TLVs (§2.2.5). */
export function encodeSslTlvValue(ssl: {
  client: number;
  verify: number;
  subTlvs?: readonly Tlv[];
}): Uint8Array {
  const w = new Writer(64);
  w.u8(ssl.client).u32(ssl.verify);
  for (const t of ssl.subTlvs ?? []) w.u8(t.type).u16(t.value.length).bytes(t.value);
  return w.finish();
}
