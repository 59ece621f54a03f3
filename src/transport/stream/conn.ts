// One connection through the stream front door: PROXY v2 preamble and trust, caps, device and
// secret admission, then the plug's session; writes through the bounded queue (write-queue.ts);
// deadlines.
// door.ts owns the listener, the accept-time caps and the sweep; this file owns everything per socket.
import type { Socket } from "bun";
import type { Clock } from "../../lib/clock.ts";
import type { Logger } from "../../lib/log.ts";
import type { Device, DevicePort } from "../../policy/devices.ts";
import { decodeProxyV2 } from "../../proxy-protocol/decode.ts";
import { decideProxyTrust, type TrustAction } from "../../proxy-protocol/trust.ts";
import { PP2_DEFAULT_MAX_HEADER } from "../../proxy-protocol/types.ts";
import type { ConnectionCaps, PendingBudget } from "../limits.ts";
import type { ProxyCounters } from "../metrics.ts";
import type { LagMeter } from "./lag.ts";
import type { DoorOptions } from "./options.ts";
import type { DoorRefusal, StreamLink, StreamPlug, StreamSession } from "./plug.ts";
import { WriteQueue } from "./write-queue.ts";

export interface DoorContext {
  options: DoorOptions;
  devices: DevicePort;
  plug: StreamPlug;
  log: Logger;
  clock: Clock;
  proxyCounters: ProxyCounters;
  caps: ConnectionCaps;
  pending: PendingBudget;
  lag: LagMeter;
  forget(c: DoorConn): void;
}

/** How long a closing connection may take to flush its last reply before it is cut. */
const CLOSE_FLUSH_MS = 5000;
const EMPTY = new Uint8Array(0);

export class DoorConn implements StreamLink {
  clientIp: string;
  proxyIp: string | null = null;
  private phase: "preamble" | "local" | "ready" | "closing" | "dead" = "preamble";
  private pre: Uint8Array | null = null;
  private skip = 0;
  private capsHeld = false;
  /** Holds a slot of the pre-admission budget (an unknown socket peer, PROXY v2 undecided). */
  pendingHeld = false;
  private session: StreamSession | null = null;
  private gotFirst = false;
  private deadline: number;
  private readonly queue = new WriteQueue();

  constructor(
    private readonly s: DoorContext,
    private readonly socket: Socket<DoorConn>,
    private readonly peerIp: string,
    private readonly peerPort: number,
    private readonly requireProxy: boolean,
    now: number,
  ) {
    this.clientIp = peerIp;
    this.deadline = now + s.options.firstPacketTimeoutMs;
  }

  /** Without PROXY v2 on this listener, the client is the socket peer: resolve at once. */
  start(): void {
    if (!this.s.options.proxyProtocol.enabled)
      this.decide(
        decideProxyTrust(this.trustConfig(), {
          decoded: { kind: "not-proxy" },
          peer: { ip: this.peerIp, port: this.peerPort },
          peerIsProxy: false,
        }),
        EMPTY,
      );
  }

  private trustConfig() {
    const pp = this.s.options.proxyProtocol;
    return {
      enabled: pp.enabled,
      validate_sources: pp.validateSources,
      reject_invalid: pp.rejectInvalid,
      require: this.requireProxy,
    };
  }

  busy(): number {
    // A connection still waiting for its first packet counts as one session about to start: a
    // graceful stop (reload) that closed it would fail a device that had just connected. Its
    // wait is bounded by the first-packet deadline (the sweep closes it).
    return (this.session?.busy() ?? 0) + (this.gotFirst ? 0 : 1);
  }

  onData(chunk: Uint8Array): void {
    if (this.phase === "ready") return this.feed(chunk);
    if (this.phase === "local") return this.admit(chunk);
    if (this.phase !== "preamble") return;
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
        const st = this.s.devices.proxyStatus(this.peerIp);
        return st === "store-error" ? "store-error" : st === "registered";
      },
    });
    if (action.action === "need-more") return;
    this.pre = null;
    this.decide(action, buf);
  }

  private feed(chunk: Uint8Array): void {
    if (this.skip > 0) {
      const n = Math.min(this.skip, chunk.length);
      this.skip -= n;
      chunk = chunk.subarray(n);
    }
    if (chunk.length > 0) this.session!.data(chunk);
  }

  /** PROXY v2 outcome → client identity; then admission. */
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
        return this.refuse(a.reason, a.code);
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
    const rest = discard < buf.length ? buf.subarray(discard) : EMPTY;
    this.skip = discard > buf.length ? discard - buf.length : 0;
    // A LOCAL header alone is a balancer health check: it closes without sending a packet. Resolve
    // the (balancer's own) address only if a packet follows, so probes never log as unknown devices.
    if (a.action === "local" && rest.length === 0) {
      this.phase = "local";
      return;
    }
    this.admit(rest);
  }

  /** Caps, device and secret for the resolved client; then the first bytes go to the plug. */
  private admit(rest: Uint8Array): void {
    this.releasePending();
    const limit = this.s.caps.acquire(this.clientIp, this.proxyIp);
    if (limit !== null) return this.refuse(limit);
    this.capsHeld = true;
    const device = this.s.devices.resolveOrRegister(this.clientIp, this.proxyIp);
    if (device === null) return this.refuse("unknown_device");
    const secret = this.s.plug.secretOf(device);
    if (secret === null) return this.refuse("no_secret", device.deviceName);
    this.phase = "ready";
    this.session = this.s.plug.open(
      { device, secret, client: this.clientIp, proxy: this.proxyIp, peer: this.peerIp },
      this,
    );
    this.feed(rest);
  }

  private releasePending(): void {
    if (!this.pendingHeld) return;
    this.pendingHeld = false;
    this.s.pending.release(this.peerIp);
  }

  // --- StreamLink: what the plug's session does to this connection ---

  send(bytes: Uint8Array): void {
    if (this.phase === "dead") return;
    const r = this.queue.write(this.socket, bytes);
    if (r === "ok") return;
    if (r === "overflow")
      this.s.plug.refused("write_backlog", this.clientIp, {
        peer: this.peerIp,
        detail: `${this.queue.size} bytes unread`,
      });
    this.destroy();
  }

  /** Close after the queued replies are written. */
  close(): void {
    if (this.phase === "dead" || this.phase === "closing") return;
    this.phase = "closing";
    this.deadline = this.s.clock.now() + CLOSE_FLUSH_MS;
    if (this.queue.empty) this.socket.end();
  }

  touch(now: number): void {
    if (this.phase !== "ready") return;
    this.gotFirst = true;
    this.deadline = Math.max(this.deadline, now + this.s.options.idleTimeoutMs);
  }

  stallMs(now: number): number {
    return this.s.lag.stallMs(now);
  }

  resolveAgain(): Device | null {
    return this.s.devices.resolve(this.clientIp, this.proxyIp);
  }

  onDrain(): void {
    if (this.queue.flush(this.socket) === "closed") return this.destroy();
    if (this.queue.empty && this.phase === "closing") this.socket.end();
  }

  private refuse(reason: DoorRefusal, detail?: string): void {
    this.s.plug.refused(
      reason,
      this.clientIp,
      detail === undefined ? { peer: this.peerIp } : { peer: this.peerIp, detail },
    );
    this.close();
  }

  tick(now: number): void {
    if (now < this.deadline) return;
    if (this.phase === "closing") return this.destroy();
    if (this.session?.waiting() === true) return;
    this.refuse(this.gotFirst ? "idle_timeout" : "first_packet_timeout");
  }

  /** Cut the connection now (stop, write failure, flush deadline, failed job). */
  destroy(): void {
    if (this.phase === "dead") return;
    this.socket.terminate();
    this.onClose();
  }

  onClose(): void {
    if (this.phase === "dead") return;
    this.phase = "dead";
    this.queue.clear();
    this.session?.closed();
    this.releasePending();
    if (this.capsHeld) this.s.caps.release(this.clientIp, this.proxyIp);
    this.s.caps.releaseTotal();
    this.s.forget(this);
  }
}
