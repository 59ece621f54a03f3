// One SQLite connection as the repositories see it: the Drizzle handle, and `changed()` to call
// after every committed-or-pending write. PRAGMA data_version only sees other connections' commits,
// so this connection's own writes bump its local generation for the in-memory caches (device index,
// policy snapshot); a rolled-back write costs at most one needless rebuild.
import type { Database } from "bun:sqlite";
import { drizzle } from "drizzle-orm/bun-sqlite";
import { bumpLocalGeneration, type Db } from "../open.ts";
import * as schema from "../schema.ts";

export interface Conn {
  db: Db;
  sqlite: Database;
  changed(): void;
}

export function connOf(store: { db: Db; sqlite: Database }): Conn {
  return { db: store.db, sqlite: store.sqlite, changed: () => bumpLocalGeneration(store.sqlite) };
}

/** For callers holding only the bun:sqlite handle (the DeviceStore shim). */
export function connOfSqlite(sqlite: Database): Conn {
  return connOf({ sqlite, db: drizzle({ client: sqlite, schema }) });
}

export function isUniqueViolation(e: unknown): boolean {
  return e instanceof Error && /UNIQUE constraint failed/.test(e.message);
}
