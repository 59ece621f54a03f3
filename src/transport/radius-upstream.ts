// Upstream UDP sockets of the RADIUS proxy: the only socket code of the proxy. Each home server entry
// (a server's auth or accounting port) gets ceil(max_outstanding / 256) connected sockets on an
// ephemeral port: a connected socket only receives datagrams from its home server's address and port
// (the kernel filters the rest) and each socket is one identifier space (src/radius/proxy/pending.ts).
// The engine (src/radius/proxy/index.ts) owns identifiers, retries and health; this file moves bytes
// and drives the engine's timers with one interval.
//
//   const proxy = await startRadiusProxy({ options: radiusProxyOptions(...), registry, log });
//   await startRadius({ ..., proxy });
//   await proxy.stop(graceMs)   // no new requests; wait for those in flight, answer the rest with null
//
// Sends go through one outbox per socket (udp-outbox.ts): one sendMany() per turn or per MAX_BATCH,
// so the requests forwarded in a turn cost a syscall per socket, not each (and wake the home server
// once). Datagrams the kernel refuses are lost, counted, and the retry timer recovers them. A
// truncated datagram (flags.truncated) is dropped.
import { systemClock, type Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/log.ts";
import type { Registry } from "../lib/metrics.ts";
import { createRadiusProxy, type ProxyEngine } from "../radius/proxy/index.ts";
import type { RadiusProxyOptions } from "../radius/options.ts";
import type { RadiusProxyPort } from "../radius/proxy-port.ts";
import { socketErrorOf } from "./udp-errors.ts";
import { UdpOutbox } from "./udp-outbox.ts";

/** Timer resolution: timeouts fire at most this late. Retries are in the 100 ms-seconds range. */
const TICK_MS = 10;
const STOP_POLL_MS = 5;

type Conn = Bun.udp.ConnectedSocket<"uint8array">;

export interface RadiusProxyService extends RadiusProxyPort {
  stop(graceMs?: number): Promise<void>;
  stats(): Record<string, unknown>;
  /** The engine, for tests. */
  engine: ProxyEngine;
}

export type { RadiusProxyOptions } from "../radius/options.ts";

export interface RadiusProxyDeps {
  options: RadiusProxyOptions;
  registry: Registry;
  log: Logger;
  clock?: Clock;
  /** Tests: deterministic jitter. */
  rand?: () => number;
}

export async function startRadiusProxy(deps: RadiusProxyDeps): Promise<RadiusProxyService> {
  const { options, registry, log } = deps;
  const clock = deps.clock ?? systemClock;
  const homes = options.homeServers;
  const sockets: Conn[][] = homes.map(() => []);
  let sendFailures = 0;
  const sendFailed = registry.counter(
    "aaa_radius_proxy_send_failures_total",
    "Datagrams to home servers the kernel refused (buffer full)",
  );

  const lost = (n: number, reason?: unknown): void => {
    if (reason !== undefined)
      // Defensive: Bun 1.4 reports ICMP errors of connected sockets through error() (checked), but
      // the unconnected server socket's send() does throw them. Should one throw here, the batch
      // is lost like any UDP loss (retries and failover recover it), the other sockets still get
      // theirs, and the exception does not escape the setImmediate.
      log.limited("info", "radius-proxy/send", "radius_proxy_send_failed", {
        reason: reason instanceof Error ? reason.message : String(reason),
      });
    sendFailures += n;
    sendFailed.inc(undefined, n);
  };
  /** One outbox per upstream socket, parallel to `sockets`. */
  const outboxes: UdpOutbox[][] = homes.map(() => []);
  const engine = createRadiusProxy({
    settings: options.settings,
    servers: homes,
    clock,
    log,
    registry,
    ...(deps.rand === undefined ? {} : { rand: deps.rand }),
    send(server, socket, bytes) {
      const out = outboxes[server]?.[socket];
      if (out === undefined) lost(1);
      else out.push(bytes);
    },
  });

  try {
    for (let i = 0; i < homes.length; i++) {
      const h = homes[i]!;
      for (let k = 0; k < h.sockets; k++) {
        const conn = await Bun.udpSocket({
          binaryType: "uint8array",
          hostname: h.host.includes(":") ? "::" : "0.0.0.0",
          port: 0,
          connect: { hostname: h.host, port: h.port },
          socket: {
            data(_s, data, _port, _addr, flags) {
              if (flags?.truncated) return;
              engine.onHomeDatagram(i, k, data);
            },
            error(_s, e) {
              // ICMP port unreachable on a connected socket surfaces here; the retry timer handles it.
              log.limited(
                "debug",
                `radius-proxy/socket-error:${h.name}`,
                "radius_proxy_socket_error",
                {
                  home_server: h.name,
                  reason: socketErrorOf(e).reason,
                },
              );
            },
          },
        });
        sockets[i]!.push(conn);
        outboxes[i]!.push(
          new UdpOutbox({
            stride: 1,
            transmit: (q, count) =>
              conn.closed
                ? 0
                : count > 1
                  ? conn.sendMany(q as Uint8Array[])
                  : Number(conn.send(q[0] as Uint8Array)),
            lost,
          }),
        );
      }
    }
  } catch (e) {
    for (const list of sockets) for (const s of list) s.close();
    throw e;
  }
  const timer = setInterval(() => engine.tick(), TICK_MS);
  log.info("radius_proxy_started", {
    home_servers: homes.map((h) => `${h.name}/${h.kind}=${h.address}`),
    sockets: sockets.reduce((a, l) => a + l.length, 0),
  });

  let stopping = false;
  return {
    engine,
    handle(request, ctx, reply) {
      if (stopping) return { kind: "drop", reason: "proxy-stopping" };
      return engine.handle(request, ctx, reply);
    },
    stats() {
      return { ...engine.stats(), send_failures: sendFailures };
    },
    async stop(graceMs = 0) {
      stopping = true;
      const until = performance.now() + graceMs;
      while (engine.pending() > 0 && performance.now() < until) await Bun.sleep(STOP_POLL_MS);
      clearInterval(timer);
      engine.abandon();
      for (const list of sockets) for (const s of list) s.close();
    },
  };
}
