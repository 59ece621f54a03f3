import { describe, expect, test } from "bun:test";
import { parseConfigText } from "./load.ts";

const MIN = `[store]\npath = "x.sqlite"\n`;
const HS = (name: string, extra = "") =>
  `[[radius.proxy.home_servers]]\nname = "${name}"\naddress = "127.0.0.1:1812"\nsecret = "s"\n${extra}\n`;
const POOL = (name: string, servers: string[], extra = "") =>
  `[[radius.proxy.pools]]\nname = "${name}"\nservers = ${JSON.stringify(servers)}\n${extra}\n`;
const REALM = (name: string, pool: string, extra = "") =>
  `[[radius.proxy.realms]]\nname = "${name}"\npool = "${pool}"\n${extra}\n`;

function errorsOf(toml: string): string[] {
  const r = parseConfigText(MIN + toml);
  return (r.errors ?? []).map((e) => `${e.path}: ${e.reason}`);
}

describe("[radius.proxy]", () => {
  test("a complete configuration is accepted, with defaults filled in", () => {
    const r = parseConfigText(
      MIN +
        HS("a", 'secret_env = "X"\ntype = "both"').replace('secret = "s"\n', "") +
        HS("b") +
        POOL("p", ["a", "b"], 'strategy = "keyed"') +
        REALM("example.com", "p", 'match = "suffix"') +
        REALM("corp", "local"),
    );
    expect(r.errors ?? []).toEqual([]);
    if (!r.ok) return;
    const p = r.value.radius.proxy!;
    expect(p.retry).toEqual({
      initial_timeout: 1000,
      max_timeout: 8000,
      max_retries: 3,
      max_duration: 30_000,
    });
    expect(p.home_servers[1]!.require_message_authenticator).toBe(true);
    expect(p.home_servers[1]!.type).toBe("auth");
    expect(p.realms[0]!.strip).toBe(true);
  });
  test("unknown pool, unknown server, duplicates, empty pool — each with its key path", () => {
    expect(errorsOf(HS("a") + POOL("p", ["a"]) + REALM("x", "p") + REALM("y", "nope"))).toEqual([
      'radius.proxy.realms[1].pool: unknown pool "nope"',
    ]);
    expect(errorsOf(HS("a") + POOL("p", ["a", "zz"]))).toEqual([
      'radius.proxy.pools[0].servers[1]: unknown home server "zz"',
    ]);
    expect(errorsOf(HS("a") + HS("a"))).toEqual([
      'radius.proxy.home_servers[1].name: duplicate home server "a"',
    ]);
    expect(errorsOf(HS("a") + POOL("p", ["a"]) + REALM("x", "p") + REALM("x", "local"))).toContain(
      'radius.proxy.realms[1].name: duplicate realm "x"',
    );
    expect(
      errorsOf(HS("a") + POOL("p", ["a"]) + REALM("x", "p") + REALM("y", "local", 'pattern = "X"')),
    ).toEqual(["radius.proxy.realms[1]: duplicate realm match exact:x"]);
    expect(errorsOf(POOL("p", []))).toEqual([
      "radius.proxy.pools[0].servers: a pool needs at least one home server",
    ]);
    expect(errorsOf(HS("a") + POOL("local", ["a"]))).toEqual([
      'radius.proxy.pools[0].name: "local" is reserved',
    ]);
  });
  test("bad addresses, secrets, regexes, attributes and references", () => {
    expect(errorsOf(HS("a").replace("127.0.0.1:1812", "radius.example.com:1812"))[0]).toStartWith(
      "radius.proxy.home_servers[0].address: bad address",
    );
    expect(errorsOf(HS("a").replace("127.0.0.1:1812", "127.0.0.1:0"))[0]).toStartWith(
      "radius.proxy.home_servers[0].address: port 0",
    );
    expect(errorsOf(HS("a").replace('secret = "s"\n', ""))).toEqual([
      "radius.proxy.home_servers[0]: needs exactly one of secret or secret_env",
    ]);
    expect(errorsOf(HS("a", 'secret_env = "S"'))).toEqual([
      "radius.proxy.home_servers[0]: needs exactly one of secret or secret_env",
    ]);
    expect(
      errorsOf(
        HS("a") + POOL("p", ["a"]) + REALM("r", "p", 'match = "regex"\npattern = "(unclosed"'),
      )[0],
    ).toStartWith("radius.proxy.realms[0].pattern: invalid regex");
    expect(errorsOf(HS("a") + POOL("p", ["a"], 'key_attributes = ["No-Such-Attr"]'))).toEqual([
      'radius.proxy.pools[0].key_attributes[0]: unknown standard attribute "No-Such-Attr"',
    ]);
    expect(errorsOf(HS("a") + POOL("p", ["a"]) + REALM("r", "p", 'acct_pool = "p"'))).toEqual([
      'radius.proxy.realms[0].acct_pool: pool "p" has no accounting server (type "acct" or "both")',
    ]);
    expect(errorsOf(`[radius.proxy]\ndefault_realm = "nope"\n`)).toEqual([
      'radius.proxy.default_realm: unknown realm "nope"',
    ]);
    expect(errorsOf(HS("a", 'strategy = "x"'))[0]).toStartWith(
      "radius.proxy.home_servers[0].strategy: unknown key",
    );
    expect(errorsOf(HS("a") + POOL("p", ["a"], 'strategy = "fastest"'))[0]).toStartWith(
      "radius.proxy.pools[0].strategy: must be one of",
    );
    expect(errorsOf(`[radius.proxy.retry]\ninitial_timeout = "5s"\nmax_timeout = "1s"\n`)).toEqual([
      "radius.proxy.retry.max_timeout: must not be below retry.initial_timeout",
    ]);
  });
});
