// Authorization bodies, RFC 8907 §6: REQUEST (§6.1) from the client, RESPONSE (§6.2) from the server.
// Arguments are the "attr=value" / "attr*value" strings of §6.1 in wire order (parse them with av.ts);
// their count and each length are one byte, so at most 255 args of at most 255 bytes.
// Decoders check that the declared lengths add up to the body (a wrong key fails here, §4.5).
// Encoders throw RangeError when a field exceeds its wire width (a caller bug).
import { Reader, Writer } from "../../lib/bytes.ts";
import { err, ok, type Result } from "../../lib/result.ts";
import {
  argBytes,
  byteField,
  decodeRequestFields,
  encodeRequestFields,
  fieldBytes,
  readArgs,
  TextReader,
  U16_MAX,
  type BodyError,
  type RequestFields,
} from "./fields.ts";

/** §6.1 authen_method: how the user was authenticated. Shared by §7.1. */
export const AuthenMethod = {
  NOT_SET: 0x00,
  NONE: 0x01,
  KRB5: 0x02,
  LINE: 0x03,
  ENABLE: 0x04,
  LOCAL: 0x05,
  TACACSPLUS: 0x06,
  GUEST: 0x08,
  RADIUS: 0x10,
  KRB4: 0x11,
  RCMD: 0x20,
} as const;
/** §6.2 status. */
export const AuthorStatus = {
  PASS_ADD: 0x01,
  PASS_REPL: 0x02,
  FAIL: 0x10,
  ERROR: 0x11,
  FOLLOW: 0x21,
} as const;
export type AuthorStatus = (typeof AuthorStatus)[keyof typeof AuthorStatus];

export type AuthorRequest = RequestFields;

export interface AuthorResponse {
  status: number;
  args: string[];
  serverMsg: string;
  data: Uint8Array;
  lossyText?: boolean;
}

export function decodeAuthorRequest(body: Uint8Array): Result<AuthorRequest, BodyError> {
  return decodeRequestFields(body, 0, "authorization REQUEST");
}

export function encodeAuthorRequest(p: AuthorRequest): Uint8Array {
  return encodeRequestFields([], p);
}

/** §6.2: status, arg_cnt, server_msg_len(2), data_len(2), arg lengths, server_msg, data, args. */
export function decodeAuthorResponse(body: Uint8Array): Result<AuthorResponse, BodyError> {
  const r = new Reader(body);
  const status = r.u8();
  const argCnt = r.u8();
  const msgLen = r.u16();
  const dataLen = r.u16();
  if (
    status === undefined ||
    argCnt === undefined ||
    msgLen === undefined ||
    dataLen === undefined
  ) {
    return err("tacacs/short-body", "authorization RESPONSE needs 6 bytes");
  }
  const argLens = r.bytes(argCnt);
  if (argLens === undefined) return err("tacacs/short-body", "authorization RESPONSE arg lengths");
  let total = 6 + argCnt + msgLen + dataLen;
  for (let i = 0; i < argCnt; i++) total += argLens[i]!;
  if (total !== body.length) return err("tacacs/length-mismatch", "authorization RESPONSE");
  const t = new TextReader();
  const serverMsg = t.text(r.bytes(msgLen)!);
  const data = r.bytes(dataLen)!.slice();
  const out: AuthorResponse = {
    status,
    args: readArgs(r, argLens, t),
    serverMsg,
    data,
  };
  if (t.lossy) out.lossyText = true;
  return ok(out);
}

export function encodeAuthorResponse(p: AuthorResponse): Uint8Array {
  const args = argBytes(p.args);
  const msg = fieldBytes("server_msg", p.serverMsg, U16_MAX);
  const data = fieldBytes("data", p.data, U16_MAX);
  const w = new Writer(64 + msg.length + data.length)
    .u8(byteField("status", p.status))
    .u8(args.length)
    .u16(msg.length)
    .u16(data.length);
  for (const a of args) w.u8(a.length);
  w.bytes(msg).bytes(data);
  for (const a of args) w.bytes(a);
  return w.finish();
}
