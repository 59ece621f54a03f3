// The engine on a manual clock with an in-memory "network": every datagram the proxy sends is
// captured, and the test plays the home servers.
import { describe, expect, test } from "bun:test";
import { ManualClock } from "../../lib/clock.ts";
import { fromHex, utf8 } from "../../lib/bytes.ts";
import { silentLogger } from "../../lib/log.ts";
import { Registry } from "../../lib/metrics.ts";
import { encodeReply, encodeRequest } from "../codec/compose.ts";
import {
  AttrType,
  Code,
  decodePacket,
  getAll,
  getAttr,
  type Attribute,
  type Packet,
} from "../codec/packet.ts";
import { mulberry32 } from "../../../test/support/prng.ts";
import { unhidePassword } from "../codec/user-password.ts";
import type { ProxyRequestContext } from "../proxy-port.ts";
import { createRadiusProxy, type HomeServer, type ProxySettings } from "./index.ts";

const NAS = utf8("nas-secret");
const TAG = fromHex("0102030405060708");
const home = (name: string, kind: "auth" | "acct" = "auth", statusCheck = true): HomeServer => ({
  name,
  kind,
  host: "127.0.0.1",
  port: 1812,
  address: "127.0.0.1:1812",
  secret: utf8(`${name}-secret`),
  responseTimeout: undefined,
  maxOutstanding: 512,
  sockets: 2,
  requireMa: true,
  statusCheck,
});
const settings = (strategy: string, over: Partial<ProxySettings> = {}): ProxySettings => ({
  pools: [
    {
      name: "p",
      strategy,
      servers: ["a", "b"],
      key_attributes: ["Calling-Station-Id"],
    },
  ],
  realms: [
    { name: "example.com", match: "suffix", pool: "p", strip: true },
    { name: "local.test", match: "exact", pool: "local", strip: true },
    { name: "bad.test", match: "exact", pool: "reject", strip: true },
  ],
  defaultRealm: "",
  maxProxyStates: 2,
  maxPending: 1000,
  retry: {
    initialTimeout: 1000,
    maxTimeout: 4000,
    maxRetries: 2,
    maxDuration: 20_000,
  },
  health: {
    interval: 10_000,
    probeTimeout: 1000,
    zombiePeriod: 3000,
    reviveAfter: 2,
    downAfter: 2,
    reviveInterval: 60_000,
  },
  ...over,
});
const ctx: ProxyRequestContext = {
  clientIp: "127.0.0.1",
  clientPort: 5000,
  deviceName: "nas1",
  deviceGroup: "g",
  nasSecret: NAS,
  port: "auth",
};

function setup(
  strategy = "round-robin",
  over: Partial<ProxySettings> = {},
  servers = [home("a"), home("b")],
) {
  const clock = new ManualClock(0);
  const sent: Array<{ server: number; socket: number; bytes: Uint8Array }> = [];
  const registry = new Registry();
  const engine = createRadiusProxy({
    settings: settings(strategy, over),
    servers,
    send: (server, socket, bytes) => sent.push({ server, socket, bytes: bytes.slice() }),
    clock,
    log: silentLogger,
    registry,
    rand: mulberry32(1),
    instanceTag: TAG,
  });
  /** Play home server `i`: answer datagram `d` with `code`, echoing Proxy-States. */
  const answer = (
    d: { server: number; socket: number; bytes: Uint8Array },
    code: number = Code.AccessAccept,
    extra: Attribute[] = [],
  ) => {
    const q = decodePacket(d.bytes);
    if (!q.ok) throw new Error(q.code);
    const ps = getAll(q.value, AttrType.ProxyState).map((value) => ({
      type: AttrType.ProxyState,
      value,
    }));
    const r = encodeReply(
      q.value,
      { code, attributes: [...extra, ...ps] },
      servers[d.server]!.secret,
    );
    if (!r.ok) throw new Error(r.code);
    engine.onHomeDatagram(d.server, d.socket, r.value);
  };
  return { clock, sent, engine, registry, answer };
}

let nextId = 0;
function nasRequest(
  user: string,
  attrs: Attribute[] = [],
  code: number = Code.AccessRequest,
): Packet {
  const base: Attribute[] = [{ type: AttrType.UserName, value: utf8(user) }, ...attrs];
  const e = encodeRequest({ code, identifier: nextId++ & 0xff, attributes: base }, NAS);
  if (!e.ok) throw new Error(e.code);
  const d = decodePacket(e.value);
  if (!d.ok) throw new Error(d.code);
  return d.value;
}
const replies = () => {
  const got: Array<Uint8Array | null> = [];
  return { got, cb: (b: Uint8Array | null) => got.push(b) };
};

describe("decisions", () => {
  test("local, reject, not proxied Status-Server, stripped local name", () => {
    const { engine } = setup();
    const r = replies();
    expect(engine.handle(nasRequest("alice"), ctx, r.cb)).toEqual({
      kind: "local",
    });
    expect(engine.handle(nasRequest("alice@local.test"), ctx, r.cb)).toEqual({
      kind: "local",
      userName: "alice",
    });
    expect(engine.handle(nasRequest("alice@bad.test"), ctx, r.cb)).toEqual({
      kind: "reject",
      reason: "realm-reject",
    });
    expect(
      engine.handle(nasRequest("alice@example.com", [], Code.StatusServer), ctx, r.cb).kind,
    ).toBe("drop");
    expect(r.got).toEqual([]);
  });
  test("loop protection: our own Proxy-State, or more than max_proxy_states, is dropped", () => {
    const { engine, sent } = setup();
    const r = replies();
    const ours = {
      type: AttrType.ProxyState,
      value: fromHex("0102030405060708 000000ff"),
    };
    expect(engine.handle(nasRequest("u@example.com", [ours]), ctx, r.cb)).toEqual({
      kind: "drop",
      reason: "proxy-loop",
    });
    const ps = (s: string) => ({ type: AttrType.ProxyState, value: utf8(s) });
    expect(
      engine.handle(nasRequest("u@example.com", [ps("1"), ps("2"), ps("3")]), ctx, r.cb),
    ).toEqual({ kind: "drop", reason: "too-many-proxy-states" });
    expect(engine.handle(nasRequest("u@example.com", [ps("1"), ps("2")]), ctx, r.cb)).toEqual({
      kind: "forwarded",
    });
    expect(sent.length).toBe(1);
  });
});

describe("forwarding", () => {
  test("round-robin over both servers; the realm is stripped; replies relayed and counted", () => {
    const { engine, sent, answer, registry } = setup();
    const r = replies();
    for (let i = 0; i < 4; i++)
      expect(
        engine.handle(
          nasRequest("bob@example.com", [{ type: 2, value: new Uint8Array(16) }]),
          ctx,
          r.cb,
        ).kind,
      ).toBe("forwarded");
    expect(sent.map((s) => s.server)).toEqual([0, 1, 0, 1]);
    expect(engine.stats().timers).toBe(4);
    for (const s of sent) {
      const q = decodePacket(s.bytes);
      if (!q.ok) throw new Error(q.code);
      expect(new TextDecoder().decode(getAttr(q.value, AttrType.UserName)!)).toBe("bob");
      answer(s);
    }
    expect(r.got.length).toBe(4);
    for (const b of r.got) expect(b![0]).toBe(Code.AccessAccept);
    expect(engine.pending()).toBe(0);
    // An answered request takes its deadline with it: nothing of it stays reachable until then.
    expect(engine.stats().timers).toBe(0);
    engine.tick(); // counters are tallied on the hot path and flushed each tick
    const text = registry.renderPrometheus();
    expect(text).toContain('aaa_radius_proxy_home_replies_total{home_server="a",type="auth"} 2');
    expect(text).toContain('aaa_radius_proxy_pool_requests_total{pool="p",type="auth"} 4');
    expect(text).toContain('aaa_radius_proxy_home_outstanding{home_server="b",type="auth"} 0');
  });
  test("a stripped User-Name keeps the NAS's octets, also when they are not UTF-8 (Latin-1 é)", () => {
    const { engine, sent } = setup();
    const r = replies();
    const e = encodeRequest(
      {
        code: Code.AccessRequest,
        identifier: 99,
        attributes: [
          {
            type: AttrType.UserName,
            value: new Uint8Array([0x6a, 0x6f, 0x73, 0xe9, ...utf8("@example.com")]),
          },
          { type: 2, value: new Uint8Array(16) },
        ],
      },
      NAS,
    );
    if (!e.ok) throw new Error(e.code);
    const d = decodePacket(e.value);
    if (!d.ok) throw new Error(d.code);
    expect(engine.handle(d.value, ctx, r.cb).kind).toBe("forwarded");
    const q = decodePacket(sent[0]!.bytes);
    if (!q.ok) throw new Error(q.code);
    expect(Array.from(getAttr(q.value, AttrType.UserName)!)).toEqual([0x6a, 0x6f, 0x73, 0xe9]);
  });

  test("a forged or late reply is dropped and the request stays pending", () => {
    const { engine, sent } = setup();
    const r = replies();
    engine.handle(nasRequest("bob@example.com"), ctx, r.cb);
    const q = decodePacket(sent[0]!.bytes);
    if (!q.ok) throw new Error(q.code);
    const forged = encodeReply(q.value, { code: Code.AccessAccept, attributes: [] }, utf8("wrong"));
    if (!forged.ok) throw new Error(forged.code);
    engine.onHomeDatagram(0, sent[0]!.socket, forged.value);
    expect(r.got).toEqual([]);
    expect(engine.pending()).toBe(1);
  });
  test("timeout → failover to the other server with a re-hidden password; the reply wins", () => {
    const { engine, sent, clock, answer } = setup("failover");
    const r = replies();
    const pw = new Uint8Array(16);
    engine.handle(nasRequest("bob@example.com", [{ type: 2, value: pw }]), ctx, r.cb);
    expect(sent.map((s) => s.server)).toEqual([0]);
    clock.advance(1200);
    engine.tick();
    expect(sent.map((s) => s.server)).toEqual([0, 1]);
    const q = decodePacket(sent[1]!.bytes);
    if (!q.ok) throw new Error(q.code);
    const plain = unhidePassword(getAttr(q.value, 2)!, utf8("b-secret"), q.value.authenticator);
    expect(plain.ok).toBe(true);
    answer(sent[1]!);
    expect(r.got.length).toBe(1);
    expect(r.got[0]![0]).toBe(Code.AccessAccept);
    // The late answer from "a" finds nothing any more.
    answer(sent[0]!);
    expect(r.got.length).toBe(1);
  });
  test("back to a server already tried: the same datagram is retransmitted", () => {
    const { engine, sent, clock } = setup("round-robin", {
      pools: [
        {
          name: "p",
          strategy: "round-robin",
          servers: ["a"],
          key_attributes: [],
        },
      ],
    });
    engine.handle(nasRequest("bob@example.com"), ctx, () => {});
    clock.advance(1200);
    engine.tick();
    expect(sent.length).toBe(2);
    expect(sent[1]!.bytes).toEqual(sent[0]!.bytes);
  });
  test("a server at max_outstanding still gets this request's retransmissions (they reuse its identifier)", () => {
    const { engine, sent, clock } = setup("failover", {}, [
      { ...home("a"), maxOutstanding: 2, sockets: 1 },
    ]);
    const r = replies();
    engine.handle(nasRequest("x@example.com"), ctx, r.cb);
    engine.handle(nasRequest("y@example.com"), ctx, r.cb);
    // Full: a third request finds no server.
    expect(engine.handle(nasRequest("z@example.com"), ctx, r.cb)).toEqual({
      kind: "reject",
      reason: "no-home-server",
    });
    clock.advance(1101); // RT(1) = IRT ± 10 %
    engine.tick();
    // Both in-flight requests were retransmitted byte for byte, none given up.
    expect(sent.length).toBe(4);
    expect(sent[2]!.bytes).toEqual(sent[0]!.bytes);
    expect(sent[3]!.bytes).toEqual(sent[1]!.bytes);
    expect(r.got).toEqual([]);
  });

  test("after the last retry: Access-Reject signed with the NAS secret; accounting gets no answer", () => {
    const { engine, sent, clock, registry } = setup();
    const r = replies();
    engine.handle(nasRequest("bob@example.com"), ctx, r.cb);
    const acct = nasRequest(
      "bob@example.com",
      [{ type: 40, value: fromHex("00000001") }],
      Code.AccountingRequest,
    );
    const ra = replies();
    expect(engine.handle(acct, { ...ctx, port: "acct" }, ra.cb)).toEqual({
      kind: "drop",
      reason: "no-home-server",
    });
    for (let i = 0; i < 100 && r.got.length === 0; i++) {
      clock.advance(500);
      engine.tick();
    }
    expect(sent.length).toBe(3); // 1 + max_retries
    expect(r.got.length).toBe(1);
    const rej = decodePacket(r.got[0]!);
    expect(rej.ok && rej.value.code).toBe(Code.AccessReject);
    expect(registry.renderPrometheus()).toContain(
      'aaa_radius_proxy_pool_timeouts_total{pool="p",type="auth"} 1',
    );
  });
  test("accounting: forwarded to an acct server, acknowledged only after its Accounting-Response", () => {
    const servers = [home("a"), home("b"), home("a", "acct")];
    const { engine, sent, answer } = setup("round-robin", {}, servers);
    const r = replies();
    const acct = nasRequest(
      "bob@example.com",
      [{ type: 40, value: fromHex("00000001") }],
      Code.AccountingRequest,
    );
    expect(engine.handle(acct, { ...ctx, port: "acct" }, r.cb)).toEqual({
      kind: "forwarded",
    });
    expect(sent[0]!.server).toBe(2);
    expect(r.got).toEqual([]);
    answer(sent[0]!, Code.AccountingResponse);
    expect(r.got.length).toBe(1);
    expect(r.got[0]![0]).toBe(Code.AccountingResponse);
  });
  test("acct_pool = local stores that realm's accounting here (it used to be dropped); pool = local with an acct pool proxies only accounting", () => {
    const servers = [home("a"), home("b"), home("a", "acct")];
    const { engine, sent } = setup(
      "round-robin",
      {
        realms: [
          { name: "split.test", match: "exact", pool: "p", acct_pool: "local", strip: true },
          { name: "here.test", match: "exact", pool: "local", acct_pool: "p", strip: false },
        ],
      },
      servers,
    );
    const r = replies();
    const start = [{ type: 40, value: fromHex("00000001") }];
    const acctCtx = { ...ctx, port: "acct" as const };
    expect(
      engine.handle(nasRequest("bob@split.test", start, Code.AccountingRequest), acctCtx, r.cb),
    ).toEqual({ kind: "local", userName: "bob" });
    expect(engine.handle(nasRequest("bob@split.test"), ctx, r.cb)).toEqual({ kind: "forwarded" });
    expect(engine.handle(nasRequest("bob@here.test"), ctx, r.cb)).toEqual({ kind: "local" });
    expect(
      engine.handle(nasRequest("bob@here.test", start, Code.AccountingRequest), acctCtx, r.cb),
    ).toEqual({ kind: "forwarded" });
    expect(sent.map((s) => s.server)).toEqual([0, 2]);
  });
});

describe("health through the engine", () => {
  test("silence → zombie, probes fail → down, probes answered → up again (each transition counted once)", () => {
    const { engine, sent, clock, registry, answer } = setup("failover");
    engine.handle(nasRequest("bob@example.com"), ctx, () => {});
    // Let requests and probes to "a" go unanswered for a while; "b" answers everything.
    for (let i = 0; i < 200; i++) {
      clock.advance(250);
      engine.tick();
      for (const s of sent.splice(0)) if (s.server === 1) answer(s);
    }
    expect(engine.servers[0]!.health.status).toBe("down");
    expect(engine.servers[1]!.health.status).toBe("up");
    for (let i = 0; i < 200 && engine.servers[0]!.health.status !== "up"; i++) {
      clock.advance(250);
      engine.tick();
      for (const s of sent.splice(0)) answer(s);
    }
    expect(engine.servers[0]!.health.status).toBe("up");
    const text = registry.renderPrometheus();
    expect(text).toContain(
      'aaa_radius_proxy_home_state_transitions_total{home_server="a",type="auth",to="zombie"} 1',
    );
    expect(text).toContain(
      'aaa_radius_proxy_home_state_transitions_total{home_server="a",type="auth",to="down"} 1',
    );
    expect(text).toContain(
      'aaa_radius_proxy_home_state_transitions_total{home_server="a",type="auth",to="up"} 1',
    );
    expect(text).toContain('aaa_radius_proxy_home_state{home_server="a",type="auth",state="up"} 1');
  });
  test("probes: a new identifier and authenticator each time, never a retransmission", () => {
    const { engine, sent, clock } = setup(
      "failover",
      {
        pools: [
          {
            name: "p",
            strategy: "failover",
            servers: ["a"],
            key_attributes: [],
          },
        ],
      },
      [home("a")],
    );
    for (let i = 0; i < 40; i++) {
      clock.advance(1000);
      engine.tick();
    }
    const probes = sent.filter((s) => s.bytes[0] === Code.StatusServer);
    expect(probes.length).toBeGreaterThanOrEqual(3);
    const auths = new Set(probes.map((p) => Buffer.from(p.bytes.subarray(4, 20)).toString("hex")));
    expect(auths.size).toBe(probes.length);
    // A new (socket, identifier) each time: the identifier space is per upstream socket.
    for (let i = 1; i < probes.length; i++)
      expect(`${probes[i]!.socket}/${probes[i]!.bytes[1]}`).not.toBe(
        `${probes[i - 1]!.socket}/${probes[i - 1]!.bytes[1]}`,
      );
  });
});

describe("shutdown", () => {
  test("abandon answers what is in flight with null and flushes the counters", () => {
    const { engine, registry } = setup();
    const r = replies();
    engine.handle(nasRequest("bob@example.com"), ctx, r.cb);
    engine.handle(nasRequest("bob@example.com"), ctx, r.cb);
    engine.abandon();
    expect(r.got).toEqual([null, null]);
    expect(engine.pending()).toBe(0);
    expect(registry.renderPrometheus()).toContain(
      'aaa_radius_proxy_pool_requests_total{pool="p",type="auth"} 2',
    );
  });
});
