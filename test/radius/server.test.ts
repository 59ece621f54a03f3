// The RADIUS server over real UDP sockets on loopback (IPv4 and IPv6): PAP, CHAP, MS-CHAPv2, EAP,
// Status-Server, reply attributes, Message-Authenticator rules, duplicates, and every bad input the
// issue lists — each followed by a good request that must still be answered.
import { withConstantRandom } from "../support/constant-random.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { fromUtf8, utf8 } from "../../src/lib/bytes.ts";
import { createLogger, type LogRecord } from "../../src/lib/log.ts";
import { randomAuthenticator, verifyResponse } from "../../src/radius/codec/authenticator.ts";
import { chapResponse } from "../../src/radius/codec/chap.ts";
import { encodeRequest } from "../../src/radius/codec/compose.ts";
import { verifyMessageAuthenticator } from "../../src/radius/codec/message-authenticator.ts";
import {
  MS_VENDOR_ID,
  MsAttr,
  generateNtResponse,
  mppeKeys,
  ntPasswordHash,
} from "../../src/radius/codec/mschap.ts";
import {
  AttrType,
  Code,
  decodePacket,
  getAll,
  getAttr,
  type Attribute,
} from "../../src/radius/codec/packet.ts";
import { unhideMppeKey } from "../../src/radius/codec/user-password.ts";
import { encodeVsa, findVendorAttr } from "../../src/radius/codec/vsa.ts";
import {
  freshId,
  papRequest,
  radiusClient,
  type RadiusTestClient,
} from "../support/radius-client.ts";
import {
  ALICE_PASSWORD,
  LEGACY_SECRET,
  NAS_SECRET,
  dropped,
  startFixture,
  type RadiusFixture,
} from "./fixture.ts";

let f: RadiusFixture;
let c4: RadiusTestClient; // 127.0.0.1 → group "nas" (Message-Authenticator required)
let c6: RadiusTestClient; // ::1 → group "legacy" (not required)

beforeAll(async () => {
  f = await startFixture();
  c4 = await radiusClient({ host: "127.0.0.1", port: f.authV4 });
  c6 = await radiusClient({ host: "::1", port: f.authV6 });
});
afterAll(async () => {
  c4?.close();
  c6?.close();
  await f?.stop();
});

/** Decodes a reply and checks both authenticators and that Message-Authenticator comes first. */
function checkReply(reply: Uint8Array | null, reqAuth: Uint8Array, secret: string, code: number) {
  expect(reply).not.toBeNull();
  const r = reply!;
  expect(verifyResponse(r, reqAuth, utf8(secret))).toBe(true);
  const dec = decodePacket(r);
  if (!dec.ok) throw new Error(dec.code);
  expect(dec.value.code).toBe(code);
  if (code === Code.AccessAccept || code === Code.AccessReject) {
    expect(dec.value.attributes[0]!.type).toBe(AttrType.MessageAuthenticator);
    expect(verifyMessageAuthenticator(r, utf8(secret), reqAuth).ok).toBe(true);
  }
  return dec.value;
}

async function goodPap(client: RadiusTestClient = c4, secret = NAS_SECRET): Promise<void> {
  const req = papRequest(secret, "alice", ALICE_PASSWORD);
  checkReply(await client.exchange(req.bytes), req.authenticator, secret, Code.AccessAccept);
}

describe("authentication", () => {
  test("PAP: Access-Accept with the user group's attributes; wrong password: Access-Reject with Reply-Message", async () => {
    const req = papRequest(NAS_SECRET, "alice", ALICE_PASSWORD);
    const acc = checkReply(
      await c4.exchange(req.bytes),
      req.authenticator,
      NAS_SECRET,
      Code.AccessAccept,
    );
    expect(acc.identifier).toBe(req.id);
    expect(Array.from(getAttr(acc, 27)!)).toEqual([0, 0, 0x0e, 0x10]);
    expect(fromUtf8(getAttr(acc, AttrType.Class)!)).toBe("netops");
    expect(fromUtf8(findVendorAttr(acc, 9, 1)!)).toBe("shell:priv-lvl=15");

    const bad = papRequest(NAS_SECRET, "alice", "wrong-password");
    const rej = checkReply(
      await c4.exchange(bad.bytes, 3_000),
      bad.authenticator,
      NAS_SECRET,
      Code.AccessReject,
    );
    expect(fromUtf8(getAttr(rej, AttrType.ReplyMessage)!)).toBe("Authentication failed");
    expect(getAttr(rej, AttrType.Class)).toBeUndefined();
  });

  test("CHAP with CHAP-Challenge and with the Request Authenticator as challenge", async () => {
    for (const withChallenge of [true, false]) {
      for (const [password, code] of [
        [ALICE_PASSWORD, Code.AccessAccept],
        ["nope", Code.AccessReject],
      ] as const) {
        const auth = randomAuthenticator();
        const challenge = withChallenge ? crypto.getRandomValues(new Uint8Array(16)) : auth;
        const chapId = 7;
        const resp = chapResponse(chapId, utf8(password), challenge);
        const attrs: Attribute[] = [
          { type: AttrType.UserName, value: utf8("alice") },
          {
            type: AttrType.CHAPPassword,
            value: new Uint8Array([chapId, ...resp]),
          },
        ];
        if (withChallenge) attrs.push({ type: AttrType.CHAPChallenge, value: challenge });
        const r = encodeRequest(
          {
            code: Code.AccessRequest,
            identifier: freshId(),
            authenticator: auth,
            attributes: attrs,
          },
          utf8(NAS_SECRET),
        );
        if (!r.ok) throw new Error(r.code);
        checkReply(await c4.exchange(r.value), auth, NAS_SECRET, code);
      }
    }
  });

  test("MS-CHAPv2: MS-CHAP2-Success and MPPE keys that unhide to RFC 3079's keys; wrong password: MS-CHAP-Error", async () => {
    for (const [password, code] of [
      [ALICE_PASSWORD, Code.AccessAccept],
      ["not-it", Code.AccessReject],
    ] as const) {
      const auth = randomAuthenticator();
      const authChallenge = crypto.getRandomValues(new Uint8Array(16));
      const peerChallenge = crypto.getRandomValues(new Uint8Array(16));
      const nt = generateNtResponse(
        authChallenge,
        peerChallenge,
        utf8("alice"),
        ntPasswordHash(password),
      );
      const resp = new Uint8Array(50);
      resp[0] = 9;
      resp.set(peerChallenge, 2);
      resp.set(nt, 26);
      const vsa = encodeVsa(MS_VENDOR_ID, [
        { vendorType: MsAttr.MSCHAPChallenge, value: authChallenge },
        { vendorType: MsAttr.MSCHAP2Response, value: resp },
      ]);
      if (!vsa.ok) throw new Error(vsa.code);
      const r2 = encodeRequest(
        {
          code: Code.AccessRequest,
          identifier: freshId(),
          authenticator: auth,
          attributes: [{ type: AttrType.UserName, value: utf8("alice") }, vsa.value],
        },
        utf8(NAS_SECRET),
      );
      if (!r2.ok) throw new Error(r2.code);
      // A constant random source while the server answers: two independently drawn salts would
      // be equal, and the two MPPE keys would share a keystream (RFC 2548 §2.4.2: unique salts).
      const raw = await withConstantRandom(7, () => c4.exchange(r2.value));
      const rep = checkReply(raw, auth, NAS_SECRET, code);
      if (code === Code.AccessAccept) {
        const salt = (t: number) =>
          Array.from(findVendorAttr(rep, MS_VENDOR_ID, t)!.subarray(0, 2));
        expect(salt(MsAttr.MSMPPESendKey)).not.toEqual(salt(MsAttr.MSMPPERecvKey));
        const success = findVendorAttr(rep, MS_VENDOR_ID, MsAttr.MSCHAP2Success)!;
        expect(success[0]).toBe(9);
        expect(fromUtf8(success.subarray(1))).toMatch(/^S=[0-9A-F]{40}$/);
        const want = mppeKeys(ntPasswordHash(password), nt);
        const send = unhideMppeKey(
          findVendorAttr(rep, MS_VENDOR_ID, MsAttr.MSMPPESendKey)!,
          utf8(NAS_SECRET),
          auth,
        );
        const recv = unhideMppeKey(
          findVendorAttr(rep, MS_VENDOR_ID, MsAttr.MSMPPERecvKey)!,
          utf8(NAS_SECRET),
          auth,
        );
        expect(send.ok && Array.from(send.value)).toEqual(Array.from(want.sendKey));
        expect(recv.ok && Array.from(recv.value)).toEqual(Array.from(want.recvKey));
      } else {
        const e = findVendorAttr(rep, MS_VENDOR_ID, MsAttr.MSCHAPError)!;
        expect(fromUtf8(e.subarray(1))).toStartWith("E=691");
      }
    }
  });

  test("EAP-Message: Access-Reject (EAP is not served yet), counted", async () => {
    const auth = randomAuthenticator();
    const r = encodeRequest(
      {
        code: Code.AccessRequest,
        identifier: freshId(),
        authenticator: auth,
        attributes: [
          { type: AttrType.UserName, value: utf8("alice") },
          {
            type: AttrType.EAPMessage,
            value: new Uint8Array([2, 1, 0, 10, 1, 97, 108, 105, 99, 101]),
          },
        ],
      },
      utf8(NAS_SECRET),
    );
    if (!r.ok) throw new Error(r.code);
    checkReply(await c4.exchange(r.value), auth, NAS_SECRET, Code.AccessReject);
    expect(f.registry.renderPrometheus()).toContain(
      'aaa_radius_rejected_total{device_group="nas",reason="eap-not-supported"} 1',
    );
  });

  test("the legacy group (::1) accepts PAP without Message-Authenticator, and the reply still carries one first", async () => {
    const req = papRequest(LEGACY_SECRET, "alice", ALICE_PASSWORD, {
      messageAuthenticator: false,
    });
    checkReply(await c6.exchange(req.bytes), req.authenticator, LEGACY_SECRET, Code.AccessAccept);
  });

  test("Status-Server on both ports (IPv4 and IPv6): Access-Accept / Accounting-Response; without Message-Authenticator: dropped", async () => {
    for (const [host, port, secret, code] of [
      ["127.0.0.1", f.authV4, NAS_SECRET, Code.AccessAccept],
      ["127.0.0.1", f.acctV4, NAS_SECRET, Code.AccountingResponse],
      ["::1", f.authV6, LEGACY_SECRET, Code.AccessAccept],
      ["::1", f.acctV6, LEGACY_SECRET, Code.AccountingResponse],
    ] as const) {
      const cl = await radiusClient({ host, port });
      try {
        const auth = randomAuthenticator();
        const r = encodeRequest(
          {
            code: Code.StatusServer,
            identifier: freshId(),
            authenticator: auth,
            attributes: [],
          },
          utf8(secret),
        );
        if (!r.ok) throw new Error(r.code);
        const rep = checkReply(await cl.exchange(r.value), auth, secret, code);
        expect(rep.attributes[0]!.type).toBe(AttrType.MessageAuthenticator);
        expect(verifyMessageAuthenticator(rep.raw, utf8(secret), auth).ok).toBe(true);
        const before = dropped(f.registry, "missing-message-authenticator");
        const noMa = encodeRequest(
          { code: Code.StatusServer, identifier: freshId(), attributes: [] },
          utf8(secret),
          { messageAuthenticator: false },
        );
        if (!noMa.ok) throw new Error(noMa.code);
        expect(await cl.exchange(noMa.value, 200)).toBeNull();
        expect(dropped(f.registry, "missing-message-authenticator")).toBe(before + 1);
      } finally {
        cl.close();
      }
    }
  });
});

describe("bad input, each followed by a good request that is still answered", () => {
  const cases: Array<[string, () => Uint8Array, string]> = [
    [
      "truncated packet (19 octets)",
      () => papRequest(NAS_SECRET, "alice", "x").bytes.subarray(0, 19),
      "malformed",
    ],
    [
      "Length larger than the datagram",
      () => {
        const b = papRequest(NAS_SECRET, "alice", "x").bytes.slice();
        const n = b.length + 10;
        b[2] = n >> 8;
        b[3] = n & 0xff;
        return b;
      },
      "malformed",
    ],
    [
      "attribute overrunning the packet",
      () => {
        const b = papRequest(NAS_SECRET, "alice", "x").bytes.slice();
        b[b.length - 5] = 200; // last attribute (NAS-IP-Address, 6 octets) now claims 200
        return b;
      },
      "malformed",
    ],
    ["attribute length 0", () => withBrokenAttr(0), "malformed"],
    ["attribute length 1", () => withBrokenAttr(1), "malformed"],
    [
      "wrong secret",
      () => papRequest("not-the-secret", "alice", ALICE_PASSWORD).bytes,
      "bad-message-authenticator",
    ],
    [
      "bad Message-Authenticator",
      () => {
        const b = papRequest(NAS_SECRET, "alice", ALICE_PASSWORD).bytes.slice();
        b[22]! ^= 0x01; // first attribute is Message-Authenticator; flip one bit of its value
        return b;
      },
      "bad-message-authenticator",
    ],
    [
      "missing Message-Authenticator where required",
      () =>
        papRequest(NAS_SECRET, "alice", ALICE_PASSWORD, {
          messageAuthenticator: false,
        }).bytes,
      "missing-message-authenticator",
    ],
  ];
  for (const [name, make, reason] of cases) {
    test(name, async () => {
      const before = dropped(f.registry, reason);
      expect(await c4.exchange(make(), 300)).toBeNull();
      expect(dropped(f.registry, reason)).toBe(before + 1);
      await goodPap();
    });
  }

  test("Proxy-State without Message-Authenticator is dropped even where not required (BlastRADIUS)", async () => {
    const before = dropped(f.registry, "proxy-state-without-message-authenticator");
    const req = papRequest(LEGACY_SECRET, "alice", ALICE_PASSWORD, {
      messageAuthenticator: false,
      extra: [{ type: AttrType.ProxyState, value: utf8("ps1") }],
    });
    expect(await c6.exchange(req.bytes, 300)).toBeNull();
    expect(dropped(f.registry, "proxy-state-without-message-authenticator")).toBe(before + 1);
    // With Message-Authenticator it is answered, and the Proxy-States come back in order.
    const ok = papRequest(LEGACY_SECRET, "alice", ALICE_PASSWORD, {
      extra: [
        { type: AttrType.ProxyState, value: utf8("ps1") },
        { type: AttrType.ProxyState, value: utf8("ps2") },
      ],
    });
    const rep = checkReply(
      await c6.exchange(ok.bytes),
      ok.authenticator,
      LEGACY_SECRET,
      Code.AccessAccept,
    );
    expect(getAll(rep, AttrType.ProxyState).map(fromUtf8)).toEqual(["ps1", "ps2"]);
    await goodPap(c6, LEGACY_SECRET);
  });

  test("unknown client (127.0.0.3) and a group without a radius secret (127.0.0.4): silent drops", async () => {
    for (const [local, reason] of [
      ["127.0.0.3", "unknown-client"],
      ["127.0.0.4", "no-secret"],
    ] as const) {
      const cl = await radiusClient({ host: "127.0.0.1", port: f.authV4 }, local);
      try {
        const before = dropped(f.registry, reason);
        expect(
          await cl.exchange(papRequest(NAS_SECRET, "alice", ALICE_PASSWORD).bytes, 300),
        ).toBeNull();
        expect(dropped(f.registry, reason)).toBe(before + 1);
      } finally {
        cl.close();
      }
    }
    await goodPap();
  });

  test("retransmission (same identifier and authenticator) gets the identical cached reply without re-processing", async () => {
    const req = papRequest(NAS_SECRET, "alice", ALICE_PASSWORD);
    const first = await c4.exchange(req.bytes);
    checkReply(first, req.authenticator, NAS_SECRET, Code.AccessAccept);
    const accepted = f.registry.get("aaa_radius_accepted_total") as unknown as {
      total(): number;
    };
    const before = accepted.total();
    const again = await c4.exchange(req.bytes);
    expect(again).toEqual(first);
    expect(accepted.total()).toBe(before); // not processed a second time
    // A reject is cached too: a wrong password retransmitted is not a second lockout failure.
    await goodPap();
  });

  test("same identifier with a new authenticator is a new request, processed anew", async () => {
    const a = papRequest(NAS_SECRET, "alice", ALICE_PASSWORD, { id: 201 });
    checkReply(await c4.exchange(a.bytes), a.authenticator, NAS_SECRET, Code.AccessAccept);
    const b = papRequest(NAS_SECRET, "alice", "wrong", { id: 201 });
    const rep = checkReply(
      await c4.exchange(b.bytes, 3_000),
      b.authenticator,
      NAS_SECRET,
      Code.AccessReject,
    );
    expect(rep.identifier).toBe(201);
    await goodPap();
  });
});

describe("proxy attached and detached while running (a reload of [radius.proxy])", () => {
  test("useProxy: requests go to the proxy port while one is attached, to local policy after", async () => {
    const seen: string[] = [];
    f.radius.useProxy({
      handle(request, ctx) {
        seen.push(`${ctx.port}:${ctx.deviceName}:${request.identifier}`);
        return { kind: "reject", reason: "realm-reject" };
      },
    });
    try {
      const req = papRequest(NAS_SECRET, "alice", ALICE_PASSWORD);
      const rej = await c4.exchange(req.bytes);
      checkReply(rej, req.authenticator, NAS_SECRET, Code.AccessReject);
      expect(seen).toEqual([`auth:nas1:${req.id}`]);
    } finally {
      f.radius.useProxy(null);
    }
    await goodPap();
    expect(seen.length).toBe(1);
  });

  test("a proxy that throws is contained: no reply, counted internal, the next request is served", async () => {
    const before = dropped(f.registry, "internal");
    f.radius.useProxy({
      handle() {
        throw new Error("proxy bug");
      },
    });
    try {
      const req = papRequest(NAS_SECRET, "alice", ALICE_PASSWORD);
      expect(await c4.exchange(req.bytes, 500)).toBeNull();
      expect(dropped(f.registry, "internal")).toBe(before + 1);
    } finally {
      f.radius.useProxy(null);
    }
    await goodPap();
  });
});

describe("socket errors", () => {
  test("a NAS that closed its port before the reply is logged at info with a real reason, never at error (issue 21, defect 9)", async () => {
    const records: LogRecord[] = [];
    const log = createLogger({ write: () => {}, tap: (r) => void records.push(r) });
    const g = await startFixture("", log);
    try {
      const gone = await radiusClient({ host: "127.0.0.1", port: g.authV4 });
      // A wrong password costs an argon2 verify: the reply leaves after the client has closed,
      // and the kernel's ICMP port unreachable comes back on the server's socket.
      void gone.exchange(papRequest(NAS_SECRET, "alice", "wrong").bytes, 10);
      gone.close();
      const until = Date.now() + 5_000;
      while (!records.some((r) => r.event === "radius_socket_error") && Date.now() < until)
        await Bun.sleep(20);
      const socket = records.filter((r) => r.event === "radius_socket_error");
      expect(socket.length).toBeGreaterThan(0);
      for (const r of socket) {
        expect(r.level).toBe("info");
        expect(String(r.reason)).toContain("peer-unreachable");
      }
      expect(records.filter((r) => r.level === "error")).toEqual([]);
    } finally {
      await g.stop();
    }
  });

  test("a reply to a NAS port that closed (ICMP port unreachable → ECONNREFUSED on a later send) breaks nothing", async () => {
    for (let i = 0; i < 3; i++) {
      const gone = await radiusClient({ host: "127.0.0.1", port: f.authV4 });
      // A wrong password costs an argon2 verify: the reply leaves after the client has closed.
      const req = papRequest(NAS_SECRET, "alice", `wrong-${i}`);
      void gone.exchange(req.bytes, 10);
      gone.close();
    }
    await Bun.sleep(1_500);
    let answered = 0;
    for (let i = 0; i < 3 && answered === 0; i++) {
      const req = papRequest(NAS_SECRET, "alice", ALICE_PASSWORD);
      if ((await c4.exchange(req.bytes, 1_000)) !== null) answered++;
    }
    expect(answered).toBe(1);
    await goodPap();
  });

  test("an exception while finishing an asynchronous decision is contained: no reply, counted internal, the server keeps serving", async () => {
    // A wrong password costs an argon2 verify, so the reply is decided in a promise reaction; make
    // the engine's bookkeeping there throw once. Unhandled, that rejection would end the process.
    const cache = f.radius.server.duplicates;
    const complete = cache.complete;
    cache.complete = () => {
      cache.complete = complete;
      throw new Error("bookkeeping bug");
    };
    const before = dropped(f.registry, "internal");
    const req = papRequest(NAS_SECRET, "alice", "wrong-once");
    expect(await c4.exchange(req.bytes, 1_500)).toBeNull();
    expect(dropped(f.registry, "internal")).toBe(before + 1);
    await goodPap();
  });
});

/** A PAP request whose NAS-IP-Address attribute header says Length 0 or 1. */
function withBrokenAttr(len: number): Uint8Array {
  const b = papRequest(NAS_SECRET, "alice", "x").bytes.slice();
  b[b.length - 5] = len;
  return b;
}
