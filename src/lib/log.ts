// Structured logging: one record per event (time, level, event, then fields), written to one or
// more destinations (LogSink: stdout JSON by default; the file and syslog sinks live in
// src/transport/log-sinks.ts, their formats in log-format.ts), each with its own level. The
// logger's own `level` is the gate in front of all of them: the lowest level any sink wants. Fields whose name looks like a secret are replaced by "[redacted]" as a last line
// of defence; callers must not pass secrets at all.
//
// Bad input must not flood the log: `limited(key, ...)` logs the first event of a burst and then
// at most one line per interval per key, carrying how many were suppressed in between. Keys usually
// name a source address, and a flood from many (spoofed) addresses would still write one line per
// address, so each event also has a budget of `maxLinesPerEvent` lines per interval across all its
// keys; lines over it are counted and reported on the event's next line (`suppressed_other`).

import { formatJson, type Level, type LogRecord } from "./log-format.ts";

export type { Level, LogRecord } from "./log-format.ts";
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_FIELD = /secret|password|passwd|token|^key$|_key$|authenticator/i;

export interface Logger {
  level: Level;
  debug(event: string, fields?: Record<string, unknown>): void;
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
  /** Log at most once per interval for this key (e.g. "tacacs/bad-key:10.0.0.1"). */
  limited(level: Level, key: string, event: string, fields?: Record<string, unknown>): void;
}

/** A destination. `write` must not block and must not throw (a sink counts its own drops). */
export interface LogSink {
  readonly level: Level;
  /** `json` is the record as a JSON line, serialised once for every sink that wants it. */
  write(rec: LogRecord, json: string): void;
}

/** The logger the root builds: the destinations can be replaced while it runs (a reload). */
export interface RoutedLogger extends Logger {
  setSinks(sinks: readonly LogSink[]): void;
}

/** The lowest level among the sinks (the gate), "error" when there are none. */
export function lowestLevel(sinks: readonly LogSink[]): Level {
  let best: Level = "error";
  for (const s of sinks) if (RANK[s.level] < RANK[best]) best = s.level;
  return best;
}

export interface LoggerOptions {
  level?: Level;
  /** The single JSON-lines destination when `sinks` is not given (default: stdout). */
  write?: (line: string) => void;
  /** Destinations; the logger's level starts as the lowest of theirs. */
  sinks?: readonly LogSink[];
  now?: () => number;
  /** Interval of the flood limiter, ms. */
  intervalMs?: number;
  /** Bound on remembered limiter keys. */
  maxKeys?: number;
  /** Lines per interval per event, across all keys (default 100). */
  maxLinesPerEvent?: number;
  /** Sees every record that is written (after the level filter and the flood limiter), redacted. */
  tap?: (record: LogRecord) => void;
}

export function createLogger(opts: LoggerOptions = {}): RoutedLogger {
  const write = opts.write ?? ((line: string) => process.stdout.write(line + "\n"));
  let sinks: readonly LogSink[] = opts.sinks ?? [
    { level: "debug", write: (_rec, json) => write(json) },
  ];
  const now = opts.now ?? Date.now;
  const intervalMs = opts.intervalMs ?? 10_000;
  const maxKeys = opts.maxKeys ?? 10_000;
  const maxLinesPerEvent = opts.maxLinesPerEvent ?? 100;
  const limiter = new Map<string, { until: number; suppressed: number }>();
  /** Per event name (a code constant, so a small table): lines written this interval. */
  const budgets = new Map<string, { until: number; lines: number; suppressed: number }>();

  const emit = (level: Level, event: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < RANK[logger.level]) return;
    const rec: LogRecord = { time: new Date(now()).toISOString(), level, event };
    if (fields)
      for (const [k, v] of Object.entries(fields)) rec[k] = SECRET_FIELD.test(k) ? "[redacted]" : v;
    opts.tap?.(rec);
    const json = formatJson(rec);
    for (const s of sinks) if (RANK[level] >= RANK[s.level]) s.write(rec, json);
  };

  const logger: RoutedLogger = {
    level: opts.level ?? (opts.sinks ? lowestLevel(opts.sinks) : "info"),
    setSinks(next) {
      sinks = next;
      logger.level = lowestLevel(next);
    },
    debug: (e, f) => emit("debug", e, f),
    info: (e, f) => emit("info", e, f),
    warn: (e, f) => emit("warn", e, f),
    error: (e, f) => emit("error", e, f),
    limited(level, key, event, fields) {
      if (RANK[level] < RANK[logger.level]) return;
      const t = now();
      const slot = limiter.get(key);
      if (slot && t < slot.until) {
        slot.suppressed++;
        return;
      }
      const suppressed = slot?.suppressed ?? 0;
      if (!slot && limiter.size >= maxKeys) {
        // Forget every key rather than grow without bound. (Not "evict the oldest": a Map used as
        // a queue walks its deleted slots from the front, ~25 µs per call once full — under the
        // very flood this limits.) The worst case is one more line per key, still within budget.
        limiter.clear();
      }
      if (slot) {
        slot.until = t + intervalMs;
        slot.suppressed = 0;
      } else limiter.set(key, { until: t + intervalMs, suppressed: 0 });
      let b = budgets.get(event);
      if (b === undefined || t >= b.until) {
        b = { until: t + intervalMs, lines: 0, suppressed: b?.suppressed ?? 0 };
        budgets.set(event, b);
      }
      if (b.lines >= maxLinesPerEvent) {
        b.suppressed++;
        return;
      }
      b.lines++;
      const other = b.suppressed;
      b.suppressed = 0;
      emit(
        level,
        event,
        suppressed > 0 || other > 0
          ? {
              ...fields,
              ...(suppressed > 0 ? { suppressed } : {}),
              ...(other > 0 ? { suppressed_other: other } : {}),
            }
          : fields,
      );
    },
  };
  return logger;
}

/** A logger that discards everything (tests, CLI). */
export const silentLogger: Logger = createLogger({ write: () => {} });
