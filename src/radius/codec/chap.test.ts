import { expect, test } from "bun:test";
import { concat, fromHex, hex, utf8 } from "../../lib/bytes.ts";
import { chapChallengeOf, chapResponse, verifyChapPassword } from "./chap.ts";
import { AttrType, decodePacket, getAttr } from "./packet.ts";
import { RFC2865_7_2_REQUEST } from "./test-vectors.ts";

test("chapResponse is MD5(id ‖ password ‖ challenge)", () => {
  const ch = fromHex("0102030405060708090a0b0c0d0e0f10");
  const want = new Bun.CryptoHasher("md5")
    .update(concat([new Uint8Array([0x16]), utf8("secret"), ch]))
    .digest("hex");
  expect(hex(chapResponse(0x16, utf8("secret"), ch))).toBe(want);
});

test("RFC 2865 §7.2: challenge is the Request Authenticator; CHAP Ident 0x16; a round trip verifies", () => {
  const p = decodePacket(RFC2865_7_2_REQUEST);
  if (!p.ok) throw new Error(p.code);
  const ch = chapChallengeOf(p.value);
  expect(hex(ch)).toBe("2aee86f08d0d55969ca5978e0d3367a2");
  const cp = getAttr(p.value, AttrType.CHAPPassword)!;
  expect(cp[0]).toBe(0x16);
  // The RFC does not publish flopsy's password, so the example's response cannot be checked directly.
  expect(verifyChapPassword(cp, utf8("guess"), ch)).toEqual({
    ok: true,
    value: false,
  });
  const mine = concat([new Uint8Array([0x16]), chapResponse(0x16, utf8("carrots"), ch)]);
  expect(verifyChapPassword(mine, utf8("carrots"), ch)).toEqual({
    ok: true,
    value: true,
  });
  expect(verifyChapPassword(mine, utf8("carrots!"), ch)).toEqual({
    ok: true,
    value: false,
  });
});

test("CHAP-Challenge attribute wins over the authenticator; bad lengths", () => {
  const ch = chapChallengeOf({
    authenticator: new Uint8Array(16),
    attributes: [{ type: 60, value: fromHex("aabbcc") }],
  });
  expect(hex(ch)).toBe("aabbcc");
  expect(verifyChapPassword(new Uint8Array(16), utf8("x"), ch)).toMatchObject({
    ok: false,
    code: "radius/bad-chap-password",
  });
  expect(verifyChapPassword(new Uint8Array(17), utf8("x"), new Uint8Array(0)).ok).toBe(false);
});
