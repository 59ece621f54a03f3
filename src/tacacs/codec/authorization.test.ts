import { describe, expect, test } from "bun:test";
import { fromHex, hex, utf8 } from "../../lib/bytes.ts";
import {
  AuthenMethod,
  AuthorStatus,
  decodeAuthorRequest,
  decodeAuthorResponse,
  encodeAuthorRequest,
  encodeAuthorResponse,
} from "./authorization.ts";

describe("authorization (§6)", () => {
  test("published REQUEST plaintext (pam_tacplus, FreeRADIUS base.txt) decodes and re-encodes exactly", () => {
    const body = fromHex(
      "0600020303090902" + "0b0b" + hex(utf8("bobtapioca/0localhostservice=pppprotocol=ip")),
    );
    const r = decodeAuthorRequest(body);
    if (!r.ok) throw new Error(r.code);
    expect(r.value).toEqual({
      authenMethod: AuthenMethod.TACACSPLUS,
      privLvl: 0,
      authenType: 2,
      authenService: 3,
      user: "bob",
      port: "tapioca/0",
      remAddr: "localhost",
      args: ["service=ppp", "protocol=ip"],
    });
    expect(hex(encodeAuthorRequest(r.value))).toBe(hex(body));
  });

  test("published RESPONSE plaintext: PASS_ADD with addr=1.2.3.4", () => {
    const body = fromHex("010100000000" + "0c" + hex(utf8("addr=1.2.3.4")));
    const r = decodeAuthorResponse(body);
    if (!r.ok) throw new Error(r.code);
    expect(r.value).toEqual({
      status: AuthorStatus.PASS_ADD,
      args: ["addr=1.2.3.4"],
      serverMsg: "",
      data: new Uint8Array(0),
    });
    expect(hex(encodeAuthorResponse(r.value))).toBe(hex(body));
  });

  test("RESPONSE order: arg lengths, then server_msg, then data, then args", () => {
    const wire = encodeAuthorResponse({
      status: AuthorStatus.FAIL,
      args: ["a=1", "b*"],
      serverMsg: "no",
      data: Uint8Array.of(7),
    });
    expect(hex(wire)).toBe(
      "10" + "02" + "0002" + "0001" + "0302" + hex(utf8("no")) + "07" + hex(utf8("a=1b*")),
    );
    const r = decodeAuthorResponse(wire);
    expect(r.ok && r.value.args).toEqual(["a=1", "b*"]);
  });

  test("refuses arg lengths that overflow the body (FreeRADIUS regression packet) or leave bytes over", () => {
    // FreeRADIUS base.txt: "Argument 3 length 32 overflows packet" (a RESPONSE body, sent unencrypted).
    // Header c0 02 20 ff 20202020 00000043 (flags 0xff: UNENCRYPTED), the 67-byte body:
    const bad = fromHex(
      "200900000009000a2120202020202020202020ffff20202020202020ffffffff2020444154612a3078202020202020" +
        "20202020202020202020ffffff20ffff20202020",
    );
    expect(bad.length).toBe(67);
    expect(decodeAuthorResponse(bad)).toMatchObject({
      ok: false,
      code: "tacacs/length-mismatch",
    });
    const req = encodeAuthorRequest({
      authenMethod: 1,
      privLvl: 15,
      authenType: 1,
      authenService: 1,
      user: "a",
      port: "",
      remAddr: "",
      args: ["service=shell", "cmd="],
    });
    const extra = new Uint8Array(req.length + 1);
    extra.set(req);
    expect(decodeAuthorRequest(extra)).toMatchObject({
      ok: false,
      code: "tacacs/length-mismatch",
    });
    expect(decodeAuthorRequest(req.subarray(0, 9))).toMatchObject({
      ok: false,
      code: "tacacs/short-body",
    });
    expect(decodeAuthorRequest(req.subarray(0, 7))).toMatchObject({
      ok: false,
      code: "tacacs/short-body",
    });
  });

  test("255 args of 255 bytes encode; 256 args or a 256-byte arg throw", () => {
    const arg = "a=" + "x".repeat(253);
    const base = {
      authenMethod: 6,
      privLvl: 1,
      authenType: 1,
      authenService: 1,
      user: "u",
      port: "p",
      remAddr: "r",
      args: [] as string[],
    };
    const big = encodeAuthorRequest({ ...base, args: Array(255).fill(arg) });
    const r = decodeAuthorRequest(big);
    expect(r.ok && r.value.args.length).toBe(255);
    expect(() => encodeAuthorRequest({ ...base, args: Array(256).fill("a=b") })).toThrow(
      RangeError,
    );
    expect(() => encodeAuthorRequest({ ...base, args: [arg + "y"] })).toThrow(RangeError);
  });
});
