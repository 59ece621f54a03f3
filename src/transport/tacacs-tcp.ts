// The TACACS+ service: the stream front door (stream/door.ts) with the TACACS+ plug (tacacs-plug.ts).
//
//   door: accept → caps → PROXY v2 → device + key → plug: framer → per-client token bucket →
//   session machine → policy → reply
//
// Refusals are counted by reason and logged once per burst (tacacs-metrics.ts).
import { DecisionStream } from "../policy/decision-record.ts";
import type { ListenerStatus } from "../lib/listener-status.ts";
import { systemClock, type Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/log.ts";
import type { Registry } from "../lib/metrics.ts";
import type { DevicePort } from "../policy/devices.ts";
import type { Policy } from "../policy/ports.ts";
import { DEFAULT_MAX_SESSIONS } from "../tacacs/session.ts";
import { RateLimiter } from "./limits.ts";
import type { ListenerPool } from "./listener-pool.ts";
import type { ProxyCounters } from "./metrics.ts";
import { proxyStats } from "./metrics.ts";
import { openDoor } from "./stream/door.ts";
import type { DoorOptions } from "./stream/options.ts";
import { TacacsPlug } from "./tacacs-plug.ts";
import { createTacacsCounters, type TacacsCounters } from "./tacacs-metrics.ts";

/** The TACACS+ service's options (the composition root maps `[tacacs]` onto these). */
export interface TacacsOptions extends Omit<DoorOptions<"tacacs">, "protocol"> {
  /** Largest body accepted (RFC 8907 allows 2^32-1; no device needs more than a few KiB). */
  maxBodyLength: number;
  /** Grant single-connect (RFC 8907 §4.3) when a client asks for it. */
  singleConnect: boolean;
  onlyChap: boolean;
  onlyChapEnable: boolean;
  /** Token bucket per client and packet type: sustained packets per second and burst. */
  packetsPerSecond: number;
  burst: number;
}

export interface TacacsDeps {
  options: TacacsOptions;
  devices: DevicePort;
  policy: Policy;
  registry: Registry;
  proxyCounters: ProxyCounters;
  log: Logger;
  /** Each decision's record (the auth log and the status page subscribe); none: not recorded. */
  decisions?: DecisionStream;
  clock?: Clock;
  /** The root's pool: a service replacing another on the same address takes its socket over. */
  listeners?: ListenerPool;
}

export interface TacacsService {
  listeners: ListenerStatus[];
  /** What the status page counts (the root reads the objects, not metric names). */
  counters: TacacsCounters;
  /** Actual bound ports, in listener order (0 for a listener that failed). */
  ports: number[];
  /** Stop accepting, let running sessions finish for up to graceMs (default 5 s), then close all. */
  stop(graceMs?: number): Promise<void>;
  stats(): Record<string, unknown>;
}

export async function startTacacs(deps: TacacsDeps): Promise<TacacsService> {
  const { options, log } = deps;
  const clock = deps.clock ?? systemClock;
  let activeSessions = 0;
  let connections = (): number => 0;
  const counters = createTacacsCounters(deps.registry, {
    connections: () => connections(),
    sessions: () => activeSessions,
  });
  const rates = new RateLimiter({
    ratePerSecond: options.packetsPerSecond,
    burst: options.burst,
    kinds: 3,
  });
  const recent: Array<{ client: string; proxy: string | null; device: string; group: string }> = [];
  const plug = new TacacsPlug({
    policy: deps.policy,
    log,
    clock,
    counters,
    rates,
    engine: {
      singleConnect: options.singleConnect,
      onlyChap: options.onlyChap,
      onlyChapEnable: options.onlyChapEnable,
      maxSessions: DEFAULT_MAX_SESSIONS,
    },
    maxBodyLength: options.maxBodyLength,
    decisions: deps.decisions ?? new DecisionStream(),
    sessionsDelta: (d) => {
      activeSessions += d;
    },
    onResolved: (r) => {
      recent.push(r);
      if (recent.length > 16) recent.shift();
    },
  });
  const door = openDoor({
    options: { ...options, protocol: "tacacs" },
    devices: deps.devices,
    plug,
    proxyCounters: deps.proxyCounters,
    log,
    clock,
    ...(deps.listeners === undefined ? {} : { pool: deps.listeners }),
  });
  connections = door.connections;

  return {
    listeners: door.listeners,
    counters,
    ports: door.ports,
    stop: (graceMs = 5000) => door.stop(graceMs),
    stats() {
      return {
        active_connections: door.connections(),
        active_sessions: activeSessions,
        clients: door.clients(),
        early_resets: door.earlyResets(),
        rate_buckets: rates.size,
        proxy: proxyStats(deps.proxyCounters),
        refusals: counters.refusals.toJSON(),
        authentications: counters.authen.toJSON(),
        authorizations: counters.author.toJSON(),
        accounting: counters.acct.toJSON(),
        device_matches: counters.deviceMatches.toJSON(),
        recent_clients: recent.slice(),
      };
    },
  };
}
