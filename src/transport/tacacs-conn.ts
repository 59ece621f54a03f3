// One TACACS+ connection inside the transport: PROXY v2 preamble, client resolution and limits,
// framing, the session machine's outputs (writes with partial-write handling, policy jobs, close),
// deadlines. tacacs-tcp.ts owns the listener and the sweep; this file owns everything per socket.
import type { Socket } from "bun";
import type { Config } from "../config/schema.ts";
import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/log.ts";
import type { Policy } from "../policy/ports.ts";
import { decodeProxyV2 } from "../proxy-protocol/decode.ts";
import { decideProxyTrust, type TrustAction } from "../proxy-protocol/trust.ts";
import { PP2_DEFAULT_MAX_HEADER } from "../proxy-protocol/types.ts";
import { sameSecret, type DevicePort } from "../policy/devices.ts";
import { Framer } from "../tacacs/codec/framer.ts";
import { runJob, type JobContext } from "../tacacs/jobs.ts";
import { newConnection, onAnswer, onFrame, retire, type ConnState } from "../tacacs/session.ts";
import type { Answer, EngineConfig, Job, Output, RefusalReason } from "../tacacs/types.ts";
import type { Bucket, ConnectionCaps, RateLimiter } from "./limits.ts";
import type { ProxyCounters } from "./metrics.ts";
import { recordNote, recordRefusal, type TacacsCounters } from "./tacacs-metrics.ts";

export interface Shared {
  config: Config["tacacs"];
  index: DevicePort;
  policy: Policy;
  log: Logger;
  clock: Clock;
  counters: TacacsCounters;
  proxyCounters: ProxyCounters;
  caps: ConnectionCaps;
  rates: RateLimiter;
  engine: EngineConfig;
  sessionsDelta(d: number): void;
  onResolved(r: { client: string; proxy: string | null; device: string; group: string }): void;
  forget(c: Conn): void;
}

/** How long a closing connection may take to flush its last reply before it is cut. */
const CLOSE_FLUSH_MS = 5000;
/**
 * Unread reply bytes one connection may hold. Replies are small (an AUTHOR RESPONSE with many AV
 * pairs is a few KiB) and a device reads each before its next request, so 1 MiB is hundreds of
 * replies behind: only a peer that does not read gets there.
 */
export const MAX_WRITE_BACKLOG = 1 << 20;
/** Label objects per job kind, built once (the histogram is observed on every request). */
const JOB_LABELS: Record<Job["kind"], { protocol: string; job: string }> = {
  password: { protocol: "tacacs", job: "password" },
  chpass: { protocol: "tacacs", job: "chpass" },
  chap: { protocol: "tacacs", job: "chap" },
  mschap1: { protocol: "tacacs", job: "mschap1" },
  mschap2: { protocol: "tacacs", job: "mschap2" },
  author: { protocol: "tacacs", job: "author" },
  acct: { protocol: "tacacs", job: "acct" },
};

export class Conn {
  clientIp: string;
  proxyIp: string | null = null;
  private phase: "preamble" | "local" | "ready" | "closing" | "dead" = "preamble";
  private pre: Uint8Array | null = null;
  private skip = 0;
  private capsHeld = false;
  private engine: ConnState | null = null;
  private framer: Framer | null = null;
  private bucket: Bucket | null = null;
  private ctx: JobContext | null = null;
  private deviceName = "";
  private deviceId = -1;
  /** The key this connection was admitted with: a rotated group secret retires it. */
  private key: Uint8Array | null = null;
  private gotFirst = false;
  private deadline: number;
  private jobs = 0;
  private queue: Uint8Array[] = [];
  /** Bytes waiting in `queue` (bounded by MAX_WRITE_BACKLOG). */
  private queued = 0;
  private out: Output[] = [];
  private performing = false;

  constructor(
    private readonly s: Shared,
    private readonly socket: Socket<Conn>,
    private readonly peerIp: string,
    private readonly peerPort: number,
    private readonly requireProxy: boolean,
    now: number,
  ) {
    this.clientIp = peerIp;
    this.deadline = now + s.config.proxy_protocol.first_packet_timeout;
  }

  /** Without PROXY v2 on this listener, the client is the socket peer: resolve at once. */
  start(): void {
    const pp = this.s.config.proxy_protocol;
    if (!pp.enabled)
      this.decide(
        decideProxyTrust(
          { ...this.trustConfig(), enabled: false },
          {
            decoded: { kind: "not-proxy" },
            peer: { ip: this.peerIp, port: this.peerPort },
            peerIsProxy: false,
          },
        ),
        new Uint8Array(0),
      );
  }

  private trustConfig() {
    const pp = this.s.config.proxy_protocol;
    return {
      enabled: pp.enabled,
      validate_sources: pp.validate_sources,
      reject_invalid: pp.reject_invalid,
      require: this.requireProxy,
    };
  }

  busy(): number {
    // A connection still waiting for its first packet counts as one session about to start: a
    // graceful stop (reload) that closed it would fail a device that had just connected. Its
    // wait is bounded by first_packet_timeout (the sweep closes it).
    return this.jobs + (this.engine?.sessions.size ?? 0) + (this.gotFirst ? 0 : 1);
  }

  onData(chunk: Uint8Array): void {
    if (this.phase === "preamble") {
      const prev = this.pre;
      const buf = prev === null ? chunk : new Uint8Array(prev.length + chunk.length);
      if (prev !== null) {
        buf.set(prev);
        buf.set(chunk, prev.length);
      }
      this.pre = buf.slice();
      const decoded = decodeProxyV2(buf, { maxHeaderBytes: PP2_DEFAULT_MAX_HEADER });
      const action = decideProxyTrust(this.trustConfig(), {
        decoded,
        peer: { ip: this.peerIp, port: this.peerPort },
        peerIsProxy: () => {
          const st = this.s.index.proxyStatus(this.peerIp);
          return st === "store-error" ? "store-error" : st === "registered";
        },
      });
      if (action.action === "need-more") return;
      this.pre = null;
      this.decide(action, buf);
      return;
    }
    if (this.phase === "local") return this.admit(chunk);
    if (this.phase !== "ready") return;
    this.feed(chunk);
  }

  private feed(chunk: Uint8Array): void {
    if (this.skip > 0) {
      const n = Math.min(this.skip, chunk.length);
      this.skip -= n;
      chunk = chunk.subarray(n);
    }
    if (chunk.length === 0) return;
    const f = this.framer!;
    f.push(chunk);
    for (;;) {
      if (this.phase !== "ready") return;
      const r = f.next();
      if (!r.ok)
        return this.refuse(
          r.code === "tacacs/body-too-long" ? "body_too_long" : "bad_version",
          r.detail,
          true,
        );
      const frame = r.value;
      if (frame === null) return;
      const now = this.s.clock.now();
      this.gotFirst = true;
      this.deadline = now + this.s.config.idle_timeout;
      const kind = frame.header.type - 1;
      if (kind >= 0 && kind < 3 && !this.s.rates.take(this.bucket!, kind, now))
        return this.refuse("rate_limited", undefined, true);
      const engine = this.engine!;
      // A long-lived single-connect connection is re-checked against the store before each new
      // session: a removed or disabled device or a changed key retires it.
      if (
        engine.singleConnect === true &&
        frame.header.seqNo === 1 &&
        !engine.sessions.has(frame.header.sessionId)
      )
        this.recheckDevice();
      onFrame(engine, frame, this.out);
      this.perform();
      // ...and when its last running session ends, so it closes then rather than at the next one.
      if (engine.singleConnect === true && engine.sessions.size === 0 && this.jobs === 0)
        this.recheckDevice();
    }
  }

  private recheckDevice(): void {
    const engine = this.engine;
    if (engine === null || engine.retired || engine.closed) return;
    const d = this.s.index.resolve(this.clientIp, this.proxyIp);
    if (d !== null && d.deviceId === this.deviceId && sameSecret(d.tacacsKey, this.key)) return;
    retire(engine, this.out);
    this.perform();
  }

  /** PROXY v2 outcome → client identity → caps → device → key. */
  private decide(a: TrustAction, buf: Uint8Array): void {
    const pc = this.s.proxyCounters;
    const log = this.s.log;
    let discard = 0;
    switch (a.action) {
      case "need-more":
        return;
      case "reject": {
        if (a.reason === "proxy_rejected_unknown") pc.proxy_rejected_unknown.inc();
        if (a.reason === "proxy_header_errors")
          pc.proxy_header_errors.inc({ reason: a.code ?? "unknown" });
        log.limited("warn", `proxy_v2_rejected:${a.reason}:${this.peerIp}`, "proxy_v2_rejected", {
          reason: a.reason,
          code: a.code,
          peer: this.peerIp,
        });
        return this.refuse(a.reason, a.code, true);
      }
      case "direct":
        pc.connections_direct.inc();
        if (a.counter === "proxy_header_errors") {
          pc.proxy_header_errors.inc({ reason: a.code ?? "unknown" });
          log.limited("warn", `proxy_v2_invalid:${this.peerIp}`, "proxy_v2_invalid_skipped", {
            code: a.code,
            peer: this.peerIp,
          });
        }
        discard = a.discard;
        break;
      case "local":
        pc.proxy_headers_parsed.inc();
        pc.proxy_local.inc();
        log.debug("proxy_v2_local", { peer: this.peerIp, why: a.why });
        discard = a.discard;
        break;
      case "proxied":
        pc.proxy_headers_parsed.inc();
        pc.connections_proxied.inc();
        this.clientIp = a.client.ip;
        this.proxyIp = a.proxy.ip;
        log.limited("info", `proxy_v2_accepted:${a.proxy.ip}`, "proxy_v2_accepted", {
          client: a.client.ip,
          client_port: a.client.port,
          proxy: a.proxy.ip,
        });
        discard = a.discard;
        break;
    }
    const rest = discard < buf.length ? buf.subarray(discard) : new Uint8Array(0);
    this.skip = discard > buf.length ? discard - buf.length : 0;
    // A LOCAL header alone is a balancer health check: it closes without sending TACACS+. Resolve
    // the (balancer's own) address only if a packet follows, so probes never log as unknown devices.
    if (a.action === "local" && rest.length === 0) {
      this.phase = "local";
      return;
    }
    this.admit(rest);
  }

  /** Caps, device and key for the resolved client; then the first bytes go to the framer. */
  private admit(rest: Uint8Array): void {
    const limit = this.s.caps.acquire(this.clientIp, this.proxyIp);
    if (limit !== null) return this.refuse(limit, undefined, true);
    this.capsHeld = true;
    const device = this.s.index.resolveOrRegister(this.clientIp, this.proxyIp);
    if (device === null) return this.refuse("unknown_device", undefined, true);
    const key = device.tacacsKey;
    if (key === null) return this.refuse("no_secret", device.deviceName, true);
    const via = this.proxyIp === null ? "direct" : "proxied";
    this.s.counters.connections.inc({ protocol: "tacacs", via });
    this.s.counters.deviceMatches.inc({ protocol: "tacacs", device_group: device.groupName, via });
    this.s.onResolved({
      client: this.clientIp,
      proxy: this.proxyIp,
      device: device.deviceName,
      group: device.groupName,
    });
    this.deviceName = device.deviceName;
    this.deviceId = device.deviceId;
    this.key = key;
    this.engine = newConnection(key, this.s.engine);
    this.framer = new Framer({ maxBodyLength: this.s.config.max_body_length });
    this.bucket = this.s.rates.bucket(this.clientIp, this.s.clock.now());
    this.ctx = {
      policy: this.s.policy,
      device: {
        deviceName: device.deviceName,
        groupId: device.groupId,
        groupName: device.groupName,
      },
      clientIp: this.clientIp,
      wall: () => this.s.clock.wall(),
    };
    this.phase = "ready";
    this.feed(rest);
  }

  /** Performs queued outputs in order. Re-entrant calls (a job answered synchronously appends to the
   *  same queue) return at once: the running loop picks the new outputs up. */
  private perform(): void {
    if (this.performing) return;
    this.performing = true;
    try {
      const out = this.out;
      for (let i = 0; i < out.length; i++) {
        const o = out[i]!;
        switch (o.kind) {
          case "send":
            this.write(o.bytes);
            break;
          case "job":
            this.run(o.sessionId, o);
            break;
          case "close":
            this.closeSoon();
            break;
          case "note":
            recordNote(this.s.counters, this.s.log, o.note, {
              client: this.clientIp,
              device: this.deviceName,
              sessionsDelta: this.s.sessionsDelta,
            });
            break;
        }
      }
    } finally {
      this.out.length = 0;
      this.performing = false;
    }
  }

  private run(sessionId: number, o: Output & { kind: "job" }): void {
    this.jobs++;
    const t0 = this.s.clock.now();
    const labels = JOB_LABELS[o.job.kind];
    let a: Answer | Promise<Answer>;
    try {
      a = runJob(o.job, this.ctx!);
    } catch (e) {
      this.jobs--;
      this.s.log.error("tacacs_job_failed", {
        client: this.clientIp,
        job: o.job.kind,
        reason: e instanceof Error ? e.message : String(e),
      });
      return this.destroy();
    }
    const done = (ans: Answer) => {
      this.s.counters.decision.observe((this.s.clock.now() - t0) / 1000, labels);
      this.answered(sessionId, ans);
    };
    if (!(a instanceof Promise)) return done(a);
    // Nothing may escape a promise reaction: an unhandled rejection ends the process, and every
    // other device's service with it. A failed job closes this connection, as a throwing one does.
    const failed = (e: unknown) => {
      this.s.log.error("tacacs_job_failed", {
        client: this.clientIp,
        job: o.job.kind,
        reason: e instanceof Error ? e.message : String(e),
      });
      this.destroy();
    };
    a.then(
      (ans) => {
        try {
          done(ans);
        } catch (e) {
          failed(e);
        }
      },
      (e: unknown) => {
        this.jobs--;
        failed(e);
      },
    );
  }

  private answered(sessionId: number, a: Answer): void {
    this.jobs--;
    if (this.phase === "dead" || this.engine === null) return;
    this.deadline = Math.max(this.deadline, this.s.clock.now() + this.s.config.idle_timeout);
    const engine = this.engine;
    onAnswer(engine, sessionId, a, this.out);
    this.perform();
    if (engine.singleConnect === true && engine.sessions.size === 0 && this.jobs === 0)
      this.recheckDevice();
  }

  private write(bytes: Uint8Array): void {
    if (this.phase === "dead") return;
    if (this.queue.length > 0) return this.enqueue(bytes);
    const n = this.socket.write(bytes);
    if (n < 0) return this.destroy();
    if (n < bytes.length) this.enqueue(bytes.subarray(n));
  }

  /**
   * Replies the peer has not read yet. A client that keeps sending and never reads would grow this
   * without end (each request pushes the idle deadline back): past MAX_WRITE_BACKLOG the connection
   * is dropped and counted.
   */
  private enqueue(bytes: Uint8Array): void {
    this.queued += bytes.length;
    if (this.queued > MAX_WRITE_BACKLOG) {
      recordRefusal(this.s.counters, this.s.log, "write_backlog", this.clientIp, {
        peer: this.peerIp,
        detail: `${this.queued} bytes unread`,
      });
      return this.destroy();
    }
    this.queue.push(bytes);
  }

  onDrain(): void {
    while (this.queue.length > 0) {
      const b = this.queue[0]!;
      const n = this.socket.write(b);
      if (n < 0) return this.destroy();
      this.queued -= n;
      if (n < b.length) {
        this.queue[0] = b.subarray(n);
        return;
      }
      this.queue.shift();
    }
    if (this.phase === "closing") this.socket.end();
  }

  /** Close after the queued replies are written. */
  private closeSoon(): void {
    if (this.phase === "dead" || this.phase === "closing") return;
    this.phase = "closing";
    this.deadline = this.s.clock.now() + CLOSE_FLUSH_MS;
    if (this.queue.length === 0) this.socket.end();
  }

  private refuse(reason: RefusalReason, detail: string | undefined, close: boolean): void {
    recordRefusal(
      this.s.counters,
      this.s.log,
      reason,
      this.clientIp,
      detail === undefined ? { peer: this.peerIp } : { peer: this.peerIp, detail },
    );
    if (close) this.closeSoon();
  }

  tick(now: number): void {
    if (now < this.deadline) return;
    if (this.phase === "closing") return this.destroy();
    if (this.jobs > 0) return;
    this.refuse(this.gotFirst ? "idle_timeout" : "first_packet_timeout", undefined, true);
  }

  /** Cut the connection now (stop, write failure, flush deadline). */
  destroy(): void {
    if (this.phase === "dead") return;
    this.socket.terminate();
    this.onClose();
  }

  onClose(): void {
    if (this.phase === "dead") return;
    this.phase = "dead";
    this.queue.length = 0;
    this.queued = 0;
    if (this.engine !== null && this.engine.sessions.size > 0)
      this.s.sessionsDelta(-this.engine.sessions.size);
    if (this.capsHeld) this.s.caps.release(this.clientIp, this.proxyIp);
    this.s.caps.releaseTotal();
    this.s.forget(this);
  }
}
