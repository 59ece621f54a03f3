import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { sameSecret } from "../../src/policy/devices.ts";
import { DeviceIndex } from "../../src/store/device-index.ts";
import { tempStore } from "../support/tmp.ts";

let s: ReturnType<typeof tempStore>;
beforeEach(() => {
  s = tempStore();
});
afterEach(() => s.remove());

function group(name: string, proxyNetwork: string | null = null, secret = `k-${name}`): number {
  return Number(
    s.sqlite
      .query(
        "INSERT INTO device_groups (name, tacacs_secret, radius_secret, proxy_network) VALUES (?, ?, ?, ?)",
      )
      .run(name, secret, secret, proxyNetwork).lastInsertRowid,
  );
}
function device(name: string, network: string, groupId: number, enabled = true): void {
  s.sqlite
    .query("INSERT INTO devices (name, network, group_id, enabled) VALUES (?, ?, ?, ?)")
    .run(name, network, groupId, enabled ? 1 : 0);
}

describe("device resolution", () => {
  test("longest prefix wins within a tier", () => {
    const g = group("core");
    device("wide", "10.0.0.0/8", g);
    device("mid", "10.1.0.0/16", g);
    device("narrow", "10.1.2.0/24", g);
    device("host", "10.1.2.3/32", g);
    const idx = new DeviceIndex(s.sqlite);
    expect(idx.resolve("10.1.2.3", null)?.deviceName).toBe("host");
    expect(idx.resolve("10.1.2.4", null)?.deviceName).toBe("narrow");
    expect(idx.resolve("10.1.3.1", null)?.deviceName).toBe("mid");
    expect(idx.resolve("10.9.9.9", null)?.deviceName).toBe("wide");
    expect(idx.resolve("11.0.0.1", null)).toBeNull();
    expect(idx.resolve("10.1.2.3", null)?.tacacsKey).toEqual(new TextEncoder().encode("k-core"));
  });

  test("secrets are bytes encoded once per snapshot: devices of one group share them, compared by value", () => {
    const g = group("core");
    device("wide", "10.0.0.0/8", g);
    device("host", "10.1.2.3/32", g);
    const idx = new DeviceIndex(s.sqlite);
    const a = idx.resolve("10.1.2.3", null)!;
    const b = idx.resolve("10.9.9.9", null)!;
    expect(a.groupName).toBe(b.groupName);
    expect(a.tacacsKey).toBe(b.tacacsKey);
    expect(idx.resolve("10.1.2.3", null)!.tacacsKey).toBe(a.tacacsKey);
    expect(sameSecret(a.tacacsKey, new TextEncoder().encode("k-core"))).toBe(true);
    expect(sameSecret(a.tacacsKey, new TextEncoder().encode("k-corf"))).toBe(false);
    expect(sameSecret(a.radiusSecret, null)).toBe(a.radiusSecret === null);
  });

  test("tier 1 (device network and proxy inside the group's proxy_network) beats a longer tier-2 prefix", () => {
    const tenant = group("tenant-a", "192.0.2.0/28");
    const plain = group("plain");
    device("tenant-net", "10.0.0.0/8", tenant);
    device("plain-host", "10.1.1.1/32", plain);
    const idx = new DeviceIndex(s.sqlite);
    expect(idx.resolve("10.1.1.1", "192.0.2.5")?.deviceName).toBe("tenant-net");
    // Same client through a proxy outside the tenant's proxy network: tier 2 only.
    expect(idx.resolve("10.1.1.1", "198.51.100.1")?.deviceName).toBe("plain-host");
  });

  test("tier 2 applies to proxied connections when no tier-1 device matches", () => {
    const plain = group("plain");
    device("plain-net", "10.0.0.0/8", plain);
    const idx = new DeviceIndex(s.sqlite);
    expect(idx.resolve("10.2.3.4", "192.0.2.5")?.deviceName).toBe("plain-net");
  });

  test("longest prefix wins inside tier 1 too", () => {
    const t = group("tenant", "192.0.2.0/24");
    device("t-wide", "10.0.0.0/8", t);
    device("t-narrow", "10.5.0.0/16", t);
    const idx = new DeviceIndex(s.sqlite);
    expect(idx.resolve("10.5.1.1", "192.0.2.1")?.deviceName).toBe("t-narrow");
    expect(idx.resolve("10.6.1.1", "192.0.2.1")?.deviceName).toBe("t-wide");
  });

  test("a direct connection never matches a group that has a proxy_network (tenant isolation)", () => {
    const tenant = group("tenant-a", "192.0.2.0/28");
    device("tenant-net", "10.0.0.0/8", tenant);
    const idx = new DeviceIndex(s.sqlite);
    expect(idx.resolve("10.1.1.1", null)).toBeNull();
    expect(idx.resolve("10.1.1.1", "192.0.2.1")?.deviceName).toBe("tenant-net");
  });

  test("two tenants with the same device network are told apart by their proxy", () => {
    const a = group("tenant-a", "192.0.2.0/28");
    const b = group("tenant-b", "192.0.2.16/28");
    device("a-net", "10.0.0.0/24", a);
    device("b-net", "10.0.0.0/24", b);
    const idx = new DeviceIndex(s.sqlite);
    expect(idx.resolve("10.0.0.7", "192.0.2.3")?.groupName).toBe("tenant-a");
    expect(idx.resolve("10.0.0.7", "192.0.2.17")?.groupName).toBe("tenant-b");
    expect(idx.resolve("10.0.0.7", "192.0.2.33")).toBeNull();
  });

  test("IPv4-mapped IPv6 addresses are normalised, for clients and proxies", () => {
    const t = group("tenant", "192.0.2.0/24");
    device("t", "10.0.0.0/8", t);
    const p = group("plain");
    device("p", "172.16.0.0/12", p);
    const idx = new DeviceIndex(s.sqlite);
    expect(idx.resolve("::ffff:172.16.1.1", null)?.deviceName).toBe("p");
    expect(idx.resolve("::ffff:10.1.1.1", "::ffff:192.0.2.9")?.deviceName).toBe("t");
    expect(idx.resolve("::FFFF:172.16.1.1", null)?.deviceName).toBe("p");
  });

  test("IPv6 devices and prefixes", () => {
    const g = group("v6");
    device("site", "2001:db8::/32", g);
    device("rack", "2001:db8:1:2::/64", g);
    device("box", "2001:db8:1:2::7/128", g);
    const idx = new DeviceIndex(s.sqlite);
    expect(idx.resolve("2001:db8:1:2::7", null)?.deviceName).toBe("box");
    expect(idx.resolve("2001:db8:1:2::8", null)?.deviceName).toBe("rack");
    expect(idx.resolve("2001:db8:ffff::1", null)?.deviceName).toBe("site");
    expect(idx.resolve("2001:db9::1", null)).toBeNull();
  });

  test("disabled devices never match; a shorter enabled prefix takes over", () => {
    const g = group("g");
    device("wide", "10.0.0.0/8", g);
    device("off", "10.1.1.1/32", g, false);
    const idx = new DeviceIndex(s.sqlite);
    expect(idx.resolve("10.1.1.1", null)?.deviceName).toBe("wide");
  });

  test("garbage addresses resolve to nothing", () => {
    const g = group("g");
    device("all", "0.0.0.0/0", g);
    const idx = new DeviceIndex(s.sqlite);
    expect(idx.resolve("not-an-ip", null)).toBeNull();
    expect(idx.resolve("10.0.0.1", "bogus")).toBeNull();
    expect(idx.resolve("010.0.0.1", null)).toBeNull();
    expect(idx.resolve("10.0.0.1", null)?.deviceName).toBe("all");
  });

  test("a change written by a second process is seen by the next lookup, and only then is the index rebuilt", async () => {
    const g = group("g");
    const idx = new DeviceIndex(s.sqlite);
    expect(idx.resolve("10.1.1.1", null)).toBeNull();
    const rebuilds = idx.stats.rebuilds;
    expect(idx.resolve("10.1.1.2", null)).toBeNull();
    expect(idx.stats.rebuilds).toBe(rebuilds); // nothing changed: no rebuild
    // A separate process: a child bun writing through its own connection.
    const script = `const { Database } = require("bun:sqlite"); const d = new Database(${JSON.stringify(s.path)}); d.exec("PRAGMA busy_timeout=5000"); d.query("INSERT INTO devices (name, network, group_id) VALUES ('new', '10.1.1.0/24', ${g})").run(); d.close();`;
    // As a real request would, the next lookup runs in a later event-loop turn.
    const child = Bun.spawn([process.execPath, "-e", script], { timeout: 20_000 });
    expect(await child.exited).toBe(0);
    expect(idx.resolve("10.1.1.1", null)?.deviceName).toBe("new");
    expect(idx.stats.rebuilds).toBe(rebuilds + 1);
  });

  test("a second connection in this process is seen too", async () => {
    const g = group("g");
    const idx = new DeviceIndex(s.sqlite);
    expect(idx.resolve("10.1.1.1", null)).toBeNull();
    const other = new Database(s.path);
    other
      .query("INSERT INTO devices (name, network, group_id) VALUES ('x', '10.0.0.0/8', ?)")
      .run(g);
    other.close();
    await Bun.sleep(0); // the next request: a later event-loop turn
    expect(idx.resolve("10.1.1.1", null)?.deviceName).toBe("x");
  });
});

describe("change detection (WAL-index counter, then data_version)", () => {
  test("a commit by another connection is seen by the very next lookup, even in the same event-loop turn", () => {
    const g = group("g");
    const idx = new DeviceIndex(s.sqlite);
    expect(idx.resolve("10.9.9.9", null)).toBeNull();
    const other = new Database(s.path);
    other
      .query("INSERT INTO devices (name, network, group_id) VALUES ('y', '10.9.0.0/16', ?)")
      .run(g);
    other.close();
    expect(idx.resolve("10.9.9.9", null)?.deviceName).toBe("y");
  });
  test("our own commits to other tables (accounting) do not rebuild the index", () => {
    group("g");
    const idx = new DeviceIndex(s.sqlite);
    idx.resolve("10.0.0.1", null);
    const rebuilds = idx.stats.rebuilds;
    for (let i = 0; i < 20; i++)
      s.sqlite
        .query(
          "INSERT INTO accounting (protocol, time, client_ip, record_type) VALUES ('radius', 1, '10.0.0.1', 'start')",
        )
        .run();
    for (let i = 0; i < 100; i++) idx.resolve("10.0.0.1", null);
    expect(idx.stats.rebuilds).toBe(rebuilds);
  });
});

describe("registered proxies", () => {
  test("proxyStatus answers by CIDR and fails closed on a store error", async () => {
    s.sqlite.query("INSERT INTO proxies (name, network) VALUES ('lb', '127.0.0.0/30')").run();
    const idx = new DeviceIndex(s.sqlite);
    expect(idx.proxyStatus("127.0.0.2")).toBe("registered");
    expect(idx.proxyStatus("::ffff:127.0.0.1")).toBe("registered");
    expect(idx.proxyStatus("127.0.0.9")).toBe("unknown");
    // Break the store under the index (a second connection drops the table): the rebuild fails.
    const other = new Database(s.path);
    other.exec("DROP TABLE proxies");
    other.close();
    await Bun.sleep(0);
    expect(idx.proxyStatus("127.0.0.2")).toBe("store-error");
    expect(idx.stats.store_errors).toBeGreaterThan(0);
  });
});

describe("auto-registration", () => {
  test("creates a /32 or /128 device in the default group, rate-limited and capped", () => {
    group("auto");
    let t = 0;
    const idx = new DeviceIndex(
      s.sqlite,
      { enabled: true, defaultGroup: "auto", perMinute: 3, max: 5 },
      () => t,
    );
    expect(idx.resolve("10.0.0.1", null)).toBeNull();
    const d = idx.resolveOrRegister("10.0.0.1", null);
    expect(d?.groupName).toBe("auto");
    expect(d?.deviceName).toBe("auto-10.0.0.1");
    expect(
      s.sqlite.query("SELECT network FROM devices WHERE name = 'auto-10.0.0.1'").get(),
    ).toEqual({ network: "10.0.0.1/32" });
    expect(idx.resolveOrRegister("2001:db8::5", null)?.deviceName).toBe("auto-2001:db8::5");
    expect(
      s.sqlite.query("SELECT network FROM devices WHERE name = 'auto-2001:db8::5'").get(),
    ).toEqual({ network: "2001:db8::5/128" });
    // Third token, then the bucket is empty: a scan is refused.
    expect(idx.resolveOrRegister("10.0.0.3", null)).not.toBeNull();
    expect(idx.resolveOrRegister("10.0.0.4", null)).toBeNull();
    expect(idx.stats.auto_register_refused).toBe(1);
    // A minute later the bucket has refilled, but the total cap (5) still holds.
    t += 60_000;
    expect(idx.resolveOrRegister("10.0.0.4", null)).not.toBeNull();
    expect(idx.resolveOrRegister("10.0.0.5", null)).not.toBeNull();
    expect(idx.resolveOrRegister("10.0.0.6", null)).toBeNull();
    expect(
      s.sqlite.query("SELECT count(*) AS n FROM devices WHERE auto_registered = 1").get(),
    ).toEqual({ n: 5 });
  });

  test("is off unless enabled", () => {
    group("auto");
    const idx = new DeviceIndex(s.sqlite);
    expect(idx.resolveOrRegister("10.0.0.1", null)).toBeNull();
    expect(s.sqlite.query("SELECT count(*) AS n FROM devices").get()).toEqual({ n: 0 });
  });
});
