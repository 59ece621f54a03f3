import { describe, expect, test } from "bun:test";
import { fromHex, hex, utf8 } from "../../lib/bytes.ts";
import {
  AcctFlag,
  AcctStatus,
  decodeAcctReply,
  decodeAcctRequest,
  encodeAcctReply,
  encodeAcctRequest,
  validAcctFlags,
} from "./accounting.ts";

describe("accounting (§7)", () => {
  test("REQUEST: flags first, then the authorization layout; decodes and re-encodes exactly", () => {
    // FreeRADIUS base.txt re-encoding of the pam_tacplus START record.
    const body = fromHex(
      "020600020303090904150d0b0b" +
        hex(utf8("bobtapioca/0localhoststart_time=1596565644task_id=17558service=pppprotocol=ip")),
    );
    const r = decodeAcctRequest(body);
    if (!r.ok) throw new Error(r.code);
    expect(r.value).toEqual({
      flags: AcctFlag.START,
      authenMethod: 6,
      privLvl: 0,
      authenType: 2,
      authenService: 3,
      user: "bob",
      port: "tapioca/0",
      remAddr: "localhost",
      args: ["start_time=1596565644", "task_id=17558", "service=ppp", "protocol=ip"],
    });
    expect(hex(encodeAcctRequest(r.value))).toBe(hex(body));
    expect(decodeAcctRequest(body.subarray(0, body.length - 1))).toMatchObject({
      ok: false,
      code: "tacacs/length-mismatch",
    });
    expect(decodeAcctRequest(new Uint8Array(0))).toMatchObject({
      ok: false,
      code: "tacacs/short-body",
    });
    expect(decodeAcctRequest(body.subarray(0, 8))).toMatchObject({
      ok: false,
      code: "tacacs/short-body",
    });
  });

  test("REPLY: lengths come before status (published SUCCESS reply)", () => {
    const r = decodeAcctReply(fromHex("0000000001"));
    if (!r.ok) throw new Error(r.code);
    expect(r.value).toEqual({
      status: AcctStatus.SUCCESS,
      serverMsg: "",
      data: new Uint8Array(0),
    });
    const wire = encodeAcctReply({
      status: AcctStatus.ERROR,
      serverMsg: "disk full",
      data: Uint8Array.of(1, 2),
    });
    expect(hex(wire)).toBe("0009" + "0002" + "02" + hex(utf8("disk full")) + "0102");
    expect(decodeAcctReply(wire)).toMatchObject({
      ok: true,
      value: { status: 2, serverMsg: "disk full" },
    });
    expect(decodeAcctReply(wire.subarray(0, 4))).toMatchObject({
      ok: false,
      code: "tacacs/short-body",
    });
  });

  test("validAcctFlags follows the §7.2 table over flags & 0xE", () => {
    const valid: number[] = [];
    for (let f = 0; f < 16; f++) if (validAcctFlags(f)) valid.push(f);
    // 0x2 START, 0x4 STOP, 0x8 WATCHDOG, 0xA WATCHDOG|START, each with and without bit 0x01.
    expect(valid).toEqual([0x2, 0x3, 0x4, 0x5, 0x8, 0x9, 0xa, 0xb]);
    expect(validAcctFlags(AcctFlag.START | AcctFlag.STOP)).toBe(false);
    expect(validAcctFlags(AcctFlag.STOP | AcctFlag.WATCHDOG)).toBe(false);
    expect(validAcctFlags(0)).toBe(false);
  });
});
