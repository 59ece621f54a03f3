// Internal helpers shared by the body codecs (not part of the public API).
//
// Every body in RFC 8907 is a fixed part holding lengths, then the variable fields back to back.
// The declared lengths must add up to exactly the body length: with a wrong key the "lengths" are
// pad noise, and §4.5 names this check as the way a wrong key shows ("the field lengths do not add
// up"). Both shortfall and excess are refused, so trailing garbage never slips through.
import { Reader, utf8, Writer } from "../../lib/bytes.ts";
import { err, ok, type Result } from "../../lib/result.ts";

/** Stable codes shared by every body decoder. Both usually mean the shared secret is wrong. */
export type BodyError = "tacacs/short-body" | "tacacs/length-mismatch";

const strict = new TextDecoder("utf-8", { fatal: true });
const lossy = new TextDecoder("utf-8", { fatal: false });

/**
 * Text fields are exposed as strings. Bytes that are not valid UTF-8 become U+FFFD, which loses
 * information (two different user names can map to one string), so the decoder records it and the
 * decoded body carries `lossyText: true`; the engine should refuse such a user rather than match it.
 */
export class TextReader {
  lossy = false;
  text(b: Uint8Array): string {
    if (b.length === 0) return "";
    // ASCII fast path: the common case, exact by construction.
    let ascii = true;
    for (let i = 0; i < b.length; i++) if (b[i]! > 0x7f) ascii = false;
    if (ascii) return lossy.decode(b);
    try {
      return strict.decode(b);
    } catch {
      this.lossy = true;
      return lossy.decode(b);
    }
  }
}

/** UTF-8 bytes of a text field (or the bytes as given); throws RangeError past the wire field's width. */
export function fieldBytes(name: string, v: string | Uint8Array, max: number): Uint8Array {
  const b = typeof v === "string" ? utf8(v) : v;
  if (b.length > max)
    throw new RangeError(`${name} is ${b.length} bytes, the wire field holds at most ${max}`);
  return b;
}

/** A one-byte numeric field from the caller; throws RangeError if it does not fit. */
export function byteField(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`${name} out of range: ${v}`);
  return v;
}

/** Largest value of a one-byte / two-byte length field. */
export const U8_MAX = 0xff;
export const U16_MAX = 0xffff;
/** §6.1: arg_cnt is one byte, so at most 255 arguments. */
export const MAX_ARGS = 0xff;

/** The fields §6.1 authorization REQUEST and §7.1 accounting REQUEST share, in wire order. */
export interface RequestFields {
  authenMethod: number;
  privLvl: number;
  authenType: number;
  authenService: number;
  user: string;
  port: string;
  remAddr: string;
  /** "attr=value" / "attr*value" strings in wire order (see av.ts). */
  args: string[];
  lossyText?: boolean;
}

/**
 * Decodes the shared REQUEST layout that starts `at` bytes into the body (0 for §6.1, 1 for §7.1,
 * whose first byte is flags): 8 fixed bytes ending in arg_cnt, arg_cnt length bytes, then user,
 * port, rem_addr and the args.
 */
export function decodeRequestFields(
  body: Uint8Array,
  at: number,
  what: string,
): Result<RequestFields, BodyError> {
  const r = new Reader(body);
  r.advance(at);
  const f = r.bytes(8);
  if (f === undefined) return err("tacacs/short-body", `${what} needs ${at + 8} bytes`);
  const userLen = f[4]!,
    portLen = f[5]!,
    remLen = f[6]!,
    argCnt = f[7]!;
  const argLens = r.bytes(argCnt);
  if (argLens === undefined) return err("tacacs/short-body", `${what} arg lengths`);
  let total = at + 8 + argCnt + userLen + portLen + remLen;
  for (let i = 0; i < argCnt; i++) total += argLens[i]!;
  if (total !== body.length) return err("tacacs/length-mismatch", what);
  // The lengths add up to the body length, so every r.bytes below is in bounds.
  const t = new TextReader();
  const out: RequestFields = {
    authenMethod: f[0]!,
    privLvl: f[1]!,
    authenType: f[2]!,
    authenService: f[3]!,
    user: t.text(r.bytes(userLen)!),
    port: t.text(r.bytes(portLen)!),
    remAddr: t.text(r.bytes(remLen)!),
    args: readArgs(r, argLens, t),
  };
  if (t.lossy) out.lossyText = true;
  return ok(out);
}

export function encodeRequestFields(prefix: readonly number[], p: RequestFields): Uint8Array {
  const user = fieldBytes("user", p.user, U8_MAX);
  const port = fieldBytes("port", p.port, U8_MAX);
  const rem = fieldBytes("rem_addr", p.remAddr, U8_MAX);
  const args = argBytes(p.args);
  const w = new Writer(64 + user.length + port.length + rem.length);
  for (const b of prefix) w.u8(b);
  w.u8(byteField("authen_method", p.authenMethod))
    .u8(byteField("priv_lvl", p.privLvl))
    .u8(byteField("authen_type", p.authenType))
    .u8(byteField("authen_service", p.authenService))
    .u8(user.length)
    .u8(port.length)
    .u8(rem.length)
    .u8(args.length);
  for (const a of args) w.u8(a.length);
  w.bytes(user).bytes(port).bytes(rem);
  for (const a of args) w.bytes(a);
  return w.finish();
}

/** Reads args whose lengths were already checked to fit. */
export function readArgs(r: Reader, lens: Uint8Array, t: TextReader): string[] {
  const args: string[] = new Array(lens.length);
  for (let i = 0; i < lens.length; i++) args[i] = t.text(r.bytes(lens[i]!)!);
  return args;
}

/** §6.1: at most 255 args of at most 255 bytes each; throws RangeError past that. */
export function argBytes(args: readonly string[]): Uint8Array[] {
  if (args.length > MAX_ARGS)
    throw new RangeError(`${args.length} args, the wire holds at most ${MAX_ARGS}`);
  return args.map((a, i) => fieldBytes(`arg ${i + 1}`, a, U8_MAX));
}
