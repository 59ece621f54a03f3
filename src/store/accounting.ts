// Accounting store with group commit. A record counts as stored only once its transaction has
// committed: write() returns a promise that resolves after COMMIT and rejects if the batch failed
// (disk full, read-only file, I/O error) — the engine must then not acknowledge (TACACS+ ERROR,
// no Accounting-Response), so the device retries. Records queue and are committed together when
// `maxBatch` are waiting or `commitDelay` ms passed since the first one, whichever comes first:
// one fsync-bearing COMMIT for many records instead of one each.
import type { Statement } from "bun:sqlite";
import { and, desc, eq, gte, lte, type SQL } from "drizzle-orm";
import type {
  AccountingProtocol,
  AccountingRecord,
  AccountingSink,
} from "../policy/ports.ts";
import type { Store } from "./open.ts";
import { accounting } from "./schema.ts";

export interface AccountingWriterConfig {
  /** ms to wait for more records before committing (config accounting.commit_delay). */
  commitDelay: number;
  /** Commit as soon as this many records wait (config accounting.max_batch). */
  maxBatch: number;
}

interface Pending {
  record: AccountingRecord;
  resolve: () => void;
  reject: (e: Error) => void;
}

export interface AccountingWriterCounters {
  committed: number;
  failed: number;
  batches: number;
  queued: number;
}

export class AccountingWriter implements AccountingSink {
  readonly counters: AccountingWriterCounters = {
    committed: 0,
    failed: 0,
    batches: 0,
    queued: 0,
  };
  private queue: Pending[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly insert: Statement;
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly config: AccountingWriterConfig,
  ) {
    this.insert = store.sqlite.prepare(
      "INSERT INTO accounting (protocol, time, client_ip, device, device_group, username, session_id, record_type, attributes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
  }

  write(record: AccountingRecord): Promise<void> {
    if (this.closed)
      return Promise.reject(new Error("accounting writer is closed"));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ record, resolve, reject });
      this.counters.queued = this.queue.length;
      if (this.queue.length >= this.config.maxBatch) this.flush();
      else if (this.timer === null)
        this.timer = setTimeout(() => this.flush(), this.config.commitDelay);
    });
  }

  /** Commit everything queued now. Each record's promise settles with the batch's outcome. */
  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    this.counters.queued = 0;
    try {
      // bun:sqlite transaction(): BEGIN, the inserts, COMMIT; ROLLBACK and rethrow on any error,
      // including a failing COMMIT. Nothing is resolved before this returns.
      this.store.sqlite.transaction(() => {
        for (const p of batch) {
          const r = p.record;
          this.insert.run(
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
      })();
    } catch (e) {
      this.counters.failed += batch.length;
      const error = e instanceof Error ? e : new Error(String(e));
      for (const p of batch) p.reject(error);
      return;
    }
    this.counters.committed += batch.length;
    this.counters.batches++;
    for (const p of batch) p.resolve();
  }

  /** Commit what is queued and refuse further writes. */
  close(): void {
    this.flush();
    this.closed = true;
  }
}

/** Delete records older than `retentionDays` (0: keep forever). Returns how many were deleted. */
export function purgeAccounting(
  store: Store,
  retentionDays: number,
  nowWall = Date.now(),
): number {
  if (retentionDays <= 0) return 0;
  const cutoff = nowWall - retentionDays * 86_400_000;
  return store.sqlite.run("DELETE FROM accounting WHERE time < ?", [cutoff])
    .changes;
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
export function queryAccounting(
  store: Store,
  q: AccountingQuery = {},
): AccountingRow[] {
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
