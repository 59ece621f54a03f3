// JSON-lines logging on stdout (container-friendly). One object per line: time, level, event,
// then fields. Fields whose name looks like a secret are replaced by "[redacted]" as a last line
// of defence; callers must not pass secrets at all.
//
// Bad input must not flood the log: `limited(key, ...)` logs the first event of a burst and then
// at most one line per interval per key, carrying how many were suppressed in between.

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
  const limiter = new Map<string, { until: number; suppressed: number }>();

  const emit = (level: Level, event: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < RANK[logger.level]) return;
    const rec: LogRecord = { time: new Date(now()).toISOString(), level, event };
    if (fields) for (const [k, v] of Object.entries(fields)) rec[k] = SECRET_FIELD.test(k) ? "[redacted]" : v;
    opts.tap?.(rec);
    let line: string;
    try {
      line = JSON.stringify(rec, (_k, v) => (typeof v === "bigint" ? v.toString() : v instanceof Error ? v.message : v));
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
        // Forget the oldest key rather than grow without bound.
        const oldest = limiter.keys().next().value;
        if (oldest !== undefined) limiter.delete(oldest);
      }
      limiter.delete(key);
      limiter.set(key, { until: t + intervalMs, suppressed: 0 });
      emit(level, event, suppressed > 0 ? { ...fields, suppressed } : fields);
    },
  };
  return logger;
}

/** A logger that discards everything (tests, CLI). */
export const silentLogger: Logger = createLogger({ write: () => {} });
