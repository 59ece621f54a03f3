import { describe, expect, test } from "bun:test";
import { concat, fromHex, fromUtf8, hex, utf8 } from "../../lib/bytes.ts";
import {
  challengeHash,
  challengeResponse,
  generateAuthenticatorResponse,
  generateNtResponse,
  getAsymmetricStartKey,
  getMasterKey,
  hashNtPasswordHash,
  mppeKeys,
  ntPasswordHash,
  parseMsChap2Response,
  verifyMsChapV1,
  verifyMsChapV2,
} from "./mschap.ts";

// RFC 2759 §9.2 "Hash Example" and RFC 3079 §3.5.3.
const user = utf8("User");
const authChallenge = fromHex("5B5D7C7D7B3F2F3E3C2C602132262628");
const peerChallenge = fromHex("21402324255E262A28295F2B3A337C7E");
const ntHash = ntPasswordHash("clientPass");
const ntResponse = fromHex("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF");

describe("MS-CHAPv2 (RFC 2759 §9.2 vectors)", () => {
  test("intermediate values", () => {
    expect(hex(challengeHash(peerChallenge, authChallenge, user))).toBe("d02e4386bce91226");
    expect(hex(ntHash)).toBe("44ebba8d5312b8d611474411f56989ae");
    expect(hex(hashNtPasswordHash(ntHash))).toBe("41c00c584bd2d91c4017a2a12fa59f3f");
  });
  test("NT-Response and AuthenticatorResponse", () => {
    expect(hex(generateNtResponse(authChallenge, peerChallenge, user, ntHash))).toBe(
      hex(ntResponse),
    );
    expect(
      generateAuthenticatorResponse(ntHash, ntResponse, peerChallenge, authChallenge, user),
    ).toBe("S=407A5589115FD0D6209F510FE9C04566932CDA56");
  });
});

describe("MPPE keys (RFC 3079 §3.5.3 vectors)", () => {
  test("MasterKey and 128-bit SendStartKey", () => {
    const master = getMasterKey(hashNtPasswordHash(ntHash), ntResponse);
    expect(hex(master)).toBe("fdece3717a8c838cb388e527ae3cdd31");
    // The RFC's SendStartKey128 is the server's send key (IsSend=TRUE, IsServer=TRUE → Magic3).
    expect(hex(getAsymmetricStartKey(master, 16, true, true))).toBe(
      "8b7cdc149b993a1ba118cb153f56dccb",
    );
    // The client's receive key is the same key.
    expect(hex(getAsymmetricStartKey(master, 16, false, false))).toBe(
      "8b7cdc149b993a1ba118cb153f56dccb",
    );
  });
  test("server keys mirror client keys", () => {
    const master = getMasterKey(hashNtPasswordHash(ntHash), ntResponse);
    const k = mppeKeys(ntHash, ntResponse);
    expect(hex(k.sendKey)).toBe("8b7cdc149b993a1ba118cb153f56dccb");
    expect(hex(k.recvKey)).toBe(hex(getAsymmetricStartKey(master, 16, true, false))); // the client's send key
    expect(hex(k.sendKey)).not.toBe(hex(k.recvKey));
  });
});

describe("verifyMsChapV2", () => {
  const response = concat([fromHex("07 00"), peerChallenge, new Uint8Array(8), ntResponse]);
  test("right password: success attribute and keys", () => {
    const r = verifyMsChapV2({
      userName: user,
      ntHash,
      authChallenge,
      response,
    });
    if (!r.ok || r.value === null) throw new Error("expected success");
    expect(r.value.success[0]).toBe(7);
    expect(fromUtf8(r.value.success.subarray(1))).toBe(
      "S=407A5589115FD0D6209F510FE9C04566932CDA56",
    );
    expect(r.value.recvKey.length).toBe(16);
  });
  test("wrong password or user gives null; malformed attributes are errors", () => {
    expect(
      verifyMsChapV2({
        userName: user,
        ntHash: ntPasswordHash("clientPasS"),
        authChallenge,
        response,
      }),
    ).toEqual({ ok: true, value: null });
    expect(
      verifyMsChapV2({
        userName: utf8("user"),
        ntHash,
        authChallenge,
        response,
      }),
    ).toEqual({ ok: true, value: null });
    expect(
      verifyMsChapV2({
        userName: user,
        ntHash,
        authChallenge,
        response: response.subarray(1),
      }).ok,
    ).toBe(false);
    expect(
      verifyMsChapV2({
        userName: user,
        ntHash,
        authChallenge: authChallenge.subarray(1),
        response,
      }).ok,
    ).toBe(false);
    expect(parseMsChap2Response(response)).toMatchObject({
      ok: true,
      value: { ident: 7 },
    });
  });
});

describe("MS-CHAPv1 (RFC 2433)", () => {
  // RFC 2433 Appendix B.2 sample: password "MyPw", challenge 102DB5DF085D3041.
  test("NT hash and NT challenge response", () => {
    const h = ntPasswordHash("MyPw");
    expect(hex(h)).toBe("fc156af7edcd6c0edde3337d427f4eac");
    const resp = challengeResponse(fromHex("102DB5DF085D3041"), h);
    expect(hex(resp)).toBe("4e9d3c8f9cfd385d5bf4d3246791956ca4c351ab409a3d61");
    const attr = concat([fromHex("01 01"), new Uint8Array(24), resp]);
    expect(
      verifyMsChapV1({
        ntHash: h,
        challenge: fromHex("102DB5DF085D3041"),
        response: attr,
      }),
    ).toEqual({ ok: true, value: true });
    expect(
      verifyMsChapV1({
        ntHash: ntPasswordHash("MyPW"),
        challenge: fromHex("102DB5DF085D3041"),
        response: attr,
      }),
    ).toEqual({ ok: true, value: false });
    attr[1] = 0;
    expect(
      verifyMsChapV1({
        ntHash: h,
        challenge: fromHex("102DB5DF085D3041"),
        response: attr,
      }).ok,
    ).toBe(false);
  });
});
