// The engine without sockets: fake device resolver and policy, a manual clock. Covers what is hard to
// time over UDP (a retransmission while the first copy is still being decided) and the proxy seam.
import { describe, expect, test } from "bun:test";
import { utf8 } from "../lib/bytes.ts";
import { ManualClock } from "../lib/clock.ts";
import { silentLogger } from "../lib/log.ts";
import { Registry } from "../lib/metrics.ts";
import { allow, deny, Reason, type Decision } from "../policy/decisions.ts";
import type { Policy } from "../policy/ports.ts";
import { randomAuthenticator, verifyResponse } from "./codec/authenticator.ts";
import { encodeRequest } from "./codec/compose.ts";
import { defaultDictionary } from "./codec/dictionary.ts";
import { AttrType, Code, decodePacket, getAttr } from "./codec/packet.ts";
import { hidePassword, unhideTunnelPassword } from "./codec/user-password.ts";
import { createRadiusCounters } from "./counters.ts";
import type { ProxyDecision, RadiusProxyPort } from "./proxy-port.ts";
import { LATER, RadiusServer, type HandleResult } from "./server.ts";
import { withConstantRandom } from "../../test/support/constant-random.ts";

const SECRET = "engine-secret";
const device = {
  deviceName: "nas1",
  groupId: 1,
  groupName: "nas",
  radiusSecret: new TextEncoder().encode(SECRET) as Uint8Array | null,
  requireMessageAuthenticator: true,
};
const src = { address: "192.0.2.1", port: 40000 };
const AUTH = { id: 1, kind: "auth" as const };
const ACCT = { id: 2, kind: "acct" as const };

function setup(
  o: {
    proxy?: RadiusProxyPort;
    radiusReply?: () => Array<{ name: string; value: string }>;
  } = {},
) {
  const pending: Array<(d: Decision) => void> = [];
  let calls = 0;
  const policy = {
    authenticatePassword: () => {
      calls++;
      return new Promise<Decision>((r) => pending.push(r));
    },
    radiusReply: o.radiusReply ?? (() => [{ name: "Session-Timeout", value: "60" }]),
    account: async () => {},
  } as unknown as Policy;
  const registry = new Registry();
  const clock = new ManualClock();
  const server = new RadiusServer({
    devices: { resolve: (ip) => (ip === src.address ? device : null) },
    policy,
    counters: createRadiusCounters(registry),
    log: silentLogger,
    clock,
    dictionary: defaultDictionary(),
    duplicates: { lifetimeMs: 10_000, maxEntries: 1_000 },
    ...(o.proxy ? { proxy: o.proxy } : {}),
  });
  return { server, pending, calls: () => calls, registry, clock };
}

function pap(id = 5) {
  const auth = randomAuthenticator();
  const pw = hidePassword(utf8("pw"), utf8(SECRET), auth);
  if (!pw.ok) throw new Error(pw.code);
  const r = encodeRequest(
    {
      code: Code.AccessRequest,
      identifier: id,
      authenticator: auth,
      attributes: [
        { type: AttrType.UserName, value: utf8("alice@example.net") },
        { type: AttrType.UserPassword, value: pw.value },
      ],
    },
    utf8(SECRET),
  );
  if (!r.ok) throw new Error(r.code);
  return { bytes: r.value, auth };
}

async function settle(r: HandleResult): Promise<Uint8Array | null> {
  if (r === LATER) throw new Error("LATER without a respond() listener");
  return r instanceof Promise ? await r : r;
}

describe("RadiusServer engine", () => {
  test("a retransmission while the first copy is in progress is dropped; after the reply it is resent from the cache", async () => {
    const { server, pending, calls, registry } = setup();
    const req = pap();
    const first = server.handle(req.bytes, src, AUTH);
    expect(first).toBeInstanceOf(Promise);
    expect(server.handle(req.bytes, src, AUTH)).toBeNull();
    expect(registry.renderPrometheus()).toContain(
      'aaa_radius_dropped_total{device_group="nas",reason="duplicate"} 1',
    );
    expect(server.inFlight).toBe(1);
    pending[0]!(allow(Reason.authenticated));
    const reply = await settle(first);
    expect(verifyResponse(reply!, req.auth, utf8(SECRET))).toBe(true);
    expect(server.handle(req.bytes, src, AUTH)).toEqual(reply);
    expect(calls()).toBe(1);
    expect(server.inFlight).toBe(0);
  });

  test("an exception while building the reply forgets the request: the retransmission is decided anew and answered", async () => {
    let fail = true;
    const { server, pending, calls, registry } = setup({
      radiusReply: () => {
        if (fail) {
          fail = false;
          throw new Error("policy snapshot unreadable");
        }
        return [];
      },
    });
    const req = pap();
    const first = server.handle(req.bytes, src, AUTH);
    pending[0]!(allow(Reason.authenticated));
    expect(await settle(first)).toBeNull();
    expect(registry.renderPrometheus()).toContain(
      'aaa_radius_dropped_total{device_group="nas",reason="internal"} 1',
    );
    // Not "in progress" any more: the NAS's retransmission is processed, not dropped as a duplicate.
    const again = server.handle(req.bytes, src, AUTH);
    expect(again).toBeInstanceOf(Promise);
    pending[1]!(allow(Reason.authenticated));
    const reply = await settle(again);
    expect(reply![0]).toBe(Code.AccessAccept);
    expect(calls()).toBe(2);
    expect(server.inFlight).toBe(0);
  });

  test("an Access-Accept that would exceed 4096 octets becomes a bare Access-Reject, counted reply-too-large", async () => {
    const long = "x".repeat(250);
    const { server, pending, registry } = setup({
      radiusReply: () => Array.from({ length: 20 }, () => ({ name: "Reply-Message", value: long })),
    });
    const req = pap();
    const r = server.handle(req.bytes, src, AUTH);
    pending[0]!(allow(Reason.authenticated));
    const reply = (await settle(r))!;
    expect(verifyResponse(reply, req.auth, utf8(SECRET))).toBe(true);
    const d = decodePacket(reply);
    if (!d.ok) throw new Error(d.code);
    expect(d.value.code).toBe(Code.AccessReject);
    expect(d.value.attributes.map((a) => a.type)).toEqual([AttrType.MessageAuthenticator]);
    const text = registry.renderPrometheus();
    expect(text).toContain('reason="reply-too-large"} 1');
    expect(text).not.toContain("aaa_radius_accepted_total{");
  });

  test("hidden reply attributes of one packet get distinct salts, even from a constant random source (RFC 2868 §3.5)", async () => {
    const { server, pending } = setup({
      radiusReply: () => [
        { name: "Tunnel-Password", value: "first-secret" },
        { name: "Tunnel-Password", value: "second-secret" },
      ],
    });
    const req = pap();
    const r = server.handle(req.bytes, src, AUTH);
    // Every salt drawn independently would now be the same 0x8000.
    const reply = await withConstantRandom(0, () => {
      pending[0]!(allow(Reason.authenticated));
      return settle(r);
    });
    const d = decodePacket(reply!);
    if (!d.ok) throw new Error(d.code);
    const tp = d.value.attributes.filter((a) => a.type === 69);
    expect(tp.length).toBe(2);
    const salts = tp.map((a) => (a.value[1]! << 8) | a.value[2]!);
    expect(salts[0]).not.toBe(salts[1]);
    for (const s of salts) expect(s & 0x8000).toBe(0x8000);
    const plain = tp.map((a) => {
      const u = unhideTunnelPassword(a.value, utf8(SECRET), req.auth);
      return u.ok ? new TextDecoder().decode(u.value.password) : u.code;
    });
    expect(plain).toEqual(["first-secret", "second-secret"]);
  });

  test("a retransmission after the duplicate lifetime, while the first copy is still being decided, is still a duplicate", async () => {
    const { server, pending, calls, clock } = setup(); // lifetime 10 s
    const req = pap();
    const first = server.handle(req.bytes, src, AUTH);
    clock.advance(11_000); // e.g. a proxied request still retrying upstream
    expect(server.handle(req.bytes, src, AUTH)).toBeNull();
    expect(calls()).toBe(1);
    pending[0]!(allow(Reason.authenticated));
    const reply = await settle(first);
    expect(server.handle(req.bytes, src, AUTH)).toEqual(reply);
  });

  test("the same datagram on another socket is a different request", async () => {
    const { server, pending, calls } = setup();
    const req = pap();
    const a = server.handle(req.bytes, src, AUTH);
    const b = server.handle(req.bytes, src, { id: 3, kind: "auth" });
    expect(b).toBeInstanceOf(Promise);
    pending.forEach((p) => p(deny(Reason.badPassword)));
    expect(decodePacket((await settle(a))!).ok && (await settle(b))![0]).toBe(Code.AccessReject);
    expect(calls()).toBe(2);
  });

  describe("proxy seam", () => {
    const proxyWith = (
      decide: (reply: (b: Uint8Array | null) => void) => ProxyDecision,
      seen: string[] = [],
    ): RadiusProxyPort => ({
      handle(request, ctx, reply) {
        seen.push(`${ctx.port}:${ctx.deviceName}:${ctx.clientIp}:${request.identifier}`);
        expect(ctx.nasSecret).toEqual(utf8(SECRET));
        return decide(reply);
      },
    });

    test("local with a stripped user name: policy decides for the stripped name", async () => {
      const seen: string[] = [];
      const names: string[] = [];
      const { server, pending } = setup({
        proxy: proxyWith(() => ({ kind: "local", userName: "alice" }), seen),
      });
      (
        server as unknown as {
          d: {
            policy: {
              authenticatePassword: (r: { username: string }) => Promise<Decision>;
            };
          };
        }
      ).d.policy.authenticatePassword = (r) => {
        names.push(r.username);
        return new Promise<Decision>((res) => pending.push(res));
      };
      const out = server.handle(pap().bytes, src, AUTH);
      pending[0]!(allow(Reason.authenticated));
      expect((await settle(out))![0]).toBe(Code.AccessAccept);
      expect(names).toEqual(["alice"]);
      expect(seen).toEqual(["auth:nas1:192.0.2.1:5"]);
    });

    test("reject: Access-Reject on auth, silence on acct", async () => {
      const { server } = setup({
        proxy: proxyWith(() => ({ kind: "reject", reason: "realm-rejected" })),
      });
      const out = await settle(server.handle(pap().bytes, src, AUTH));
      const d = decodePacket(out!);
      expect(d.ok && d.value.code).toBe(Code.AccessReject);
      expect(d.ok && getAttr(d.value, AttrType.MessageAuthenticator) !== undefined).toBe(true);
      const acct = encodeRequest(
        {
          code: Code.AccountingRequest,
          identifier: 9,
          attributes: [{ type: 40, value: new Uint8Array([0, 0, 0, 1]) }],
        },
        utf8(SECRET),
      );
      if (!acct.ok) throw new Error(acct.code);
      expect(await settle(server.handle(acct.value, src, ACCT))).toBeNull();
    });

    test("drop: nothing sent, counted", async () => {
      const { server, registry } = setup({
        proxy: proxyWith(() => ({ kind: "drop", reason: "loop" })),
      });
      expect(await settle(server.handle(pap().bytes, src, AUTH))).toBeNull();
      expect(registry.renderPrometheus()).toContain('reason="proxy"} 1');
    });

    test("forwarded: the proxy's bytes are the reply, cached for the retransmission; a retransmission in flight is absorbed", async () => {
      let deliver: ((b: Uint8Array | null) => void) | null = null;
      const seen: string[] = [];
      const { server } = setup({
        proxy: proxyWith((reply) => ((deliver = reply), { kind: "forwarded" }), seen),
      });
      const req = pap(77);
      const out = server.handle(req.bytes, src, AUTH);
      expect(out).toBeInstanceOf(Promise);
      expect(server.handle(req.bytes, src, AUTH)).toBeNull(); // in flight: not forwarded twice
      expect(seen.length).toBe(1);
      const bytes = new Uint8Array([2, 77, 0, 20, ...new Uint8Array(16)]);
      deliver!(bytes);
      expect(await settle(out)).toEqual(bytes);
      expect(server.handle(req.bytes, src, AUTH)).toEqual(bytes);
      expect(seen.length).toBe(1);
    });

    test("forwarded, given up (null): nothing sent; the retransmission is offered to the proxy again", async () => {
      let n = 0;
      const { server } = setup({
        proxy: proxyWith((reply) => (n++, reply(null), { kind: "forwarded" })),
      });
      const req = pap(78);
      expect(await settle(server.handle(req.bytes, src, AUTH))).toBeNull();
      expect(await settle(server.handle(req.bytes, src, AUTH))).toBeNull();
      expect(n).toBe(2);
      expect(server.inFlight).toBe(0);
    });

    describe("a listener with respond() (the UDP transport's way): LATER, then the reply through it", () => {
      const sent: Array<[Uint8Array | null, string]> = [];
      const respond = (b: Uint8Array | null, to: { address: string; port: number }) =>
        void sent.push([b, `${to.address}:${to.port}`]);
      const acctRequest = (id: number) => {
        const r = encodeRequest(
          {
            code: Code.AccountingRequest,
            identifier: id,
            attributes: [{ type: 40, value: new Uint8Array([0, 0, 0, 1]) }],
          },
          utf8(SECRET),
        );
        if (!r.ok) throw new Error(r.code);
        return r.value;
      };

      test("forwarded: the proxy's bytes go to respond once, are cached, and nothing is in flight after", () => {
        sent.length = 0;
        let deliver: ((b: Uint8Array | null) => void) | null = null;
        const { server } = setup({
          proxy: proxyWith((reply) => ((deliver = reply), { kind: "forwarded" })),
        });
        const auth = { ...AUTH, id: 11, respond };
        const req = pap(79);
        expect(server.handle(req.bytes, src, auth)).toBe(LATER);
        expect(server.inFlight).toBe(1);
        expect(server.handle(req.bytes, src, auth)).toBeNull(); // in flight: absorbed
        const bytes = new Uint8Array([2, 79, 0, 20, ...new Uint8Array(16)]);
        deliver!(bytes);
        expect(sent).toEqual([[bytes, "192.0.2.1:40000"]]);
        expect(server.inFlight).toBe(0);
        expect(server.handle(req.bytes, src, auth)).toEqual(bytes); // from the duplicate cache
      });

      test("accounting: Accounting-Response through respond after the store committed; null when it failed", async () => {
        sent.length = 0;
        const { server } = setup();
        const acct = { ...ACCT, id: 12, respond };
        let fail = false;
        (server as unknown as { d: { policy: Policy } }).d.policy.account = () =>
          fail ? Promise.reject(new Error("disk full")) : Promise.resolve();
        expect(server.handle(acctRequest(21), src, acct)).toBe(LATER);
        await Bun.sleep(0);
        expect(sent.length).toBe(1);
        const ok = decodePacket(sent[0]![0]!);
        expect(ok.ok && ok.value.code).toBe(Code.AccountingResponse);
        expect(ok.ok && ok.value.identifier).toBe(21);
        fail = true;
        expect(server.handle(acctRequest(22), src, acct)).toBe(LATER);
        await Bun.sleep(0);
        expect(sent.length).toBe(2);
        expect(sent[1]![0]).toBeNull();
        expect(server.inFlight).toBe(0);
      });

      test("a respond() that throws is contained: counted as internal, the reply stays cached, the next request is answered", async () => {
        const { server, registry } = setup();
        const got: (Uint8Array | null)[] = [];
        let calls = 0;
        const acct = {
          ...ACCT,
          id: 13,
          respond: (b: Uint8Array | null) => {
            if (calls++ === 0) throw new Error("socket gone");
            got.push(b);
          },
        };
        const first = acctRequest(31);
        expect(server.handle(first, src, acct)).toBe(LATER);
        await Bun.sleep(0);
        expect(server.inFlight).toBe(0);
        expect(registry.renderPrometheus()).toContain('reason="internal"} 1');
        // The NAS retransmits: answered from the cache, not stored again.
        const again = server.handle(first, src, acct);
        expect(again).toBeInstanceOf(Uint8Array);
        expect(server.handle(acctRequest(32), src, acct)).toBe(LATER);
        await Bun.sleep(0);
        expect(got.length).toBe(1);
        const d = decodePacket(got[0]!);
        expect(d.ok && d.value.identifier).toBe(32);
      });
    });
  });
});
