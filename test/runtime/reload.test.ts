// Runtime.reload() when the new RADIUS proxy cannot start: the reload is refused, logged, and the
// running proxy keeps routing (clearing it first would answer every realm from local policy — fail
// open). The loader here skips main.ts's environment check on purpose, to reach the runtime's own
// guard; with the real loader the same file is refused earlier, with the key path (e2e test).
import { afterAll, expect, test } from "bun:test";
import { parseConfigText } from "../../src/config/load.ts";
import type { Config } from "../../src/config/schema.ts";
import { createLogger } from "../../src/lib/log.ts";
import { Ring } from "../../src/lib/recent.ts";
import { Runtime } from "../../src/runtime.ts";
import { tempStore } from "../support/tmp.ts";

const store = tempStore();
afterAll(() => store.remove());

const toml = (secretLine: string) => `
[store]
path = "${store.dir}/aaa.sqlite"
[tacacs]
listen = []
[radius]
auth_listen = ["127.0.0.1:0"]
acct_listen = []
[[radius.proxy.home_servers]]
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
[http]
listen = ""
`;
const parse = (text: string): Config => {
  const r = parseConfigText(text);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value;
};

test("a proxy that cannot start refuses the reload, is logged, and the old proxy stays in place", async () => {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({ level: "info", write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });
  let next = toml('secret = "s1"');
  const rt = new Runtime({
    version: "test",
    store,
    log,
    failures: new Ring(10),
    loadConfig: () => ({ ok: true, cfg: parse(next) }),
  });
  await rt.start(parse(next));
  try {
    const homes = () =>
      (rt.stats().radius_proxy as { home_servers: Array<{ name: string; address: string }> } | undefined)?.home_servers.map((h) => `${h.name} ${h.address}`);
    expect(homes()).toEqual(["home-a 127.0.0.1:9"]);
    next = toml('secret_env = "AAA_RUNTIME_TEST_NEVER_SET"');
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
