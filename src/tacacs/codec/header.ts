// TACACS+ packet header, RFC 8907 §4.1. Twelve bytes, big-endian:
//
//   major(4 bits) minor(4 bits) | type | seq_no | flags | session_id (u32) | length (u32)
//
// decodeHeader only refuses what makes the stream unreadable (too few bytes, a major version other
// than 0xC). An unknown type or minor version still frames correctly, so those are checked later (the
// engine, session.ts): a bad minor version gets an ERROR reply, an unknown type the header-only
// error packet of §3.6, instead of a silently dropped connection.
// Unknown flag bits are preserved as they came (§4.1 defines only 0x01 and 0x04).
import { Reader, Writer } from "../../lib/bytes.ts";
import { err, ok, type Result } from "../../lib/result.ts";

export const HEADER_LENGTH = 12;

/** §4.1: TAC_PLUS_MAJOR_VER. The only major version there is. */
export const TAC_PLUS_MAJOR_VER = 0xc;

/** §4.1 minor_version. ONE is used by PAP/CHAP/MS-CHAP authentication START (see authentication.ts). */
export const MinorVersion = { DEFAULT: 0x0, ONE: 0x1 } as const;
export type MinorVersion = (typeof MinorVersion)[keyof typeof MinorVersion];

/** §4.1 type. */
export const PacketType = { AUTHEN: 0x01, AUTHOR: 0x02, ACCT: 0x03 } as const;
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

/** §4.1 flags. Other bits have no meaning; they are kept, never interpreted. */
export const HeaderFlag = { UNENCRYPTED: 0x01, SINGLE_CONNECT: 0x04 } as const;

export interface Header {
  majorVersion: number;
  /** Any 4-bit value; packet.ts refuses values other than 0 and 1. */
  minorVersion: number;
  /** Any byte; packet.ts refuses values other than 1, 2, 3. */
  type: number;
  /** §4.1: 1 for the first packet of a session, odd from the client, even from the server. */
  seqNo: number;
  flags: number;
  sessionId: number;
  /** Body length in bytes (the header is not counted). */
  length: number;
}

export type HeaderError = "tacacs/short-header" | "tacacs/bad-major-version";

export function decodeHeader(bytes: Uint8Array): Result<Header, HeaderError> {
  const r = new Reader(bytes);
  const version = r.u8();
  // The version is judged from the first byte alone, so a framer can drop a non-TACACS+ peer at once.
  if (version !== undefined && version >> 4 !== TAC_PLUS_MAJOR_VER) {
    return err(
      "tacacs/bad-major-version",
      `version byte 0x${version.toString(16).padStart(2, "0")}`,
    );
  }
  const type = r.u8();
  const seqNo = r.u8();
  const flags = r.u8();
  const sessionId = r.u32();
  const length = r.u32();
  if (version === undefined || type === undefined || seqNo === undefined || flags === undefined) {
    return err("tacacs/short-header");
  }
  if (sessionId === undefined || length === undefined) return err("tacacs/short-header");
  return ok({
    majorVersion: version >> 4,
    minorVersion: version & 0x0f,
    type,
    seqNo,
    flags,
    sessionId,
    length,
  });
}

/** The version byte as it appears on the wire and in the §4.5 pad input. */
export function versionByte(h: Pick<Header, "majorVersion" | "minorVersion">): number {
  return ((h.majorVersion & 0x0f) << 4) | (h.minorVersion & 0x0f);
}

/** Throws RangeError for values that cannot be represented (a caller bug, not wire input). */
export function encodeHeader(h: Header): Uint8Array {
  checkInt("majorVersion", h.majorVersion, 0x0f);
  checkInt("minorVersion", h.minorVersion, 0x0f);
  checkInt("type", h.type, 0xff);
  checkInt("seqNo", h.seqNo, 0xff);
  checkInt("flags", h.flags, 0xff);
  checkInt("sessionId", h.sessionId, 0xffffffff);
  checkInt("length", h.length, 0xffffffff);
  return new Writer(HEADER_LENGTH)
    .u8(versionByte(h))
    .u8(h.type)
    .u8(h.seqNo)
    .u8(h.flags)
    .u32(h.sessionId)
    .u32(h.length)
    .finish();
}

function checkInt(name: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max)
    throw new RangeError(`header ${name} out of range: ${v}`);
}
