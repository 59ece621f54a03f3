import { describe, expect, test } from "bun:test";
import { concat, fromHex, hex, utf8 } from "../../lib/bytes.ts";
import { verifyAccountingRequest, verifyResponse } from "./authenticator.ts";
import { encodeReply, encodeRequest } from "./compose.ts";
import {
  computeMessageAuthenticator,
  locateMessageAuthenticator,
  signMessageAuthenticator,
  verifyMessageAuthenticator,
} from "./message-authenticator.ts";
import { Code, decodePacket, encodePacket } from "./packet.ts";

const secret = utf8("testing123");
const hmac = (parts: Uint8Array[]) =>
  new Bun.CryptoHasher("md5", secret).update(concat(parts)).digest("hex");
const ra = fromHex("00112233445566778899aabbccddeeff");

function build(code: number, attrs = [{ type: 1, value: utf8("bob") }]) {
  const e = encodePacket(
    { code, identifier: 5, authenticator: ra, attributes: attrs },
    { messageAuthenticatorFirst: true },
  );
  if (!e.ok) throw new Error(e.code);
  return e.value;
}

describe("Message-Authenticator (RFC 3579 §3.2)", () => {
  test("Access-Request: HMAC-MD5 over the packet as sent, MA zeroed", () => {
    const pkt = build(Code.AccessRequest);
    const want = hmac([pkt]); // value is still zero here
    expect(signMessageAuthenticator(pkt, secret).ok).toBe(true);
    expect(hex(pkt.subarray(22, 38))).toBe(want);
    expect(verifyMessageAuthenticator(pkt, secret)).toEqual({
      ok: true,
      value: true,
    });
  });

  test("reply: computed with the request's authenticator in the header", () => {
    const pkt = build(Code.AccessAccept);
    const reqAuth = fromHex("ffeeddccbbaa99887766554433221100");
    const want = hmac([pkt.subarray(0, 4), reqAuth, pkt.subarray(20)]);
    const c = computeMessageAuthenticator(pkt, secret, reqAuth);
    expect(c.ok && hex(c.value)).toBe(want);
  });

  test("Accounting-Request / CoA / Disconnect: computed with 16 zero octets", () => {
    for (const code of [Code.AccountingRequest, Code.CoARequest, Code.DisconnectRequest]) {
      const pkt = build(code);
      const want = hmac([pkt.subarray(0, 4), new Uint8Array(16), pkt.subarray(20)]);
      const c = computeMessageAuthenticator(pkt, secret);
      expect(c.ok && hex(c.value)).toBe(want);
    }
  });

  test("missing, duplicate, bad length, mismatch", () => {
    const none = encodePacket({ code: 1, identifier: 0, attributes: [] });
    if (!none.ok) throw new Error(none.code);
    expect(verifyMessageAuthenticator(none.value, secret)).toMatchObject({
      code: "radius/message-authenticator-missing",
    });
    const two = encodePacket({
      code: 1,
      identifier: 0,
      attributes: [
        { type: 80, value: new Uint8Array(16) },
        { type: 80, value: new Uint8Array(16) },
      ],
    });
    expect(two.ok && locateMessageAuthenticator(two.value)).toMatchObject({
      code: "radius/message-authenticator-duplicate",
    });
    const short = encodePacket({
      code: 1,
      identifier: 0,
      attributes: [{ type: 80, value: new Uint8Array(15) }],
    });
    expect(short.ok && signMessageAuthenticator(short.value, secret)).toMatchObject({
      code: "radius/message-authenticator-bad-length",
    });
    const pkt = build(Code.AccessRequest);
    signMessageAuthenticator(pkt, secret);
    for (const i of [0, 3, 10, 25, pkt.length - 1]) {
      const bad = pkt.slice();
      bad[i]! ^= 1;
      expect(verifyMessageAuthenticator(bad, secret)).toMatchObject({
        ok: false,
      });
    }
    expect(verifyMessageAuthenticator(pkt, utf8("testing124"))).toMatchObject({
      code: "radius/message-authenticator-mismatch",
    });
    expect(
      locateMessageAuthenticator(fromHex("01000016" + "00".repeat(16) + "5001")),
    ).toMatchObject({ code: "radius/attr-overrun" });
  });
});

describe("compose", () => {
  test("encodeReply: MA first, signed with request auth, then Response Authenticator", () => {
    const reqAuth = fromHex("0f403f9473978057bd83d5cb98f4227a");
    const r = encodeReply(
      { identifier: 9, authenticator: reqAuth },
      {
        code: Code.AccessAccept,
        attributes: [{ type: 18, value: utf8("hi") }],
      },
      secret,
    );
    if (!r.ok) throw new Error(r.code);
    const p = decodePacket(r.value);
    if (!p.ok) throw new Error(p.code);
    expect(p.value.attributes.map((a) => a.type)).toEqual([80, 18]);
    expect(p.value.identifier).toBe(9);
    expect(verifyResponse(r.value, reqAuth, secret)).toBe(true);
    expect(verifyMessageAuthenticator(r.value, secret, reqAuth).ok).toBe(true);
    // Accounting-Response: no MA unless asked.
    const a = encodeReply(
      { identifier: 1, authenticator: reqAuth },
      { code: Code.AccountingResponse, attributes: [] },
      secret,
    );
    expect(a.ok && a.value.length).toBe(20);
    expect(a.ok && verifyResponse(a.value, reqAuth, secret)).toBe(true);
  });

  test("encodeRequest: Access-Request random auth + MA; Accounting/CoA signed accounting-style", () => {
    const r = encodeRequest(
      {
        code: Code.AccessRequest,
        identifier: 1,
        attributes: [{ type: 1, value: utf8("u") }],
      },
      secret,
    );
    if (!r.ok) throw new Error(r.code);
    expect(verifyMessageAuthenticator(r.value, secret).ok).toBe(true);
    expect(hex(r.value.subarray(4, 20))).not.toBe("00".repeat(16));
    for (const code of [Code.AccountingRequest, Code.CoARequest, Code.DisconnectRequest]) {
      const withMa = encodeRequest({ code, identifier: 2, attributes: [] }, secret, {
        messageAuthenticator: true,
      });
      if (!withMa.ok) throw new Error(withMa.code);
      expect(verifyAccountingRequest(withMa.value, secret)).toBe(true);
      expect(verifyMessageAuthenticator(withMa.value, secret).ok).toBe(true);
      const plain = encodeRequest({ code, identifier: 2, attributes: [] }, secret);
      expect(plain.ok && plain.value.length).toBe(20);
    }
    const bad = encodeRequest(
      {
        code: 1,
        identifier: 1,
        attributes: [{ type: 1, value: new Uint8Array(300) }],
      },
      secret,
    );
    expect(bad).toMatchObject({ ok: false, code: "radius/attr-too-long" });
  });
});
