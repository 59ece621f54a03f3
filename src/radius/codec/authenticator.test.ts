import { describe, expect, test } from "bun:test";
import { hex, utf8 } from "../../lib/bytes.ts";
import {
  accountingRequestAuthenticator,
  randomAuthenticator,
  responseAuthenticator,
  signAccountingRequest,
  signResponse,
  usesZeroAuthenticator,
  verifyAccountingRequest,
  verifyResponse,
} from "./authenticator.ts";
import { Code, encodePacket } from "./packet.ts";
import {
  RFC2865_7_1_ACCEPT,
  RFC2865_7_1_REQUEST,
  RFC2865_7_2_ACCEPT,
  RFC2865_7_2_REQUEST,
  RFC2865_SECRET,
} from "./test-vectors.ts";

const secret = utf8(RFC2865_SECRET);
const auth = (p: Uint8Array) => p.subarray(4, 20);

describe("Response Authenticator (RFC 2865 §3)", () => {
  test("RFC 2865 §7.1 and §7.2 replies verify and re-sign byte for byte", () => {
    for (const [req, acc] of [
      [RFC2865_7_1_REQUEST, RFC2865_7_1_ACCEPT],
      [RFC2865_7_2_REQUEST, RFC2865_7_2_ACCEPT],
    ] as const) {
      expect(verifyResponse(acc, auth(req), secret)).toBe(true);
      expect(hex(responseAuthenticator(acc, auth(req), secret))).toBe(hex(auth(acc)));
      const copy = acc.slice();
      copy.fill(0, 4, 20);
      signResponse(copy, auth(req), secret);
      expect(hex(copy)).toBe(hex(acc));
    }
  });

  test("wrong secret, wrong request, or a flipped bit fail", () => {
    expect(verifyResponse(RFC2865_7_1_ACCEPT, auth(RFC2865_7_1_REQUEST), utf8("xyzzy5462"))).toBe(
      false,
    );
    expect(verifyResponse(RFC2865_7_1_ACCEPT, auth(RFC2865_7_2_REQUEST), secret)).toBe(false);
    for (let i = 0; i < RFC2865_7_1_ACCEPT.length; i++) {
      const bad = RFC2865_7_1_ACCEPT.slice();
      bad[i]! ^= 1;
      expect(verifyResponse(bad, auth(RFC2865_7_1_REQUEST), secret)).toBe(false);
    }
    expect(verifyResponse(new Uint8Array(10), auth(RFC2865_7_1_REQUEST), secret)).toBe(false);
  });

  test("a request authenticator of the wrong size is a bug", () => {
    expect(() => responseAuthenticator(RFC2865_7_1_ACCEPT, new Uint8Array(15), secret)).toThrow();
  });
});

describe("Accounting-Request authenticator (RFC 2866 §3)", () => {
  test("sign then verify; independent MD5 formula; tamper fails", () => {
    const e = encodePacket({
      code: Code.AccountingRequest,
      identifier: 7,
      attributes: [
        { type: 40, value: new Uint8Array([0, 0, 0, 1]) },
        { type: 44, value: utf8("sess-1") },
      ],
    });
    if (!e.ok) throw new Error(e.code);
    const pkt = e.value;
    signAccountingRequest(pkt, secret);
    expect(verifyAccountingRequest(pkt, secret)).toBe(true);
    // Independent computation of MD5(Code+ID+Length+16 zeros+Attributes+Secret).
    const buf = Buffer.concat([pkt.subarray(0, 4), Buffer.alloc(16), pkt.subarray(20), secret]);
    const want = new Bun.CryptoHasher("md5").update(buf).digest("hex");
    expect(hex(auth(pkt))).toBe(want);
    expect(hex(accountingRequestAuthenticator(pkt, secret))).toBe(want);
    pkt[pkt.length - 1]! ^= 0x80;
    expect(verifyAccountingRequest(pkt, secret)).toBe(false);
    expect(verifyAccountingRequest(new Uint8Array(3), secret)).toBe(false);
  });

  test("which codes use the zero authenticator", () => {
    expect([4, 43, 40].every(usesZeroAuthenticator)).toBe(true);
    expect([1, 12, 2, 5, 41, 44].some(usesZeroAuthenticator)).toBe(false);
  });
});

test("randomAuthenticator: 16 octets, not repeating across pool refills, each a private copy", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const a = randomAuthenticator();
    expect(a.length).toBe(16);
    seen.add(hex(a));
    a.fill(0); // the caller owns it: must not zero what comes next
  }
  expect(seen.size).toBe(1000);
  expect(seen.has("00".repeat(16))).toBe(false);
});
