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
import { runJob } from "./jobs.ts";
import {
  RadiusServer,
  type RadiusAnswer,
  type RadiusListenerRef,
  type RadiusOutput,
} from "./server.ts";
import { RadiusNotes } from "../transport/radius-metrics.ts";
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
  const engine = new RadiusServer({
    devices: { resolve: (ip) => (ip === src.address ? device : null) },
    clock,
    dictionary: defaultDictionary(),
    duplicates: { lifetimeMs: 10_000, maxEntries: 1_000 },
    proxied: o.proxy !== undefined,
  });
  const notes = new RadiusNotes(createRadiusCounters(registry), silentLogger);
  const server = {
    engine,
    get inFlight() {
      return engine.inFlight;
    },
    handle(bytes: Uint8Array, from: typeof src, l: RadiusListenerRef): Reply {
      const out: RadiusOutput[] = [];
      engine.handle(bytes, from, l, out);
      return perform(engine, policy, o.proxy, notes, out);
    },
  };
  return { server, pending, calls: () => calls, registry, clock, policy };
}

type Reply = Uint8Array | null | Promise<Uint8Array | null>;

/**
 * Plays the UDP transport for one request: performs its outputs (notes recorded, jobs run, the
 * proxy asked) and returns what was sent — the bytes, null (nothing), or a Promise of either when
 * a job or a forward answers later.
 */
function perform(
  engine: RadiusServer,
  policy: Policy,
  proxy: RadiusProxyPort | undefined,
  notes: RadiusNotes,
  out: RadiusOutput[],
): Reply {
  let result: Reply = null;
  for (let i = 0; i < out.length; i++) {
    const o = out[i]!;
    if (o.kind === "send") result = o.bytes;
    else if (o.kind === "note") notes.record(o.note);
    else if (o.kind === "job") {
      let later: ((r: Reply) => void) | null = null;
      const a = runJob(o.job, policy, (v) => {
        const q: RadiusOutput[] = [];
        engine.answer(o.ticket, v, q);
        later!(perform(engine, policy, proxy, notes, q));
      });
      if (a !== null) engine.answer(o.ticket, a, out);
      else result = new Promise<Reply>((r) => (later = r)).then(settle);
    } else {
      let later: ((r: Reply) => void) | null = null;
      let inside = true;
      let delivered = false;
      const decision = proxy!.handle(o.request, o.context, (bytes, realm, homeServer) => {
        delivered = true;
        const a: RadiusAnswer = { kind: "proxied", bytes, realm, homeServer };
        if (inside) return engine.answer(o.ticket, a, out);
        const q: RadiusOutput[] = [];
        engine.answer(o.ticket, a, q);
        later!(perform(engine, policy, proxy, notes, q));
      });
      inside = false;
      if (decision.kind !== "forwarded") engine.answer(o.ticket, { kind: "routed", decision }, out);
      else if (!delivered) result = new Promise<Reply>((r) => (later = r)).then(settle);
    }
  }
  return result;
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

async function settle(r: Reply): Promise<Uint8Array | null> {
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
        return decide((b) => reply(b, "example.com", b === null ? null : "home-1"));
      },
    });

    test("local with a stripped user name: policy decides for the stripped name", async () => {
      const seen: string[] = [];
      const names: string[] = [];
      const { server, pending, policy } = setup({
        proxy: proxyWith(() => ({ kind: "local", userName: "alice" }), seen),
      });
      (
        policy as unknown as {
          authenticatePassword: (r: { username: string }) => Promise<Decision>;
        }
      ).authenticatePassword = (r) => {
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

    describe("outputs as data (what the UDP transport performs)", () => {
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
      const kinds = (out: RadiusOutput[]) =>
        out.map((o) => (o.kind === "note" ? `note:${o.note.what}` : o.kind));

      test("forwarded: a forward output, then the proxy's bytes answered into a send from the same listener, cached", () => {
        const { server } = setup({ proxy: proxyWith(() => ({ kind: "forwarded" })) });
        const engine = server.engine;
        const listener = { id: 11, kind: "auth" as const };
        const req = pap(79);
        const out: RadiusOutput[] = [];
        engine.handle(req.bytes, src, listener, out);
        expect(kinds(out)).toEqual(["note:received", "forward"]);
        const fwd = out[1] as RadiusOutput & { kind: "forward" };
        expect(fwd.context).toMatchObject({
          clientIp: src.address,
          port: "auth",
          deviceName: "nas1",
        });
        expect(engine.inFlight).toBe(1);
        const again: RadiusOutput[] = [];
        engine.handle(req.bytes, src, listener, again); // in flight: absorbed, not forwarded twice
        expect(kinds(again)).toEqual(["note:received", "note:dropped"]);
        const bytes = new Uint8Array([2, 79, 0, 20, ...new Uint8Array(16)]);
        const done: RadiusOutput[] = [];
        engine.answer(
          fwd.ticket,
          { kind: "proxied", bytes, realm: "example.com", homeServer: "home-1" },
          done,
        );
        expect(done.at(-1)).toEqual({ kind: "send", bytes, to: src, via: listener });
        expect(engine.inFlight).toBe(0);
        const cached: RadiusOutput[] = [];
        engine.handle(req.bytes, src, listener, cached);
        expect(cached.at(-1)).toEqual({ kind: "send", bytes, to: src, via: listener });
      });

      test("accounting: a job with the record; committed → Accounting-Response; not stored → no send, counted", () => {
        const { server, registry } = setup();
        const engine = server.engine;
        const notes = new RadiusNotes(createRadiusCounters(registry), silentLogger);
        const listener = { id: 12, kind: "acct" as const };
        const out: RadiusOutput[] = [];
        engine.handle(acctRequest(21), src, listener, out);
        const job = out.at(-1) as RadiusOutput & { kind: "job" };
        expect(job.kind).toBe("job");
        expect(job.job).toMatchObject({ kind: "account", record: { recordType: "start" } });
        const ok: RadiusOutput[] = [];
        engine.answer(job.ticket, { kind: "account", ok: true }, ok);
        const sent = ok.at(-1) as RadiusOutput & { kind: "send" };
        const d = decodePacket(sent.bytes);
        expect(d.ok && d.value.code).toBe(Code.AccountingResponse);
        expect(d.ok && d.value.identifier).toBe(21);
        const out2: RadiusOutput[] = [];
        engine.handle(acctRequest(22), src, listener, out2);
        const job2 = out2.at(-1) as RadiusOutput & { kind: "job" };
        const failed: RadiusOutput[] = [];
        engine.answer(job2.ticket, { kind: "account", ok: false, detail: "disk full" }, failed);
        expect(failed.some((o) => o.kind === "send")).toBe(false);
        for (const o of failed) if (o.kind === "note") notes.record(o.note);
        expect(registry.renderPrometheus()).toContain('reason="storage-failed"} 1');
        expect(engine.inFlight).toBe(0);
        // Forgotten: the NAS's retransmission is a new job, not a duplicate.
        const retry: RadiusOutput[] = [];
        engine.handle(acctRequest(22), src, listener, retry);
        expect(retry.at(-1)!.kind).toBe("job");
      });
    });
  });
});
