// Vectors: the RFC 2865 §7.1 / §7.2 requests (NAS secret "xyzzy5461") forwarded with a fixed
// identifier, authenticator and Proxy-State, checked with hashes computed here independently.
import { describe, expect, test } from "bun:test";
import { createHash, createHmac } from "node:crypto";
import { fromHex, hex, utf8 } from "../../lib/bytes.ts";
import { encodeReply, encodeRequest } from "../codec/compose.ts";
import { AttrType, Code, decodePacket, getAll, getAttr, type Packet } from "../codec/packet.ts";
import { RFC2865_7_1_REQUEST, RFC2865_7_2_REQUEST, RFC2865_SECRET } from "../codec/test-vectors.ts";
import {
  hideMppeKey,
  hideTunnelPassword,
  unhideMppeKey,
  unhideTunnelPassword,
} from "../codec/user-password.ts";
import { encodeVsa, findVendorAttr } from "../codec/vsa.ts";
import { checkHomeReply, rejectFor, relayReply, VENDOR_MICROSOFT } from "./relay-reply.ts";
import { forwardRequest, nasSideOf, statusServer } from "./relay-request.ts";

const NAS = utf8(RFC2865_SECRET);
const HOME = utf8("home-s3cret");
const AUTH = fromHex("0102030405060708090a0b0c0d0e0f10");
const PS = fromHex("aabbccddeeff0011 00000001");
const md5 = (...parts: Uint8Array[]) => {
  const h = createHash("md5");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
const decode = (b: Uint8Array): Packet => {
  const d = decodePacket(b);
  if (!d.ok) throw new Error(d.code);
  return d.value;
};
/** HMAC-MD5 over the packet with the Message-Authenticator value zeroed and `auth` in the header. */
function expectedMa(pkt: Uint8Array, secret: Uint8Array, auth: Uint8Array): string {
  const copy = pkt.slice();
  copy.set(auth, 4);
  let o = 20;
  let at = -1;
  while (o < copy.length) {
    if (copy[o] === 80) at = o + 2;
    o += copy[o + 1]!;
  }
  copy.fill(0, at, at + 16);
  return createHmac("md5", secret).update(copy).digest("hex");
}
const maOf = (p: Packet) => hex(getAttr(p, AttrType.MessageAuthenticator)!);

describe("Access-Request towards the home server", () => {
  const req = decode(RFC2865_7_1_REQUEST);
  const out = forwardRequest(req, NAS, HOME, {
    identifier: 7,
    authenticator: AUTH,
    proxyState: PS,
    userName: utf8("nemo"),
  });
  if (!out.ok) throw new Error(out.code);
  const p = decode(out.value);

  test("new identifier and authenticator, Message-Authenticator first and signed with the home secret", () => {
    expect(p.code).toBe(Code.AccessRequest);
    expect(p.identifier).toBe(7);
    expect(hex(p.authenticator)).toBe(hex(AUTH));
    expect(p.attributes[0]!.type).toBe(AttrType.MessageAuthenticator);
    expect(maOf(p)).toBe(expectedMa(p.raw, HOME, AUTH));
  });
  test("User-Password re-hidden: MD5(home secret + new authenticator) XOR 'arctangent'", () => {
    const hidden = getAttr(p, AttrType.UserPassword)!;
    const b = md5(HOME, AUTH);
    const plain = hidden.map((c, i) => c ^ b[i]!);
    expect(new TextDecoder().decode(plain.subarray(0, 10))).toBe("arctangent");
    expect([...plain.subarray(10)]).toEqual([0, 0, 0, 0, 0, 0]);
  });
  test("the NAS's attributes kept in order, our Proxy-State last", () => {
    expect(p.attributes.map((a) => a.type)).toEqual([80, 1, 2, 4, 5, 33]);
    expect(hex(p.attributes.at(-1)!.value)).toBe(hex(PS));
    expect(hex(getAttr(p, AttrType.NASIPAddress)!)).toBe("c0a80110");
  });
  test("NAS Proxy-States stay in order before ours; a stripped User-Name replaces the original", () => {
    const withPs = encodeRequest(
      {
        code: 1,
        identifier: 1,
        authenticator: AUTH,
        attributes: [
          { type: 1, value: utf8("nemo@example.com") },
          { type: 33, value: utf8("first") },
          { type: 33, value: utf8("second") },
        ],
      },
      NAS,
    );
    if (!withPs.ok) throw new Error(withPs.code);
    const f = forwardRequest(decode(withPs.value), NAS, HOME, {
      identifier: 9,
      authenticator: AUTH,
      proxyState: PS,
      userName: utf8("nemo"),
    });
    if (!f.ok) throw new Error(f.code);
    const q = decode(f.value);
    expect(getAll(q, 33).map((v) => new TextDecoder().decode(v.subarray(0, 6)))).toEqual([
      "first",
      "second",
      new TextDecoder().decode(PS.subarray(0, 6)),
    ]);
    expect(new TextDecoder().decode(getAttr(q, 1)!)).toBe("nemo");
  });
  test("CHAP without CHAP-Challenge: the original Request Authenticator travels as CHAP-Challenge", () => {
    const chap = decode(RFC2865_7_2_REQUEST);
    const f = forwardRequest(chap, NAS, HOME, {
      identifier: 3,
      authenticator: AUTH,
      proxyState: PS,
    });
    if (!f.ok) throw new Error(f.code);
    const q = decode(f.value);
    expect(hex(getAttr(q, AttrType.CHAPChallenge)!)).toBe(hex(chap.authenticator));
    expect(hex(getAttr(q, AttrType.CHAPPassword)!)).toBe(
      hex(getAttr(chap, AttrType.CHAPPassword)!),
    );
    expect(maOf(q)).toBe(expectedMa(q.raw, HOME, AUTH));
  });
});

describe("Accounting-Request towards the home server", () => {
  test("Request Authenticator recomputed: MD5(Code+ID+Length+16 zeros+Attributes+home secret)", () => {
    const enc = encodeRequest(
      {
        code: 4,
        identifier: 42,
        attributes: [
          { type: 40, value: fromHex("00000001") },
          { type: 44, value: utf8("s1") },
        ],
      },
      NAS,
    );
    if (!enc.ok) throw new Error(enc.code);
    const f = forwardRequest(decode(enc.value), NAS, HOME, {
      identifier: 5,
      authenticator: AUTH,
      proxyState: PS,
    });
    if (!f.ok) throw new Error(f.code);
    const q = f.value;
    const zeroed = q.slice();
    zeroed.fill(0, 4, 20);
    expect(hex(q.subarray(4, 20))).toBe(hex(md5(zeroed, HOME)));
    expect(getAttr(decode(q), AttrType.MessageAuthenticator)).toBeUndefined();
  });
});

describe("reply from the home server back to the NAS", () => {
  const nasReq = decode(
    (() => {
      const e = encodeRequest(
        {
          code: 1,
          identifier: 200,
          authenticator: fromHex("ffeeddccbbaa99887766554433221100"),
          attributes: [
            { type: 1, value: utf8("u@x") },
            { type: 33, value: utf8("nas-ps") },
          ],
        },
        NAS,
      );
      if (!e.ok) throw new Error(e.code);
      return e.value;
    })(),
  );
  const nas = nasSideOf(nasReq);
  const sentAuth = AUTH;
  const tunnel = hideTunnelPassword(utf8("tunnel-pw"), HOME, sentAuth, 1, fromHex("8001"));
  const recv = hideMppeKey(
    fromHex("00112233445566778899aabbccddeeff"),
    HOME,
    sentAuth,
    fromHex("8123"),
  );
  if (!tunnel.ok || !recv.ok) throw new Error("hide");
  const vsa = encodeVsa(VENDOR_MICROSOFT, [{ vendorType: 17, value: recv.value }]);
  if (!vsa.ok) throw new Error(vsa.code);
  const home = encodeReply(
    { identifier: 7, authenticator: sentAuth },
    {
      code: Code.AccessAccept,
      attributes: [
        { type: AttrType.State, value: fromHex("5354415445") },
        { type: AttrType.Class, value: utf8("class-1") },
        { type: AttrType.TunnelPassword, value: tunnel.value },
        vsa.value,
        { type: 33, value: utf8("nas-ps") },
        { type: 33, value: PS },
      ],
    },
    HOME,
  );
  if (!home.ok) throw new Error(home.code);

  test("verified, re-signed for the NAS with Message-Authenticator first", () => {
    const checked = checkHomeReply(home.value, Code.AccessRequest, sentAuth, HOME, true);
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    const out = relayReply(checked.value, sentAuth, HOME, nas, NAS);
    if (!out.ok) throw new Error(out.code);
    const r = decode(out.value);
    expect(r.identifier).toBe(200);
    expect(r.attributes[0]!.type).toBe(AttrType.MessageAuthenticator);
    expect(maOf(r)).toBe(expectedMa(r.raw, NAS, nasReq.authenticator));
    const zeroAuth = r.raw.slice();
    zeroAuth.set(nasReq.authenticator, 4);
    expect(hex(r.authenticator)).toBe(hex(md5(zeroAuth, NAS)));
    // State and Class untouched; our Proxy-State gone, the NAS's kept.
    expect(hex(getAttr(r, AttrType.State)!)).toBe("5354415445");
    expect(new TextDecoder().decode(getAttr(r, AttrType.Class)!)).toBe("class-1");
    expect(getAll(r, 33).map((v) => new TextDecoder().decode(v))).toEqual(["nas-ps"]);
    // Tunnel-Password and MS-MPPE-Recv-Key re-encrypted for the NAS secret and the NAS's authenticator.
    const tp = unhideTunnelPassword(
      getAttr(r, AttrType.TunnelPassword)!,
      NAS,
      nasReq.authenticator,
    );
    expect(tp.ok && new TextDecoder().decode(tp.value.password)).toBe("tunnel-pw");
    expect(tp.ok && tp.value.tag).toBe(1);
    expect(hex(getAttr(r, AttrType.TunnelPassword)!)).not.toBe(hex(tunnel.value));
    const key = unhideMppeKey(findVendorAttr(r, VENDOR_MICROSOFT, 17)!, NAS, nasReq.authenticator);
    expect(key.ok && hex(key.value)).toBe("00112233445566778899aabbccddeeff");
  });
  test("MS-CHAP-MPPE-Keys (MS-CHAPv1, RFC 2548 §2.4.1) is re-keyed for the NAS without losing its padding", () => {
    // Independent User-Password-style chain (node:crypto): c(i) = p(i) xor MD5(S + prev).
    const chain = (data: Uint8Array, secret: Uint8Array, auth: Uint8Array, hide: boolean) => {
      const out = new Uint8Array(data.length);
      let prev: Uint8Array = auth;
      for (let i = 0; i < data.length; i += 16) {
        const b = createHash("md5").update(secret).update(prev).digest();
        for (let j = 0; j < 16; j++) out[i + j] = data[i + j]! ^ b[j]!;
        prev = hide ? out.subarray(i, i + 16) : data.subarray(i, i + 16);
      }
      return out;
    };
    // LM key (8) + NT key (16) ending in 0x00, padded with 8 zeros: unpadding would eat a key octet.
    const keys = fromHex(
      "0102030405060708" + "a1a2a3a4a5a6a7a8a9aaabacadaeaf00" + "0000000000000000",
    );
    const vsa = encodeVsa(VENDOR_MICROSOFT, [
      { vendorType: 12, value: chain(keys, HOME, sentAuth, true) },
    ]);
    if (!vsa.ok) throw new Error(vsa.code);
    const reply = encodeReply(
      { identifier: 7, authenticator: sentAuth },
      { code: Code.AccessAccept, attributes: [vsa.value, { type: 33, value: PS }] },
      HOME,
    );
    if (!reply.ok) throw new Error(reply.code);
    const checked = checkHomeReply(reply.value, Code.AccessRequest, sentAuth, HOME, true);
    if (!checked.ok) throw new Error(checked.code);
    const out = relayReply(checked.value, sentAuth, HOME, nas, NAS);
    if (!out.ok) throw new Error(out.code);
    const hidden = findVendorAttr(decode(out.value), VENDOR_MICROSOFT, 12)!;
    expect(hex(chain(hidden, NAS, nasReq.authenticator, false))).toBe(hex(keys));
  });

  test("dropped: tampered, wrong secret, missing Message-Authenticator (when required), wrong code", () => {
    const t = home.value.slice();
    t[t.length - 1]! ^= 1;
    expect(checkHomeReply(t, Code.AccessRequest, sentAuth, HOME, true)).toMatchObject({
      ok: false,
      code: "radius-proxy/bad-response-authenticator",
    });
    expect(checkHomeReply(home.value, Code.AccessRequest, sentAuth, NAS, true)).toMatchObject({
      ok: false,
    });
    const noMa = encodeReply(
      { identifier: 7, authenticator: sentAuth },
      { code: Code.AccessAccept, attributes: [] },
      HOME,
      { messageAuthenticator: false },
    );
    if (!noMa.ok) throw new Error(noMa.code);
    expect(checkHomeReply(noMa.value, Code.AccessRequest, sentAuth, HOME, true)).toMatchObject({
      ok: false,
      code: "radius-proxy/missing-message-authenticator",
    });
    expect(checkHomeReply(noMa.value, Code.AccessRequest, sentAuth, HOME, false).ok).toBe(true);
    // EAP-Message without Message-Authenticator: dropped even where it is not required (RFC 3579 §3.2).
    const eapNoMa = encodeReply(
      { identifier: 7, authenticator: sentAuth },
      {
        code: Code.AccessChallenge,
        attributes: [{ type: AttrType.EAPMessage, value: fromHex("0101000401") }],
      },
      HOME,
      { messageAuthenticator: false },
    );
    if (!eapNoMa.ok) throw new Error(eapNoMa.code);
    expect(checkHomeReply(eapNoMa.value, Code.AccessRequest, sentAuth, HOME, false)).toMatchObject({
      ok: false,
      code: "radius-proxy/missing-message-authenticator",
    });
    expect(checkHomeReply(home.value, Code.AccountingRequest, sentAuth, HOME, true)).toMatchObject({
      ok: false,
      code: "radius-proxy/unexpected-code",
    });
    const badMa = home.value.slice();
    badMa[22]! ^= 1; // inside the first attribute, Message-Authenticator
    expect(checkHomeReply(badMa, Code.AccessRequest, sentAuth, HOME, true).ok).toBe(false);
  });
  test("our own Access-Reject: signed for the NAS, NAS Proxy-State echoed", () => {
    const rej = rejectFor(nas, NAS);
    if (!rej.ok) throw new Error(rej.code);
    const r = decode(rej.value);
    expect(r.code).toBe(Code.AccessReject);
    expect(maOf(r)).toBe(expectedMa(r.raw, NAS, nasReq.authenticator));
    expect(getAll(r, 33).map((v) => new TextDecoder().decode(v))).toEqual(["nas-ps"]);
  });
  test("Status-Server probe: RFC 5997 with Message-Authenticator over its own authenticator", () => {
    const s = statusServer(9, AUTH, HOME);
    if (!s.ok) throw new Error(s.code);
    const p = decode(s.value);
    expect(p.code).toBe(Code.StatusServer);
    expect(p.attributes[0]!.type).toBe(80);
    expect(maOf(p)).toBe(expectedMa(p.raw, HOME, AUTH));
  });
});
