// What every log destination shares: its interface towards the manager, its syslog options,
// and the drop count (aaa_log_dropped_total{destination,reason}).
import type { Facility, LineFormat } from "../lib/log-format.ts";
import type { Level, LogSink } from "../lib/log.ts";
import type { Counter } from "../lib/metrics.ts";

export interface SyslogTarget {
  /** "udp://host:port", "tcp://host:port" or "unix:///dev/log". */
  target: string;
  facility: Facility;
  level: Level;
  format: LineFormat;
  structured_data: boolean;
}

/** Dropped lines by destination and reason; counted before the metrics registry exists. */
export class LogDrops {
  private readonly counts = new Map<string, { destination: string; reason: string; n: number }>();
  private counter: Counter | null = null;

  drop(destination: string, reason: string, n = 1): void {
    if (this.counter) return this.counter.inc({ destination, reason }, n);
    const k = `${destination}\0${reason}`;
    const c = this.counts.get(k);
    if (c) c.n += n;
    else this.counts.set(k, { destination, reason, n });
  }

  /** From now on count into `counter` (aaa_log_dropped_total), with what was counted so far. */
  attach(counter: Counter): void {
    for (const c of this.counts.values())
      counter.inc({ destination: c.destination, reason: c.reason }, c.n);
    this.counts.clear();
    this.counter = counter;
  }
}

/** A sink the manager can reopen, drain and close. */
export interface ManagedSink extends LogSink {
  readonly name: string;
  /** Changed in place by a reload that changes levels only (nothing reopened or reconnected). */
  level: Level;
  reopen?(): void;
  /** Write what is queued and release the handle; resolves when done (bounded by the caller). */
  close(): Promise<void>;
  /** At process exit: write what is still queued, synchronously, where that is possible. */
  flushSync?(): void;
}
