// A TACACS+ server for the benchmark: startTacacs over a temp store with one device group
// (127.0.0.0/8), one user, limits raised so the generator is not rate-limited, logging at warn.
// Prints "READY <port>" on stdout, then "RSS <bytes>" whenever it receives a line "rss" on stdin;
// exits on "quit", SIGTERM or after 15 minutes. Run pinned: taskset -c 1 bun bench/tacacs-server.ts
import { validateConfig } from "../src/config/load.ts";
import { createLogger } from "../src/lib/log.ts";
import { Registry } from "../src/lib/metrics.ts";
import { DeviceIndex } from "../src/store/device-index.ts";
import { DeviceStore } from "../src/store/devices.ts";
import { createStorePolicy } from "../src/store/policy-source.ts";
import { addUserGroup } from "../src/store/user-groups.ts";
import { addUser } from "../src/store/users.ts";
import { createProxyCounters } from "../src/transport/metrics.ts";
import { tacacsOptions } from "../src/root/options.ts";
import { startTacacs } from "../src/transport/tacacs-tcp.ts";
import { tempStore } from "../test/support/tmp.ts";

export const BENCH_KEY = "bench-key";
export const BENCH_USER = "alice";
export const BENCH_PASS = "alice-pass";

const store = tempStore();
const r = validateConfig({
  store: { path: store.path },
  log: { level: "warn" },
  tacacs: {
    listen: ["127.0.0.1:0"],
    limits: {
      max_connections: 100_000,
      max_connections_per_client: 100_000,
      packets_per_second: 1_000_000,
      burst: 1_000_000,
    },
  },
  policy: { lockout: { enabled: false } },
});
if (!r.ok) throw new Error(JSON.stringify(r.errors));
const devices = new DeviceStore(store.sqlite);
devices.addGroup({ name: "bench", tacacsSecret: BENCH_KEY });
devices.addDevice({ name: "loopback", network: "127.0.0.0/8", group: "bench" });
await addUserGroup(store, { name: "ops", privLvl: 15, deviceGroups: ["bench"] }, "bench");
await addUser(store, { username: BENCH_USER, password: BENCH_PASS, groups: ["ops"] }, "bench");

const log = createLogger({ level: "warn" });
const registry = new Registry();
const svc = await startTacacs({
  options: tacacsOptions(r.value),
  devices: new DeviceIndex(store.sqlite),
  policy: createStorePolicy(store, r.value, { env: {} }).policy,
  registry,
  proxyCounters: createProxyCounters(registry),
  log,
});
process.stdout.write(`READY ${svc.ports[0]}\n`);

const finish = async () => {
  await svc.stop(100);
  store.remove();
  process.exit(0);
};
// Commands on stdin; SIGTERM and a hard lifetime cap also end the process (bounded by design).
process.stdin.on("data", (chunk: Buffer) => {
  for (const line of chunk.toString().split("\n")) {
    if (line.trim() === "rss") {
      Bun.gc(true);
      process.stdout.write(`RSS ${process.memoryUsage().rss}\n`);
    } else if (line.trim() === "quit") void finish();
  }
});
process.on("SIGTERM", () => void finish());
setTimeout(() => void finish(), 15 * 60_000).unref();
