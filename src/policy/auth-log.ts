// Consumers of the decision stream (decision-record.ts): the auth-log line, the status page's
// recent failures and its top clients. Each is a DecisionSubscriber; the root subscribes them.
import type { Logger } from "../lib/log.ts";
import type { Ring } from "../lib/recent.ts";
import { isFailure, type DecisionRecord } from "./decision-record.ts";

/** `[log] auth`: every decision, only the failures, or none. */
export type AuthLogMode = "all" | "failures" | "off";

/**
 * Writes one line per decision: event = the record's event (tacacs_authen, radius_access, ...),
 * the record's fields as they are, every field always present (null when it does not apply), so
 * tools read one shape. Accepts and rejects both log at info: an auth log that put rejects at
 * another level than accepts would lose half the story at some destination's level. The line is
 * not flood-limited (every attempt of a brute force is the evidence), but its fields are bounded:
 * names, addresses and codes, never packet data, a secret or a password.
 */
export class AuthLog {
  constructor(
    private readonly log: Logger,
    public mode: AuthLogMode,
  ) {}

  readonly consume = (r: DecisionRecord): void => {
    const mode = this.mode;
    if (mode === "off" || (mode === "failures" && !isFailure(r.result))) return;
    // The logger copies fields into its record: the DecisionRecord itself is the field object.
    this.log.info(r.event, r as unknown as Record<string, unknown>);
  };
}

/** A failure row for the status page (StatusModel["recentFailures"]). */
export interface FailureRow {
  time: string;
  protocol: string;
  client: string;
  reason: string;
  user?: string;
}

/** Feeds the status page's recent failures from the stream (both protocols). */
export function failureFeed(
  ring: Ring<FailureRow>,
  wall: () => number = Date.now,
): (r: DecisionRecord) => void {
  return (r) => {
    if (!isFailure(r.result)) return;
    ring.push({
      time: new Date(wall()).toISOString(),
      protocol: r.protocol,
      client: r.client,
      reason: r.reason,
      ...(r.user === "" ? {} : { user: r.user }),
    });
  };
}

export interface ClientTally {
  client: string;
  device: string;
  protocol: string;
  requests: number;
}

/**
 * Decisions per client address and protocol, for the status page's top clients. Bounded: once
 * `max` clients are known a new one replaces the one with the fewest requests (a scan of `max`
 * entries, only when a new address shows up — rare next to the requests of known ones).
 */
export class TopClients {
  /** One table per protocol, keyed by address: no key string built per request. */
  private readonly tables = {
    tacacs: new Map<string, ClientTally>(),
    radius: new Map<string, ClientTally>(),
  };
  private size = 0;
  constructor(private readonly max = 256) {}

  readonly consume = (r: DecisionRecord): void => {
    const table = this.tables[r.protocol];
    const t = table.get(r.client);
    if (t !== undefined) {
      t.requests++;
      t.device = r.device;
      return;
    }
    if (this.size >= this.max) this.evictLeast();
    table.set(r.client, { client: r.client, device: r.device, protocol: r.protocol, requests: 1 });
    this.size++;
  };

  private evictLeast(): void {
    let least: { table: Map<string, ClientTally>; key: string } | null = null;
    let n = Infinity;
    for (const table of [this.tables.tacacs, this.tables.radius])
      for (const [key, v] of table)
        if (v.requests < n) {
          n = v.requests;
          least = { table, key };
        }
    if (least !== null && least.table.delete(least.key)) this.size--;
  }

  /** The busiest `n`, most requests first. */
  top(n: number): ClientTally[] {
    return [...this.tables.tacacs.values(), ...this.tables.radius.values()]
      .sort((a, b) => b.requests - a.requests)
      .slice(0, n);
  }
}
