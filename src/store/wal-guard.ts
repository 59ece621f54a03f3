// The WAL's bound and the recovery from a full volume (issue 21, defect 2), for the accounting
// writer. Every commit appends the pages it touched to the WAL (~16 KB for one record at a low
// rate), and only a checkpoint lets the WAL start over; at the autocheckpoint's 4,000 pages that is
// ~16 MiB, more than a small volume has, and then the checkpoint cannot grow the database either:
// the volume stayed full for good. So:
// - after each synced batch, a WAL over a quarter of the free space (at least WAL_FLOOR, at most
//   WAL_CEILING) is checkpointed and truncated;
// - after a failed commit or sync (at most once a second) the reserve (open.ts: headroom for
//   exactly this) is given back, the WAL checkpointed and truncated, and the reserve taken again
//   when the volume has room for it — so once space returns, acknowledgements resume.
import type { Database } from "bun:sqlite";
import { fstatSync } from "node:fs";
import type { Registry } from "../lib/metrics.ts";
import { checkpointTruncate, freeBytes, releaseReserve, takeReserve, walBytes } from "./open.ts";

/** Why commits fail, as a stable code (health and logs). */
export type AccountingProblem = "disk-full" | "read-only" | "io-error" | "commit-failed";

/** A WAL below this is never checkpointed early (a few dozen group commits). */
const WAL_FLOOR = 256 * 1024;
/** Upper bound: what the autocheckpoint allows anyway (open.ts WAL_AUTOCHECKPOINT pages). */
const WAL_CEILING = 16 * 1024 * 1024;
/** The free space read for the WAL bound is at most this old. */
const FREE_EVERY_MS = 100;
/** After a failure, recovery (reserve, checkpoint) runs at most this often. */
const RECOVER_EVERY_MS = 1_000;

export class WalGuard {
  private lastRecover = -Infinity;
  /** The reserve could not be taken: try again after synced batches. */
  private reserveMissing: boolean;
  /** Free bytes on the volume, read at freeAt (performance.now()). */
  private free = 0;
  private freeAt = -Infinity;

  constructor(
    private readonly sqlite: Database,
    /** The database file; its WAL is `${file}-wal`. */
    private readonly file: string,
  ) {
    this.reserveMissing = !takeReserve(file);
  }

  static problemOf(e: unknown): AccountingProblem {
    const code = String((e as { code?: unknown } | null)?.code ?? "");
    if (code === "SQLITE_FULL" || code === "ENOSPC" || code === "EDQUOT") return "disk-full";
    if (
      code.startsWith("SQLITE_READONLY") ||
      code === "EROFS" ||
      code === "EPERM" ||
      code === "EACCES"
    )
      return "read-only";
    if (code.startsWith("SQLITE_IOERR") || code === "EIO") return "io-error";
    return "commit-failed";
  }

  /**
   * After a synced batch (`fd`: the WAL): checkpoint and truncate a WAL grown past its share of the
   * free space, and take the reserve back when it is missing. An fstat per batch; statfs at most
   * every FREE_EVERY_MS (a busy server syncs a thousand batches a second).
   */
  stored(fd: number): void {
    const wal = fstatSync(fd).size;
    if (wal <= WAL_FLOOR && !this.reserveMissing) return;
    const now = performance.now();
    if (now - this.freeAt >= FREE_EVERY_MS) {
      this.free = freeBytes(this.file);
      this.freeAt = now;
    }
    const limit = Math.min(WAL_CEILING, Math.max(WAL_FLOOR, this.free / 4));
    if (wal > limit) {
      checkpointTruncate(this.sqlite);
      this.freeAt = -Infinity;
    }
    if (this.reserveMissing) this.reserveMissing = !takeReserve(this.file);
  }

  /** A batch failed: give back the reserve, checkpoint and truncate the WAL; at most once a second. */
  failed(): void {
    const now = performance.now();
    if (now - this.lastRecover < RECOVER_EVERY_MS) return;
    this.lastRecover = now;
    releaseReserve(this.file);
    checkpointTruncate(this.sqlite);
    this.reserveMissing = !takeReserve(this.file);
    this.freeAt = -Infinity;
  }

  storage(): { freeBytes: number; walBytes: number } {
    return { freeBytes: freeBytes(this.file), walBytes: walBytes(this.file) };
  }
}

/** Free space and WAL size gauges; `writer` is a getter because a reload replaces the writer. */
export function registerStorageGauges(
  r: Registry,
  writer: () => { storage(): { freeBytes: number; walBytes: number } },
): void {
  r.gauge(
    "aaa_store_free_bytes",
    "Free bytes on the store's volume (-1: unknown)",
    () => writer().storage().freeBytes,
  );
  r.gauge(
    "aaa_store_wal_bytes",
    "Size of the store's write-ahead log file",
    () => writer().storage().walBytes,
  );
}
