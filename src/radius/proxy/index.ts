// The RADIUS proxy engine: implements RadiusProxyPort (src/radius/proxy-port.ts) without sockets.
//
// API
//   createRadiusProxy(opts) → ProxyEngine
//     handle(request, ctx, reply)          the port: route, pick a server, forward
//     onHomeDatagram(server, socket, data) a datagram arrived on upstream socket `socket` of `server`
//     tick()                               fire due timeouts, send due probes (call every few ms)
//     stats(), pending(), servers          read-only views
//     abandon()                            answer everything still in flight with null (shutdown)
//   buildHomeServers(cfg, secrets)         home server table from [radius.proxy] (a "both" server is two
//                                          entries: its auth and its accounting port have separate health)
//
// Transport contract: `send(server, socket, bytes)` puts one datagram on upstream socket `socket`
// (0 ≤ socket < servers[server].sockets) of that server; the transport owns the sockets, this file
// owns identifiers, retries and health. Time comes from the injected Clock, randomness from `rand`.
// Longer than 300 lines on purpose: every handler below shares the engine's state (server table,
// pools, flights, timer heap, tallies); the pure parts live in realm/pool/pending/retry/health/relay.
import type { Clock } from "../../lib/clock.ts";
import type { Logger } from "../../lib/log.ts";
import type { Registry } from "../../lib/metrics.ts";
import { randomAuthenticator } from "../codec/authenticator.ts";
import { attrByName, defaultDictionary } from "../codec/dictionary.ts";
import {
  AttrType,
  Code,
  decodePacket,
  getAttr,
  type Packet,
} from "../codec/packet.ts";
import type {
  ProxyDecision,
  ProxyRequestContext,
  RadiusProxyPort,
} from "../proxy-port.ts";
import {
  healthStep,
  newHealth,
  type Health,
  type HealthParams,
  type Transition,
} from "./health.ts";
import { MinHeap } from "./heap.ts";
import {
  proxyMetrics,
  Tally,
  type Labels,
  type ProxyMetrics,
} from "./metrics.ts";
import { IdSpace, IDS_PER_SOCKET, slotId, slotSocket } from "./pending.ts";
import {
  createPool,
  keyHash,
  selectServer,
  type Pool,
  type ServerView,
  type Strategy,
} from "./pool.ts";
import { createRealmRouter, type RealmRule } from "./realm.ts";
import {
  checkHomeReply,
  forwardRequest,
  nasSideOf,
  rejectFor,
  relayReply,
  statusServer,
  type NasSide,
} from "./relay.ts";
import { onTimeout, startRetry, type RetryState } from "./retry.ts";
import {
  buildHomeServers,
  type HomeServer,
  type ProxySettings,
} from "./settings.ts";

export {
  buildHomeServers,
  type HomeServer,
  type ProxySettings,
} from "./settings.ts";

interface Attempt {
  server: number;
  slot: number;
  /** Request Authenticator of what was sent: replies are verified (and hidden values keyed) with it. */
  sentAuth: Uint8Array;
  sentAt: number;
  packet: Uint8Array;
}

interface Flight {
  nas: NasSide;
  nasSecret: Uint8Array;
  reply: (bytes: Uint8Array | null) => void;
  /** A private copy of the NAS's request: a failover attempt re-encodes it for another secret. */
  raw: Uint8Array;
  userName: Uint8Array | undefined;
  pool: Pool;
  ps: PoolState;
  key: number | undefined;
  retry: RetryState;
  attempts: Attempt[];
  tried: number[];
  gen: number;
  done: boolean;
}

interface Probe {
  server: number;
  slot: number;
  sentAuth: Uint8Array;
  sentAt: number;
}

type Entry =
  { kind: "flight"; flight: Flight } | { kind: "probe"; probe: Probe };
type Timer =
  | { at: number; flight: Flight; gen: number }
  | { at: number; probe: Probe; flight?: undefined };

interface ServerState extends HomeServer {
  ids: IdSpace<Entry>;
  health: Health;
  healthParams: HealthParams;
  labels: Labels;
  t: { requests: Tally; replies: Tally; timeouts: Tally; retries: Tally };
  nextProbeAt: number;
  probing: boolean;
}

interface PoolState {
  pool: Pool;
  labels: Labels;
  outstanding: number;
  t: { requests: Tally; replies: Tally; timeouts: Tally; retries: Tally };
}

export interface ProxyEngineOptions {
  settings: ProxySettings;
  servers: HomeServer[];
  send: (server: number, socket: number, bytes: Uint8Array) => void;
  clock: Clock;
  log: Logger;
  registry: Registry;
  rand?: () => number;
  /** 8 octets identifying this proxy instance in Proxy-State (loop detection); random by default. */
  instanceTag?: Uint8Array;
}

export interface ProxyEngine extends RadiusProxyPort {
  onHomeDatagram(server: number, socket: number, data: Uint8Array): void;
  tick(): void;
  stats(): Record<string, unknown>;
  pending(): number;
  abandon(): void;
  readonly servers: ReadonlyArray<
    Readonly<HomeServer> & { readonly health: Readonly<Health> }
  >;
}

/** Our Proxy-State: the 8-octet instance tag (loop detection) and a 32-bit sequence number. */
const PROXY_STATE_LENGTH = 12;
const textDecoder = new TextDecoder();
const EMPTY = new Uint8Array(0);
const textEncoder = new TextEncoder();

export function createRadiusProxy(o: ProxyEngineOptions): ProxyEngine {
  const { settings, clock, log, send } = o;
  const rand = o.rand ?? Math.random;
  const tag = o.instanceTag ?? crypto.getRandomValues(new Uint8Array(8));
  if (tag.length !== 8) throw new RangeError("instanceTag must be 8 octets");
  const dict = defaultDictionary();
  const now0 = clock.now();
  // The gauges read these arrays lazily, so they can be filled after registration.
  const servers: ServerState[] = [];
  const allPools: PoolState[] = [];
  const m: ProxyMetrics = proxyMetrics(
    o.registry,
    () =>
      servers.map((s) => ({
        labels: s.labels,
        status: () => s.health.status,
        outstanding: () => s.ids.size,
      })),
    () => allPools,
  );
  const tallies: Tally[] = [];
  const tally = (c: ProxyMetrics["homeRequests"], labels: Labels): Tally => {
    const t = new Tally(c, labels);
    tallies.push(t);
    return t;
  };
  const tallySet = (labels: Labels, home: boolean) => ({
    requests: tally(home ? m.homeRequests : m.poolRequests, labels),
    replies: tally(home ? m.homeReplies : m.poolReplies, labels),
    timeouts: tally(home ? m.homeTimeouts : m.poolTimeouts, labels),
    retries: tally(home ? m.homeRetries : m.poolRetries, labels),
  });
  for (const s of o.servers) {
    const labels = { home_server: s.name, type: s.kind };
    servers.push({
      ...s,
      ids: new IdSpace<Entry>(s.sockets),
      health: newHealth(now0),
      healthParams: { ...settings.health, statusCheck: s.statusCheck },
      labels,
      t: tallySet(labels, true),
      // Spread the first probes over one interval so that N servers are not probed in one burst.
      nextProbeAt: now0 + rand() * settings.health.interval,
      probing: false,
    });
  }
  const byKind = (name: string, kind: "auth" | "acct") =>
    servers.findIndex((s) => s.name === name && s.kind === kind);
  const pools = new Map<string, { auth: PoolState; acct: PoolState }>();
  for (const p of settings.pools) {
    const mk = (kind: "auth" | "acct"): PoolState => {
      const members = p.servers
        .map((n) => ({ server: byKind(n, kind), name: n }))
        .filter((m) => m.server >= 0);
      const labels = { pool: p.name, type: kind };
      const ps = {
        pool: createPool(p.name, p.strategy as Strategy, members),
        labels,
        outstanding: 0,
        t: tallySet(labels, false),
      };
      allPools.push(ps);
      return ps;
    };
    pools.set(p.name, { auth: mk("auth"), acct: mk("acct") });
  }
  const keyTypes = new Map<string, number[]>();
  for (const p of settings.pools)
    keyTypes.set(
      p.name,
      p.key_attributes.map((a) => attrByName(dict, a)?.type ?? -1),
    );
  const router = createRealmRouter(
    settings.realms as RealmRule[],
    settings.defaultRealm,
  );
  const timers = new MinHeap<Timer>();
  let inFlight = 0;
  let seq = 0;

  const view: ServerView = {
    status: (i) => servers[i]!.health.status,
    outstanding: (i) => servers[i]!.ids.size,
    full: (i) => servers[i]!.ids.size >= servers[i]!.maxOutstanding,
  };

  const transition = (s: ServerState, t: Transition | undefined) => {
    if (!t) return;
    m.homeTransitions.inc({ ...s.labels, to: t.to });
    const level = t.to === "up" ? "info" : "warn";
    log[level]("radius_proxy_home_server_state", {
      home_server: s.name,
      type: s.kind,
      from: t.from,
      to: t.to,
      reason: t.reason,
    });
  };

  const decisionTallies = new Map<string, Tally>();
  /** Reasons come from a closed set and realm/pool names from the config: bounded. */
  const decide = (d: ProxyDecision, reason: string): ProxyDecision => {
    const k = d.kind + "\u0000" + reason;
    let t = decisionTallies.get(k);
    if (t === undefined) {
      t = tally(m.decisions, { decision: d.kind, reason });
      decisionTallies.set(k, t);
    }
    t.n++;
    return d;
  };

  const ourProxyState = (v: Uint8Array): boolean => {
    if (v.length !== PROXY_STATE_LENGTH) return false;
    for (let i = 0; i < 8; i++) if (v[i] !== tag[i]) return false;
    return true;
  };

  /** Encode for server `si`, take an identifier, send, arm the timer. false: could not. */
  function transmit(
    f: Flight,
    si: number,
    req: Packet,
    first: boolean,
  ): boolean {
    const s = servers[si]!;
    const entry: Entry = { kind: "flight", flight: f };
    const slot = s.ids.alloc(entry);
    if (slot < 0) return false;
    const ps = new Uint8Array(PROXY_STATE_LENGTH);
    ps.set(tag);
    const n = seq++ >>> 0;
    ps[8] = n >>> 24;
    ps[9] = (n >>> 16) & 0xff;
    ps[10] = (n >>> 8) & 0xff;
    ps[11] = n & 0xff;
    const auth = randomAuthenticator();
    const enc = forwardRequest(req, f.nasSecret, s.secret, {
      identifier: slotId(slot),
      authenticator: auth,
      proxyState: ps,
      userName: f.userName,
    });
    if (!enc.ok) {
      s.ids.release(slot);
      log.limited(
        "warn",
        `radius-proxy/encode:${enc.code}`,
        "radius_proxy_encode_failed",
        { code: enc.code, detail: enc.detail },
      );
      return false;
    }
    // For Accounting-Request the authenticator is the keyed hash encodeRequest just wrote.
    const sentAuth =
      req.code === Code.AccessRequest ? auth : enc.value.slice(4, 20);
    f.attempts.push({
      server: si,
      slot,
      sentAuth,
      sentAt: clock.now(),
      packet: enc.value,
    });
    f.tried.push(si);
    (first ? s.t.requests : s.t.retries).n++;
    send(si, slotSocket(slot), enc.value);
    return true;
  }

  function arm(f: Flight, timeout: number) {
    f.gen++;
    timers.push({ at: clock.now() + timeout, flight: f, gen: f.gen });
  }

  function finish(f: Flight, bytes: Uint8Array | null) {
    f.done = true;
    for (const a of f.attempts) {
      const s = servers[a.server]!;
      if (s.ids.get(a.slot)?.kind === "flight") s.ids.release(a.slot);
    }
    inFlight--;
    f.ps.outstanding--;
    // The heap keeps the finished flight until its (lazily deleted) timer comes due: let go of the
    // packets now so that what stays behind is a few small objects per request of the last second.
    f.attempts.length = 0;
    f.raw = EMPTY;
    f.reply(bytes);
  }

  function handle(
    request: Packet,
    ctx: ProxyRequestContext,
    reply: (bytes: Uint8Array | null) => void,
  ): ProxyDecision {
    if (request.code === Code.StatusServer)
      return decide(
        { kind: "drop", reason: "status-server-not-forwarded" },
        "status-server",
      );
    const acct = request.code === Code.AccountingRequest;
    if (!acct && request.code !== Code.AccessRequest)
      return decide({ kind: "local" }, "not-proxied-code");
    let states = 0;
    for (const a of request.attributes) {
      if (a.type !== AttrType.ProxyState) continue;
      if (ourProxyState(a.value))
        return decide({ kind: "drop", reason: "proxy-loop" }, "proxy-loop");
      states++;
    }
    if (states > settings.maxProxyStates)
      return decide(
        { kind: "drop", reason: "too-many-proxy-states" },
        "too-many-proxy-states",
      );
    const un = getAttr(request, AttrType.UserName);
    const route = router.route(
      un === undefined ? undefined : textDecoder.decode(un),
    );
    if (route.action.kind === "local")
      return decide(
        route.userName === undefined
          ? { kind: "local" }
          : { kind: "local", userName: route.userName },
        "realm-local",
      );
    if (route.action.kind === "reject")
      return decide({ kind: "reject", reason: "realm-reject" }, "realm-reject");
    const pp = pools.get(acct ? route.action.acctPool : route.action.pool);
    if (!pp)
      return decide(
        { kind: "reject", reason: "realm-reject" },
        `pool-${acct ? route.action.acctPool : route.action.pool}`,
      );
    const ps = acct ? pp.acct : pp.auth;
    const noServer: ProxyDecision = acct
      ? { kind: "drop", reason: "no-home-server" }
      : { kind: "reject", reason: "no-home-server" };
    if (inFlight >= settings.maxPending)
      return decide({ kind: "drop", reason: "proxy-overloaded" }, "overloaded");
    let key: number | undefined;
    if (ps.pool.strategy === "keyed") {
      for (const t of keyTypes.get(ps.pool.name) ?? []) {
        const v = getAttr(request, t);
        if (v !== undefined) {
          key = keyHash(v);
          break;
        }
      }
    }
    const mi = selectServer(ps.pool, view, { key, rand });
    if (mi < 0) return decide(noServer, "no-home-server");
    const si = ps.pool.members[mi]!.server;
    const now = clock.now();
    const irt = servers[si]!.responseTimeout ?? settings.retry.initialTimeout;
    const r = startRetry(now, irt, settings.retry, rand);
    const f: Flight = {
      nas: nasSideOf(request),
      nasSecret: ctx.nasSecret,
      reply,
      raw: request.raw.slice(),
      userName:
        route.userName === undefined
          ? undefined
          : textEncoder.encode(route.userName),
      pool: ps.pool,
      ps,
      key,
      retry: r.state,
      attempts: [],
      tried: [],
      gen: 0,
      done: false,
    };
    if (!transmit(f, si, request, true))
      return decide(noServer, "encode-or-ids");
    inFlight++;
    ps.outstanding++;
    ps.t.requests.n++;
    f.gen++;
    timers.push({ at: r.deadline, flight: f, gen: f.gen });
    return decide({ kind: "forwarded" }, `realm-${route.realm}`);
  }

  function giveUp(f: Flight) {
    f.ps.t.timeouts.n++;
    if (f.nas.code !== Code.AccessRequest) return finish(f, null);
    const rej = rejectFor(f.nas, f.nasSecret);
    finish(f, rej.ok ? rej.value : null);
  }

  function onFlightTimeout(f: Flight, now: number) {
    const last = f.attempts[f.attempts.length - 1]!;
    const ls = servers[last.server]!;
    ls.t.timeouts.n++;
    transition(ls, healthStep(ls.health, "timeout", now, ls.healthParams));
    const step = onTimeout(f.retry, now, settings.retry, rand);
    if (step.kind === "give-up") return giveUp(f);
    const mi = selectServer(f.pool, view, { tried: f.tried, key: f.key, rand });
    if (mi < 0) return giveUp(f);
    const si = f.pool.members[mi]!.server;
    f.ps.t.retries.n++;
    // Back to a server already tried: a retransmission (RFC 5080 §2.2.1: same Identifier and
    // Request Authenticator, so the home server's duplicate cache can recognise it).
    const prev = f.attempts.find((a) => a.server === si);
    if (prev) {
      servers[si]!.t.retries.n++;
      send(si, slotSocket(prev.slot), prev.packet);
    } else {
      const d = decodePacket(f.raw);
      if (!d.ok || !transmit(f, si, d.value, false)) return giveUp(f);
    }
    arm(f, step.timeout);
  }

  function onProbeTimeout(p: Probe, now: number) {
    const s = servers[p.server]!;
    const e = s.ids.get(p.slot);
    if (e?.kind !== "probe" || e.probe !== p) return;
    s.ids.release(p.slot);
    s.probing = false;
    m.homeProbes.inc({ ...s.labels, result: "timeout" });
    transition(s, healthStep(s.health, "timeout", now, s.healthParams));
  }

  function probe(si: number, now: number) {
    const s = servers[si]!;
    const p: Probe = {
      server: si,
      slot: -1,
      sentAuth: randomAuthenticator(),
      sentAt: now,
    };
    const slot = s.ids.alloc({ kind: "probe", probe: p });
    if (slot < 0) return;
    p.slot = slot;
    // RFC 5997 §3: a new Identifier and authenticator for every probe, never retransmitted.
    const enc = statusServer(slotId(slot), p.sentAuth, s.secret);
    if (!enc.ok) {
      s.ids.release(slot);
      return;
    }
    s.probing = true;
    send(si, slotSocket(slot), enc.value);
    timers.push({ at: now + settings.health.probeTimeout, probe: p });
  }

  function alive(s: ServerState, now: number) {
    transition(s, healthStep(s.health, "alive", now, s.healthParams));
  }

  function dropped(s: ServerState, reason: string) {
    m.homeDropped.inc({ ...s.labels, reason });
    log.limited(
      "warn",
      `radius-proxy/drop:${s.name}:${reason}`,
      "radius_proxy_reply_dropped",
      { home_server: s.name, type: s.kind, reason },
    );
  }

  function onHomeDatagram(si: number, socket: number, data: Uint8Array) {
    const s = servers[si];
    if (!s) return;
    if (data.length < 20) return dropped(s, "short");
    const slot = socket * IDS_PER_SOCKET + data[1]!;
    const e = s.ids.get(slot);
    if (!e) return dropped(s, "unknown-id");
    const now = clock.now();
    if (e.kind === "probe") {
      const r = checkHomeReply(
        data,
        Code.StatusServer,
        e.probe.sentAuth,
        s.secret,
        s.requireMa,
      );
      if (!r.ok) return dropped(s, r.code.replace("proxy/", ""));
      s.ids.release(slot);
      s.probing = false;
      m.homeProbes.inc({ ...s.labels, result: "answered" });
      return alive(s, now);
    }
    const f = e.flight;
    const a = f.attempts.find((x) => x.server === si && x.slot === slot);
    if (!a) return dropped(s, "unknown-id");
    const r = checkHomeReply(
      data,
      f.nas.code,
      a.sentAuth,
      s.secret,
      s.requireMa,
    );
    if (!r.ok) return dropped(s, r.code.replace(/^(proxy|radius)\//, ""));
    s.t.replies.n++;
    m.homeLatency.observe((now - a.sentAt) / 1000, s.labels);
    alive(s, now);
    const out = relayReply(r.value, a.sentAuth, s.secret, f.nas, f.nasSecret);
    if (!out.ok) return dropped(s, out.code.replace(/^(proxy|radius)\//, ""));
    f.ps.t.replies.n++;
    m.poolLatency.observe((now - f.retry.startedAt) / 1000, f.ps.labels);
    finish(f, out.value);
  }

  function tick() {
    const now = clock.now();
    for (
      let t = timers.peek();
      t !== undefined && t.at <= now;
      t = timers.peek()
    ) {
      timers.pop();
      if (t.flight === undefined) onProbeTimeout(t.probe, now);
      else if (!t.flight.done && t.flight.gen === t.gen)
        onFlightTimeout(t.flight, now);
    }
    for (let i = 0; i < servers.length; i++) {
      const s = servers[i]!;
      if (s.statusCheck && !s.probing && now >= s.nextProbeAt) {
        s.nextProbeAt = now + settings.health.interval;
        // A server that answered real traffic within the interval needs no probe (RFC 5997 §4.3).
        if (!(
          s.health.status === "up" &&
          now - s.health.lastAliveAt < settings.health.interval
        ))
          probe(i, now);
      }
      transition(s, healthStep(s.health, "tick", now, s.healthParams));
    }
    for (const t of tallies) t.flush();
  }

  function abandon() {
    for (let t = timers.pop(); t !== undefined; t = timers.pop()) {
      if (t.flight !== undefined && !t.flight.done && t.flight.gen === t.gen)
        finish(t.flight, null);
    }
    // After a reload the Registry's counters are shared with the next engine: hand over what is left.
    for (const t of tallies) t.flush();
  }

  function stats(): Record<string, unknown> {
    return {
      pending: inFlight,
      home_servers: servers.map((s) => ({
        name: s.name,
        type: s.kind,
        address: s.address,
        state: s.health.status,
        since_ms: Math.round(clock.now() - s.health.since),
        outstanding: s.ids.size,
        requests: s.t.requests.n,
        replies: s.t.replies.n,
        timeouts: s.t.timeouts.n,
        retries: s.t.retries.n,
      })),
      pools: allPools
        .filter((p) => p.pool.members.length > 0)
        .map((p) => ({
          name: p.pool.name,
          type: p.labels.type,
          strategy: p.pool.strategy,
          outstanding: p.outstanding,
          requests: p.t.requests.n,
          replies: p.t.replies.n,
          timeouts: p.t.timeouts.n,
          retries: p.t.retries.n,
        })),
    };
  }

  return {
    handle,
    onHomeDatagram,
    tick,
    stats,
    pending: () => inFlight,
    abandon,
    servers,
  };
}
