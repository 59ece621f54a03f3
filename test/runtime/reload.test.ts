// Runtime.reload() refuses what it cannot apply whole and keeps what runs: a RADIUS proxy that
// cannot start (clearing it first would answer every realm from local policy — fail open), a
// listen address that cannot be bound; it keeps lockouts and counters across a policy rebuild,
// runs a reload asked for meanwhile after the running one, and answers a reload over the HTTP
// listener it replaces. The loader here skips main.ts's environment check on purpose, to reach the
// runtime's own guard; with the real loader an unset secret_env is refused earlier (e2e test).
import { afterAll, expect, test } from "bun:test";
import { parseConfigText } from "../../src/config/load.ts";
import type { Config } from "../../src/config/schema.ts";
import { createLogger } from "../../src/lib/log.ts";
import { Ring } from "../../src/lib/recent.ts";
import { Runtime } from "../../src/root/compose.ts";
import { tempStore } from "../support/tmp.ts";

const store = tempStore();
afterAll(() => store.remove());

/**
 * An aaa.toml on the shared store: every listener off unless given. `http` is the body of [http]
 * (default: off); `extra` is appended (more tables).
 */
const cfgToml = (
  o: { tacacs?: number; radiusAuth?: boolean; http?: string; extra?: string } = {},
) => `
[store]
path = "${store.dir}/aaa.sqlite"
[tacacs]
listen = [${o.tacacs === undefined ? "" : `"127.0.0.1:${o.tacacs}"`}]
[radius]
auth_listen = [${o.radiusAuth ? '"127.0.0.1:0"' : ""}]
acct_listen = []
[http]
${o.http ?? 'listen = ""'}
${o.extra ?? ""}
`;
const proxyToml = (secretLine: string) =>
  cfgToml({
    radiusAuth: true,
    extra: `[[radius.proxy.home_servers]]
name = "home-a"
address = "127.0.0.1:9"
type = "auth"
${secretLine}
status_check = false
[[radius.proxy.pools]]
name = "pool-a"
servers = ["home-a"]
[[radius.proxy.realms]]
name = "example.com"
match = "suffix"
pool = "pool-a"
`,
  });
const parse = (text: string): Config => {
  const r = parseConfigText(text);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value;
};

function runtime(next: () => string, env: Record<string, string> = {}) {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({
    level: "info",
    write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>),
  });
  let loads = 0;
  const rt = new Runtime({
    version: "test",
    store,
    log,
    failures: new Ring(10),
    env,
    reread: () => {
      loads++;
      return { ok: true, cfg: parse(next()), env };
    },
  });
  return { rt, lines, loads: () => loads };
}

test("a proxy that cannot start refuses the reload, is logged, and the old proxy stays in place", async () => {
  let next = proxyToml('secret = "s1"');
  const { rt, lines } = runtime(() => next);
  await rt.start(parse(next));
  try {
    const homes = () =>
      (
        rt.stats().radius_proxy as
          { home_servers: Array<{ name: string; address: string }> } | undefined
      )?.home_servers.map((h) => `${h.name} ${h.address}`);
    expect(homes()).toEqual(["home-a 127.0.0.1:9"]);
    next = proxyToml('secret_env = "AAA_RUNTIME_TEST_NEVER_SET"');
    const r = await rt.reload();
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join(" ")).toContain("AAA_RUNTIME_TEST_NEVER_SET");
    expect(lines.some((l) => l.event === "reload_refused")).toBe(true);
    // The proxy is still there (a fail-open reload left none), and the running configuration unchanged.
    expect(homes()).toEqual(["home-a 127.0.0.1:9"]);
    expect(rt.config.radius.proxy?.home_servers[0]?.secret).toBe("s1");
  } finally {
    await rt.shutdown(100);
  }
});

const freePort = () => {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = s.port;
  s.stop(true);
  return p;
};
const canConnect = async (port: number) => {
  try {
    const s = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
    s.end();
    return true;
  } catch {
    return false;
  }
};

test("a reload to a listen address that cannot be bound is refused, and the old listener is back on its address", async () => {
  const oldPort = freePort();
  const blocker = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  let text = cfgToml({ tacacs: oldPort });
  const { rt, lines } = runtime(() => text);
  await rt.start(parse(text));
  try {
    expect(await canConnect(oldPort)).toBe(true);
    text = cfgToml({ tacacs: blocker.port });
    const r = await rt.reload();
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join(" ")).toContain(`cannot listen on 127.0.0.1:${blocker.port}`);
    expect(lines.some((l) => l.event === "reload_refused")).toBe(true);
    expect(await canConnect(oldPort)).toBe(true);
    expect(rt.listeners().map((l) => `${l.address} ${l.state}`)).toEqual([
      `127.0.0.1:${oldPort} listening`,
    ]);
    expect(rt.config.tacacs.listen.map((l) => l.address)).toEqual([`127.0.0.1:${oldPort}`]);
    // Once the address is free, the same file applies (the running config did not change meanwhile).
    blocker.stop(true);
    const again = await rt.reload();
    expect(again.ok).toBe(true);
    expect(await canConnect(blocker.port)).toBe(true);
  } finally {
    await rt.shutdown(100);
    blocker.stop(true);
  }
});

test("a reload asked for while one runs runs again afterwards and reads the file as it is then; none after shutdown", async () => {
  const port = freePort();
  let text = cfgToml({ tacacs: port });
  const { rt, loads } = runtime(() => text);
  await rt.start(parse(text));
  try {
    const first = rt.reload();
    text = cfgToml({ tacacs: port, extra: '[log]\nlevel = "warn"\n' });
    const second = rt.reload();
    const third = rt.reload();
    await first;
    const r2 = await second;
    expect(await third).toEqual(r2);
    expect(loads()).toBe(2);
    expect(rt.config.log.level).toBe("warn");
  } finally {
    await rt.shutdown(100);
  }
  expect(await rt.reload()).toEqual({ ok: false, errors: ["shutting down"] });
});

test("a reload that rebuilds the policy keeps every lockout (a user under attack stays locked) and the since-start-up counters", async () => {
  const { DeviceStore } = await import("../../src/store/devices.ts");
  const { addUserGroup } = await import("../../src/store/user-groups.ts");
  const { addUser } = await import("../../src/store/users.ts");
  const devices = new DeviceStore(store.sqlite);
  devices.addGroup({ name: "lock-core", tacacsSecret: "k" });
  const groupId = (
    store.sqlite.query("SELECT id FROM device_groups WHERE name = 'lock-core'").get() as {
      id: number;
    }
  ).id;
  expect(
    (await addUserGroup(store, { name: "lock-ops", deviceGroups: ["lock-core"] }, "test")).ok,
  ).toBe(true);
  expect(
    (
      await addUser(
        store,
        { username: "locky", password: "right-pw-1", groups: ["lock-ops"] },
        "test",
      )
    ).ok,
  ).toBe(true);
  const port = freePort();
  let text = cfgToml({ tacacs: port, extra: "[policy.lockout]\nmax_failures = 3\n" });
  const { rt } = runtime(() => text);
  await rt.start(parse(text));
  const policy = () =>
    (
      rt as unknown as {
        shared: {
          policy: {
            authenticatePassword(r: unknown): Promise<{ reason: string }> | { reason: string };
            account(r: unknown): Promise<void>;
          };
        };
      }
    ).shared.policy;
  const gauge = (name: string) =>
    Number(new RegExp(`^${name} (\\d+)$`, "m").exec(rt.registry.renderPrometheus())?.[1] ?? NaN);
  const record = () =>
    policy().account({
      protocol: "radius",
      time: Date.now(),
      clientIp: "192.0.2.77",
      device: "d",
      deviceGroup: "lock-core",
      username: "locky",
      sessionId: "s",
      recordType: "start",
      attributes: {},
    });
  const login = async (pw: string) =>
    (
      await policy().authenticatePassword({
        username: "locky",
        password: pw,
        clientIp: "192.0.2.77",
        device: { deviceName: "d", groupId, groupName: "lock-core" },
      })
    ).reason;
  try {
    for (let i = 0; i < 3; i++) expect(await login(`wrong-${i}`)).toBe("bad-password");
    expect(await login("right-pw-1")).toBe("locked-out");
    await record();
    expect([gauge("aaa_lockouts"), gauge("aaa_accounting_committed")]).toEqual([1, 1]);
    text = cfgToml({
      tacacs: port,
      extra: "[policy.lockout]\nmax_failures = 3\n[accounting]\nretention_days = 30\n",
    });
    const r = await rt.reload();
    expect(r.ok && r.changed).toContain("policy");
    expect(await login("right-pw-1")).toBe("locked-out");
    await record();
    expect([gauge("aaa_lockouts"), gauge("aaa_accounting_committed")]).toEqual([1, 2]);
  } finally {
    await rt.shutdown(100);
  }
});

test("POST /api/admin/reload that changes [http] still gets its answer (the old listener drains, the new one binds)", async () => {
  const token = "runtime-test-token-0123456789";
  const port = freePort();
  const httpToml = (allow: string) =>
    cfgToml({
      http: `listen = "127.0.0.1:${port}"\nallow = [${allow}]\nadmin_token_env = "AAA_RT_TEST_TOKEN"`,
    });
  let text = httpToml('"127.0.0.0/8"');
  const { rt } = runtime(() => text, { AAA_RT_TEST_TOKEN: token });
  await rt.start(parse(text));
  try {
    text = httpToml('"127.0.0.0/8", "::1/128"');
    const res = await fetch(`http://127.0.0.1:${port}/api/admin/reload`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect(rt.config.http.allow).toEqual(["127.0.0.0/8", "::1/128"]);
    expect((await fetch(`http://127.0.0.1:${port}/api/health`)).status).toBe(200);
  } finally {
    await rt.shutdown(100);
  }
});
