// Policy benchmark (a script, not a test): `bun bench/policy.ts`.
//  1. Accounting records committed per second: group commit (config defaults: 2 ms / 1000) vs one
//     transaction per record (max_batch 1), on a temp-dir SQLite file in WAL mode, synchronous=NORMAL.
//  2. PAP verifications per second through the policy: credential-cache hits vs argon2id every time.
// Bounded in records and time; prints one line per figure and the ratios.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateConfig } from "../src/config/load.ts";
import type { AccountingRecord } from "../src/policy/ports.ts";
import { AccountingWriter } from "../src/store/accounting.ts";
import { openStore } from "../src/store/open.ts";
import { createStorePolicy } from "../src/store/policy-source.ts";
import { deviceGroups } from "../src/store/schema.ts";
import { addUserGroup } from "../src/store/user-groups.ts";
import { addUser } from "../src/store/users.ts";

const dir = mkdtempSync(join(tmpdir(), "aaa-bench-"));
try {
  const store = openStore(join(dir, "bench.db"));
  const rec = (i: number): AccountingRecord => ({
    protocol: "tacacs",
    time: Date.now(),
    clientIp: "192.0.2.1",
    device: "r1",
    deviceGroup: "core",
    username: `user${i % 50}`,
    sessionId: String(i),
    recordType: i % 2 === 0 ? "start" : "stop",
    attributes: {
      task_id: String(i),
      service: "shell",
      cmd: "show running-config",
    },
  });

  // Concurrency as a server sees it: `window` records outstanding at once, each awaited.
  async function accountingRate(
    label: string,
    commitDelay: number,
    maxBatch: number,
    total: number,
    window: number,
  ): Promise<number> {
    const w = new AccountingWriter(store, { commitDelay, maxBatch });
    let next = 0;
    const t0 = performance.now();
    const worker = async () => {
      while (next < total) await w.write(rec(next++));
    };
    await Promise.all(Array.from({ length: window }, worker));
    const s = (performance.now() - t0) / 1000;
    const rate = total / s;
    console.log(
      `accounting ${label}: ${total} records, ${w.counters.batches} transactions, ${rate.toFixed(0)} records/s`,
    );
    return rate;
  }

  const grouped = await accountingRate(
    "group commit (2 ms, max 1000, 256 in flight)",
    2,
    1000,
    100_000,
    256,
  );
  const single = await accountingRate(
    "one transaction per record (256 in flight)",
    0,
    1,
    20_000,
    256,
  );
  console.log(`accounting ratio group/single: ${(grouped / single).toFixed(1)}x`);

  // PAP
  const gid = store.db
    .insert(deviceGroups)
    .values({ name: "core", tacacsSecret: "k" })
    .returning({ id: deviceGroups.id })
    .get().id;
  await addUserGroup(store, { name: "ops", deviceGroups: ["core"] }, "bench");
  await addUser(store, { username: "alice", password: "correct horse", groups: ["ops"] }, "bench");
  const cfg = validateConfig({
    store: { path: ":memory:" },
    policy: { lockout: { enabled: false } },
  });
  if (!cfg.ok) throw new Error("config");
  const device = { deviceName: "r1", groupId: gid, groupName: "core" };
  const req = {
    username: "alice",
    password: "correct horse",
    clientIp: "192.0.2.1",
    device,
  };

  async function papRate(
    label: string,
    cacheOn: boolean,
    maxMs: number,
    maxN: number,
  ): Promise<number> {
    const c = structuredClone(cfg.ok ? cfg.value : null)!;
    c.policy.credential_cache.enabled = cacheOn;
    const { policy } = createStorePolicy(store, c, { env: {} });
    await policy.authenticatePassword(req); // warm (fills the cache when on)
    let n = 0;
    const t0 = performance.now();
    while (n < maxN && performance.now() - t0 < maxMs) {
      const d = await policy.authenticatePassword(req);
      if (!d.allow) throw new Error(`unexpected ${d.reason}`);
      n++;
    }
    const rate = n / ((performance.now() - t0) / 1000);
    console.log(`PAP ${label}: ${n} verifications, ${rate.toFixed(0)}/s`);
    return rate;
  }
  const cached = await papRate("credential cache hit", true, 2000, 500_000);
  const uncached = await papRate("argon2id every time (m=19 MiB, t=2)", false, 3000, 200);
  console.log(`PAP ratio cached/uncached: ${(cached / uncached).toFixed(0)}x`);
  store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
