// RADIUS over UDP (RFC 2865 §3, RFC 2866 §3): the only place with Bun.udpSocket on the server side.
// Each `[radius] auth_listen` / `acct_listen` address gets one socket; datagrams go to the engine
// (src/radius/server.ts), whose outputs radius-outputs.ts performs: replies leave from the socket
// the request arrived on, to its source address and port (RFC 2865 §3), through that socket's outbox.
//
//   const radius = await startRadius({ options, index, policy, registry, log, proxy?, clock?, dictionary? });
//   radius.ports.auth  // bound ports (tests listen on port 0)
//   radius.useProxy(proxy | null)  // a reload that adds, changes or removes [radius.proxy]
//   await radius.stop(graceMs)  // stop taking datagrams, let replies under way finish, close
//
// Bun facts: a datagram cut by the kernel (flags.truncated) is dropped, never decoded. Replies the
// kernel refuses (buffer full, see udp-outbox.ts) are lost — the NAS retransmits and is answered
// from the duplicate cache — and counted as send-failed.
import { systemClock, type Clock } from "../lib/clock.ts";
import { formatHostPort, parseHostPort } from "../lib/ip.ts";
import type { DecisionStream } from "../policy/decision-record.ts";
import type { Logger } from "../lib/log.ts";
import type { Registry } from "../lib/metrics.ts";
import type { ListenerStatus } from "../lib/listener-status.ts";
import type { Policy } from "../policy/ports.ts";
import { defaultDictionary, type Dictionary } from "../radius/codec/dictionary.ts";
import { createRadiusCounters, DropReason, type RadiusCounters } from "../radius/counters.ts";
import type { RadiusProxyPort } from "../radius/proxy-port.ts";
import { RadiusServer, type DeviceResolver, type RadiusListenerRef } from "../radius/server.ts";
import type { RadiusOptions } from "../radius/options.ts";
import { RateLimiter } from "./limits.ts";
import { RadiusNotes } from "./radius-metrics.ts";
import { RadiusPerformer } from "./radius-outputs.ts";
import { UdpOutbox } from "./udp-outbox.ts";
import { socketErrorOf } from "./udp-errors.ts";

export type { RadiusOptions } from "../radius/options.ts";

export interface RadiusDeps {
  options: RadiusOptions;
  index: DeviceResolver;
  policy: Policy;
  registry: Registry;
  log: Logger;
  proxy?: RadiusProxyPort;
  clock?: Clock;
  dictionary?: Dictionary;
  /** Each answered request's record (the auth log and the status page subscribe). */
  decisions?: DecisionStream;
}

export interface RadiusService {
  listeners: ListenerStatus[];
  /** What the status page counts (the root reads the objects, not metric names). */
  counters: RadiusCounters;
  ports: { auth: number[]; acct: number[] };
  stop(graceMs?: number): Promise<void>;
  stats(): Record<string, unknown>;
  /** The busiest clients (by requests), for /api/stats and the status page. */
  clients(limit?: number): ReturnType<RadiusNotes["clients"]>;
  /** Attach (or, with null, detach) the RADIUS proxy: a reload that changes [radius.proxy]. */
  useProxy(proxy: RadiusProxyPort | null): void;
  /** The engine, for tests. */
  server: RadiusServer;
}

/** Idle rate-limit buckets are forgotten this often. */
const SWEEP_MS = 60_000;
/** Bound on the wait in stop() between in-flight checks. */
const STOP_POLL_MS = 5;

type Udp = Bun.udp.Socket<"uint8array">;

export async function startRadius(deps: RadiusDeps): Promise<RadiusService> {
  const { options: o, log, registry, policy } = deps;
  const clock = deps.clock ?? systemClock;
  const counters = createRadiusCounters(registry);
  const notes = new RadiusNotes(counters, log, deps.decisions);
  const rates = new RateLimiter({ ratePerSecond: o.requestsPerSecond, burst: o.burst, kinds: 1 });
  const server = new RadiusServer({
    devices: deps.index,
    clock,
    dictionary: deps.dictionary ?? defaultDictionary(),
    duplicates: { lifetimeMs: o.duplicateLifetimeMs, maxEntries: o.duplicateMaxEntries },
    admit: (key, now) => rates.take(rates.bucket(key, now), 0, now),
  });
  registry.gauge(
    "aaa_radius_in_flight",
    "RADIUS requests waiting for policy, storage or a home server",
    () => server.inFlight,
  );
  registry.gauge(
    "aaa_radius_duplicate_cache_entries",
    "Entries in the RADIUS duplicate cache (RFC 5080)",
    () => server.duplicates.size,
  );

  const listeners: ListenerStatus[] = [];
  const sockets: Udp[] = [];
  const ports = { auth: [] as number[], acct: [] as number[] };
  /** Per listener id: its outbox (replies leave from the socket the request came in on). */
  const outboxes: UdpOutbox[] = [];

  const performer = new RadiusPerformer(server, policy, notes, (o) =>
    outboxes[o.via.id]?.push(o.bytes, o.to.port, o.to.address),
  );
  performer.proxy = deps.proxy ?? null;
  const queue = performer.queue;

  const open = async (address: string, kind: "auth" | "acct"): Promise<void> => {
    const protocol = kind === "auth" ? "radius-auth" : "radius-acct";
    const hp = parseHostPort(address);
    if (!hp.ok) {
      listeners.push({ protocol, address, state: "failed", error: hp.detail ?? hp.code });
      return;
    }
    const ref: RadiusListenerRef = { id: outboxes.length, kind };
    // Replies leave through an outbox: one sendMany() per turn or per MAX_BATCH (udp-outbox.ts).
    let target: Udp | null = null;
    outboxes.push(
      new UdpOutbox({
        stride: 3,
        transmit(q, count) {
          const sock = target;
          if (sock === null || sock.closed) return 0;
          return count > 1
            ? sock.sendMany(q)
            : Number(sock.send(q[0] as Uint8Array, q[1] as number, q[2] as string));
        },
        lost(count, reason) {
          // A pending ICMP error (ECONNREFUSED: an earlier reply hit a closed NAS port) belongs to
          // another datagram; these replies are lost like any UDP loss and the NAS retransmits.
          const why = reason === undefined ? undefined : socketErrorOf(reason).reason;
          notes.record({ what: "send-failed", address, count, reason: why });
        },
      }),
    );
    try {
      const sock = await Bun.udpSocket({
        hostname: hp.value.host,
        port: hp.value.port,
        binaryType: "uint8array",
        socket: {
          data(_s, data, port, addr, flags) {
            if (flags?.truncated)
              return notes.record({ what: "dropped", group: "", reason: DropReason.truncated });
            try {
              server.handle(data, { address: addr, port }, ref, queue);
            } catch (e) {
              queue.push({
                kind: "note",
                note: { what: "dropped", group: "", reason: DropReason.internal },
              });
              queue.push({
                kind: "note",
                note: {
                  what: "internal",
                  event: "radius_internal_error",
                  reason: e instanceof Error ? e.message : String(e),
                },
              });
            }
            performer.perform();
          },
          error(_s, e: unknown) {
            // ICMP errors for earlier sends (a NAS port that closed) come here as `undefined`:
            // the client's doing, never fatal, logged at info (udp-errors.ts).
            notes.record({ what: "socket-error", address, ...socketErrorOf(e) });
          },
        },
      });
      target = sock;
      sockets.push(sock);
      ports[kind].push(sock.port);
      const bound = formatHostPort({ host: hp.value.host, port: sock.port });
      listeners.push({ protocol, address: bound, state: "listening" });
      log.info("listening", { protocol, address: bound });
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      listeners.push({ protocol, address, state: "failed", error: reason });
      log.error("listen_failed", { protocol, address, reason });
    }
  };

  for (const a of o.authListen) await open(a, "auth");
  for (const a of o.acctListen) await open(a, "acct");

  const sweep = setInterval(() => rates.sweep(clock.now()), SWEEP_MS);
  sweep.unref?.();

  return {
    listeners,
    counters,
    ports,
    server,
    clients: (limit) => notes.clients(limit),
    useProxy(p) {
      performer.proxy = p;
    },
    async stop(graceMs = 2_000) {
      server.stop();
      clearInterval(sweep);
      const until = clock.now() + graceMs;
      while (server.inFlight > 0 && clock.now() < until) await Bun.sleep(STOP_POLL_MS);
      for (const ob of outboxes) ob.flush();
      for (const s of sockets) s.close();
      for (const l of listeners) if (l.state === "listening") l.state = "stopped";
      server.duplicates.clear();
    },
    stats() {
      return {
        in_flight: server.inFlight,
        duplicate_entries: server.duplicates.size,
        duplicate_evicted: server.duplicates.evicted,
        rate_limit_keys: rates.size,
        requests: counters.requests.total(),
        accepted: counters.accepted.total(),
        rejected: counters.rejected.total(),
        dropped: counters.dropped.toJSON(),
        accounting: counters.accounting.total(),
        status_server: counters.statusServer.total(),
        duplicates_resent: counters.resent.total(),
        clients: notes.clients(),
      };
    },
  };
}
