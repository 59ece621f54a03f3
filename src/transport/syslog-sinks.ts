// Syslog destinations: RFC 5424 over UDP (RFC 5426: one message per datagram) and over TCP
// (RFC 6587 octet counting, the framing RFC 5425 uses for TLS), and the local socket (/dev/log,
// the BSD form its readers parse). Each holds a bounded queue; what does not fit, or what the
// kernel refuses, is dropped and counted (LogDrops), never waited for.
import type { Socket } from "bun";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import {
  formatLocal,
  formatRfc5424,
  octetCounted,
  parseSyslogTarget,
  type SyslogHeader,
} from "../lib/log-format.ts";
import type { LogRecord } from "../lib/log.ts";
import type { LogDrops, ManagedSink, SyslogTarget } from "./log-drops.ts";
import { UnixDgram } from "./unix-dgram.ts";

/** Messages held while a UDP socket opens or a TCP collector is away, and their bytes (TCP). */
const QUEUE_MESSAGES = 10_000;
const QUEUE_BYTES = 8 << 20;
/** RFC 5426 §3.2: IPv4 UDP carries at most 65507 bytes; larger messages are dropped, counted. */
const UDP_MAX = 65_507;
/** TCP reconnect backoff: doubles from the first to the last delay. */
const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 30_000;

export function syslogSink(
  t: SyslogTarget,
  index: number,
  header: SyslogHeader | Omit<SyslogHeader, "facility">,
  drops: LogDrops,
): ManagedSink {
  const target = parseSyslogTarget(t.target);
  if (!target) throw new Error(`log.syslog[${index}].target: not a syslog target: ${t.target}`);
  const h = { ...header, facility: t.facility };
  const name = t.target;
  const rfc5424 = (rec: LogRecord, json: string) =>
    formatRfc5424(rec, { ...h, format: t.format, structuredData: t.structured_data }, json);
  if (target.kind === "unix") {
    const sock = new UnixDgram(target.path);
    return {
      name,
      level: t.level,
      write(rec, json) {
        const r = sock.send(
          new TextEncoder().encode(formatLocal(rec, { ...h, format: t.format }, json)),
        );
        if (r !== "sent")
          drops.drop(
            name,
            r === "busy" ? "socket_busy" : r === "too_long" ? "too_long" : "send_failed",
          );
      },
      close: async () => sock.close(),
    };
  }
  if (target.kind === "udp") return udpSink(name, t, target.host, target.port, rfc5424, drops);
  return new TcpSyslog(name, t, target.host, target.port, rfc5424, drops);
}

function udpSink(
  name: string,
  t: SyslogTarget,
  host: string,
  port: number,
  format: (rec: LogRecord, json: string) => string,
  drops: LogDrops,
): ManagedSink {
  let sock: Bun.udp.Socket<"uint8array"> | null = null;
  let address: string | null = isIP(host) ? host : null;
  let closed = false;
  const early: Uint8Array[] = []; // until the socket is open and the name resolved
  const send = (m: Uint8Array) => {
    if (m.length > UDP_MAX) return drops.drop(name, "too_long");
    // false: the kernel's send buffer is full. An ICMP port unreachable is not seen on an
    // unconnected socket: UDP syslog is fire-and-forget by design (RFC 5426 §4).
    if (!sock!.send(m, port, address!)) drops.drop(name, "socket_busy");
  };
  void (async () => {
    try {
      address ??= (await lookup(host)).address;
      // The sending socket's family must be the collector's: an IPv4 socket cannot reach ::1.
      const any = isIP(address) === 6 ? "::" : "0.0.0.0";
      sock = await Bun.udpSocket({ hostname: any, port: 0, binaryType: "uint8array" });
    } catch {
      drops.drop(name, "send_failed", early.length);
      early.length = 0;
      closed = true;
      return;
    }
    if (closed) return sock.close();
    for (const m of early.splice(0)) send(m);
  })();
  return {
    name,
    level: t.level,
    write(rec, json) {
      if (closed) return drops.drop(name, "closed");
      const m = new TextEncoder().encode(format(rec, json));
      if (sock && address) return send(m);
      if (early.length >= QUEUE_MESSAGES) return drops.drop(name, "queue_full");
      early.push(m);
    },
    close: async () => {
      closed = true;
      sock?.close();
    },
  };
}

/**
 * One TCP connection to a collector. Messages queue (bounded) while it is down and go out in
 * order once it is back; reconnects back off exponentially. A message cut by a disconnect is
 * sent again whole on the next connection (octet counting cannot resume mid-frame): a collector
 * may then see it twice, never half.
 */
class TcpSyslog implements ManagedSink {
  level;
  private queue: Uint8Array[] = [];
  private queuedBytes = 0;
  /** Bytes of queue[0] already written on the current connection. */
  private sent = 0;
  private sock: Socket<undefined> | null = null;
  private connecting = false;
  private backoff = BACKOFF_FIRST_MS;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private idle: Array<() => void> = [];

  constructor(
    readonly name: string,
    t: SyslogTarget,
    private readonly host: string,
    private readonly port: number,
    private readonly format: (rec: LogRecord, json: string) => string,
    private readonly drops: LogDrops,
  ) {
    this.level = t.level;
    this.connect();
  }

  write(rec: LogRecord, json: string): void {
    if (this.closed) return this.drops.drop(this.name, "closed");
    if (this.queue.length >= QUEUE_MESSAGES) return this.drops.drop(this.name, "queue_full");
    const frame = octetCounted(this.format(rec, json));
    if (this.queuedBytes + frame.length > QUEUE_BYTES)
      return this.drops.drop(this.name, "queue_full");
    this.queue.push(frame);
    this.queuedBytes += frame.length;
    if (this.queue.length === 1) this.flush();
  }

  private connect(): void {
    if (this.closed || this.connecting || this.sock) return;
    this.connecting = true;
    const self = this;
    void Bun.connect({
      hostname: this.host,
      port: this.port,
      socket: {
        open(s) {
          self.connecting = false;
          self.sock = s;
          self.backoff = BACKOFF_FIRST_MS;
          self.sent = 0;
          self.flush();
        },
        drain: () => self.flush(),
        data() {}, // a collector sends nothing back (RFC 6587 has no acknowledgements)
        close: () => self.lost(),
        error: () => self.lost(),
        connectError: () => self.lost(),
      },
    }).catch(() => this.lost());
  }

  private lost(): void {
    this.connecting = false;
    this.sock = null;
    this.sent = 0;
    if (this.closed) return this.finish();
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, this.backoff);
    this.timer.unref();
    this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
  }

  private flush(): void {
    const s = this.sock;
    while (s && this.queue.length > 0) {
      const head = this.queue[0]!;
      const n = s.write(this.sent === 0 ? head : head.subarray(this.sent));
      if (n < 0) return; // closed: close() follows and reconnects
      this.sent += n;
      if (this.sent < head.length) return; // the kernel buffer is full: drain() continues
      this.queue.shift();
      this.queuedBytes -= head.length;
      this.sent = 0;
    }
    if (this.queue.length === 0) this.finish();
  }

  private finish(): void {
    for (const f of this.idle.splice(0)) f();
  }

  close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    return new Promise<void>((done) => {
      this.idle.push(() => {
        if (this.queue.length > 0) this.drops.drop(this.name, "closed", this.queue.length);
        this.queue = [];
        this.queuedBytes = 0;
        this.sock?.end();
        done();
      });
      if (this.queue.length === 0 || !this.sock) this.finish();
    });
  }
}
