// JSON-lines logging on stdout (container-friendly). One object per line: time, level, event,
// then fields. Fields whose name looks like a secret are replaced by "[redacted]" as a last line
// of defence; callers must not pass secrets at all.
//
// Bad input must not flood the log: `limited(key, ...)` logs the first event of a burst and then
// at most one line per interval per key, carrying how many were suppressed in between. Keys usually
// name a source address, and a flood from many (spoofed) addresses would still write one line per
// address, so each event also has a budget of `maxLinesPerEvent` lines per interval across all its
// keys; lines over it are counted and reported on the event's next line (`suppressed_other`).

export type Level = "debug" | "info" | "warn" | "error";
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

export interface LoggerOptions {
  level?: Level;
  write?: (line: string) => void;
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

export interface LogRecord {
  time: string;
  level: Level;
  event: string;
  [field: string]: unknown;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const write = opts.write ?? ((line: string) => process.stdout.write(line + "\n"));
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
    let line: string;
    try {
      line = JSON.stringify(rec, (_k, v) =>
        typeof v === "bigint" ? v.toString() : v instanceof Error ? v.message : v,
      );
    } catch {
      line = JSON.stringify({ time: rec.time, level, event, note: "unserialisable fields" });
    }
    write(line);
  };

  const logger: Logger = {
    level: opts.level ?? "info",
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
