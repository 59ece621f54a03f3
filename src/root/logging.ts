// The logger's destinations from [log]: built at start-up, replaced by a reload that changes
// [log], the file reopened on SIGUSR1 (src/main.ts), drained at shutdown. The drop counter
// (aaa_log_dropped_total) counts from the first line, before the metrics registry exists.
import type { Config } from "../config/schema.ts";
import type { Level, RoutedLogger } from "../lib/log.ts";
import type { Registry } from "../lib/metrics.ts";
import { LogDrops, LogOutputs, type LogDestinations } from "../transport/log-sinks.ts";

type LogConfig = Config["log"];

/** The levels of the destinations, in the order LogOutputs.open builds them. */
function levelsOf(d: LogDestinations): Level[] {
  return [
    ...(d.stdout ? [d.stdout.level] : []),
    ...(d.file ? [d.file.level] : []),
    ...d.syslog.map((s) => s.level),
  ];
}

/** What must reopen when it changes: everything but the levels. */
function shapeOf(d: LogDestinations): string {
  return JSON.stringify(d, (k, v) => (k === "level" ? undefined : v));
}

/** [log] → destinations, each level defaulting to [log] level. */
export function logDestinations(c: LogConfig): LogDestinations {
  return {
    stdout: c.stdout ? { level: c.level, format: c.format } : null,
    file: c.file
      ? { path: c.file.path, level: c.file.level ?? c.level, format: c.file.format }
      : null,
    syslog: c.syslog.map((s) => ({
      target: s.target,
      facility: s.facility,
      level: s.level ?? c.level,
      format: s.format,
      structured_data: s.structured_data,
    })),
  };
}

export class Logging {
  readonly drops = new LogDrops();
  private outputs: LogOutputs;
  private current: LogDestinations;
  private log: RoutedLogger | null = null;

  /** Opens the destinations of `c`; throws (a start-up failure) naming the key that failed. */
  constructor(c: LogConfig) {
    this.outputs = LogOutputs.open(logDestinations(c), this.drops);
    this.current = logDestinations(c);
  }

  get sinks() {
    return this.outputs.sinks;
  }

  /** The logger whose destinations apply() replaces. */
  bind(log: RoutedLogger): void {
    this.log = log;
  }

  /** aaa_log_dropped_total in the runtime's registry. */
  register(registry: Registry): void {
    this.drops.attach(
      registry.counter(
        "aaa_log_dropped_total",
        "Log lines a destination could not take (queue full, socket busy, write failed), by destination and reason",
        ["destination", "reason"],
      ),
    );
  }

  /**
   * A reload. Levels only: set in place (a `level = "debug"` reload reconnects nothing). Otherwise
   * open the new destinations, switch, drain the old. A destination that cannot open keeps the
   * old set and says so (the rest of the reload stands).
   */
  apply(c: LogConfig): void {
    const next = logDestinations(c);
    if (!this.log) return;
    if (shapeOf(next) === shapeOf(this.current)) {
      const levels = levelsOf(next);
      this.outputs.sinks.forEach((s, i) => (s.level = levels[i] ?? s.level));
      this.log.setSinks(this.outputs.sinks);
      this.current = next;
      return;
    }
    let opened: LogOutputs;
    try {
      opened = LogOutputs.open(next, this.drops);
    } catch (e) {
      this.log.error("log_destinations_unchanged", { reason: (e as Error).message });
      return;
    }
    const old = this.outputs;
    this.outputs = opened;
    this.current = next;
    this.log.setSinks(opened.sinks);
    void old.close();
    this.log.info("log_destinations_changed", {
      destinations: opened.sinks.map((s) => s.name),
    });
  }

  /** SIGUSR1: logrotate renamed the file; write to a new one at the path. */
  reopen(): void {
    this.outputs.reopen();
  }

  close(): Promise<void> {
    return this.outputs.close();
  }
}
