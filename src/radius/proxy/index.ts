// The RADIUS proxy engine: implements RadiusProxyPort (src/radius/proxy-port.ts) without sockets.
//
// API
//   createRadiusProxy(opts) → ProxyEngine
//     handle(request, ctx, reply)          the port: route, pick a server, forward
//     onHomeDatagram(server, socket, data) a datagram arrived on upstream socket `socket` of `server`
//     tick()                               fire due timeouts, send due probes (call every few ms)
//     stats(), pending(), servers          read-only views
//     abandon()                            answer everything still in flight with null (shutdown)
//   The home server table comes from src/root/radius-options.ts (a "both" server is two
//   entries: its auth and its accounting port have separate health).
//
// Transport contract: `send(server, socket, bytes)` puts one datagram on upstream socket `socket`
// (0 ≤ socket < servers[server].sockets) of that server; the transport owns the sockets, this file
// owns identifiers, retries and health. Time comes from the injected Clock, randomness from `rand`.
// This file wires the handlers to one shared EngineState (state.ts: server table, pools, flights,
// timer heap, tallies) and renders stats(); the handlers live in forward.ts (handle), reply.ts
// (onHomeDatagram) and timers.ts (tick, abandon), the pure parts in realm/pool/pending/retry/health/relay.
import type { RadiusProxyPort } from "../proxy-port.ts";
import { handle } from "./forward.ts";
import type { Health } from "./health.ts";
import { onHomeDatagram } from "./reply.ts";
import type { HomeServer } from "./settings.ts";
import { createEngineState, type EngineState, type ProxyEngineOptions } from "./state.ts";
import { abandon, tick } from "./timers.ts";

export type { HomeServer, ProxySettings } from "./settings.ts";
export type { ProxyEngineOptions } from "./state.ts";

export interface ProxyEngine extends RadiusProxyPort {
  onHomeDatagram(server: number, socket: number, data: Uint8Array): void;
  tick(): void;
  stats(): Record<string, unknown>;
  pending(): number;
  abandon(): void;
  readonly servers: ReadonlyArray<Readonly<HomeServer> & { readonly health: Readonly<Health> }>;
}

export function createRadiusProxy(o: ProxyEngineOptions): ProxyEngine {
  const e = createEngineState(o);
  return {
    handle: (request, ctx, reply) => handle(e, request, ctx, reply),
    onHomeDatagram: (server, socket, data) => onHomeDatagram(e, server, socket, data),
    tick: () => tick(e),
    stats: () => stats(e),
    pending: () => e.inFlight,
    abandon: () => abandon(e),
    servers: e.servers,
  };
}

/** Per home server and per pool: state, identifiers in use, and this engine's tallied counts. */
function stats(e: EngineState): Record<string, unknown> {
  const { clock } = e;
  return {
    pending: e.inFlight,
    /** Deadlines waiting (flights in flight and unanswered probes): bounded by what is in flight. */
    timers: e.timers.size,
    home_servers: e.servers.map((s) => ({
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
    pools: e.allPools
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
