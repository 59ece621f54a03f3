// The TACACS+ TCP transport: the only place with Bun.listen for TACACS+. Per connection:
//
//   accept → global cap → PROXY v2 (optional, trust.ts decides) → per-client / per-proxy caps →
//   device + secret (device index) → framer → per-client token bucket → session machine → policy → reply
//
// One deadline (first_packet_timeout) covers the PROXY header and the first whole TACACS+ packet;
// after that the idle timeout runs from the last packet. Deadlines are data on the connection,
// checked by one sweep timer (no timer per connection). Writes can be partial: the unwritten tail is
// queued and flushed in drain; a close waits for the queue (bounded by CLOSE_FLUSH_MS).
// Refusals are counted by reason and logged once per burst (tacacs-metrics.ts).
import type { Socket } from "bun";
import type { Config } from "../config/schema.ts";
import type { ListenerStatus } from "../lib/listener-status.ts";
import { systemClock, type Clock } from "../lib/clock.ts";
import { normalizeIp, parseHostPort } from "../lib/ip.ts";
import type { Logger } from "../lib/log.ts";
import type { Registry } from "../lib/metrics.ts";
import type { Policy } from "../policy/ports.ts";
import type { DevicePort } from "../policy/devices.ts";
import { DEFAULT_MAX_SESSIONS } from "../tacacs/session.ts";
import { ConnectionCaps, RateLimiter } from "./limits.ts";
import { ListenerPool, type PooledListener } from "./listener-pool.ts";
import type { ProxyCounters } from "./metrics.ts";
import { proxyStats } from "./metrics.ts";
import { createTacacsCounters, recordRefusal, type TacacsCounters } from "./tacacs-metrics.ts";
import { Conn, type Shared } from "./tacacs-conn.ts";

export interface TacacsDeps {
  config: Config["tacacs"];
  index: DevicePort;
  policy: Policy;
  registry: Registry;
  proxyCounters: ProxyCounters;
  log: Logger;
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

/** Sweep period bounds: fine enough for a 100 ms first-packet timeout, cheap at 10k connections. */
const SWEEP_MIN_MS = 20;
const SWEEP_MAX_MS = 1000;

export async function startTacacs(deps: TacacsDeps): Promise<TacacsService> {
  const { config, log } = deps;
  const clock = deps.clock ?? systemClock;
  const conns = new Set<Conn>();
  let activeSessions = 0;
  let earlyResets = 0;
  const counters = createTacacsCounters(deps.registry, {
    connections: () => conns.size,
    sessions: () => activeSessions,
  });
  const caps = new ConnectionCaps({
    total: config.limits.max_connections,
    perClient: config.limits.max_connections_per_client,
    perProxy: config.limits.max_connections_per_proxy,
  });
  const rates = new RateLimiter({
    ratePerSecond: config.limits.packets_per_second,
    burst: config.limits.burst,
    kinds: 3,
  });
  const recent: Array<{ client: string; proxy: string | null; device: string; group: string }> = [];
  const shared: Shared = {
    config,
    index: deps.index,
    policy: deps.policy,
    log,
    clock,
    counters,
    proxyCounters: deps.proxyCounters,
    caps,
    rates,
    engine: {
      singleConnect: config.single_connect,
      onlyChap: config.only_chap,
      onlyChapEnable: config.only_chap_enable,
      maxSessions: DEFAULT_MAX_SESSIONS,
    },
    sessionsDelta: (d) => {
      activeSessions += d;
    },
    onResolved: (r) => {
      recent.push(r);
      if (recent.length > 16) recent.shift();
    },
    forget: (c) => conns.delete(c),
  };

  const listeners: ListenerStatus[] = [];
  const ports: number[] = [];
  const servers: PooledListener[] = [];
  const pool = deps.listeners ?? new ListenerPool();
  let accepting = true;

  for (const entry of config.listen) {
    const address = typeof entry === "string" ? entry : entry.address;
    const requireProxy = typeof entry === "string" ? false : entry.require_proxy_protocol;
    const hp = parseHostPort(address);
    if (!hp.ok) {
      listeners.push({ protocol: "tacacs", address, state: "failed", error: hp.detail ?? hp.code });
      ports.push(0);
      continue;
    }
    try {
      // Through the pool: a reload on the same address takes this socket over (listener-pool.ts).
      const server = pool.listen<Conn>({
        hostname: hp.value.host,
        port: hp.value.port,
        socket: {
          binaryType: "uint8array",
          open(socket) {
            const remote = socket.remoteAddress;
            // A peer that connected and reset before we accepted (HAProxy health checks close with
            // RST) has no readable address any more: nothing to serve, nothing to refuse.
            if (!remote) {
              earlyResets++;
              log.debug("tacacs_peer_gone", {});
              socket.terminate();
              return;
            }
            const peer = normalizeIp(remote) ?? remote;
            if (!accepting || !caps.acceptTotal()) {
              recordRefusal(counters, log, "limit_total", peer);
              socket.terminate();
              return;
            }
            const c = new Conn(shared, socket, peer, socket.remotePort, requireProxy, clock.now());
            socket.data = c;
            conns.add(c);
            c.start();
          },
          data(socket, chunk) {
            socket.data?.onData(chunk);
          },
          drain(socket) {
            socket.data?.onDrain();
          },
          close(socket) {
            socket.data?.onClose();
          },
          error(socket, e) {
            log.debug("tacacs_socket_error", { client: socket.data?.clientIp, reason: e.message });
          },
        },
      });
      servers.push(server);
      ports.push(server.port);
      listeners.push({ protocol: "tacacs", address, state: "listening" });
      log.info("tacacs_listening", {
        address,
        port: server.port,
        require_proxy_protocol: requireProxy,
      });
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      listeners.push({ protocol: "tacacs", address, state: "failed", error: reason });
      ports.push(0);
      log.error("listen_failed", { protocol: "tacacs", address, reason });
    }
  }

  const firstMs = config.proxy_protocol.first_packet_timeout;
  const sweepMs = Math.max(
    SWEEP_MIN_MS,
    Math.min(SWEEP_MAX_MS, Math.floor(Math.min(firstMs, config.idle_timeout) / 4)),
  );
  const sweep = setInterval(() => {
    const now = clock.now();
    for (const c of conns) c.tick(now);
    rates.sweep(now, (k) => caps.hasClient(k));
  }, sweepMs);
  sweep.unref?.();

  const sessionsRunning = (): number => {
    let n = 0;
    for (const c of conns) n += c.busy();
    return n;
  };

  return {
    listeners,
    counters,
    ports,
    async stop(graceMs = 5000) {
      accepting = false;
      for (const s of servers) s.release();
      const until = clock.now() + graceMs;
      while (sessionsRunning() > 0 && clock.now() < until) await Bun.sleep(20);
      for (const c of [...conns]) c.destroy();
      for (const s of servers) s.close();
      clearInterval(sweep);
      for (const l of listeners) if (l.state === "listening") l.state = "stopped";
    },
    stats() {
      return {
        active_connections: conns.size,
        active_sessions: activeSessions,
        clients: caps.clients(),
        early_resets: earlyResets,
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

export type { Socket };
