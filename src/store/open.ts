// Opens the SQLite store (WAL, so the admin CLI and the server can share the file) and applies
// the embedded Drizzle migrations. In the compiled binary the drizzle/ folder is an embedded asset
// at /$bunfs/root/drizzle; from source it is the repository's drizzle/ folder.
import { Database } from "bun:sqlite";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  statSync,
  statfsSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { drizzle, type BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import { migrate } from "drizzle-orm/bun-sqlite/migrator";
import * as schema from "./schema.ts";

export type Db = BunSQLiteDatabase<typeof schema>;

export interface Store {
  db: Db;
  sqlite: Database;
  path: string;
  close(): void;
}

export function migrationsFolder(): string {
  return Bun.isStandaloneExecutable
    ? "/$bunfs/root/drizzle"
    : join(import.meta.dir, "..", "..", "drizzle");
}

/** Pages of WAL between automatic checkpoints (4 KiB pages: ~16 MiB). */
export const WAL_AUTOCHECKPOINT = 4_000;

/** Open (creating if missing) and migrate. Throws with a clear message: callers report it and exit. */
export function openStore(path: string, opts: { readonly?: boolean } = {}): Store {
  if (path !== ":memory:") {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // The store holds device secrets in clear and password hashes: a new file is created 0600
    // (SQLite gives its -wal and -shm files the database file's mode). An existing file keeps the
    // mode its owner gave it.
    if (!opts.readonly && !existsSync(path)) closeSync(openSync(path, "a", 0o600));
  }
  const sqlite = opts.readonly
    ? new Database(path, { readonly: true })
    : new Database(path, { create: true });
  // A second process (CLI, another instance) may hold the write lock briefly; wait rather than fail.
  sqlite.exec("PRAGMA busy_timeout = 5000");
  if (!opts.readonly) {
    sqlite.exec("PRAGMA journal_mode = WAL");
    // FULL: a commit is on disk before it is acknowledged — accounting is answered only after
    // its commit, so a power loss must not take back what a NAS was told is stored. Group commit
    // keeps the fsync count low.
    sqlite.exec("PRAGMA synchronous = FULL");
    // Checkpoint every WAL_AUTOCHECKPOINT pages instead of SQLite's 1,000: the checkpoint runs
    // inside a commit on the event loop (copying frames, then two fsyncs). A group-committed
    // accounting batch rewrites ~10 pages (each b-tree's last leaf, the interior pages), so at
    // 1,000 a busy server checkpointed several times a second and every RADIUS request waited
    // behind it; at 4,000 (a WAL of up to ~16 MiB) the hot pages are copied once per checkpoint
    // for four times as many commits, and the accounting p99 at a window of 64 dropped by ~30 %.
    sqlite.exec(`PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT}`);
  }
  sqlite.exec("PRAGMA foreign_keys = ON");
  const db = drizzle({ client: sqlite, schema });
  if (!opts.readonly) {
    migrate(db, { migrationsFolder: migrationsFolder() });
    // A WAL left large by a full volume (or a crash), and the migrations' own pages, are copied
    // back and emptied now, before the first write needs room; on a volume that is still full the
    // reserve makes the room (the accounting writer takes it again when there is space). Busy (a
    // CLI run beside the server) is not a full volume: the server's reserve stays where it is.
    if (path !== ":memory:") {
      const cp = checkpointTruncate(sqlite);
      if (!cp.ok && !cp.busy && releaseReserve(path)) checkpointTruncate(sqlite);
    }
  }
  return {
    db,
    sqlite,
    path,
    close: () => sqlite.close(),
  };
}

const generations = new WeakMap<Database, number>();

/**
 * Call after committing a change through `sqlite`: PRAGMA data_version only sees other
 * connections' commits, so the in-memory caches (device index, policy snapshot) also compare
 * this per-connection generation.
 */
export function bumpLocalGeneration(sqlite: Database): void {
  generations.set(sqlite, (generations.get(sqlite) ?? 0) + 1);
}

export const localGeneration = (sqlite: Database): number => generations.get(sqlite) ?? 0;

/**
 * SQLite's data_version changes whenever another connection commits to the file
 * (https://sqlite.org/pragma.html#pragma_data_version). Reading it is a cheap in-memory check, so
 * in-memory indexes can rebuild exactly when something changed, without a polling timer.
 * Commits made through *this* connection do not change it; callers that write through the same
 * connection bump their own local generation (see LocalGeneration).
 */
export function dataVersionReader(sqlite: Database): () => number {
  const stmt = sqlite.prepare<{ data_version: number }, []>("PRAGMA data_version");
  return () => stmt.get()!.data_version;
}

/**
 * Cheap "has the database changed?" for per-request caches (device index, policy snapshot).
 *
 * PRAGMA data_version tells exactly when another connection committed, but one read costs ~2.5 µs —
 * more than a whole device lookup — and RADIUS runs every datagram in its own event-loop turn. So
 * the WAL-index header is read first: in WAL mode SQLite keeps it in the `-shm` file, shared by all
 * connections of all processes, and its iChange field ("incremented with each transaction",
 * https://sqlite.org/walformat.html §2.1, native byte order, offset 8) moves on every commit. Only
 * when it moved (or every SAFETY_READS calls, in case the mapping ever stopped reflecting the file)
 * is data_version read. Our own commits move iChange too but not data_version: they cost one PRAGMA,
 * not a rebuild; the caches see our own writes through the local generation instead.
 *
 * The mapping is safe while this connection is open: SQLite truncates -shm only when a connection
 * finds no other connection using it, and ours holds it from the first read until close().
 * Without a -shm file (":memory:", or a read-only open) every call reads data_version.
 */
export class ChangeWatch {
  private token = 0;
  private lastLocal = -1;
  private lastData = -1;
  private lastWal = -1;
  private reads = 0;
  private readonly dataVersion: () => number;
  private readonly wal: Uint32Array | null;

  constructor(private readonly sqlite: Database) {
    this.dataVersion = dataVersionReader(sqlite);
    this.wal = mapWalIndex(sqlite);
  }

  /** A number that changes whenever the database may have changed since it was last returned. */
  version(): number {
    const local = localGeneration(this.sqlite);
    if (local !== this.lastLocal) {
      this.lastLocal = local;
      this.token++;
    }
    const wal = this.wal;
    if (wal !== null) {
      const w = wal[2]!;
      if (w === this.lastWal && ++this.reads < SAFETY_READS) return this.token;
      this.lastWal = w;
      this.reads = 0;
    }
    const data = this.dataVersion();
    if (data !== this.lastData) {
      this.lastData = data;
      this.token++;
    }
    return this.token;
  }
}

const SAFETY_READS = 4096;
const WAL_INDEX_HEADER = 48;
const watches = new WeakMap<Database, ChangeWatch>();

/** The one ChangeWatch of a connection. */
export function changeWatch(sqlite: Database): ChangeWatch {
  let w = watches.get(sqlite);
  if (!w) {
    w = new ChangeWatch(sqlite);
    watches.set(sqlite, w);
  }
  return w;
}

function mapWalIndex(sqlite: Database): Uint32Array | null {
  const file = sqlite.filename;
  if (!file || file === ":memory:") return null;
  try {
    const mode = sqlite
      .query<{ journal_mode: string }, []>("PRAGMA journal_mode")
      .get()?.journal_mode;
    if (mode !== "wal") return null;
    sqlite.query("SELECT 1 FROM sqlite_master LIMIT 1").get(); // make sure this connection holds the -shm
    const m = Bun.mmap(`${file}-shm`, { shared: true, size: WAL_INDEX_HEADER } as Parameters<
      typeof Bun.mmap
    >[1]);
    if (m.byteLength < WAL_INDEX_HEADER || m.byteOffset % 4 !== 0) return null;
    return new Uint32Array(m.buffer, m.byteOffset, WAL_INDEX_HEADER / 4);
  } catch {
    return null;
  }
}

/**
 * PRAGMA wal_checkpoint(TRUNCATE): copy the WAL into the database and cut the WAL file to zero.
 * busy_timeout is 0 meanwhile — the TRUNCATE mode waits for readers through the busy handler, and
 * a CLI holding a read must not stall the event loop for busy_timeout; busy is simply "not now".
 * Never throws: on a full volume the copy itself can fail (the database file must grow).
 */
export function checkpointTruncate(sqlite: Database): {
  ok: boolean;
  /** Another connection holds a read or the write lock: not now, nothing wrong. */
  busy: boolean;
  detail?: string;
} {
  const timeout = sqlite.query<{ timeout: number }, []>("PRAGMA busy_timeout").get()?.timeout ?? 0;
  sqlite.exec("PRAGMA busy_timeout = 0");
  try {
    const r = sqlite
      .query<{ busy: number; log: number; checkpointed: number }, []>(
        "PRAGMA wal_checkpoint(TRUNCATE)",
      )
      .get();
    return r !== null && r.busy === 0 ? { ok: true, busy: false } : { ok: false, busy: true };
  } catch (e) {
    const code = String((e as { code?: unknown } | null)?.code ?? "");
    return {
      ok: false,
      busy: code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"),
      detail: e instanceof Error ? e.message : String(e),
    };
  } finally {
    sqlite.exec(`PRAGMA busy_timeout = ${timeout}`);
  }
}

/**
 * Headroom on the store's volume: a file of RESERVE_BYTES (real blocks, zeros written) beside the
 * database. When the volume is full it is given back so a checkpoint can grow the database and
 * empty the WAL — without it a full volume stays full: the WAL cannot shrink before a checkpoint,
 * the checkpoint cannot run without room. Taken again once the volume has twice that free.
 */
export const RESERVE_BYTES = 256 * 1024;

export const reservePath = (dbPath: string): string => `${dbPath}-reserve`;

/** Creates the reserve if missing and the volume has room for it twice over; true if present. */
export function takeReserve(dbPath: string): boolean {
  const file = reservePath(dbPath);
  if (existsSync(file)) return true;
  if (freeBytes(dbPath) < 2 * RESERVE_BYTES) return false;
  try {
    writeFileSync(file, new Uint8Array(RESERVE_BYTES), { mode: 0o600 });
    return true;
  } catch {
    try {
      unlinkSync(file);
    } catch {}
    return false;
  }
}

/** Deletes the reserve; true if there was one. */
export function releaseReserve(dbPath: string): boolean {
  try {
    unlinkSync(reservePath(dbPath));
    return true;
  } catch {
    return false;
  }
}

/** Bytes an unprivileged writer can still use on the volume that holds `dbPath`; -1 if unknown. */
export function freeBytes(dbPath: string): number {
  try {
    const s = statfsSync(dirname(dbPath));
    return s.bavail * s.bsize;
  } catch {
    return -1;
  }
}

/** Size of the store's WAL file; 0 when it has none. */
export function walBytes(dbPath: string): number {
  try {
    return statSync(`${dbPath}-wal`).size;
  } catch {
    return 0;
  }
}
