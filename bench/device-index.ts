// Benchmark: device resolution over 100,000 devices in 1,000 groups (mixed /32, /24, /16, IPv4
// and IPv6; every tenth group behind a proxy_network). Prints resolutions per second (with the
// per-lookup PRAGMA data_version check included), index build time and the RSS the index adds.
// Usage: bun bench/device-index.ts [devices=100000] [groups=1000] [seconds=3]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeviceIndex } from "../src/store/device-index.ts";
import { openStore } from "../src/store/open.ts";

const N = Number(process.argv[2] ?? 100_000);
const G = Number(process.argv[3] ?? 1_000);
const SECONDS = Math.min(Number(process.argv[4] ?? 3), 30);

const dir = mkdtempSync(join(tmpdir(), "aaa-bench-"));
const store = openStore(join(dir, "bench.sqlite"));
let seed = 42;
const rnd = () =>
  (seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32;

const insertGroup = store.sqlite.query(
  "INSERT INTO device_groups (name, tacacs_secret, radius_secret, proxy_network) VALUES (?, ?, ?, ?)",
);
const insertDevice = store.sqlite.query(
  "INSERT INTO devices (name, network, group_id) VALUES (?, ?, ?)",
);
const lookups: { client: string; proxy: string | null }[] = [];
store.sqlite.transaction(() => {
  for (let g = 1; g <= G; g++)
    insertGroup.run(`g${g}`, `t${g}`, `r${g}`, g % 10 === 0 ? `192.0.${g % 256}.0/24` : null);
  for (let i = 0; i < N; i++) {
    const g = 1 + (i % G);
    const kind = i % 10;
    const a = (i >>> 16) & 0xff,
      b = (i >>> 8) & 0xff,
      c = i & 0xff;
    let net: string, probe: string;
    if (kind < 6) {
      net = `10.${a}.${b}.${c}/32`;
      probe = `10.${a}.${b}.${c}`;
    } else if (kind < 8) {
      net = `172.${16 + (a & 15)}.${b}.0/24`;
      probe = `172.${16 + (a & 15)}.${b}.${1 + (c % 250)}`;
    } else if (kind < 9) {
      net = `100.${64 + (i & 63)}.0.0/16`;
      probe = `100.${64 + (i & 63)}.${b}.${c}`;
    } else {
      net = `2001:db8:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}::/64`;
      probe = `2001:db8:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}::${(c + 1).toString(16)}`;
    }
    insertDevice.run(`d${i}`, net, g);
    if (lookups.length < 50_000 && rnd() < 0.5)
      lookups.push({ client: probe, proxy: g % 10 === 0 ? `192.0.${g % 256}.7` : null });
  }
})();
for (let i = 0; i < 5_000; i++) lookups.push({ client: `203.0.113.${i & 255}`, proxy: null }); // misses

Bun.gc(true);
const rss0 = process.memoryUsage().rss;
const idx = new DeviceIndex(store.sqlite);
const t0 = performance.now();
idx.resolve("10.0.0.0", null); // first lookup builds the index
const buildMs = performance.now() - t0;
Bun.gc(true);
const rssIndex = process.memoryUsage().rss - rss0;

let hits = 0,
  n = 0;
const deadline = performance.now() + SECONDS * 1000;
const start = performance.now();
while (performance.now() < deadline) {
  for (let i = 0; i < lookups.length; i++) {
    const l = lookups[i]!;
    if (idx.resolve(l.client, l.proxy)) hits++;
  }
  n += lookups.length;
}
const elapsed = (performance.now() - start) / 1000;
const result = {
  date: new Date().toISOString().slice(0, 10),
  devices: idx.stats.devices,
  groups: G,
  build_ms: Math.round(buildMs),
  resolutions_per_s: Math.round(n / elapsed),
  hit_ratio: Number((hits / n).toFixed(3)),
  index_rss_mb: Math.round(rssIndex / 1e6),
  rebuilds: idx.stats.rebuilds,
};
console.log(JSON.stringify(result));
store.close();
rmSync(dir, { recursive: true, force: true });
