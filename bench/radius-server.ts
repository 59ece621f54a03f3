// The RADIUS server as a standalone process for bench/radius.ts (so it can be pinned with taskset):
//   bun bench/radius-server.ts SECRET USER PASSWORD [COMMIT_DELAY [DUPLICATE_LIFETIME]]   → prints {"auth":N,"acct":M,"pid":P} and serves
// until SIGTERM / SIGINT (or 10 minutes, a bound). A temporary store with device 127.0.0.1/32 in a group
// with Message-Authenticator required (the default), the user with a real argon2id hash (the credential
// cache answers repeats), the default accounting group commit (2 ms / 1000, synchronous=FULL).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfigText } from "../src/config/load.ts";
import { createLogger } from "../src/lib/log.ts";
import { Registry } from "../src/lib/metrics.ts";
import { DeviceIndex } from "../src/store/device-index.ts";
import { DeviceStore } from "../src/store/devices.ts";
import { openStore } from "../src/store/open.ts";
import { createStorePolicy } from "../src/store/policy-source.ts";
import { addUserGroup } from "../src/store/user-groups.ts";
import { addUser } from "../src/store/users.ts";
import { radiusOptions } from "../src/root/radius-options.ts";
import { startRadius } from "../src/transport/radius-udp.ts";

const [
  secret = "testing123",
  user = "alice",
  password = "alice-pass",
  commitDelay = "0ms",
  duplicateLifetime = "10s",
] = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), "aaa-bench-radius-"));
const store = openStore(join(dir, "bench.sqlite"));
const parsed = parseConfigText(
  `[store]\npath = "${dir}/bench.sqlite"\n[radius]\nauth_listen = ["127.0.0.1:0"]\nacct_listen = ["127.0.0.1:0"]\nrequests_per_second = 10000000\nburst = 10000000\nduplicate_lifetime = \"${duplicateLifetime}\"\n[accounting]\ncommit_delay = "${commitDelay}"\n`,
);
if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
const cfg = parsed.value;
const devices = new DeviceStore(store.sqlite);
devices.addGroup({ name: "bench", radiusSecret: secret });
devices.addDevice({ name: "loadgen", network: "127.0.0.1/32", group: "bench" });
await addUserGroup(store, { name: "users", deviceGroups: ["bench"] }, "bench");
await addUser(store, { username: user, password, groups: ["users"] }, "bench");
const sp = createStorePolicy(store, cfg, { env: {} });
const log = createLogger({
  level: "warn",
  write: (l) => process.stderr.write(l + "\n"),
});
const index = new DeviceIndex(store.sqlite);
const radius = await startRadius({
  options: radiusOptions(cfg.radius),
  index,
  policy: sp.policy,
  registry: new Registry(),
  log,
});
process.stdout.write(
  JSON.stringify({
    auth: radius.ports.auth[0],
    acct: radius.ports.acct[0],
    pid: process.pid,
  }) + "\n",
);

let done = false;
const finish = async () => {
  if (done) return;
  done = true;
  await radius.stop(1_000);
  sp.writer.close();
  process.stderr.write(
    JSON.stringify({
      committed: sp.writer.counters.committed,
      batches: sp.writer.counters.batches,
      failed: sp.writer.counters.failed,
      stats: radius.stats(),
      device_index: index.stats,
      policy_snapshot_rebuilds: sp.source.rebuilds,
    }) + "\n",
  );
  store.close();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
};
process.on("SIGTERM", finish);
process.on("SIGINT", finish);
setTimeout(finish, 600_000);
