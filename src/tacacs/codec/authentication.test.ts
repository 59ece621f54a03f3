import { describe, expect, test } from "bun:test";
import { fromHex, hex, utf8 } from "../../lib/bytes.ts";
import {
  AuthenAction,
  AuthenContinueFlag,
  AuthenReplyFlag,
  AuthenService,
  AuthenStatus,
  AuthenType,
  decodeAuthenContinue,
  decodeAuthenReply,
  decodeAuthenStart,
  encodeAuthenContinue,
  encodeAuthenReply,
  encodeAuthenStart,
  expectedMinorVersion,
} from "./authentication.ts";

describe("authentication START (§5.1)", () => {
  test("published plaintext (pam_tacplus PAP login, FreeRADIUS base.txt) decodes and re-encodes exactly", () => {
    const body = fromHex("0100020303090905" + hex(utf8("bobtapioca/0localhosthello")));
    const r = decodeAuthenStart(body);
    if (!r.ok) throw new Error(r.code);
    expect(r.value.action).toBe(AuthenAction.LOGIN);
    expect(r.value.privLvl).toBe(0);
    expect(r.value.authenType).toBe(AuthenType.PAP);
    expect(r.value.authenService).toBe(AuthenService.PPP);
    expect(r.value.user).toBe("bob");
    expect(r.value.port).toBe("tapioca/0");
    expect(r.value.remAddr).toBe("localhost");
    expect(new TextDecoder().decode(r.value.data)).toBe("hello");
    expect(r.value.lossyText).toBeUndefined();
    expect(hex(encodeAuthenStart(r.value))).toBe(hex(body));
  });

  test("refuses lengths that do not add up, in both directions, and short bodies", () => {
    const good = encodeAuthenStart({
      action: 1,
      privLvl: 1,
      authenType: 1,
      authenService: 1,
      user: "u",
      port: "tty0",
      remAddr: "",
      data: new Uint8Array(0),
    });
    const longer = new Uint8Array(good.length + 1);
    longer.set(good);
    expect(decodeAuthenStart(longer)).toMatchObject({
      ok: false,
      code: "tacacs/length-mismatch",
    });
    expect(decodeAuthenStart(good.subarray(0, good.length - 1))).toMatchObject({
      ok: false,
      code: "tacacs/length-mismatch",
    });
    for (let n = 0; n < 8; n++)
      expect(decodeAuthenStart(good.subarray(0, n))).toMatchObject({
        ok: false,
        code: "tacacs/short-body",
      });
  });

  test("invalid UTF-8 in a name is decoded lossily and flagged; the data field stays exact", () => {
    const body = fromHex("0101010103000002" + "6af672" + "ff00");
    const r = decodeAuthenStart(body);
    if (!r.ok) throw new Error(r.code);
    expect(r.value.user).toBe("j\uFFFDr");
    expect(r.value.lossyText).toBe(true);
    expect(hex(r.value.data)).toBe("ff00");
    const utf = decodeAuthenStart(fromHex("0101010103000000" + hex(utf8("jö"))));
    if (!utf.ok) throw new Error(utf.code);
    expect(utf.value.user).toBe("jö");
    expect(utf.value.lossyText).toBeUndefined();
  });

  test("encode refuses a field longer than its one-byte length", () => {
    const s = {
      action: 1,
      privLvl: 1,
      authenType: 2,
      authenService: 1,
      user: "x".repeat(256),
      port: "",
      remAddr: "",
      data: new Uint8Array(0),
    };
    expect(() => encodeAuthenStart(s)).toThrow(RangeError);
    expect(encodeAuthenStart({ ...s, user: "x".repeat(255) }).length).toBe(8 + 255);
  });

  test("expectedMinorVersion: 0 for ASCII, 1 for PAP/CHAP/MS-CHAP (§5.4.2), null when unknown", () => {
    expect(expectedMinorVersion({ authenType: AuthenType.ASCII })).toBe(0);
    for (const t of [AuthenType.PAP, AuthenType.CHAP, AuthenType.MSCHAP, AuthenType.MSCHAPV2]) {
      expect(expectedMinorVersion({ authenType: t })).toBe(1);
    }
    expect(expectedMinorVersion({ authenType: 4 })).toBeNull();
    expect(expectedMinorVersion({ authenType: 0 })).toBeNull();
  });
});

describe("authentication REPLY (§5.2) and CONTINUE (§5.3)", () => {
  test("published PASS reply plaintext decodes and re-encodes exactly", () => {
    const r = decodeAuthenReply(fromHex("010000000000"));
    if (!r.ok) throw new Error(r.code);
    expect(r.value).toEqual({
      status: AuthenStatus.PASS,
      flags: 0,
      serverMsg: "",
      data: new Uint8Array(0),
    });
    expect(hex(encodeAuthenReply(r.value))).toBe("010000000000");
  });

  test("GETPASS with NOECHO: field order is status, flags, msg_len, data_len, msg, data", () => {
    const wire = encodeAuthenReply({
      status: AuthenStatus.GETPASS,
      flags: AuthenReplyFlag.NOECHO,
      serverMsg: "Password: ",
      data: Uint8Array.of(9),
    });
    expect(hex(wire)).toBe("0501" + "000a" + "0001" + hex(utf8("Password: ")) + "09");
    const r = decodeAuthenReply(wire);
    expect(r.ok && r.value.serverMsg).toBe("Password: ");
    expect(decodeAuthenReply(wire.subarray(0, wire.length - 1))).toMatchObject({
      ok: false,
      code: "tacacs/length-mismatch",
    });
  });

  test("CONTINUE: user_msg is exact bytes (a password), flags after the lengths", () => {
    const pw = Uint8Array.of(0x70, 0xff, 0x00, 0x3d);
    const wire = encodeAuthenContinue({
      userMsg: pw,
      data: new Uint8Array(0),
      flags: AuthenContinueFlag.ABORT,
    });
    expect(hex(wire)).toBe("0004" + "0000" + "01" + "70ff003d");
    const r = decodeAuthenContinue(wire);
    if (!r.ok) throw new Error(r.code);
    expect(hex(r.value.userMsg)).toBe("70ff003d");
    expect(r.value.flags).toBe(AuthenContinueFlag.ABORT);
    expect(decodeAuthenContinue(wire.subarray(0, 4))).toMatchObject({
      ok: false,
      code: "tacacs/short-body",
    });
    expect(decodeAuthenContinue(Uint8Array.of(0, 0, 0, 1, 0))).toMatchObject({
      ok: false,
      code: "tacacs/length-mismatch",
    });
  });
});
