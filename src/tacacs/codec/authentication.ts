// Authentication bodies, RFC 8907 §5: START (§5.1) and CONTINUE (§5.3) from the client, REPLY (§5.2)
// from the server. A session's first client packet (seq_no 1) is START, its later ones are CONTINUE;
// packet.ts uses that rule to pick the decoder.
//
// Numeric fields are plain numbers: unknown actions, types and services decode fine and the engine
// answers them (§5.4: an unsupported type gets status ERROR / FAIL), so nothing here refuses them.
// Secrets travel in `data` (START: the PAP password or CHAP response) and in CONTINUE `userMsg`
// (the ASCII login's username or password): those are Uint8Array, exact as sent.
// Encoders throw RangeError when a field exceeds its wire width (a caller bug).
import { Reader, Writer } from "../../lib/bytes.ts";
import { err, ok, type Result } from "../../lib/result.ts";
import { MinorVersion } from "./header.ts";
import { byteField, fieldBytes, TextReader, U16_MAX, U8_MAX, type BodyError } from "./fields.ts";

/** §5.1 action. */
export const AuthenAction = {
  LOGIN: 0x01,
  CHPASS: 0x02,
  SENDAUTH: 0x04,
} as const;
/** §5.1 priv_lvl: 0..15; 1 is the ordinary user level, 15 root. Shared by §6 and §7. */
export const PrivLvl = {
  MIN: 0x00,
  USER: 0x01,
  ROOT: 0x0f,
  MAX: 0x0f,
} as const;
/** §5.1 authen_type (0x04, ARAP, is deprecated and left out). Shared by §6 and §7. */
export const AuthenType = {
  ASCII: 0x01,
  PAP: 0x02,
  CHAP: 0x03,
  MSCHAP: 0x05,
  MSCHAPV2: 0x06,
} as const;
export type AuthenType = (typeof AuthenType)[keyof typeof AuthenType];
/** §5.1 authen_service. Shared by §6 and §7. */
export const AuthenService = {
  NONE: 0x00,
  LOGIN: 0x01,
  ENABLE: 0x02,
  PPP: 0x03,
  PT: 0x05,
  RCMD: 0x06,
  X25: 0x07,
  NASI: 0x08,
  FWPROXY: 0x09,
} as const;
/** §5.2 status. */
export const AuthenStatus = {
  PASS: 0x01,
  FAIL: 0x02,
  GETDATA: 0x03,
  GETUSER: 0x04,
  GETPASS: 0x05,
  RESTART: 0x06,
  ERROR: 0x07,
  FOLLOW: 0x21,
} as const;
export type AuthenStatus = (typeof AuthenStatus)[keyof typeof AuthenStatus];
/** §5.2 REPLY flags. */
export const AuthenReplyFlag = { NOECHO: 0x01 } as const;
/** §5.3 CONTINUE flags. */
export const AuthenContinueFlag = { ABORT: 0x01 } as const;

export interface AuthenStart {
  action: number;
  privLvl: number;
  authenType: number;
  authenService: number;
  user: string;
  port: string;
  remAddr: string;
  /** Type-specific: the PAP password, CHAP id‖challenge‖response, MS-CHAP …; empty for ASCII. */
  data: Uint8Array;
  /** True when a text field was not valid UTF-8 and was decoded lossily (see fields.ts). */
  lossyText?: boolean;
}

export interface AuthenReply {
  status: number;
  flags: number;
  serverMsg: string;
  data: Uint8Array;
  lossyText?: boolean;
}

export interface AuthenContinue {
  /** The user's answer to the last prompt (username, password, …): exact bytes. */
  userMsg: Uint8Array;
  data: Uint8Array;
  flags: number;
}

/**
 * §5.4.2: ASCII exchanges use minor version 0 (TAC_PLUS_MINOR_VER_DEFAULT); PAP, CHAP, MS-CHAP v1
 * and v2 use 1 (TAC_PLUS_MINOR_VER_ONE). null for an authen_type this codec does not know.
 */
export function expectedMinorVersion(start: Pick<AuthenStart, "authenType">): MinorVersion | null {
  switch (start.authenType) {
    case AuthenType.ASCII:
      return MinorVersion.DEFAULT;
    case AuthenType.PAP:
    case AuthenType.CHAP:
    case AuthenType.MSCHAP:
    case AuthenType.MSCHAPV2:
      return MinorVersion.ONE;
    default:
      return null;
  }
}

export function decodeAuthenStart(body: Uint8Array): Result<AuthenStart, BodyError> {
  const r = new Reader(body);
  const f = r.bytes(8);
  if (f === undefined) return err("tacacs/short-body", "START needs 8 bytes");
  const userLen = f[4]!,
    portLen = f[5]!,
    remLen = f[6]!,
    dataLen = f[7]!;
  if (8 + userLen + portLen + remLen + dataLen !== body.length)
    return err("tacacs/length-mismatch", "START");
  // The lengths add up to the body length, so every r.bytes below is in bounds.
  const t = new TextReader();
  const start: AuthenStart = {
    action: f[0]!,
    privLvl: f[1]!,
    authenType: f[2]!,
    authenService: f[3]!,
    user: t.text(r.bytes(userLen)!),
    port: t.text(r.bytes(portLen)!),
    remAddr: t.text(r.bytes(remLen)!),
    data: r.bytes(dataLen)!.slice(),
  };
  if (t.lossy) start.lossyText = true;
  return ok(start);
}

export function encodeAuthenStart(s: AuthenStart): Uint8Array {
  const user = fieldBytes("user", s.user, U8_MAX);
  const port = fieldBytes("port", s.port, U8_MAX);
  const rem = fieldBytes("rem_addr", s.remAddr, U8_MAX);
  const data = fieldBytes("data", s.data, U8_MAX);
  return new Writer(8 + user.length + port.length + rem.length + data.length)
    .u8(byteField("action", s.action))
    .u8(byteField("priv_lvl", s.privLvl))
    .u8(byteField("authen_type", s.authenType))
    .u8(byteField("authen_service", s.authenService))
    .u8(user.length)
    .u8(port.length)
    .u8(rem.length)
    .u8(data.length)
    .bytes(user)
    .bytes(port)
    .bytes(rem)
    .bytes(data)
    .finish();
}

export function decodeAuthenReply(body: Uint8Array): Result<AuthenReply, BodyError> {
  const r = new Reader(body);
  const status = r.u8();
  const flags = r.u8();
  const msgLen = r.u16();
  const dataLen = r.u16();
  if (
    status === undefined ||
    flags === undefined ||
    msgLen === undefined ||
    dataLen === undefined
  ) {
    return err("tacacs/short-body", "REPLY needs 6 bytes");
  }
  if (6 + msgLen + dataLen !== body.length) return err("tacacs/length-mismatch", "REPLY");
  const t = new TextReader();
  const reply: AuthenReply = {
    status,
    flags,
    serverMsg: t.text(r.bytes(msgLen)!),
    data: r.bytes(dataLen)!.slice(),
  };
  if (t.lossy) reply.lossyText = true;
  return ok(reply);
}

export function encodeAuthenReply(p: AuthenReply): Uint8Array {
  const msg = fieldBytes("server_msg", p.serverMsg, U16_MAX);
  const data = fieldBytes("data", p.data, U16_MAX);
  return new Writer(6 + msg.length + data.length)
    .u8(byteField("status", p.status))
    .u8(byteField("flags", p.flags))
    .u16(msg.length)
    .u16(data.length)
    .bytes(msg)
    .bytes(data)
    .finish();
}

export function decodeAuthenContinue(body: Uint8Array): Result<AuthenContinue, BodyError> {
  const r = new Reader(body);
  const msgLen = r.u16();
  const dataLen = r.u16();
  const flags = r.u8();
  if (msgLen === undefined || dataLen === undefined || flags === undefined) {
    return err("tacacs/short-body", "CONTINUE needs 5 bytes");
  }
  if (5 + msgLen + dataLen !== body.length) return err("tacacs/length-mismatch", "CONTINUE");
  return ok({
    userMsg: r.bytes(msgLen)!.slice(),
    data: r.bytes(dataLen)!.slice(),
    flags,
  });
}

export function encodeAuthenContinue(p: AuthenContinue): Uint8Array {
  const msg = fieldBytes("user_msg", p.userMsg, U16_MAX);
  const data = fieldBytes("data", p.data, U16_MAX);
  return new Writer(5 + msg.length + data.length)
    .u16(msg.length)
    .u16(data.length)
    .u8(byteField("flags", p.flags))
    .bytes(msg)
    .bytes(data)
    .finish();
}
