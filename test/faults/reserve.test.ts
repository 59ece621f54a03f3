// The headroom reserve beside the store (src/store/open.ts) is taken by the accounting writer and
// given back only when a checkpoint fails for want of space — not when another connection merely
// holds a read, as a CLI run beside the server does (its open-time checkpoint is then busy).
import { afterAll, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { AccountingRecord } from "../../src/policy/ports.ts";
import { AccountingWriter } from "../../src/store/accounting.ts";
import { openStore, RESERVE_BYTES, reservePath } from "../../src/store/open.ts";
import { tempDir } from "../support/tmp.ts";

const dir = tempDir("aaa-reserve-");
afterAll(() => dir.remove());

const record = (sessionId: string): AccountingRecord => ({
  protocol: "radius",
  time: Date.now(),
  clientIp: "192.0.2.1",
  device: null,
  deviceGroup: null,
  username: "u",
  sessionId,
  recordType: "start",
  attributes: {},
});

test("a busy open-time checkpoint (a reader beside the server) keeps the server's reserve", async () => {
  const path = join(dir.path, "aaa.sqlite");
  const server = openStore(path);
  const writer = new AccountingWriter(server, { commitDelay: 0, maxBatch: 16 });
  await writer.write(record("r1"));
  expect(Bun.file(reservePath(path)).size).toBe(RESERVE_BYTES);
  const reader = new Database(path);
  reader.exec("BEGIN");
  reader.query("SELECT count(*) FROM accounting").get();
  await writer.write(record("r2"));
  const cli = openStore(path);
  expect(existsSync(reservePath(path))).toBe(true);
  cli.close();
  reader.exec("COMMIT");
  reader.close();
  writer.close();
  server.close();
});
