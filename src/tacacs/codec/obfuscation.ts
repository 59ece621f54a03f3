// Body obfuscation, RFC 8907 §4.5.
//
//   MD5_1 = MD5{session_id, key, version, seq_no}
//   MD5_n = MD5{session_id, key, version, seq_no, MD5_(n-1)}
//   pseudo_pad = MD5_1 ‖ MD5_2 ‖ … truncated to the body length;  body' = body XOR pseudo_pad
//
// session_id is the 4 header bytes (network order), version is the whole version byte (major<<4 |
// minor), seq_no one byte. Wire trap: each MD5_n hashes the fixed prefix plus only the *previous*
// 16-byte block, not the whole pad so far (the product this replaces chained wrongly and broke every
// body longer than 32 bytes). XOR is its own inverse, so the same function obfuscates and restores.
//
// Speed: one scratch buffer holds prefix ‖ previous block; Bun.MD5.hash writes into a reused digest
// buffer, so a packet costs one output allocation (plus small views), not one per 16 bytes.
import { versionByte, type Header } from "./header.ts";

export type PadInput = Pick<Header, "majorVersion" | "minorVersion" | "seqNo" | "sessionId">;

let scratch = new Uint8Array(128);
const digest = new Uint8Array(16);

/** Returns a new array: body XOR pseudo_pad. The key is raw bytes (a shared secret, never a packet field). */
export function obfuscate(body: Uint8Array, header: PadInput, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length);
  if (body.length === 0) return out;
  const prefixLength = 4 + key.length + 2;
  if (scratch.length < prefixLength + 16) scratch = new Uint8Array((prefixLength + 16) * 2);
  const s = scratch;
  const id = header.sessionId >>> 0;
  s[0] = id >>> 24;
  s[1] = (id >>> 16) & 0xff;
  s[2] = (id >>> 8) & 0xff;
  s[3] = id & 0xff;
  s.set(key, 4);
  s[4 + key.length] = versionByte(header);
  s[5 + key.length] = header.seqNo & 0xff;
  const chained = s.subarray(0, prefixLength + 16);
  const previous = s.subarray(prefixLength, prefixLength + 16);

  Bun.MD5.hash(s.subarray(0, prefixLength), digest);
  for (let offset = 0; ;) {
    const n = Math.min(16, body.length - offset);
    for (let i = 0; i < n; i++) out[offset + i] = body[offset + i]! ^ digest[i]!;
    offset += n;
    if (offset >= body.length) break;
    previous.set(digest);
    Bun.MD5.hash(chained, digest);
  }
  // The key sat in module memory; wipe it so a later heap dump does not show it.
  s.fill(0, 0, prefixLength + 16);
  return out;
}
