// Opens the SQLite store (WAL, so the admin CLI and the server can share the file) and applies
// the embedded Drizzle migrations. In the compiled binary the drizzle/ folder is an embedded asset
// at /$bunfs/root/drizzle; from source it is the repository's drizzle/ folder.
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
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
  return Bun.isStandaloneExecutable ? "/$bunfs/root/drizzle" : join(import.meta.dir, "..", "..", "drizzle");
}

/** Open (creating if missing) and migrate. Throws with a clear message: callers report it and exit. */
export function openStore(path: string, opts: { readonly?: boolean } = {}): Store {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const sqlite = opts.readonly ? new Database(path, { readonly: true }) : new Database(path, { create: true });
  // A second process (CLI, another instance) may hold the write lock briefly; wait rather than fail.
  sqlite.exec("PRAGMA busy_timeout = 5000");
  if (!opts.readonly) {
    sqlite.exec("PRAGMA journal_mode = WAL");
    // FULL: a commit is on disk before it is acknowledged — accounting is answered only after
    // its commit, so a power loss must not take back what a NAS was told is stored. Group commit
    // keeps the fsync count low.
    sqlite.exec("PRAGMA synchronous = FULL");
  }
  sqlite.exec("PRAGMA foreign_keys = ON");
  const db = drizzle({ client: sqlite, schema });
  if (!opts.readonly) migrate(db, { migrationsFolder: migrationsFolder() });
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
