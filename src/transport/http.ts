// The HTTP listener: the accept gate (http-gate.ts) on the public address, in front of Bun.serve
// on a loopback port, in front of the Hono app. Metrics and stats reveal topology, so they are
// not for the whole network: clients outside `allow` are closed at accept, and admitted ones are
// capped per address and in all, with the total also held to a share of the process's descriptor
// limit so HTTP can never take the descriptors the AAA listeners need.
import { readFileSync } from "node:fs";
import type { Hono } from "hono";
import { parseCidr, parseHostPort, type Cidr } from "../lib/ip.ts";
import type { Logger } from "../lib/log.ts";
import { startGate, type GateCounters } from "./http-gate.ts";
import type { ListenerPool } from "./listener-pool.ts";

export interface HttpListener {
  port: number;
  /** The caps in force (the total after the descriptor-limit share). */
  limits: {
    maxConnections: number;
    maxConnectionsPerClient: number;
    descriptorLimit: number | null;
  };
  /** Open connections through the gate, and refusals at accept. */
  open(): number;
  refusals: GateCounters;
  /**
   * Stop listening. Default: in-flight requests are cut. `graceful`: they finish first (a reload
   * asked for over this very listener gets its answer); the listening socket closes at once.
   */
  stop(o?: { graceful?: boolean }): Promise<void>;
}

export interface HttpListenerOptions {
  listen: string;
  allow: readonly string[];
  /** Defaults: those of [http] in the config schema. */
  maxConnections?: number;
  maxConnectionsPerClient?: number;
  app: Hono;
  log: Logger;
  /** The root's pool: a reload on the same address takes the socket over. */
  listeners?: ListenerPool;
  /** Refusals at accept are counted into this (the root keeps one across reloads). */
  refusals?: GateCounters;
}

/** A graceful stop waits this long for keep-alive clients to leave (Bun.serve idles out at 10 s). */
const DRAIN_MAX_MS = 15_000;

/** The answer, marked as the connection's last (a copy: a Response's headers may be immutable). */
function lastOnConnection(r: Response): Response {
  const out = new Response(r.body, r);
  out.headers.set("connection", "close");
  return out;
}

/** HTTP may use at most this share of the descriptor limit; each connection costs three. */
const DESCRIPTOR_SHARE = 1 / 4;
const DESCRIPTORS_PER_CONNECTION = 3;

/**
 * The soft RLIMIT_NOFILE (Linux /proc/self/limits), null where unreadable. Bun already raises
 * the soft limit to the hard one at start-up, so there is nothing left to raise here.
 */
export function descriptorLimit(): number | null {
  try {
    const line = readFileSync("/proc/self/limits", "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const soft = line ? Number(line.split(/\s{2,}/)[1]) : NaN;
    return Number.isFinite(soft) && soft > 0 ? soft : null;
  } catch {
    return null;
  }
}

export function startHttp(o: HttpListenerOptions): HttpListener {
  const perClient = o.maxConnectionsPerClient ?? 32;
  const total = o.maxConnections ?? 256;
  const hp = parseHostPort(o.listen);
  if (!hp.ok) throw new Error(`bad http.listen ${o.listen}`);
  const allow: Cidr[] = [];
  for (const c of o.allow) {
    const p = parseCidr(c);
    if (p.ok) allow.push(p.value);
  }
  const fdLimit = descriptorLimit();
  const maxConnections =
    fdLimit === null
      ? total
      : Math.max(
          1,
          Math.min(total, Math.floor((fdLimit * DESCRIPTOR_SHARE) / DESCRIPTORS_PER_CONNECTION)),
        );
  let gate: ReturnType<typeof startGate> | null = null;
  let draining = false;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req, srv) {
      // Only connections the gate opened are answered: it knows their client.
      const via = srv.requestIP(req);
      const peer = via && via.address === "127.0.0.1" ? gate?.peerOf(via.port) : undefined;
      if (!peer) {
        o.log.limited("warn", "http-bypass", "http_denied", {
          client: via?.address ?? "-",
          reason: "not-through-gate",
          protocol: "http",
        });
        return new Response(null, { status: 403 });
      }
      // The app sees the real client (as Hono's getConnInfo reads it), not the loopback hop.
      const answer = o.app.fetch(req, {
        requestIP: () => ({
          address: peer.address,
          port: peer.port,
          family: peer.address.includes(":") ? "IPv6" : "IPv4",
        }),
      });
      return draining ? Promise.resolve(answer).then(lastOnConnection) : answer;
    },
  });
  try {
    gate = startGate({
      host: hp.value.host,
      port: hp.value.port,
      allow,
      maxConnections,
      maxConnectionsPerClient: perClient,
      upstreamPort: server.port ?? 0,
      log: o.log,
      ...(o.listeners ? { pool: o.listeners } : {}),
      ...(o.refusals ? { counters: o.refusals } : {}),
    });
  } catch (e) {
    void server.stop(true);
    throw e;
  }
  const g = gate;
  o.log.info("http_listening", {
    address: o.listen,
    port: g.port,
    max_connections: maxConnections,
    max_connections_per_client: perClient,
    descriptor_limit: fdLimit,
  });
  return {
    port: g.port,
    limits: {
      maxConnections,
      maxConnectionsPerClient: perClient,
      descriptorLimit: fdLimit,
    },
    open: () => g.open(),
    refusals: g.counters,
    async stop(s) {
      g.stopAccepting();
      if (s?.graceful === true) {
        // Keep-alive connections are not cut (a request already on its way on one would be reset,
        // as a client cannot tell an idle close from a crash): each gets its next answer with
        // "Connection: close" and moves to the new listener; idle ones end at the idle timeout.
        draining = true;
        await Promise.race([g.idle(), Bun.sleep(DRAIN_MAX_MS)]);
        await server.stop(true);
      } else {
        g.closeAll();
        await server.stop(true);
      }
    },
  };
}
