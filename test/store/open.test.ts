// openStore's connection settings: what durability and checkpoint behaviour rest on.
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore, WAL_AUTOCHECKPOINT } from "../../src/store/open.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const pragma = (s: ReturnType<typeof openStore>, name: string): unknown =>
  Object.values(s.sqlite.query(`PRAGMA ${name}`).get() as object)[0];

test("a file store is WAL, synchronous=FULL, and checkpoints every WAL_AUTOCHECKPOINT pages", () => {
  const dir = mkdtempSync(join(tmpdir(), "aaa-open-"));
  dirs.push(dir);
  const s = openStore(join(dir, "aaa.db"));
  try {
    expect(pragma(s, "journal_mode")).toBe("wal");
    expect(pragma(s, "synchronous")).toBe(2); // FULL
    expect(pragma(s, "wal_autocheckpoint")).toBe(WAL_AUTOCHECKPOINT);
    expect(pragma(s, "foreign_keys")).toBe(1);
  } finally {
    s.close();
  }
});

test("a new store (it holds device secrets) is created 0600, its -wal and -shm too, in a 0700 directory", () => {
  const dir = mkdtempSync(join(tmpdir(), "aaa-open-"));
  dirs.push(dir);
  const path = join(dir, "new", "aaa.db");
  const s = openStore(path);
  try {
    s.sqlite.exec("CREATE TABLE perm_probe (x)"); // makes SQLite write the WAL
    const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);
    expect([mode(join(dir, "new")), mode(path), mode(`${path}-wal`), mode(`${path}-shm`)]).toEqual([
      "700",
      "600",
      "600",
      "600",
    ]);
  } finally {
    s.close();
  }
});
