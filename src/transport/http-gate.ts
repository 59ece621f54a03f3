// A TCP accept gate in front of the HTTP server (issue 21, defect 4). Bun.serve has no hook at
// accept: its allow-list ran per request, so any host that could reach the port held sockets
// until Bun's idle timeout, and 22,000 idle connections took the process to its descriptor limit
// (TACACS+ logins then timed out). This gate owns the public socket (Bun.listen): a peer outside
// `allow` is closed in open(), before a byte is read; admitted peers are capped per address and
// in all; each admitted connection is piped to the HTTP server on a loopback port. The HTTP
// server answers only connections that came through the gate (`peerOf` by the gate's local port),
// so a local process cannot walk around the caps.
//
// Costs: three descriptors per admitted connection (client, gate→server, server side), counted in
// the caps. Bytes are copied once each way; HTTP here is health, metrics and the admin API, not a
// data path. Backpressure: a partial write queues its tail and pauses the other side until
// `drain`, so a peer that never reads holds at most one read's worth of buffer.
import type { Socket } from "bun";
import { cidrContains, fastParseIp, normalizeIp, type Cidr } from "../lib/ip.ts";
import type { Logger } from "../lib/log.ts";
import { ListenerPool } from "./listener-pool.ts";

export interface GateOptions {
  host: string;
  port: number;
  allow: readonly Cidr[];
  maxConnections: number;
  maxConnectionsPerClient: number;
  /** Where admitted connections go (the HTTP server's loopback port). */
  upstreamPort: number;
  log: Logger;
  pool?: ListenerPool;
  /** Counted into (the root keeps one across reloads); default: this gate's own. */
  counters?: GateCounters;
}

export interface GateCounters {
  /** Refused at accept, by reason. */
  denied: number;
  limitTotal: number;
  limitClient: number;
}

export interface Gate {
  port: number;
  /** The client address of a connection the gate opened to the server (by its local port). */
  peerOf(upstreamLocalPort: number): { address: string; port: number } | undefined;
  open(): number;
  counters: GateCounters;
  /** Stop accepting; existing pipes stay until their ends close. */
  stopAccepting(): void;
  /** Close every pipe now. */
  closeAll(): void;
  /** Resolves when no pipe is left. */
  idle(): Promise<void>;
}

type Side = "client" | "upstream";

const other = (side: Side): Side => (side === "client" ? "upstream" : "client");

/**
 * One admitted connection: the client socket and the socket to the HTTP server. Half-close is
 * passed through (both sockets allowHalfOpen): a client that sends its request and then FIN
 * (`printf ... | nc -N`, some health checkers) still gets its answer, as from Bun.serve itself.
 */
class Pipe {
  upstream: Socket<Pipe> | null = null;
  upstreamPort = 0;
  /** Unwritten tails, per destination. */
  private readonly queued: Record<Side, Uint8Array[]> = { client: [], upstream: [] };
  /** FIN to send to this side once its queue is written (the other side sent one). */
  private readonly finTo: Record<Side, boolean> = { client: false, upstream: false };
  /** One end closed for good: the other closes once its queue is written. */
  private closing = false;
  constructor(
    readonly client: Socket<Pipe>,
    readonly peer: string,
    readonly peerPort: number,
    /** Frees its slot in the gate that admitted it (after a reload the socket's handlers are another gate's). */
    readonly release: () => void,
  ) {}

  private sock(side: Side): Socket<Pipe> | null {
    return side === "client" ? this.client : this.upstream;
  }

  /** Bytes that arrived from `from` go to the other side. */
  forward(from: Side, chunk: Uint8Array): void {
    const to = other(from);
    const dst = this.sock(to);
    if (dst === null || this.queued[to].length > 0) {
      this.queued[to].push(chunk);
      this.sock(from)?.pause();
      return;
    }
    const n = dst.write(chunk);
    if (n < 0) return this.close();
    if (n < chunk.length) {
      this.queued[to].push(chunk.subarray(n));
      this.sock(from)?.pause();
    }
  }

  /** `side` can take more: flush its queue; when empty, let the other side read again. */
  drain(side: Side): void {
    const dst = this.sock(side);
    if (dst === null) return;
    const q = this.queued[side];
    while (q.length > 0) {
      const head = q[0]!;
      const n = dst.write(head);
      if (n < 0) return this.close();
      if (n < head.length) {
        q[0] = head.subarray(n);
        return;
      }
      q.shift();
    }
    if (this.closing) {
      dst.end();
      return;
    }
    if (this.finTo[side]) dst.shutdown();
    this.sock(other(side))?.resume();
  }

  /** `side` sent FIN: pass it on once what it sent is written; both done, close. */
  halfClosed(side: Side): void {
    const to = other(side);
    if (this.finTo[side]) {
      // Both directions are finished.
      this.closing = true;
      if (this.queued[side].length === 0) this.sock(side)?.end();
      if (this.queued[to].length === 0) this.sock(to)?.end();
      return;
    }
    this.finTo[to] = true;
    const dst = this.sock(to);
    if (dst !== null && this.queued[to].length === 0) dst.shutdown();
  }

  /** One end closed: the other gets what is queued for it, then closes too. */
  ended(side: Side): void {
    if (this.closing) return;
    this.closing = true;
    const s = this.sock(other(side));
    if (s === null) return;
    if (this.queued[other(side)].length === 0) s.end();
  }

  close(): void {
    this.closing = true;
    this.client.terminate();
    this.upstream?.terminate();
  }
}

export function startGate(o: GateOptions): Gate {
  const pipes = new Set<Pipe>();
  const perClient = new Map<string, number>();
  const byUpstreamPort = new Map<number, Pipe>();
  const counters: GateCounters = o.counters ?? { denied: 0, limitTotal: 0, limitClient: 0 };
  let waiters: Array<() => void> = [];
  let accepting = true;

  const refuse = (socket: Socket<Pipe>, peer: string, reason: keyof GateCounters) => {
    counters[reason]++;
    o.log.limited("warn", `http-${reason}:${peer}`, "http_denied", {
      client: peer,
      reason:
        reason === "denied"
          ? "not-in-allow"
          : reason === "limitTotal"
            ? "limit-total"
            : "limit-client",
      protocol: "http",
    });
    socket.terminate();
  };

  const release = (p: Pipe) => {
    if (!pipes.delete(p)) return;
    const n = (perClient.get(p.peer) ?? 1) - 1;
    if (n <= 0) perClient.delete(p.peer);
    else perClient.set(p.peer, n);
    byUpstreamPort.delete(p.upstreamPort);
    if (pipes.size === 0) {
      for (const w of waiters) w();
      waiters = [];
    }
  };

  const connectUpstream = (p: Pipe) => {
    Bun.connect<Pipe>({
      hostname: "127.0.0.1",
      port: o.upstreamPort,
      allowHalfOpen: true,
      data: p,
      socket: {
        binaryType: "uint8array",
        open(s) {
          p.upstream = s;
          p.upstreamPort = s.localPort;
          byUpstreamPort.set(s.localPort, p);
          p.drain("upstream");
        },
        data: (_s, chunk) => p.forward("upstream", chunk),
        drain: () => p.drain("upstream"),
        end: () => p.halfClosed("upstream"),
        close: () => p.ended("upstream"),
        error: () => p.close(),
        connectError: () => p.close(),
      },
    }).catch(() => p.close());
  };

  // Through the root's pool: a reload on the same address takes this socket over, so nothing in
  // its accept queue is reset (listener-pool.ts).
  const server = (o.pool ?? new ListenerPool()).listen<Pipe>({
    hostname: o.host,
    port: o.port,
    allowHalfOpen: true,
    socket: {
      binaryType: "uint8array",
      open(socket) {
        const raw = socket.remoteAddress;
        const peer = raw ? (normalizeIp(raw) ?? raw) : "";
        const ip = fastParseIp(peer);
        // Stopping (a connection accepted in the same turn as the stop): closed, not counted.
        if (!accepting) return socket.terminate();
        if (!ip || !o.allow.some((c) => cidrContains(c, ip))) return refuse(socket, peer, "denied");
        if (pipes.size >= o.maxConnections) return refuse(socket, peer, "limitTotal");
        const mine = perClient.get(peer) ?? 0;
        if (mine >= o.maxConnectionsPerClient) return refuse(socket, peer, "limitClient");
        perClient.set(peer, mine + 1);
        const p = new Pipe(socket, peer, socket.remotePort, () => release(p));
        socket.data = p;
        pipes.add(p);
        // Nothing is read until the server side is connected (forward() would only queue it).
        socket.pause();
        connectUpstream(p);
      },
      data: (s, chunk) => s.data?.forward("client", chunk),
      drain: (s) => s.data?.drain("client"),
      end: (s) => s.data?.halfClosed("client"),
      close(s) {
        const p = s.data;
        if (!p) return;
        p.ended("client");
        p.release();
      },
      error: (s) => s.data?.close(),
    },
  });

  return {
    port: server.port,
    peerOf(port) {
      const p = byUpstreamPort.get(port);
      return p ? { address: p.peer, port: p.peerPort } : undefined;
    },
    open: () => pipes.size,
    counters,
    stopAccepting() {
      accepting = false;
      server.release();
    },
    closeAll() {
      for (const p of [...pipes]) p.close();
      server.close();
    },
    idle: () => (pipes.size === 0 ? Promise.resolve() : new Promise<void>((r) => waiters.push(r))),
  };
}
