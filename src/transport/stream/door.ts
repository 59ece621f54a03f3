// The stream front door: Bun.listen for every stream protocol, one plug per door (plug.ts).
//
//   accept → total cap → pre-admission budget (unknown peers, PROXY v2 on) → conn.ts: PROXY v2,
//   per-client / per-proxy caps, device + secret → plug session
//
// One deadline (firstPacketTimeoutMs) covers the PROXY header and the first whole packet; after that
// the idle timeout runs from the last packet. Deadlines are data on the connection, checked by one
// sweep timer (no timer per connection).
import type { Clock } from "../../lib/clock.ts";
import { normalizeIp, parseHostPort } from "../../lib/ip.ts";
import type { Logger } from "../../lib/log.ts";
import type { DevicePort } from "../../policy/devices.ts";
import { ConnectionCaps, PendingBudget } from "../limits.ts";
import { ListenerPool, type PooledListener } from "../listener-pool.ts";
import type { ProxyCounters } from "../metrics.ts";
import { DoorConn, type DoorContext } from "./conn.ts";
import { LagMeter } from "./lag.ts";
import { pendingBudget, type DoorOptions } from "./options.ts";
import type { StreamPlug } from "./plug.ts";

/** A listener's state for the status page (lib/listener-status.ts, with the protocol left open). */
export interface DoorListener<P extends string = string> {
  protocol: P;
  address: string;
  state: "listening" | "failed" | "stopped";
  error?: string;
}

export interface DoorDeps<P extends string> {
  options: DoorOptions<P>;
  devices: DevicePort;
  plug: StreamPlug;
  proxyCounters: ProxyCounters;
  log: Logger;
  clock: Clock;
  /** The root's pool: a door replacing another on the same address takes its socket over. */
  pool?: ListenerPool;
}

export interface StreamDoor<P extends string = string> {
  listeners: Array<DoorListener<P>>;
  /** Actual bound ports, in listener order (0 for a listener that failed). */
  ports: number[];
  /** Stop accepting, let running work finish for up to graceMs, then close all. */
  stop(graceMs: number): Promise<void>;
  connections(): number;
  clients(): number;
  earlyResets(): number;
}

/** Sweep period bounds: fine enough for a 100 ms first-packet timeout, cheap at 10k connections. */
const SWEEP_MIN_MS = 20;
const SWEEP_MAX_MS = 1000;

export function openDoor<P extends string>(deps: DoorDeps<P>): StreamDoor<P> {
  const { options, log, clock, plug } = deps;
  const conns = new Set<DoorConn>();
  let earlyResets = 0;
  const caps = new ConnectionCaps({
    total: options.limits.maxConnections,
    perClient: options.limits.maxConnectionsPerClient,
    perProxy: options.limits.maxConnectionsPerProxy,
  });
  const budget = pendingBudget(options.limits.maxConnections);
  const pending = new PendingBudget({
    total: options.limits.maxUnadmitted ?? budget.total,
    perSource: options.limits.maxUnadmittedPerSource ?? budget.perSource,
  });
  const lag = new LagMeter(clock);
  lag.start();
  const ctx: DoorContext = {
    options,
    devices: deps.devices,
    plug,
    log,
    clock,
    proxyCounters: deps.proxyCounters,
    caps,
    pending,
    lag,
    forget: (c) => conns.delete(c),
  };
  const proxyOn = options.proxyProtocol.enabled;
  // Known: a registered proxy, or an address that is a device by itself. Anyone else can only be
  // served through an unvalidated header or auto-registration: they wait inside the small budget.
  const known = (peer: string): boolean =>
    deps.devices.proxyStatus(peer) === "registered" || deps.devices.resolve(peer, null) !== null;

  const listeners: Array<DoorListener<P>> = [];
  const ports: number[] = [];
  const servers: PooledListener[] = [];
  const pool = deps.pool ?? new ListenerPool();
  let accepting = true;

  for (const entry of options.listen) {
    const { address, requireProxyProtocol } = entry;
    const hp = parseHostPort(address);
    if (!hp.ok) {
      listeners.push({
        protocol: options.protocol,
        address,
        state: "failed",
        error: hp.detail ?? hp.code,
      });
      ports.push(0);
      continue;
    }
    try {
      // Through the pool: a reload on the same address takes this socket over (listener-pool.ts);
      // connections already open keep their old handlers' state in socket.data.
      const server = pool.listen<DoorConn>({
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
              log.debug(`${options.protocol}_peer_gone`, {});
              socket.terminate();
              return;
            }
            const peer = normalizeIp(remote) ?? remote;
            if (!accepting || !caps.acceptTotal()) {
              plug.refused("limit_total", peer, {});
              socket.terminate();
              return;
            }
            const held = proxyOn && !known(peer);
            if (held && !pending.acquire(peer)) {
              caps.releaseTotal();
              plug.refused("limit_unadmitted", peer, { peer });
              socket.terminate();
              return;
            }
            const now = clock.now();
            const c = new DoorConn(ctx, socket, peer, socket.remotePort, requireProxyProtocol, now);
            c.pendingHeld = held;
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
            log.debug(`${options.protocol}_socket_error`, {
              client: socket.data?.clientIp,
              reason: e.message,
            });
          },
        },
      });
      servers.push(server);
      ports.push(server.port);
      listeners.push({ protocol: options.protocol, address, state: "listening" });
      log.info(`${options.protocol}_listening`, {
        address,
        port: server.port,
        require_proxy_protocol: requireProxyProtocol,
      });
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      listeners.push({ protocol: options.protocol, address, state: "failed", error: reason });
      ports.push(0);
      log.error("listen_failed", { protocol: options.protocol, address, reason });
    }
  }

  const sweepMs = Math.max(
    SWEEP_MIN_MS,
    Math.min(
      SWEEP_MAX_MS,
      Math.floor(Math.min(options.firstPacketTimeoutMs, options.idleTimeoutMs) / 4),
    ),
  );
  const hasClient = (k: string) => caps.hasClient(k);
  const sweep = setInterval(() => {
    const now = clock.now();
    for (const c of conns) c.tick(now);
    plug.sweep?.(now, hasClient);
  }, sweepMs);
  sweep.unref?.();

  const running = (): number => {
    let n = 0;
    for (const c of conns) n += c.busy();
    return n;
  };

  return {
    listeners,
    ports,
    async stop(graceMs) {
      accepting = false;
      for (const s of servers) s.release();
      const until = clock.now() + graceMs;
      while (running() > 0 && clock.now() < until) await Bun.sleep(20);
      for (const c of [...conns]) c.destroy();
      for (const s of servers) s.close();
      clearInterval(sweep);
      lag.stop();
      for (const l of listeners) if (l.state === "listening") l.state = "stopped";
    },
    connections: () => conns.size,
    clients: () => caps.clients(),
    earlyResets: () => earlyResets,
  };
}
