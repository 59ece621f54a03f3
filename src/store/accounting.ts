// Accounting store with group commit. A record counts as stored only once its transaction has
// committed: write() returns a promise that resolves after COMMIT and rejects if the batch failed
// (disk full, read-only file, I/O error) — the engine must then not acknowledge (TACACS+ ERROR,
// no Accounting-Response), so the device retries. Records queue and are committed together when
// `maxBatch` are waiting or `commitDelay` ms passed since the first one, whichever comes first:
// one fsync-bearing COMMIT for many records instead of one each.
//
// Durability without blocking the event loop (file stores in WAL mode): a batch commits with
// `synchronous = NORMAL` (the COMMIT writes the WAL but does not wait for the disk), then the WAL
// file is fdatasync'ed on the thread pool while the event loop goes on serving requests; the
// batch's promises resolve only after that fdatasync returned. Batches committed meanwhile share
// the next fdatasync. So a record is acknowledged exactly when it would be under
// `synchronous = FULL` — committed and on disk — but a slow disk no longer stalls every other
// request for the length of each fsync. If the fdatasync fails the batch is rejected (the NAS
// retries; the record may then be stored twice, never lost). A SQLite checkpoint syncs the WAL
// itself before copying it (NORMAL's rule), so records it moves are durable either way.
// `:memory:` and non-WAL stores keep the plain synchronous COMMIT.
//
// A full volume (issue 21, defect 2): wal-guard.ts bounds the WAL by the free space and recovers
// after a failed batch; `problem` says why commits fail (health reports it) until one is stored.
import type { Statement } from "bun:sqlite";
import { closeSync, fdatasync, fdatasyncSync, openSync } from "node:fs";
import { and, desc, eq, gte, lte, type SQL } from "drizzle-orm";
import type { AccountingProtocol, AccountingRecord, AccountingSink } from "../policy/ports.ts";
import type { Store } from "./open.ts";
import { WalGuard, type AccountingProblem } from "./wal-guard.ts";
import { accounting } from "./schema.ts";

type Fdatasync = (fd: number, done: (e: Error | null) => void) => void;

export interface AccountingWriterConfig {
  /** ms to wait for more records before committing (config accounting.commit_delay). */
  commitDelay: number;
  /** Commit as soon as this many records wait (config accounting.max_batch). */
  maxBatch: number;
  /** Tests: stands in for node:fs fdatasync (thread pool) to control when the disk "answers". */
  fdatasync?: Fdatasync;
  /**
   * Counters to continue (a reload's new writer takes the old one's): the old writer may still
   * settle batches after the swap, and both count into the same totals "since start-up".
   */
  counters?: AccountingWriterCounters;
}

/** Records committed together share one promise: no promise and no closure per record. */
interface Batch {
  records: AccountingRecord[];
  done: Promise<void>;
  resolve: () => void;
  reject: (e: Error) => void;
}

function newBatch(): Batch {
  const { promise, resolve, reject } = Promise.withResolvers<void>();
  return { records: [], done: promise, resolve, reject };
}

export interface AccountingWriterCounters {
  committed: number;
  failed: number;
  batches: number;
  queued: number;
}

const COLUMNS =
  "protocol, time, client_ip, device, device_group, username, session_id, record_type, attributes";
/** Rows per multi-row INSERT: 16 × 9 = 144 bound values, far below SQLITE_MAX_VARIABLE_NUMBER. */
const CHUNK = 16;

function insertSql(rows: number): string {
  const row = "(?, ?, ?, ?, ?, ?, ?, ?, ?)";
  return `INSERT INTO accounting (${COLUMNS}) VALUES ${Array(rows).fill(row).join(", ")}`;
}

function pushRow(out: (string | number | null)[], r: AccountingRecord): void {
  out.push(
    r.protocol,
    r.time,
    r.clientIp,
    r.device,
    r.deviceGroup,
    r.username,
    r.sessionId,
    r.recordType,
    JSON.stringify(r.attributes),
  );
}

export class AccountingWriter implements AccountingSink {
  readonly counters: AccountingWriterCounters;
  private queue: Batch = newBatch();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private immediate = false;
  private readonly insert: Statement;
  /** One INSERT of CHUNK rows: a statement step and one native call per CHUNK records, not each. */
  private readonly insertChunk: Statement;
  /** Reused bind array for insertChunk (CHUNK × COLUMNS values). */
  private readonly args: (string | number | null)[] = [];
  private closed = false;
  /** Committed batches waiting for the next fdatasync of the WAL (async mode). */
  private unsynced: Batch[] = [];
  private syncing = false;
  /** Read-only descriptor of the WAL file, opened after the first commit; null: plain FULL commits. */
  private walFd: number | null = null;
  private readonly walPath: string | null;
  /** The WAL's bound and the recovery from a full volume; null: not a WAL file store. */
  private readonly guard: WalGuard | null;
  /** Why the last batch failed; null once a batch is stored again. Health reports it. */
  problem: AccountingProblem | null = null;

  constructor(
    private readonly store: Store,
    private readonly config: AccountingWriterConfig,
  ) {
    this.counters = config.counters ?? { committed: 0, failed: 0, batches: 0, queued: 0 };
    const file = store.sqlite.filename;
    const wal =
      file !== "" &&
      file !== ":memory:" &&
      store.sqlite.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()
        ?.journal_mode === "wal";
    this.walPath = wal ? `${file}-wal` : null;
    this.guard = wal ? new WalGuard(store.sqlite, file) : null;
    this.insert = store.sqlite.prepare(insertSql(1));
    this.insertChunk = store.sqlite.prepare(insertSql(CHUNK));
  }

  write(record: AccountingRecord): Promise<void> {
    if (this.closed) return Promise.reject(new Error("accounting writer is closed"));
    const batch = this.queue;
    batch.records.push(record);
    this.counters.queued = batch.records.length;
    if (batch.records.length >= this.config.maxBatch) this.flush();
    else if (this.timer === null && !this.immediate) {
      // commit_delay 0: at the end of this event-loop turn, with everything the turn received
      // (a setTimeout of 0 would wait a whole millisecond, and every record with it).
      if (this.config.commitDelay <= 0) {
        this.immediate = true;
        setImmediate(this.flushSoon);
      } else this.timer = setTimeout(() => this.flush(), this.config.commitDelay);
    }
    return batch.done;
  }

  private readonly flushSoon = (): void => {
    this.immediate = false;
    this.flush();
  };

  /** Commit everything queued now. Every record's promise settles with the batch's outcome. */
  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const batch = this.queue;
    if (batch.records.length === 0) return;
    this.queue = newBatch();
    this.counters.queued = 0;
    const async = this.walPath !== null;
    try {
      // bun:sqlite transaction(): BEGIN, the inserts, COMMIT; ROLLBACK and rethrow on any error,
      // including a failing COMMIT. Nothing is resolved before this returns.
      if (async) this.store.sqlite.exec("PRAGMA synchronous = NORMAL");
      this.store.sqlite.transaction(() => this.insertAll(batch.records))();
    } catch (e) {
      this.fail([batch], e);
      return;
    } finally {
      // Every other write on this connection (admin changes) keeps fsync-at-commit.
      if (async) this.store.sqlite.exec("PRAGMA synchronous = FULL");
    }
    this.counters.batches++;
    if (!async) return this.settle([batch]);
    this.unsynced.push(batch);
    this.sync();
  }

  /** The batch's rows, CHUNK at a time through one multi-row INSERT, the remainder one by one. */
  private insertAll(records: AccountingRecord[]): void {
    const args = this.args;
    let i = 0;
    for (; i + CHUNK <= records.length; i += CHUNK) {
      args.length = 0;
      for (let j = i; j < i + CHUNK; j++) pushRow(args, records[j]!);
      this.insertChunk.run(...args);
    }
    for (; i < records.length; i++) {
      args.length = 0;
      pushRow(args, records[i]!);
      this.insert.run(...args);
    }
  }

  /** One fdatasync of the WAL at a time; batches committed while it runs wait for the next. */
  private sync(): void {
    if (this.syncing || this.unsynced.length === 0) return;
    const group = this.unsynced;
    this.unsynced = [];
    let fd: number;
    try {
      fd = this.walFd ??= openSync(this.walPath!, "r");
    } catch (e) {
      this.fail(group, e);
      return;
    }
    this.syncing = true;
    (this.config.fdatasync ?? fdatasync)(fd, (e) => {
      this.syncing = false;
      if (e) this.fail(group, e);
      else this.settle(group);
      if (this.closed) this.closeWal();
      else this.sync();
    });
  }

  private settle(batches: Batch[]): void {
    this.problem = null;
    for (const b of batches) {
      this.counters.committed += b.records.length;
      b.resolve();
    }
    if (this.walFd !== null && !this.closed) this.guard?.stored(this.walFd);
  }

  private fail(batches: Batch[], e: unknown): void {
    const error = e instanceof Error ? e : new Error(String(e));
    this.problem = WalGuard.problemOf(e);
    for (const b of batches) {
      this.counters.failed += b.records.length;
      b.reject(error);
    }
    this.guard?.failed();
  }

  /** Free space on the store's volume and the WAL's size, for metrics (-1: unknown / no file). */
  storage(): { freeBytes: number; walBytes: number } {
    return this.guard?.storage() ?? { freeBytes: -1, walBytes: 0 };
  }

  /**
   * Commit what is queued and refuse further writes. Batches still waiting for their fdatasync
   * are synced here, synchronously, so nothing committed is left unacknowledged or undurable.
   */
  close(): void {
    this.flush();
    this.closed = true;
    if (this.walFd !== null && this.unsynced.length > 0) {
      const group = this.unsynced;
      this.unsynced = [];
      try {
        fdatasyncSync(this.walFd);
        this.settle(group);
      } catch (e) {
        this.fail(group, e);
      }
    }
    if (!this.syncing) this.closeWal();
  }

  private closeWal(): void {
    if (this.walFd === null) return;
    closeSync(this.walFd);
    this.walFd = null;
  }
}

/** Delete records older than `retentionDays` (0: keep forever). Returns how many were deleted. */
export function purgeAccounting(store: Store, retentionDays: number, nowWall = Date.now()): number {
  if (retentionDays <= 0) return 0;
  const cutoff = nowWall - retentionDays * 86_400_000;
  return store.sqlite.run("DELETE FROM accounting WHERE time < ?", [cutoff]).changes;
}

export interface AccountingQuery {
  since?: number;
  until?: number;
  user?: string;
  device?: string;
  protocol?: AccountingProtocol;
  /** Bounded to MAX_PAGE. */
  limit?: number;
  offset?: number;
}

/** One page is at most this many rows, whatever the caller asks. */
export const MAX_PAGE = 10_000;

export interface AccountingRow extends Omit<AccountingRecord, "attributes"> {
  id: number;
  attributes: Record<string, unknown>;
}

/** Newest first. */
export function queryAccounting(store: Store, q: AccountingQuery = {}): AccountingRow[] {
  const where: SQL[] = [];
  if (q.since !== undefined) where.push(gte(accounting.time, q.since));
  if (q.until !== undefined) where.push(lte(accounting.time, q.until));
  if (q.user !== undefined) where.push(eq(accounting.username, q.user));
  if (q.device !== undefined) where.push(eq(accounting.device, q.device));
  if (q.protocol !== undefined) where.push(eq(accounting.protocol, q.protocol));
  const limit = Math.max(1, Math.min(q.limit ?? 100, MAX_PAGE));
  const rows = store.db
    .select()
    .from(accounting)
    .where(where.length > 0 ? and(...where) : undefined)
    .orderBy(desc(accounting.time), desc(accounting.id))
    .limit(limit)
    .offset(Math.max(0, q.offset ?? 0))
    .all();
  return rows.map((r) => ({
    ...r,
    attributes: JSON.parse(r.attributes) as Record<string, unknown>,
  }));
}
