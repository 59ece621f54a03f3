import { describe, expect, test } from "bun:test";
import { utf8 } from "../lib/bytes.ts";
import { ManualClock } from "../lib/clock.ts";
import type { DecisionRecord } from "../policy/decision-record.ts";
import { randomAuthenticator } from "./codec/authenticator.ts";
import { encodeRequest } from "./codec/compose.ts";
import { defaultDictionary } from "./codec/dictionary.ts";
import { MS_VENDOR_ID, MsAttr } from "./codec/mschap.ts";
import { AttrType, Code, decodePacket, type Attribute } from "./codec/packet.ts";
import { hidePassword } from "./codec/user-password.ts";
import { encodeVsa } from "./codec/vsa.ts";
import { accessMethod, proxiedResult } from "./decision.ts";
import { RadiusServer, type RadiusOutput } from "./server.ts";

const SECRET = "decision-secret";
const device = {
  deviceName: "nas1",
  groupId: 1,
  groupName: "nas",
  radiusSecret: utf8(SECRET) as Uint8Array | null,
  requireMessageAuthenticator: false,
};
const src = { address: "192.0.2.1", port: 40000 };
const AUTH = { id: 1, kind: "auth" as const };
const ACCT = { id: 2, kind: "acct" as const };

function request(code: number, attrs: Attribute[], id = 5): Uint8Array {
  const auth = randomAuthenticator();
  const withPw = attrs.map((a) => {
    if (a.type !== AttrType.UserPassword) return a;
    const pw = hidePassword(a.value, utf8(SECRET), auth);
    if (!pw.ok) throw new Error(pw.code);
    return { type: a.type, value: pw.value };
  });
  const r = encodeRequest(
    {
      code,
      identifier: id,
      ...(code === Code.AccessRequest ? { authenticator: auth } : {}),
      attributes: withPw,
    },
    utf8(SECRET),
  );
  if (!r.ok) throw new Error(r.code);
  return r.value;
}

const user = (name: string): Attribute => ({ type: AttrType.UserName, value: utf8(name) });
const vsa = (type: number, len: number): Attribute => {
  const r = encodeVsa(MS_VENDOR_ID, [{ vendorType: type, value: new Uint8Array(len) }]);
  if (!r.ok) throw new Error(r.code);
  return r.value;
};
const packet = (attrs: Attribute[]) => {
  const p = decodePacket(request(Code.AccessRequest, attrs));
  if (!p.ok) throw new Error(p.code);
  return p.value;
};

describe("RADIUS decision records", () => {
  test("the method comes from the credential the request carries", () => {
    expect(
      accessMethod(packet([user("a"), { type: AttrType.UserPassword, value: utf8("pw") }])),
    ).toBe("PAP");
    expect(
      accessMethod(packet([user("a"), { type: AttrType.CHAPPassword, value: new Uint8Array(17) }])),
    ).toBe("CHAP");
    expect(
      accessMethod(
        packet([user("a"), vsa(MsAttr.MSCHAPChallenge, 16), vsa(MsAttr.MSCHAP2Response, 50)]),
      ),
    ).toBe("MS-CHAPv2");
    expect(
      accessMethod(
        packet([user("a"), vsa(MsAttr.MSCHAPChallenge, 8), vsa(MsAttr.MSCHAPResponse, 50)]),
      ),
    ).toBe("MS-CHAP");
    expect(
      accessMethod(
        packet([
          user("a"),
          { type: AttrType.EAPMessage, value: new Uint8Array([2, 1, 0, 5, 1]) },
          { type: AttrType.MessageAuthenticator, value: new Uint8Array(16) },
        ]),
      ),
    ).toBe("EAP");
    expect(accessMethod(packet([user("a")]))).toBe("other");
  });

  test("a home server's answer is its reply code", () => {
    expect(proxiedResult(new Uint8Array([Code.AccessAccept]))).toBe("accept");
    expect(proxiedResult(new Uint8Array([Code.AccessReject]))).toBe("reject");
    expect(proxiedResult(new Uint8Array([Code.AccessChallenge]))).toBe("challenge");
    expect(proxiedResult(new Uint8Array([Code.AccountingResponse]))).toBe("stored");
  });

  function engine(proxied: boolean) {
    const clock = new ManualClock();
    const e = new RadiusServer({
      devices: { resolve: (ip) => (ip === src.address ? device : null) },
      clock,
      dictionary: defaultDictionary(),
      duplicates: { lifetimeMs: 10_000, maxEntries: 1_000 },
      proxied,
    });
    return { e, clock };
  }
  const records = (out: RadiusOutput[]): DecisionRecord[] =>
    out.flatMap((o) => (o.kind === "note" && o.note.what === "decided" ? [o.note.record] : []));
  const ticketOf = (out: RadiusOutput[]) =>
    out.find((o) => o.kind === "job" || o.kind === "forward")! as RadiusOutput & {
      kind: "job" | "forward";
    };

  test("local Access-Reject: one record with the user, device, reason and latency", () => {
    const { e, clock } = engine(false);
    const out: RadiusOutput[] = [];
    e.handle(
      request(Code.AccessRequest, [
        user("alice"),
        { type: AttrType.UserPassword, value: utf8("x") },
      ]),
      src,
      AUTH,
      out,
    );
    clock.advance(12);
    const done: RadiusOutput[] = [];
    const outcome = { allow: false, reason: "bad-password", extra: [] };
    e.answer(ticketOf(out).ticket, { kind: "access", outcome, reply: [] }, done);
    expect(records([...out, ...done])).toEqual([
      {
        event: "radius_access",
        protocol: "radius",
        method: "PAP",
        result: "reject",
        reason: "bad-password",
        user: "alice",
        client: "192.0.2.1",
        device: "nas1",
        group: "nas",
        proxy: null,
        realm: null,
        home_server: null,
        latency_ms: 12,
      },
    ]);
  });

  test("accounting: stored once committed, failed when the store refused it", () => {
    const acct = (id: number) =>
      request(
        Code.AccountingRequest,
        [
          user("bob"),
          { type: 40 /* Acct-Status-Type: Start */, value: new Uint8Array([0, 0, 0, 1]) },
        ],
        id,
      );
    const { e } = engine(false);
    const got: DecisionRecord[] = [];
    for (const [id, ok] of [
      [1, true],
      [2, false],
    ] as const) {
      const out: RadiusOutput[] = [];
      e.handle(acct(id), src, ACCT, out);
      const done: RadiusOutput[] = [];
      e.answer(
        ticketOf(out).ticket,
        ok ? { kind: "account", ok } : { kind: "account", ok, detail: "disk full" },
        done,
      );
      got.push(...records(done));
    }
    expect(got).toMatchObject([
      { event: "radius_acct", method: "acct", result: "stored", reason: "committed", user: "bob" },
      {
        event: "radius_acct",
        method: "acct",
        result: "failed",
        reason: "store-error",
        user: "bob",
      },
    ]);
  });

  test("proxied: the realm, the home server and its answer; a give-up is our reject", () => {
    const { e } = engine(true);
    const got: DecisionRecord[] = [];
    for (const [id, homeServer, code] of [
      [1, "home-a", Code.AccessAccept],
      [2, null, Code.AccessReject],
    ] as const) {
      const out: RadiusOutput[] = [];
      e.handle(
        request(
          Code.AccessRequest,
          [user("carol@example.com"), { type: AttrType.UserPassword, value: utf8("x") }],
          id,
        ),
        src,
        AUTH,
        out,
      );
      const bytes = new Uint8Array([code, id, 0, 20, ...new Uint8Array(16)]);
      const done: RadiusOutput[] = [];
      e.answer(
        ticketOf(out).ticket,
        { kind: "proxied", bytes, realm: "example.com", homeServer },
        done,
      );
      got.push(...records(done));
    }
    expect(got).toMatchObject([
      {
        result: "accept",
        reason: "proxied",
        user: "carol@example.com",
        realm: "example.com",
        home_server: "home-a",
      },
      { result: "reject", reason: "home-server-timeout", realm: "example.com", home_server: null },
    ]);
  });
});
