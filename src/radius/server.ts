// The RADIUS server engine (RFC 2865, 2866, 3579, 5080, 5997) in the TACACS+ shape
// (engine-types.ts): datagrams and answers in, outputs (send | job | forward | note) out. No
// sockets, no policy calls, no timers, no real time (a Clock is injected); src/transport/radius-udp.ts
// performs the outputs.
//
// API
//   new RadiusServer(deps)
//   handle(datagram, source, listener, out)   appends the outputs for one datagram
//   answer(ticket, answer, out)               appends the outputs for a job's or a forward's outcome
//   inFlight, duplicates, stop()
//
// Order of checks for every datagram, cheapest and least trusting first:
//   1. the client is the datagram's source address, resolved through the device index — never
//      NAS-IP-Address; unknown clients and groups without a radius secret: silent drop;
//   2. the per-client token bucket; 3. the codec's length rules;
//   4. the code must belong to the port (auth: Access-Request, Status-Server; acct:
//      Accounting-Request, Status-Server);
//   5. authenticators with the client's secret (checks.ts): Message-Authenticator whenever present
//      (RFC 3579 §3.2), mandatory for Status-Server (RFC 5997 §3), EAP (RFC 3579 §3.1), for groups
//      with require_message_authenticator, and — BlastRADIUS, CVE-2024-3596 — for any
//      Access-Request carrying Proxy-State; the Accounting Request Authenticator (RFC 2866 §3);
//   6. duplicate detection (RFC 5080 §2.2.2; only authenticated requests enter the cache, so a
//      forger cannot plant replies); 7. the proxy, if configured (a forward output; its decision
//      comes back as a "routed" answer, its reply as "proxied"); 8. local policy (a job output:
//      jobs.ts runs access.ts / the accounting commit; answers.ts builds the reply).
// Every reply echoes the request's Proxy-State attributes in order (RFC 2865 §5.33), and every
// Access-Accept/Reject carries Message-Authenticator first (encodeReply's default for those codes).
// Every request that entered the duplicate cache ends in answers.ts finish(): a reply is cached,
// no reply forgets it — otherwise retransmissions would be dropped as "in progress" until eviction.
import { buildAccountingRecord } from "./accounting-record.ts";
import { answerAccess, answerAccounting, encode, finish, NO_ATTRS, type Ctx } from "./answers.ts";
import { checkAuthenticity } from "./checks.ts";
import { AttrType, Code, decodePacket, getAttr } from "./codec/packet.ts";
import { PacketSalts } from "./codec/user-password.ts";
import { DropReason, type DropReasonCode } from "./counters.ts";
import { decided, proxiedResult } from "./decision.ts";
import { DuplicateCache, duplicateKey } from "./duplicates.ts";
import type {
  RadiusAnswer,
  RadiusListenerRef,
  RadiusOutput,
  RadiusServerDeps,
  RadiusSource,
  RadiusTicket,
} from "./engine-types.ts";
import { ReplyAttributeMapper } from "./reply-attributes.ts";

export type * from "./engine-types.ts";

/** Requests waiting for policy, storage or a home server at once; beyond it new ones are dropped. */
export const MAX_IN_FLIGHT = 65_536;
const NO_REPLY_ATTRS: readonly never[] = [];
const textDecoder = new TextDecoder();

export class RadiusServer {
  readonly duplicates: DuplicateCache;
  readonly clock: RadiusServerDeps["clock"];
  readonly replies: ReplyAttributeMapper;
  inFlight = 0;
  /** Send requests to the proxy first (step 7); the transport sets it when a proxy is attached. */
  proxied: boolean;
  private stopping = false;
  /** Where the reply mapper's notes go while an answer is being built. */
  private sink: RadiusOutput[] | null = null;

  constructor(private readonly d: RadiusServerDeps) {
    this.duplicates = new DuplicateCache(d.duplicates);
    this.clock = d.clock;
    this.proxied = d.proxied ?? false;
    this.replies = new ReplyAttributeMapper(d.dictionary, (a, why) =>
      this.sink?.push({
        kind: "note",
        note: { what: "reply-attribute-skipped", attribute: a.name, reason: why },
      }),
    );
  }

  /** New datagrams are dropped from now on; replies already under way still complete. */
  stop(): void {
    this.stopping = true;
  }

  handle(
    datagram: Uint8Array,
    source: RadiusSource,
    listener: RadiusListenerRef,
    out: RadiusOutput[],
  ): void {
    const { d } = this;
    const start = d.clock.now();
    const device = d.devices.resolve(source.address, null);
    const group = device?.groupName ?? "";
    const port = listener.kind;
    out.push({
      kind: "note",
      note: { what: "received", port, group, device: device?.deviceName ?? null },
    });
    if (this.stopping) return drop(out, group, DropReason.stopping);
    if (device === null) {
      out.push({ kind: "note", note: { what: "unknown-client", client: source.address } });
      return;
    }
    const secret = device.radiusSecret;
    if (secret === null) return drop(out, group, DropReason.noSecret);
    if (d.admit !== undefined && !d.admit(source.address, start))
      return drop(out, group, DropReason.rateLimited);
    const dec = decodePacket(datagram);
    if (!dec.ok) {
      out.push({
        kind: "note",
        note: {
          what: "malformed",
          client: source.address,
          group,
          code: dec.code,
          detail: dec.detail,
        },
      });
      return;
    }
    const packet = dec.value;
    const code = packet.code;
    const isStatus = code === Code.StatusServer;
    const expected = port === "auth" ? Code.AccessRequest : Code.AccountingRequest;
    if (code !== expected && !isStatus) return drop(out, group, DropReason.unknownCode);
    const bad = checkAuthenticity(packet, device, secret);
    if (bad !== null) {
      out.push({
        kind: "note",
        note: { what: "not-authentic", client: source.address, group, reason: bad },
      });
      return;
    }
    if (isStatus) {
      // RFC 5997 §3: answered at once, not through the duplicate cache (it is idempotent and cheap).
      out.push({ kind: "note", note: { what: "status-server", port } });
      const ok = port === "auth" ? Code.AccessAccept : Code.AccountingResponse;
      const reply = encode(packet, secret, ok, NO_ATTRS, true, out);
      if (reply === null) return drop(out, group, DropReason.internal);
      const seconds = (d.clock.now() - start) / 1000;
      out.push({ kind: "note", note: { what: "answered", port, seconds } });
      out.push({ kind: "send", bytes: reply, to: source, via: listener });
      return;
    }
    const key = duplicateKey(listener.id, source.address, source.port, packet.identifier);
    const seen = this.duplicates.check(key, packet.authenticator, start);
    if (seen.kind === "resend") {
      out.push({ kind: "note", note: { what: "resent", port } });
      out.push({ kind: "send", bytes: seen.reply, to: source, via: listener });
      return;
    }
    if (seen.kind === "in-progress") return drop(out, group, DropReason.duplicate);
    if (this.inFlight >= MAX_IN_FLIGHT) {
      this.duplicates.forget(key, packet.authenticator);
      return drop(out, group, DropReason.overload);
    }
    const c: Ctx = {
      packet,
      device,
      secret,
      source,
      listener,
      key,
      start,
      userName: null,
      salts: null,
      recordType: "",
    };
    if (!this.proxied) return this.local(c, undefined, out);
    this.inFlight++;
    out.push({
      kind: "forward",
      ticket: c,
      request: packet,
      context: {
        clientIp: source.address,
        clientPort: source.port,
        deviceName: device.deviceName,
        deviceGroup: group,
        nasSecret: secret,
        port,
      },
    });
  }

  /** The outcome of a job or a forward this engine asked for; exactly once per ticket. */
  answer(ticket: RadiusTicket, a: RadiusAnswer, out: RadiusOutput[]): void {
    const c = ticket as Ctx;
    this.inFlight--;
    this.sink = out;
    try {
      this.settle(c, a, out);
    } catch (e) {
      // Without this the request would stay "in progress" in the duplicate cache and every
      // retransmission would be dropped until the entry expired (RFC 2865 §4.1: a reply MUST go).
      this.failed(c, e instanceof Error ? e.message : String(e), out);
    } finally {
      this.sink = null;
    }
  }

  private settle(c: Ctx, a: RadiusAnswer, out: RadiusOutput[]): void {
    switch (a.kind) {
      case "access":
        return answerAccess(this, c, a.outcome, a.reply, c.salts, out);
      case "account":
        if (a.ok) return answerAccounting(this, c, c.recordType, out);
        out.push({ kind: "note", note: decided(c, "failed", "store-error", this.clock.now()) });
        out.push({
          kind: "note",
          note: {
            what: "internal",
            event: "radius_accounting_not_stored",
            reason: a.detail,
            device: c.device.deviceName,
          },
        });
        return finish(this, c, null, DropReason.storageFailed, out);
      case "proxied":
        if (a.bytes !== null) {
          // A home server's answer, or our own Access-Reject when none answered in time.
          const result = a.homeServer === null ? "reject" : proxiedResult(a.bytes);
          const reason = a.homeServer === null ? "home-server-timeout" : "proxied";
          out.push({
            kind: "note",
            note: decided(c, result, reason, this.clock.now(), a.realm, a.homeServer),
          });
        }
        return finish(this, c, a.bytes, DropReason.proxy, out);
      case "failed":
        return this.failed(c, a.detail, out, a.event);
      case "routed": {
        const r = a.decision;
        if (r.kind === "local") return this.local(c, r.userName, out);
        if (r.kind === "reject" && c.listener.kind === "auth") {
          const outcome = { allow: false, reason: `proxy-${r.reason}`, extra: [] };
          return answerAccess(this, c, outcome, NO_REPLY_ATTRS, null, out);
        }
        if (r.kind === "drop")
          out.push({
            kind: "note",
            note: { what: "proxy-drop", reason: r.reason, device: c.device.deviceName },
          });
        return finish(this, c, null, DropReason.proxy, out);
      }
    }
  }

  /** Step 8: local policy, through a job. `userName`: the proxy's stripped name, if any. */
  private local(c: Ctx, userName: string | undefined, out: RadiusOutput[]): void {
    if (c.listener.kind === "acct") {
      const record = buildAccountingRecord(this.d.dictionary, c.packet.attributes, {
        time: this.d.clock.wall(),
        clientIp: c.source.address,
        device: c.device.deviceName,
        deviceGroup: c.device.groupName,
        userName: userName ?? null,
      });
      c.recordType = record.recordType;
      // The record's User-Name (the realm's stripped one, if any), for the decision record.
      c.userName = record.username;
      this.inFlight++;
      out.push({ kind: "job", ticket: c, job: { kind: "account", record } });
      return;
    }
    const raw = getAttr(c.packet, AttrType.UserName);
    c.userName = userName ?? (raw === undefined ? null : textDecoder.decode(raw));
    if (c.userName === null || c.userName.length === 0) {
      const outcome = { allow: false, reason: "no-user-name", extra: [] };
      return answerAccess(this, c, outcome, NO_REPLY_ATTRS, null, out);
    }
    // One reply's salts: MS-MPPE keys (access.ts) and Tunnel-Passwords (the reply attributes).
    const salts = new PacketSalts();
    c.salts = salts;
    this.inFlight++;
    out.push({
      kind: "job",
      ticket: c,
      job: {
        kind: "access",
        packet: c.packet,
        secret: c.secret,
        userName: c.userName,
        clientIp: c.source.address,
        device: c.device,
        salts,
      },
    });
  }

  private failed(
    c: Ctx,
    reason: string,
    out: RadiusOutput[],
    event = "radius_internal_error",
  ): void {
    out.push({ kind: "note", note: { what: "internal", event, reason } });
    finish(this, c, null, DropReason.internal, out);
  }
}

function drop(out: RadiusOutput[], group: string, reason: DropReasonCode): void {
  out.push({ kind: "note", note: { what: "dropped", group, reason } });
}
