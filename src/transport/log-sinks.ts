// Where log lines go: stdout, a file (reopened on SIGUSR1 for logrotate) and syslog collectors
// (syslog-sinks.ts). Each destination has its own level and format (src/lib/log-format.ts).
// Nothing here blocks the event loop or grows without bound: a destination that is slow or down
// holds a bounded queue, and what does not fit is dropped and counted by destination and reason
// (aaa_log_dropped_total) — never lost silently.
import { closeSync, openSync, write, writeSync } from "node:fs";
import { hostname } from "node:os";
import { formatLine, type LineFormat } from "../lib/log-format.ts";
import type { Level, LogRecord } from "../lib/log.ts";
import type { LogDrops, ManagedSink, SyslogTarget } from "./log-drops.ts";
import { syslogSink } from "./syslog-sinks.ts";

export { LogDrops, type ManagedSink, type SyslogTarget } from "./log-drops.ts";

/** The destinations, resolved by the root from [log] (levels already defaulted). */
export interface LogDestinations {
  stdout: { level: Level; format: LineFormat } | null;
  file: { path: string; level: Level; format: LineFormat } | null;
  syslog: SyslogTarget[];
}

/** Bytes stdout may hold unwritten (a stuck reader: a pipe nobody drains); then lines drop. */
const STDOUT_PENDING_BYTES = 8 << 20;

/**
 * Bun's process.stdout.write never blocks: a full pipe buffers in the runtime without bound
 * (writableLength stays 0). write() returning false and "drain" are the only signals: bytes
 * written since the last drain are the bound. Bun fires "drain" after each flushed chunk, so a
 * slow reader keeps resetting it; only a reader that takes nothing reaches the bound.
 */
function stdoutSink(o: { level: Level; format: LineFormat }, drops: LogDrops): ManagedSink {
  let pending = 0;
  const drained = () => void (pending = 0);
  process.stdout.on("drain", drained);
  return {
    name: "stdout",
    level: o.level,
    write(rec, json) {
      const line = formatLine(rec, o.format, json) + "\n";
      if (pending > STDOUT_PENDING_BYTES) return drops.drop("stdout", "queue_full");
      if (!process.stdout.write(line)) pending += line.length;
    },
    close: async () => void process.stdout.off("drain", drained),
  };
}

/** Bytes a file destination may hold in memory while the disk is slow (then lines are dropped). */
const FILE_QUEUE_BYTES = 8 << 20;

/**
 * Appends lines with asynchronous writes, one batch in flight at a time. reopen() (SIGUSR1) takes
 * effect between batches: the batch in flight completes into the renamed file, the next one goes
 * to a new file at the path. A failed open keeps writing to the old descriptor, so nothing is lost
 * to a permission mistake; it is reported on stderr.
 */
export class FileSink implements ManagedSink {
  readonly name = "file";
  private fd: number;
  private queue: string[] = [];
  private queued = 0;
  private writing = false;
  private reopenAsked = false;
  private closed = false;
  private idle: Array<() => void> = [];

  constructor(
    readonly path: string,
    public level: Level,
    private readonly format: LineFormat,
    private readonly drops: LogDrops,
  ) {
    this.fd = openSync(path, "a", 0o640); // a start-up failure: the caller reports the path
  }

  write(rec: LogRecord, json: string): void {
    if (this.closed) return this.drops.drop(this.name, "closed");
    const line = formatLine(rec, this.format, json) + "\n";
    if (this.queued + line.length > FILE_QUEUE_BYTES)
      return this.drops.drop(this.name, "queue_full");
    this.queue.push(line);
    this.queued += line.length;
    this.pump();
  }

  reopen(): void {
    this.reopenAsked = true;
    this.pump();
  }

  private swapDescriptor(): void {
    this.reopenAsked = false;
    try {
      const fd = openSync(this.path, "a", 0o640);
      closeSync(this.fd);
      this.fd = fd;
    } catch (e) {
      process.stderr.write(
        `log file ${this.path}: reopen failed, still writing the old file: ${e}\n`,
      );
    }
  }

  private pump(): void {
    if (this.writing) return;
    if (this.reopenAsked) this.swapDescriptor();
    if (this.queue.length === 0) {
      for (const f of this.idle.splice(0)) f();
      return;
    }
    const lines = this.queue.length;
    const buf = Buffer.from(this.queue.join(""));
    this.queue = [];
    this.queued = 0;
    this.writing = true;
    const writeFrom = (off: number) =>
      write(this.fd, buf, off, buf.length - off, null, (err, n) => {
        if (!err && off + n < buf.length) return writeFrom(off + n); // a short write: the rest
        this.writing = false;
        if (err) this.drops.drop(this.name, "write_error", lines);
        this.pump();
      });
    writeFrom(0);
  }

  flushSync(): void {
    if (this.queue.length === 0) return;
    try {
      writeSync(this.fd, this.queue.join(""));
    } catch {
      this.drops.drop(this.name, "write_error", this.queue.length);
    }
    this.queue = [];
    this.queued = 0;
  }

  close(): Promise<void> {
    this.closed = true;
    return new Promise<void>((done) => {
      this.idle.push(() => {
        closeSync(this.fd);
        done();
      });
      this.pump();
    });
  }
}

/** The set of destinations in use; replaced as a whole on reload. */
export class LogOutputs {
  private constructor(readonly sinks: readonly ManagedSink[]) {}

  /** Opens every destination; throws (start-up failure) naming the one that could not open. */
  static open(d: LogDestinations, drops: LogDrops): LogOutputs {
    const sinks: ManagedSink[] = [];
    const header = { hostname: hostname(), appName: "aaa-proxy", procId: String(process.pid) };
    try {
      if (d.stdout) sinks.push(stdoutSink(d.stdout, drops));
      if (d.file) {
        try {
          sinks.push(new FileSink(d.file.path, d.file.level, d.file.format, drops));
        } catch (e) {
          throw new Error(`log.file.path: cannot open ${d.file.path}: ${(e as Error).message}`);
        }
      }
      d.syslog.forEach((t, i) => sinks.push(syslogSink(t, i, header, drops)));
    } catch (e) {
      for (const s of sinks) void s.close();
      throw e;
    }
    const outputs = new LogOutputs(sinks);
    process.on("exit", outputs.onExit);
    return outputs;
  }

  private readonly onExit = () => {
    for (const s of this.sinks) s.flushSync?.();
  };

  /** SIGUSR1: reopen the file (after logrotate renamed it). */
  reopen(): void {
    for (const s of this.sinks) s.reopen?.();
  }

  /** Drain and close every destination, waiting at most `ms`. */
  async close(ms = 2_000): Promise<void> {
    process.off("exit", this.onExit);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(this.sinks.map((s) => s.close())),
      new Promise<void>((r) => (timer = setTimeout(r, ms))),
    ]);
    clearTimeout(timer);
    this.onExit();
  }
}
