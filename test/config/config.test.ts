import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_CONFIG_TOML } from "../../src/config/default.ts";
import { parseConfigText, validateConfig } from "../../src/config/load.ts";

const root = join(import.meta.dir, "..", "..");
const MIN = `[store]\npath = "x.sqlite"\n`;

function errorsOf(toml: string): string[] {
  const r = parseConfigText(toml);
  expect(r.ok).toBe(false);
  return (r.errors ?? []).map((e) => `${e.path}: ${e.reason}`);
}

describe("config rejections name the key path and the reason", () => {
  test("unknown key, at any depth", () => {
    expect(errorsOf(`${MIN}colour = "blue"`)).toEqual(["store.colour: unknown key"]);
    expect(errorsOf(`${MIN}[tacacs.proxy_protocol]\nenable = true`)).toEqual([
      "tacacs.proxy_protocol.enable: unknown key",
    ]);
    expect(errorsOf(`${MIN}[radius]\nauth_listn = []`)).toEqual(["radius.auth_listn: unknown key"]);
    expect(errorsOf(`${MIN}[nonsense]\na = 1`)).toEqual(["nonsense: unknown key"]);
  });
  test("wrong types", () => {
    expect(errorsOf(`${MIN}[tacacs]\nsingle_connect = "yes"`)[0]).toStartWith(
      "tacacs.single_connect: ",
    );
    expect(errorsOf(`${MIN}[tacacs]\nlisten = "127.0.0.1:49"`)[0]).toStartWith("tacacs.listen: ");
    expect(errorsOf(`${MIN}[tacacs]\nmax_body_length = 12.5`)).toEqual([
      "tacacs.max_body_length: must be an integer",
    ]);
    expect(errorsOf(`[store]\npath = 5`)[0]).toStartWith("store.path: ");
  });
  test("missing required section", () => {
    expect(errorsOf(`[log]\nlevel = "info"`)).toEqual(["store: is required"]);
  });
  test("bad listen addresses", () => {
    expect(errorsOf(`${MIN}[tacacs]\nlisten = ["127.0.0.1"]`)).toEqual([
      'tacacs.listen[0]: bad listen address: expected address:port, got "127.0.0.1"',
    ]);
    expect(errorsOf(`${MIN}[radius]\nauth_listen = ["1.2.3.4:70000"]`)[0]).toStartWith(
      "radius.auth_listen[0]: bad listen address",
    );
    expect(errorsOf(`${MIN}[radius]\nacct_listen = ["::1:1813"]`)[0]).toContain(
      "IPv6 addresses need brackets",
    );
    expect(errorsOf(`${MIN}[http]\nlisten = "localhost:9090"`)[0]).toContain(
      "not a numeric IP address",
    );
    expect(errorsOf(`${MIN}[tacacs]\nlisten = [{ address = "10.0.0.1" }]`)[0]).toStartWith(
      "tacacs.listen[0]",
    );
  });
  test("bad CIDRs", () => {
    expect(errorsOf(`${MIN}[http]\nallow = ["10.0.0.0/33"]`)).toEqual([
      'http.allow[0]: "10.0.0.0/33" is not a valid CIDR',
    ]);
    expect(errorsOf(`${MIN}[http]\nallow = ["10.0.0.0/8", "banana"]`)).toEqual([
      'http.allow[1]: "banana" is not a valid CIDR',
    ]);
  });
  test("bad durations and ranges", () => {
    expect(
      errorsOf(`${MIN}[tacacs.proxy_protocol]\nfirst_packet_timeout = "5 minutes"`)[0],
    ).toContain("is not a duration");
    expect(errorsOf(`${MIN}[radius]\nduplicate_lifetime = "2m"`)).toEqual([
      "radius.duplicate_lifetime: must be between 5000ms and 30000ms",
    ]);
    expect(errorsOf(`${MIN}[log]\nlevel = "verbose"`)[0]).toStartWith("log.level: must be one of");
  });
  test("cross-key rules", () => {
    expect(errorsOf(`${MIN}[devices]\nauto_register = true`)).toEqual([
      "devices.default_group: is required when devices.auto_register = true",
    ]);
    expect(
      errorsOf(`${MIN}[tacacs]\nlisten = ["127.0.0.1:49"]\n[http]\nlisten = "127.0.0.1:49"`),
    ).toEqual(["http.listen: 127.0.0.1:49 is already used by tacacs.listen[0]"]);
  });
  test("TOML syntax errors", () => {
    expect(errorsOf(`[store\npath="x"`)[0]).toStartWith("(toml): ");
  });
  test("an unquoted value (a secret typed without quotes) is reported by key path and line, never echoed", () => {
    const toml = `${MIN}[[radius.proxy.home_servers]]\nname = "a"\n[[radius.proxy.home_servers]]\nname = "b"\nsecret = Sup3rSecretValue  # oops`;
    const errors = errorsOf(toml);
    expect(errors).toEqual([
      "radius.proxy.home_servers[1].secret: line 7: the value must be a quoted string (not shown here)",
    ]);
    expect(JSON.stringify(errors)).not.toContain("Sup3rSecretValue");
  });
});

describe("defaults", () => {
  test("a minimal file gets every default, durations in milliseconds", () => {
    const r = parseConfigText(MIN);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.value.tacacs.listen).toEqual([]);
    expect(r.value.tacacs.proxy_protocol).toEqual({
      enabled: false,
      validate_sources: true,
      reject_invalid: true,
      first_packet_timeout: 5000,
    });
    expect(r.value.tacacs.max_body_length).toBe(65536);
    expect(r.value.http.listen).toBe("");
    expect(r.value.policy.default_command_action).toBe("deny");
  });
  test("the embedded default serves TACACS+, RADIUS and HTTP on loopback only", () => {
    const r = parseConfigText(DEFAULT_CONFIG_TOML);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const addrs = [
      ...r.value.tacacs.listen.map((l) => (typeof l === "string" ? l : l.address)),
      ...r.value.radius.auth_listen,
      ...r.value.radius.acct_listen,
      r.value.http.listen,
    ];
    expect(addrs.length).toBe(4);
    for (const a of addrs) expect(a).toStartWith("127.0.0.1:");
  });
});

describe("aaa.example.toml", () => {
  const text = readFileSync(join(root, "aaa.example.toml"), "utf8");
  test("is valid", () => {
    const r = parseConfigText(text);
    expect(r.errors ?? []).toEqual([]);
  });
  test("documents every key the schema knows, with its default value", () => {
    const example = Bun.TOML.parse(text) as Record<string, unknown>;
    const defaults = validateConfig(Bun.TOML.parse(MIN));
    if (!defaults.ok) throw new Error("defaults");
    const missing: string[] = [];
    const walk = (def: unknown, ex: unknown, path: string) => {
      if (def !== null && typeof def === "object" && !Array.isArray(def)) {
        for (const [k, v] of Object.entries(def))
          walk(v, (ex as Record<string, unknown> | undefined)?.[k], path ? `${path}.${k}` : k);
      } else if (ex === undefined) missing.push(path);
    };
    walk(defaults.value, example, "");
    expect(missing).toEqual([]);
  });
});
