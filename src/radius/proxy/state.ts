// The RADIUS proxy engine's shared state: server table, pools, flights, timer heap and tallies.
//
// API
//   createEngineState(opts) → EngineState   build the tables from the options (no I/O, no timers)
//   EngineState.transition(s, t)             count and log a home server health transition
//   EngineState.decide(d, reason)            tally a ProxyDecision, return it
//
// One mutable object that forward.ts (handle), reply.ts (onHomeDatagram), timers.ts (tick, abandon)
// and stats.ts all work on, so the engine is split by handler without closures over each other.
// Nothing here sends: `send` is the transport's, time comes from `clock`, randomness from `rand`.
import type { Clock } from "../../lib/clock.ts";
import type { Logger } from "../../lib/log.ts";
import type { Registry } from "../../lib/metrics.ts";
import { attrByName, defaultDictionary } from "../codec/dictionary.ts";
import type { ProxyDecision, ProxyReply } from "../proxy-port.ts";
import { newHealth, type Health, type HealthParams, type Transition } from "./health.ts";
import { MinHeap } from "./heap.ts";
import { proxyMetrics, Tally, type Labels, type ProxyMetrics } from "./metrics.ts";
import { IdSpace } from "./pending.ts";
import { createPool, type Pool, type ServerView, type Strategy } from "./pool.ts";
import { createRealmRouter, type RealmRouter, type RealmRule } from "./realm.ts";
import type { NasSide } from "./relay-request.ts";
import type { RetryState } from "./retry.ts";
import type { HomeServer, ProxySettings } from "./settings.ts";

export interface Attempt {
  server: number;
  slot: number;
  /** Request Authenticator of what was sent: replies are verified (and hidden values keyed) with it. */
  sentAuth: Uint8Array;
  sentAt: number;
  packet: Uint8Array;
}

export interface Flight {
  nas: NasSide;
  nasSecret: Uint8Array;
  reply: ProxyReply;
  /** The configured realm that routed it (for the decision record). */
  realm: string;
  /** A private copy of the NAS's request: a failover attempt re-encodes it for another secret. */
  raw: Uint8Array;
  userName: Uint8Array | undefined;
  pool: Pool;
  ps: PoolState;
  key: number | undefined;
  retry: RetryState;
  attempts: Attempt[];
  tried: number[];
  /** The flight is its own timer: the current attempt's deadline, in e.timers while in flight. */
  at: number;
  heapIndex?: number;
  probe?: undefined;
  done: boolean;
}

export interface Probe {
  server: number;
  slot: number;
  sentAuth: Uint8Array;
  sentAt: number;
}

export type Entry = { kind: "flight"; flight: Flight } | { kind: "probe"; probe: Probe };
export interface ProbeTimer {
  at: number;
  heapIndex?: number;
  probe: Probe;
}
export type Timer = Flight | ProbeTimer;

export interface ServerState extends HomeServer {
  ids: IdSpace<Entry>;
  health: Health;
  healthParams: HealthParams;
  labels: Labels;
  t: { requests: Tally; replies: Tally; timeouts: Tally; retries: Tally };
  nextProbeAt: number;
  probing: boolean;
}

export interface PoolState {
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

export interface EngineState {
  settings: ProxySettings;
  clock: Clock;
  log: Logger;
  send: ProxyEngineOptions["send"];
  rand: () => number;
  /** This instance's Proxy-State tag (8 octets). */
  tag: Uint8Array;
  m: ProxyMetrics;
  servers: ServerState[];
  allPools: PoolState[];
  pools: Map<string, { auth: PoolState; acct: PoolState }>;
  /** Per pool: attribute types of its key_attributes (-1 for an unknown name). */
  keyTypes: Map<string, number[]>;
  router: RealmRouter;
  timers: MinHeap<Timer>;
  /** Every Tally of this engine: flushed to the Registry on each tick and on abandon. */
  tallies: Tally[];
  view: ServerView;
  inFlight: number;
  seq: number;
  transition(s: ServerState, t: Transition | undefined): void;
  decide(d: ProxyDecision, reason: string): ProxyDecision;
}

export function createEngineState(o: ProxyEngineOptions): EngineState {
  const { settings, clock, log } = o;
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
  const router = createRealmRouter(settings.realms as RealmRule[], settings.defaultRealm);

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

  return {
    settings,
    clock,
    log,
    send: o.send,
    rand,
    tag,
    m,
    servers,
    allPools,
    pools,
    keyTypes,
    router,
    timers: new MinHeap<Timer>(),
    tallies,
    view,
    inFlight: 0,
    seq: 0,
    transition,
    decide,
  };
}
