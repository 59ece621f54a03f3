// Accounting bodies, RFC 8907 §7: REQUEST (§7.1) from the client, REPLY (§7.2) from the server.
// The REQUEST is the authorization REQUEST layout with a leading flags byte; args are "attr=value"
// strings (task_id, start_time, stop_time, elapsed_time, cmd, …; see av.ts).
// Decoders check that the declared lengths add up to the body (a wrong key fails here, §4.5).
// validAcctFlags is the §7.2 table; refusing an invalid record (status ERROR) is the engine's job.
import { Reader, Writer } from "../../lib/bytes.ts";
import { err, ok, type Result } from "../../lib/result.ts";
import {
  byteField,
  decodeRequestFields,
  encodeRequestFields,
  fieldBytes,
  TextReader,
  U16_MAX,
  type BodyError,
  type RequestFields,
} from "./fields.ts";

/** §7.1 flags. (0x01 was TAC_PLUS_ACCT_FLAG_MORE in the old drafts; RFC 8907 dropped it.) */
export const AcctFlag = { START: 0x02, STOP: 0x04, WATCHDOG: 0x08 } as const;
/** §7.2 status. */
export const AcctStatus = { SUCCESS: 0x01, ERROR: 0x02, FOLLOW: 0x21 } as const;
export type AcctStatus = (typeof AcctStatus)[keyof typeof AcctStatus];

export interface AcctRequest extends RequestFields {
  flags: number;
}

export interface AcctReply {
  status: number;
  serverMsg: string;
  data: Uint8Array;
  lossyText?: boolean;
}

/**
 * §7.2 table, which looks at `flags & 0xE` only: START (0x2), STOP (0x4), WATCHDOG (0x8) and
 * WATCHDOG|START (0xA, a watchdog with update) are valid; none, START|STOP and anything with
 * STOP and WATCHDOG together are invalid. Bits outside 0xE are not in the table and are ignored,
 * as the RFC's mask does (old clients may still set the deprecated MORE bit 0x01).
 */
export function validAcctFlags(flags: number): boolean {
  const f = flags & 0x0e;
  return (
    f === AcctFlag.START ||
    f === AcctFlag.STOP ||
    f === AcctFlag.WATCHDOG ||
    f === (AcctFlag.WATCHDOG | AcctFlag.START)
  );
}

export function decodeAcctRequest(body: Uint8Array): Result<AcctRequest, BodyError> {
  const flags = body[0];
  if (flags === undefined) return err("tacacs/short-body", "accounting REQUEST needs 9 bytes");
  const r = decodeRequestFields(body, 1, "accounting REQUEST");
  if (!r.ok) return r;
  return ok({ flags, ...r.value });
}

export function encodeAcctRequest(p: AcctRequest): Uint8Array {
  return encodeRequestFields([byteField("flags", p.flags)], p);
}

/** §7.2: server_msg_len(2), data_len(2), status, server_msg, data. Status comes *after* the lengths. */
export function decodeAcctReply(body: Uint8Array): Result<AcctReply, BodyError> {
  const r = new Reader(body);
  const msgLen = r.u16();
  const dataLen = r.u16();
  const status = r.u8();
  if (msgLen === undefined || dataLen === undefined || status === undefined) {
    return err("tacacs/short-body", "accounting REPLY needs 5 bytes");
  }
  if (5 + msgLen + dataLen !== body.length)
    return err("tacacs/length-mismatch", "accounting REPLY");
  const t = new TextReader();
  const out: AcctReply = {
    status,
    serverMsg: t.text(r.bytes(msgLen)!),
    data: r.bytes(dataLen)!.slice(),
  };
  if (t.lossy) out.lossyText = true;
  return ok(out);
}

export function encodeAcctReply(p: AcctReply): Uint8Array {
  const msg = fieldBytes("server_msg", p.serverMsg, U16_MAX);
  const data = fieldBytes("data", p.data, U16_MAX);
  return new Writer(5 + msg.length + data.length)
    .u16(msg.length)
    .u16(data.length)
    .u8(byteField("status", p.status))
    .bytes(msg)
    .bytes(data)
    .finish();
}
