// The RADIUS server engine (RFC 2865, 2866, 3579, 5080, 5997): datagram + source in, reply bytes out.
// No sockets, no timers, no real time (a Clock is injected); src/transport/radius-udp.ts owns the sockets.
//
// API
//   new RadiusServer(deps)
//   handle(datagram, source, listener) → Uint8Array | null | Promise<Uint8Array | null> | LATER
//       null = send nothing (every silent drop is counted by reason); a Promise for work that waits
//       (argon2 / credential cache, accounting COMMIT, a forwarded request) — or, when the listener
//       has respond() (the UDP transport), LATER for accounting and forwarded requests, whose reply
//       then comes through listener.respond (engine-types.ts).
//   inFlight, duplicates, stop()
//
// Order of checks for every datagram, cheapest and least trusting first:
//   1. the client is the datagram's source address, resolved through the device index — never
//      NAS-IP-Address; unknown clients and groups without a radius secret: silent drop;
//   2. the per-client token bucket; 3. the codec's length rules;
//   4. the code must belong to the port (auth: Access-Request, Status-Server; acct:
//      Accounting-Request, Status-Server);
//   5. authenticators with the client's secret: Message-Authenticator whenever present (RFC 3579
//      §3.2), mandatory for Status-Server (RFC 5997 §3), EAP (RFC 3579 §3.1), for groups with
//      require_message_authenticator, and — BlastRADIUS, CVE-2024-3596 — for any Access-Request
//      carrying Proxy-State; the Accounting Request Authenticator (RFC 2866 §3);
//   6. duplicate detection (RFC 5080 §2.2.2; only authenticated requests enter the cache, so a
//      forger cannot plant replies); 7. the proxy seam, if configured; 8. local policy.
// Every reply echoes the request's Proxy-State attributes in order (RFC 2865 §5.33), and every
// Access-Accept/Reject carries Message-Authenticator first (encodeReply's default for those codes).
// Helpers: checks.ts (step 5, reply encoding), proxy-bridge.ts (step 7), access.ts and
// accounting-record.ts (step 8). The file is longer than most because the request pipeline and its
// bookkeeping (in-flight count, duplicate cache, counters) are kept in one place, in order.
import { reasonKind, type ReasonCode } from "../policy/decisions.ts";
import { authenticateAccess, type AccessOutcome } from "./access.ts";
import { buildAccountingRecord } from "./accounting-record.ts";
import { checkAuthenticity, encodeAnswer } from "./checks.ts";
import { LATER } from "./engine-types.ts";
import {
  AttrType,
  Code,
  decodePacket,
  getAttr,
  type Attribute,
  type Packet,
} from "./codec/packet.ts";
import { PacketSalts } from "./codec/user-password.ts";
import { DropReason, type DropReasonCode } from "./counters.ts";
import { DuplicateCache, duplicateKey, type DuplicateKey } from "./duplicates.ts";
import type {
  HandleResult,
  RadiusDevice,
  RadiusListenerRef,
  RadiusServerDeps,
  RadiusSource,
} from "./engine-types.ts";
export { LATER } from "./engine-types.ts";
import { consultProxy } from "./proxy-bridge.ts";
import { ReplyAttributeMapper } from "./reply-attributes.ts";

export type {
  DeviceResolver,
  HandleResult,
  RadiusDevice,
  RadiusListenerRef,
  RadiusServerDeps,
  RadiusSource,
} from "./engine-types.ts";

/** Requests waiting for policy, storage or a home server at once; beyond it new ones are dropped. */
export const MAX_IN_FLIGHT = 65_536;
const REJECT_MESSAGE = new TextEncoder().encode("Authentication failed");
const REJECT_ATTRS: readonly Attribute[] = [{ type: AttrType.ReplyMessage, value: REJECT_MESSAGE }];
const NO_ATTRS: readonly Attribute[] = [];
const textDecoder = new TextDecoder();

interface Ctx {
  packet: Packet;
  device: RadiusDevice;
  secret: Uint8Array;
  source: RadiusSource;
  listener: RadiusListenerRef;
  key: DuplicateKey;
  start: number;
}

interface ClientCounts {
  requests: number;
  accepted: number;
  rejected: number;
  accounting: number;
}
const MAX_CLIENTS = 10_000;
const OTHER_CLIENTS = "(other devices)";

export class RadiusServer {
  readonly duplicates: DuplicateCache;
  inFlight = 0;
  private stopping = false;
  private readonly replies: ReplyAttributeMapper;
  private readonly labels = new Map<string, { device_group: string }>();
  /** Per-device request counts for /api/stats and the status page, bounded (MAX_CLIENTS). */
  private readonly perClient = new Map<string, ClientCounts>();

  constructor(private readonly d: RadiusServerDeps) {
    this.duplicates = new DuplicateCache(d.duplicates);
    this.replies = new ReplyAttributeMapper(d.dictionary, (a, why) =>
      d.log.limited("warn", `radius/reply-attr:${a.name}`, "radius_reply_attribute_skipped", {
        attribute: a.name,
        reason: why,
      }),
    );
  }

  /** New datagrams are dropped from now on; replies already under way still complete. */
  stop(): void {
    this.stopping = true;
  }

  handle(datagram: Uint8Array, source: RadiusSource, listener: RadiusListenerRef): HandleResult {
    const { d } = this;
    const start = d.clock.now();
    const device = d.devices.resolve(source.address, null);
    const client = device?.groupName ?? "";
    d.counters.requests.inc({ port: listener.kind, device_group: client });
    if (device !== null) this.clientCounts(device.deviceName).requests++;
    if (this.stopping) return this.drop(client, DropReason.stopping);
    if (device === null) {
      d.log.limited("info", `radius/unknown-client:${source.address}`, "radius_unknown_client", {
        client_ip: source.address,
      });
      return this.drop(client, DropReason.unknownClient);
    }
    if (device.radiusSecret === null) return this.drop(client, DropReason.noSecret);
    if (d.admit !== undefined && !d.admit(source.address, start))
      return this.drop(client, DropReason.rateLimited);
    const dec = decodePacket(datagram);
    if (!dec.ok) {
      d.counters.malformed.inc({ code: dec.code });
      d.log.limited("info", `radius/malformed:${source.address}`, "radius_malformed", {
        client_ip: source.address,
        code: dec.code,
        detail: dec.detail,
      });
      return this.drop(client, DropReason.malformed);
    }
    const packet = dec.value;
    const secret = device.radiusSecret;
    const code = packet.code;
    const isStatus = code === Code.StatusServer;
    const expected = listener.kind === "auth" ? Code.AccessRequest : Code.AccountingRequest;
    if (code !== expected && !isStatus) return this.drop(client, DropReason.unknownCode);

    const bad = checkAuthenticity(packet, device, secret);
    if (bad !== null) {
      d.log.limited("warn", `radius/${bad}:${source.address}`, "radius_request_not_authentic", {
        client_ip: source.address,
        device: client,
        reason: bad,
      });
      return this.drop(client, bad);
    }
    if (isStatus) {
      // RFC 5997 §3: answered at once, not through the duplicate cache (it is idempotent and cheap).
      d.counters.statusServer.inc({ port: listener.kind });
      const reply = this.encode(
        packet,
        secret,
        listener.kind === "auth" ? Code.AccessAccept : Code.AccountingResponse,
        NO_ATTRS,
        true,
      );
      this.observe(listener, start);
      return reply;
    }

    const key = duplicateKey(listener.id, source.address, source.port, packet.identifier);
    const seen = this.duplicates.check(key, packet.authenticator, start);
    if (seen.kind === "resend") {
      d.counters.resent.inc({ port: listener.kind });
      return seen.reply;
    }
    if (seen.kind === "in-progress") return this.drop(client, DropReason.duplicate);
    if (this.inFlight >= MAX_IN_FLIGHT) {
      this.duplicates.forget(key, packet.authenticator);
      return this.drop(client, DropReason.overload);
    }
    const ctx: Ctx = { packet, device, secret, source, listener, key, start };
    let userName: string | undefined;
    if (d.proxy !== undefined) {
      const decision = this.askProxy(ctx);
      if ("final" in decision) return decision.final;
      userName = decision.local;
    }
    return listener.kind === "auth" ? this.access(ctx, userName) : this.accounting(ctx, userName);
  }

  /** The proxy's decision: answer locally (maybe with a stripped user name), or the final result. */
  private askProxy(c: Ctx): { local: string | undefined } | { final: HandleResult } {
    const respond = c.listener.respond;
    const o = consultProxy(
      this.d.proxy!,
      c.packet,
      c.device,
      c.secret,
      c.source,
      c.listener,
      respond === undefined
        ? undefined
        : (bytes) => {
            this.inFlight--;
            this.answerLater(c, respond, () => this.finish(c, bytes, DropReason.proxy));
          },
    );
    switch (o.kind) {
      case "local":
        return { local: o.userName };
      case "error":
        this.d.log.limited("error", "radius/proxy-error", "radius_proxy_error", {
          reason: o.error,
        });
        return { final: this.finish(c, null, DropReason.internal) };
      case "drop":
        this.d.log.limited("info", `radius/proxy-drop:${o.reason}`, "radius_proxy_drop", {
          reason: o.reason,
          device: c.device.deviceName,
        });
        return { final: this.finish(c, null, DropReason.proxy) };
      case "reject":
        if (c.listener.kind === "acct") return { final: this.finish(c, null, DropReason.proxy) };
        return {
          final: this.finishAccess(
            c,
            { allow: false, reason: `proxy-${o.reason}`, extra: [] },
            null,
          ),
        };
      case "forwarded": {
        if (o.reply === LATER) {
          this.inFlight++;
          return { final: LATER };
        }
        if (!(o.reply instanceof Promise))
          return { final: this.finish(c, o.reply, DropReason.proxy) };
        this.inFlight++;
        return {
          final: o.reply.then((bytes) => {
            this.inFlight--;
            return this.finish(c, bytes, DropReason.proxy);
          }),
        };
      }
    }
  }

  private access(c: Ctx, userNameOverride: string | undefined): HandleResult {
    const raw = getAttr(c.packet, AttrType.UserName);
    const userName = userNameOverride ?? (raw === undefined ? null : textDecoder.decode(raw));
    if (userName === null || userName.length === 0)
      return this.finishAccess(c, { allow: false, reason: "no-user-name", extra: [] }, null);
    // One reply's salts: MS-MPPE keys (access.ts) and Tunnel-Passwords (the reply attributes).
    const salts = new PacketSalts();
    let out: AccessOutcome | Promise<AccessOutcome>;
    try {
      out = authenticateAccess({
        packet: c.packet,
        secret: c.secret,
        userName,
        clientIp: c.source.address,
        device: c.device,
        policy: this.d.policy,
        salts,
      });
    } catch (e) {
      return this.failed(c, e);
    }
    if (!(out instanceof Promise)) return this.finishAccess(c, out, userName, salts);
    this.inFlight++;
    return out.then(
      (o) => {
        this.inFlight--;
        return this.finishAccess(c, o, userName, salts);
      },
      (e: unknown) => {
        this.inFlight--;
        return this.failed(c, e);
      },
    );
  }

  /**
   * The reply to a decided Access-Request. Nothing escapes: a throw here forgets the request.
   * `salts`: those the decision already drew from (MS-CHAPv2's MPPE keys); default a fresh set.
   */
  private finishAccess(
    c: Ctx,
    o: AccessOutcome,
    userName: string | null,
    salts = new PacketSalts(),
  ): Uint8Array | null {
    try {
      return this.answerAccess(c, o, userName, salts);
    } catch (e) {
      // Without this the request would stay "in progress" in the duplicate cache and every
      // retransmission would be dropped until the entry expired (RFC 2865 §4.1: a reply MUST go).
      return this.failed(c, e);
    }
  }

  private answerAccess(
    c: Ctx,
    o: AccessOutcome,
    userName: string | null,
    salts: PacketSalts,
  ): Uint8Array | null {
    const { d } = this;
    const attrs: Attribute[] = [];
    if (o.allow) {
      if (userName !== null)
        this.replies.map(
          d.policy.radiusReply(userName),
          c.secret,
          c.packet.authenticator,
          attrs,
          salts,
        );
    } else attrs.push(...REJECT_ATTRS);
    for (const a of o.extra) attrs.push(a);
    let allow = o.allow;
    let reason = o.reason as ReasonCode;
    let reply = this.encode(
      c.packet,
      c.secret,
      allow ? Code.AccessAccept : Code.AccessReject,
      attrs,
      false,
    );
    if (reply === null && allow) {
      // An Accept that does not fit in 4096 octets (the user group's reply attributes and the
      // echoed Proxy-States) cannot be sent; silence would have the NAS retry and then mark us
      // dead. Fail closed with a bare Access-Reject (Proxy-States only), counted and logged.
      allow = false;
      reason = "reply-too-large" as ReasonCode;
      reply = this.encode(c.packet, c.secret, Code.AccessReject, NO_ATTRS, false);
    }
    const labels = this.groupLabels(c.device.groupName);
    const counts = this.clientCounts(c.device.deviceName);
    if (reply !== null && allow) {
      d.counters.accepted.inc(labels);
      counts.accepted++;
    } else if (reply !== null) {
      counts.rejected++;
      d.counters.rejected.inc({
        device_group: labels.device_group,
        reason: reasonKind(reason),
      });
    }
    return this.finish(c, reply, DropReason.internal);
  }

  private accounting(c: Ctx, userNameOverride: string | undefined): HandleResult {
    const { d } = this;
    const record = buildAccountingRecord(d.dictionary, c.packet.attributes, {
      time: d.clock.wall(),
      clientIp: c.source.address,
      device: c.device.deviceName,
      deviceGroup: c.device.groupName,
      userName: userNameOverride ?? null,
    });
    this.inFlight++;
    let written: Promise<void>;
    try {
      written = d.policy.account(record);
    } catch (e) {
      written = Promise.reject(e);
    }
    const stored = (): Uint8Array | null => {
      this.inFlight--;
      d.counters.accounting.inc({
        device_group: c.device.groupName,
        type: record.recordType,
      });
      this.clientCounts(c.device.deviceName).accounting++;
      return this.finish(
        c,
        this.encode(c.packet, c.secret, Code.AccountingResponse, NO_ATTRS, false),
        DropReason.internal,
      );
    };
    const notStored = (e: unknown): Uint8Array | null => {
      this.inFlight--;
      d.log.limited("error", "radius/accounting-store", "radius_accounting_not_stored", {
        device: c.device.deviceName,
        reason: e instanceof Error ? e.message : String(e),
      });
      return this.finish(c, null, DropReason.storageFailed);
    };
    const respond = c.listener.respond;
    if (respond === undefined) return written.then(stored, notStored);
    written.then(
      () => this.answerLater(c, respond, stored),
      (e: unknown) => this.answerLater(c, respond, () => notStored(e)),
    );
    return LATER;
  }

  /**
   * A reply decided after handle() returned, through the listener's respond(). Nothing may escape
   * from here: it runs in a promise reaction or a proxy callback, where an exception would be an
   * unhandled rejection — the end of the process, and of every other NAS's service with it.
   */
  private answerLater(
    c: Ctx,
    respond: NonNullable<RadiusListenerRef["respond"]>,
    reply: () => Uint8Array | null,
  ): void {
    let bytes: Uint8Array | null;
    try {
      bytes = reply();
    } catch (e) {
      this.failed(c, e);
      return;
    }
    try {
      respond(bytes, c.source);
    } catch (e) {
      // The reply stays in the duplicate cache: the NAS's retransmission gets it, and an
      // accounting record already committed is not stored a second time.
      this.d.log.limited("error", "radius/respond", "radius_internal_error", {
        reason: e instanceof Error ? e.message : String(e),
      });
      this.drop(c.device.groupName, DropReason.internal);
    }
  }

  private failed(c: Ctx, e: unknown): null {
    this.d.log.limited("error", "radius/internal", "radius_internal_error", {
      reason: e instanceof Error ? e.message : String(e),
    });
    this.finish(c, null, DropReason.internal);
    return null;
  }

  /** Records the outcome in the duplicate cache (reply) or forgets the request (no reply). */
  private finish(c: Ctx, reply: Uint8Array | null, whyNone: DropReasonCode): Uint8Array | null {
    const now = this.d.clock.now();
    if (reply === null) {
      this.duplicates.forget(c.key, c.packet.authenticator);
      this.drop(c.device.groupName, whyNone);
      return null;
    }
    this.duplicates.complete(c.key, c.packet.authenticator, reply, now);
    this.d.counters.latency.observe((now - c.start) / 1000, {
      port: c.listener.kind,
    });
    return reply;
  }

  private encode(
    req: Packet,
    secret: Uint8Array,
    code: number,
    attrs: readonly Attribute[],
    withMa: boolean,
  ): Uint8Array | null {
    const r = encodeAnswer(req, secret, code, attrs, withMa);
    if (r.ok) return r.value;
    this.d.log.limited("error", "radius/encode", "radius_reply_encode_failed", {
      code: r.code,
      detail: r.detail,
    });
    return null;
  }

  private observe(listener: RadiusListenerRef, start: number): void {
    this.d.counters.latency.observe((this.d.clock.now() - start) / 1000, {
      port: listener.kind,
    });
  }

  private drop(group: string, reason: DropReasonCode): null {
    this.d.counters.dropped.inc({ device_group: group, reason });
    return null;
  }

  private groupLabels(group: string): { device_group: string } {
    let l = this.labels.get(group);
    if (l === undefined) {
      if (this.labels.size > 10_000) this.labels.clear();
      l = { device_group: group };
      this.labels.set(group, l);
    }
    return l;
  }

  private clientCounts(device: string): ClientCounts {
    let c = this.perClient.get(device);
    if (c === undefined) {
      // Bounded: past MAX_CLIENTS devices, the rest share one row.
      const key = this.perClient.size < MAX_CLIENTS ? device : OTHER_CLIENTS;
      c = this.perClient.get(key);
      if (c === undefined) {
        c = { requests: 0, accepted: 0, rejected: 0, accounting: 0 };
        this.perClient.set(key, c);
      }
    }
    return c;
  }

  /** The busiest clients (by requests), for /api/stats and the status page. */
  clients(limit = 20): Array<{ device: string } & ClientCounts> {
    return [...this.perClient]
      .map(([device, c]) => ({ device, ...c }))
      .sort((a, b) => b.requests - a.requests)
      .slice(0, limit);
  }
}
