// The reload module without sockets: what a config change rebuilds (planReload), and the
// Reloader's order and rollback against a fake target that records what it is asked to do.
import { expect, test } from "bun:test";
import { parseConfigText } from "../../src/config/load.ts";
import type { Config } from "../../src/config/schema.ts";
import type { ListenerStatus } from "../../src/lib/listener-status.ts";
import { silentLogger } from "../../src/lib/log.ts";
import {
  planReload,
  Reloader,
  type ListenerSection,
  type ReloadTarget,
} from "../../src/root/reload.ts";

/** A valid config; each key adds lines to its table. */
const cfg = (o: { tacacs?: string; http?: string; extra?: string } = {}): Config => {
  const r = parseConfigText(`
[store]
path = "/tmp/never-opened.sqlite"
[tacacs]
listen = ["127.0.0.1:4949"]
${o.tacacs ?? ""}
[radius]
auth_listen = ["127.0.0.1:1812"]
[http]
listen = "127.0.0.1:9090"
${o.http ?? ""}
${o.extra ?? ""}
`);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value;
};
const proxy = `
[[radius.proxy.home_servers]]
name = "h"
address = "127.0.0.1:1912"
type = "auth"
secret = "s"
[[radius.proxy.pools]]
name = "p"
servers = ["h"]
`;

test("a change rebuilds only the part built from it", () => {
  const a = cfg();
  expect(planReload(a, cfg())).toEqual({
    listeners: [],
    devices: false,
    policy: false,
    radiusProxy: false,
  });
  expect(planReload(a, cfg({ tacacs: 'idle_timeout = "11m"' })).listeners).toEqual(["tacacs"]);
  // The proxy has its own life: adding it leaves the RADIUS listeners alone.
  expect(planReload(a, cfg({ extra: proxy }))).toMatchObject({ listeners: [], radiusProxy: true });
  expect(planReload(a, cfg({ extra: "[accounting]\nretention_days = 7" }))).toMatchObject({
    listeners: [],
    policy: true,
  });
  expect(planReload(a, cfg({ extra: "[devices]\nauto_register_max = 5" }))).toMatchObject({
    listeners: [],
    devices: true,
    policy: false,
  });
});

/** A target that records calls; `failOn` makes one section's new listeners fail to bind. */
function fakeTarget(start: Config, failOn?: ListenerSection) {
  const calls: string[] = [];
  let current = start;
  const target: ReloadTarget<string> = {
    get config() {
      return current;
    },
    env: {},
    check: () => [],
    buildProxy: async () => (calls.push("buildProxy"), "proxy"),
    stopProxy: (p) => void calls.push(`stopProxy ${p}`),
    swap: async (section, c): Promise<ListenerStatus[]> => {
      const back = c === current;
      calls.push(`swap ${section}${back ? " (back)" : ""}`);
      const failed = section === failOn && !back;
      return [{ protocol: "tacacs", address: "x", state: failed ? "failed" : "listening" }];
    },
    commit: (next) => {
      calls.push("commit");
      current = next;
    },
  };
  return { target, calls };
}

test("the proxy is built first, listeners swap in order, what cannot fail comes last", async () => {
  const prev = cfg();
  const next = cfg({
    tacacs: 'idle_timeout = "11m"',
    http: 'allow = ["10.0.0.0/8"]',
    extra: proxy,
  });
  const { target, calls } = fakeTarget(prev);
  const r = await new Reloader(
    () => ({ ok: true, cfg: next, env: {} }),
    target,
    silentLogger,
  ).reload();
  expect(r).toEqual({ ok: true, changed: ["tacacs", "http", "radius.proxy"] });
  expect(calls).toEqual(["buildProxy", "swap tacacs", "swap http", "commit"]);
});

test("a section that cannot bind puts every swapped one back, stops the new proxy, commits nothing", async () => {
  const prev = cfg();
  const next = cfg({
    tacacs: 'idle_timeout = "11m"',
    http: 'allow = ["10.0.0.0/8"]',
    extra: proxy,
  });
  const { target, calls } = fakeTarget(prev, "http");
  const r = await new Reloader(
    () => ({ ok: true, cfg: next, env: {} }),
    target,
    silentLogger,
  ).reload();
  expect(r.ok).toBe(false);
  expect(calls).toEqual([
    "buildProxy",
    "swap tacacs",
    "swap http",
    "swap http (back)",
    "swap tacacs (back)",
    "stopProxy proxy",
  ]);
  expect(target.config).toBe(prev);
});

test("reloads run one at a time; those asked for meanwhile share one more run", async () => {
  const { target } = fakeTarget(cfg());
  let reads = 0;
  const reloader = new Reloader(
    () => (reads++, { ok: true, cfg: cfg(), env: {} }),
    target,
    silentLogger,
  );
  const all = await Promise.all([reloader.reload(), reloader.reload(), reloader.reload()]);
  expect(all.every((r) => r.ok)).toBe(true);
  expect(reads).toBe(2);
  reloader.stop();
  expect(await reloader.reload()).toEqual({ ok: false, errors: ["shutting down"] });
});
