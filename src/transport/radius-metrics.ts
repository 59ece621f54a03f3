// The one place RADIUS engine notes (src/radius/engine-types.ts) become counters and log lines, as
// transport/tacacs-metrics.ts does for TACACS+. Label values come from closed sets: device groups
// (admin-defined), reason codes (DropReason, policy reasons cut with reasonKind), listener kinds.
// Per-device figures go to a bounded table for /api/stats and the status page, never to labels.
// Levels: a client's mistakes (malformed, not authentic, unknown) at info/warn; error is for the
// server's own failures only (issue 21, defect 9).
import type { Logger } from "../lib/log.ts";
import { DecisionStream } from "../policy/decision-record.ts";
import { reasonKind, type ReasonCode } from "../policy/decisions.ts";
import { DropReason, type RadiusCounters } from "../radius/counters.ts";
import type { RadiusNote } from "../radius/engine-types.ts";

interface ClientCounts {
  requests: number;
  accepted: number;
  rejected: number;
  accounting: number;
}
const MAX_CLIENTS = 10_000;
const OTHER_CLIENTS = "(other devices)";
const MAX_LABELS = 10_000;

export class RadiusNotes {
  /** Per-device request counts, bounded (MAX_CLIENTS; past it the rest share one row). */
  private readonly perClient = new Map<string, ClientCounts>();
  private readonly groupLabels = new Map<string, { device_group: string }>();
  private readonly portLabels = { auth: { port: "auth" }, acct: { port: "acct" } } as const;

  constructor(
    readonly counters: RadiusCounters,
    private readonly log: Logger,
    /** Each answered request's record (the auth log and the status page subscribe). */
    private readonly decisions: DecisionStream = new DecisionStream(),
  ) {}

  record(n: RadiusNote): void {
    const { counters: c, log } = this;
    switch (n.what) {
      case "received":
        c.requests.inc({ port: n.port, device_group: n.group });
        if (n.device !== null) this.client(n.device).requests++;
        return;
      case "dropped":
        c.dropped.inc({ device_group: n.group, reason: n.reason });
        return;
      case "unknown-client":
        log.limited("info", `radius/unknown-client:${n.client}`, "radius_unknown_client", {
          client_ip: n.client,
        });
        c.dropped.inc({ device_group: "", reason: DropReason.unknownClient });
        return;
      case "malformed":
        c.malformed.inc({ code: n.code });
        log.limited("info", `radius/malformed:${n.client}`, "radius_malformed", {
          client_ip: n.client,
          code: n.code,
          detail: n.detail,
        });
        c.dropped.inc({ device_group: n.group, reason: DropReason.malformed });
        return;
      case "not-authentic":
        log.limited("warn", `radius/${n.reason}:${n.client}`, "radius_request_not_authentic", {
          client_ip: n.client,
          device: n.group,
          reason: n.reason,
        });
        c.dropped.inc({ device_group: n.group, reason: n.reason });
        return;
      case "status-server":
        c.statusServer.inc(this.portLabels[n.port]);
        return;
      case "resent":
        c.resent.inc(this.portLabels[n.port]);
        return;
      case "accepted":
        c.accepted.inc(this.group(n.group));
        this.client(n.device).accepted++;
        return;
      case "rejected":
        c.rejected.inc({ device_group: n.group, reason: reasonKind(n.reason as ReasonCode) });
        this.client(n.device).rejected++;
        return;
      case "accounted":
        c.accounting.inc({ device_group: n.group, type: n.type });
        this.client(n.device).accounting++;
        return;
      case "answered":
        c.latency.observe(n.seconds, this.portLabels[n.port]);
        return;
      case "decided":
        this.decisions.emit(n.record);
        return;
      case "proxy-drop":
        log.limited("info", `radius/proxy-drop:${n.reason}`, "radius_proxy_drop", {
          reason: n.reason,
          device: n.device,
        });
        return;
      case "reply-attribute-skipped":
        log.limited("warn", `radius/reply-attr:${n.attribute}`, "radius_reply_attribute_skipped", {
          attribute: n.attribute,
          reason: n.reason,
        });
        return;
      case "send-failed":
        if (n.reason !== undefined)
          log.limited("info", `radius/send:${n.address}`, "radius_send_failed", {
            address: n.address,
            reason: n.reason,
          });
        c.dropped.inc({ device_group: "", reason: DropReason.sendFailed }, n.count);
        return;
      case "socket-error":
        log.limited(n.level, `radius/socket:${n.address}`, "radius_socket_error", {
          address: n.address,
          reason: n.reason,
        });
        return;
      case "internal":
        log.limited(
          "error",
          `radius/${n.event}`,
          n.event,
          n.device === undefined ? { reason: n.reason } : { device: n.device, reason: n.reason },
        );
        return;
    }
  }

  /** The busiest clients (by requests), for /api/stats and the status page. */
  clients(limit = 20): Array<{ device: string } & ClientCounts> {
    return [...this.perClient]
      .map(([device, c]) => ({ device, ...c }))
      .sort((a, b) => b.requests - a.requests)
      .slice(0, limit);
  }

  private group(group: string): { device_group: string } {
    let l = this.groupLabels.get(group);
    if (l === undefined) {
      if (this.groupLabels.size > MAX_LABELS) this.groupLabels.clear();
      l = { device_group: group };
      this.groupLabels.set(group, l);
    }
    return l;
  }

  private client(device: string): ClientCounts {
    let c = this.perClient.get(device);
    if (c === undefined) {
      const key = this.perClient.size < MAX_CLIENTS ? device : OTHER_CLIENTS;
      c = this.perClient.get(key);
      if (c === undefined) {
        c = { requests: 0, accepted: 0, rejected: 0, accounting: 0 };
        this.perClient.set(key, c);
      }
    }
    return c;
  }
}
