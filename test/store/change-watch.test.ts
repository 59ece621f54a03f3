import { afterEach, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { bumpLocalGeneration, changeWatch, openStore } from "../../src/store/open.ts";
import { tempStore } from "../support/tmp.ts";

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

test("file store: another connection's commit and our own local bump both change the version; reads alone do not", () => {
  const s = tempStore();
  cleanups.push(s.remove);
  const w = changeWatch(s.sqlite);
  const v0 = w.version();
  expect(w.version()).toBe(v0);
  s.sqlite.query("SELECT count(*) FROM devices").get();
  expect(w.version()).toBe(v0);
  const other = new Database(s.path);
  other.query("INSERT INTO device_groups (name) VALUES ('g1')").run();
  other.close();
  const v1 = w.version();
  expect(v1).not.toBe(v0);
  expect(w.version()).toBe(v1);
  bumpLocalGeneration(s.sqlite);
  expect(w.version()).not.toBe(v1);
});

test("our own commits move the WAL counter but not the version (no rebuild storms from accounting)", () => {
  const s = tempStore();
  cleanups.push(s.remove);
  const w = changeWatch(s.sqlite);
  const v0 = w.version();
  for (let i = 0; i < 10; i++)
    s.sqlite
      .query(
        "INSERT INTO accounting (protocol, time, client_ip, record_type) VALUES ('tacacs', 1, '10.0.0.1', 'start')",
      )
      .run();
  expect(w.version()).toBe(v0);
});

test("in-memory store (no -shm file): falls back to data_version on every call and still sees local bumps", () => {
  const s = openStore(":memory:");
  cleanups.push(() => s.close());
  const w = changeWatch(s.sqlite);
  const v0 = w.version();
  expect(w.version()).toBe(v0);
  bumpLocalGeneration(s.sqlite);
  expect(w.version()).not.toBe(v0);
});
