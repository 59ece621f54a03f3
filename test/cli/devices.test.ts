import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runMain } from "../support/cli.ts";
import { tempDir } from "../support/tmp.ts";

const dir = tempDir("aaa-cli-");
/** Tests that start the CLI a dozen times or more: a generous bound for a loaded CI machine. */
const SPAWNS = 30_000;
const cfg = join(dir.path, "aaa.toml");
const db = join(dir.path, "aaa.sqlite");

function dump(): string {
  const d = new Database(db, { readonly: true });
  const out = ["device_groups", "devices", "proxies"]
    .map((t) => JSON.stringify(d.query(`SELECT * FROM ${t} ORDER BY id`).all()))
    .join("\n");
  d.close();
  return out;
}

beforeAll(() => {
  writeFileSync(cfg, `[store]\npath = "${db}"\n`);
  expect(
    runMain([
      "group",
      "add",
      "core",
      "--tacacs-secret",
      "s3cret-tac",
      "--radius-secret",
      "s3cret-rad",
      "--config",
      cfg,
    ]).code,
  ).toBe(0);
  expect(
    runMain([
      "group",
      "add",
      "tenant",
      "--tacacs-secret",
      "t",
      "--proxy-network",
      "192.0.2.0/28",
      "--config",
      cfg,
    ]).code,
  ).toBe(0);
  expect(
    runMain(["device", "add", "r1", "--network", "10.0.0.1/32", "--group", "core", "--config", cfg])
      .code,
  ).toBe(0);
  expect(runMain(["proxy", "add", "lb1", "--network", "192.0.2.1", "--config", cfg]).code).toBe(0);
});
afterAll(() => dir.remove());

describe("list", () => {
  test("--json prints JSON and never a secret", () => {
    const groups = runMain(["group", "list", "--json", "--config", cfg]);
    expect(groups.code).toBe(0);
    const parsed = JSON.parse(groups.stdout);
    expect(parsed).toEqual([
      {
        name: "core",
        description: "",
        tacacs_secret_set: true,
        radius_secret_set: true,
        proxy_network: null,
        require_message_authenticator: true,
        devices: 1,
      },
      {
        name: "tenant",
        description: "",
        tacacs_secret_set: true,
        radius_secret_set: false,
        proxy_network: "192.0.2.0/28",
        require_message_authenticator: true,
        devices: 0,
      },
    ]);
    expect(groups.stdout).not.toContain("s3cret");
    const human = runMain(["group", "list", "--config", cfg]);
    expect(human.stdout).not.toContain("s3cret");
    expect(human.stdout).toContain("core");
    expect(JSON.parse(runMain(["device", "list", "--json", "--config", cfg]).stdout)).toEqual([
      { name: "r1", network: "10.0.0.1/32", group: "core", enabled: true, auto_registered: false },
    ]);
    expect(JSON.parse(runMain(["proxy", "list", "--json", "--config", cfg]).stdout)).toEqual([
      { name: "lb1", network: "192.0.2.1/32", description: "" },
    ]);
  });
  test("the audit table records changes without secrets", () => {
    const d = new Database(db, { readonly: true });
    const rows = d
      .query<{ action: string; object: string; detail: string }, []>(
        "SELECT action, object, detail FROM audit ORDER BY id",
      )
      .all();
    d.close();
    expect(rows.map((r) => `${r.action} ${r.object}`)).toEqual([
      "group.add core",
      "group.add tenant",
      "device.add r1",
      "proxy.add lb1",
    ]);
    expect(JSON.stringify(rows)).not.toContain("s3cret");
  });
});

test("--tacacs-secret-env / --radius-secret-env read the secret from the environment (not argv)", () => {
  const env = { AAA_CLI_TAC: "tac-from-env", AAA_CLI_RAD: "rad-from-env" };
  expect(
    runMain(
      [
        "group",
        "add",
        "envg",
        "--tacacs-secret-env",
        "AAA_CLI_TAC",
        "--radius-secret-env",
        "AAA_CLI_RAD",
        "--config",
        cfg,
      ],
      { env },
    ).code,
  ).toBe(0);
  const d = new Database(db, { readonly: true });
  const row = d
    .query("SELECT tacacs_secret, radius_secret FROM device_groups WHERE name = 'envg'")
    .get() as { tacacs_secret: string; radius_secret: string };
  d.close();
  expect(row).toEqual({ tacacs_secret: "tac-from-env", radius_secret: "rad-from-env" });
  expect(
    runMain(["group", "set", "envg", "--tacacs-secret-env", "AAA_CLI_TAC2", "--config", cfg], {
      env: { AAA_CLI_TAC2: "rotated" },
    }).code,
  ).toBe(0);
  const d2 = new Database(db, { readonly: true });
  expect(
    (
      d2.query("SELECT tacacs_secret FROM device_groups WHERE name = 'envg'").get() as {
        tacacs_secret: string;
      }
    ).tacacs_secret,
  ).toBe("rotated");
  d2.close();
  expect(runMain(["group", "remove", "envg", "--config", cfg]).code).toBe(0);
});

describe("bad input: one clear line on stderr, non-zero exit, database unchanged", () => {
  const cases: Array<[string, string[], RegExp]> = [
    [
      "unknown group",
      ["device", "add", "r2", "--network", "10.0.0.2/32", "--group", "nope"],
      /group "nope" does not exist/,
    ],
    [
      "duplicate device",
      ["device", "add", "r1", "--network", "10.0.0.9/32", "--group", "core"],
      /device "r1" already exists/,
    ],
    ["duplicate group", ["group", "add", "core"], /group "core" already exists/],
    [
      "duplicate proxy",
      ["proxy", "add", "lb1", "--network", "192.0.2.9"],
      /proxy "lb1" already exists/,
    ],
    [
      "bad device CIDR",
      ["device", "add", "r3", "--network", "10.0.0.300/32", "--group", "core"],
      /--network "10.0.0.300\/32" is not a valid CIDR/,
    ],
    [
      "bad proxy network",
      ["group", "add", "g2", "--proxy-network", "192.0.2.0/40"],
      /--proxy-network "192.0.2.0\/40" is not a valid CIDR/,
    ],
    ["bad proxy CIDR", ["proxy", "add", "lb2", "--network", "nope"], /is not a valid CIDR/],
    [
      "missing --network",
      ["device", "add", "r4", "--group", "core"],
      /missing required flag --network/,
    ],
    [
      "missing --group",
      ["device", "add", "r4", "--network", "10.0.0.4/32"],
      /missing required flag --group/,
    ],
    ["missing name", ["group", "add"], /missing group name/],
    [
      "unknown flag",
      ["group", "add", "g3", "--tacacs-secet", "x"],
      /Unknown option '--tacacs-secet'/,
    ],
    ["bad name", ["group", "add", "has space"], /group name "has space" must be/],
    [
      "empty secret",
      ["group", "add", "g4", "--radius-secret", ""],
      /--radius-secret must be 1-256 characters/,
    ],
    [
      "secret env unset",
      ["group", "add", "g5", "--radius-secret-env", "AAA_CLI_TEST_UNSET"],
      /--radius-secret-env: environment variable AAA_CLI_TEST_UNSET is not set/,
    ],
    [
      "secret and secret env",
      ["group", "add", "g6", "--tacacs-secret", "x", "--tacacs-secret-env", "HOME"],
      /--tacacs-secret and --tacacs-secret-env together/,
    ],
    ["remove unknown device", ["device", "remove", "ghost"], /device "ghost" does not exist/],
    ["remove group in use", ["group", "remove", "core"], /group "core" still has 1 device/],
    ["unknown action", ["device", "frobnicate"], /unknown action "device frobnicate"/],
    ["unknown command", ["frobnicate", "add"], /unknown command "frobnicate"/],
  ];
  for (const [name, args, message] of cases)
    test(name, () => {
      const before = dump();
      const r = runMain([...args, "--config", cfg]);
      expect(r.code).not.toBe(0);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe("");
      expect(dump()).toBe(before);
    });
});

describe("set: change in place (secret rotation, moves, disable)", () => {
  test(
    "group set rotates and clears secrets; device set moves and disables; bad input changes nothing",
    () => {
      const secretOf = (name: string) => {
        const d = new Database(db, { readonly: true });
        const r = d
          .query<{ t: string | null; r: string | null }, [string]>(
            "SELECT tacacs_secret AS t, radius_secret AS r FROM device_groups WHERE name = ?",
          )
          .get(name);
        d.close();
        return r;
      };
      expect(
        runMain(["group", "add", "rot", "--tacacs-secret", "old-key", "--config", cfg]).code,
      ).toBe(0);
      expect(
        runMain([
          "group",
          "set",
          "rot",
          "--tacacs-secret",
          "new-key",
          "--radius-secret",
          "rad-new",
          "--config",
          cfg,
        ]).code,
      ).toBe(0);
      expect(secretOf("rot")).toEqual({ t: "new-key", r: "rad-new" });
      expect(runMain(["group", "set", "rot", "--clear-radius-secret", "--config", cfg]).code).toBe(
        0,
      );
      expect(secretOf("rot")).toEqual({ t: "new-key", r: null });
      const before = dump();
      for (const args of [
        ["group", "set", "rot", "--proxy-network", "10.0.0.0/99"],
        ["group", "set", "rot", "--tacacs-secret", "x", "--clear-tacacs-secret"],
        ["group", "set", "rot"],
        ["group", "set", "ghost", "--description", "x"],
        ["device", "set", "r1", "--group", "nope"],
        ["device", "set", "r1", "--enable", "--disable"],
      ]) {
        const r = runMain([...args, "--config", cfg]);
        expect(r.code).toBe(1);
        expect(r.stderr.trim().split("\n")).toHaveLength(1);
      }
      expect(dump()).toBe(before);
      expect(runMain(["device", "set", "r1", "--disable", "--config", cfg]).code).toBe(0);
      expect(
        JSON.parse(runMain(["device", "list", "--json", "--config", cfg]).stdout),
      ).toContainEqual({
        name: "r1",
        network: "10.0.0.1/32",
        group: "core",
        enabled: false,
        auto_registered: false,
      });
      expect(runMain(["device", "set", "r1", "--enable", "--config", cfg]).code).toBe(0);
      const audit = new Database(db, { readonly: true });
      const rows = audit
        .query<{ detail: string }, []>(
          "SELECT detail FROM audit WHERE action = 'group.set' AND object = 'rot'",
        )
        .all();
      audit.close();
      expect(rows.length).toBe(2);
      expect(JSON.stringify(rows)).not.toContain("new-key");
      expect(runMain(["group", "remove", "rot", "--config", cfg]).code).toBe(0);
    },
    SPAWNS,
  );
});

test(
  "proxy set changes a PROXY v2 sender in place; bad input changes nothing",
  () => {
    expect(
      runMain([
        "proxy",
        "set",
        "lb1",
        "--network",
        "192.0.2.9",
        "--description",
        "lb",
        "--config",
        cfg,
      ]).code,
    ).toBe(0);
    expect(JSON.parse(runMain(["proxy", "list", "--json", "--config", cfg]).stdout)).toEqual([
      { name: "lb1", network: "192.0.2.9/32", description: "lb" },
    ]);
    expect(
      runMain([
        "proxy",
        "set",
        "lb1",
        "--network",
        "192.0.2.1",
        "--description",
        "",
        "--config",
        cfg,
      ]).code,
    ).toBe(0);
    const before = dump();
    for (const args of [
      ["proxy", "set", "lb1"],
      ["proxy", "set", "ghost", "--description", "x"],
      ["proxy", "set", "lb1", "--network", "nope"],
    ]) {
      const r = runMain([...args, "--config", cfg]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
    expect(dump()).toBe(before);
  },
  SPAWNS,
);

describe("--require-message-authenticator: one spelling for group add and group set (issue 21 #11)", () => {
  const rma = (name: string) => {
    const d = new Database(db, { readonly: true });
    const r = d
      .query("SELECT require_message_authenticator AS v FROM device_groups WHERE name = ?")
      .get(name) as { v: number };
    d.close();
    return r.v;
  };
  test(
    "add and set take yes|no; the old add spelling --no-require-message-authenticator still works",
    () => {
      expect(runMain(["group", "add", "rma-yes", "--config", cfg]).code).toBe(0);
      expect(rma("rma-yes")).toBe(1);
      expect(
        runMain([
          "group",
          "add",
          "rma-no",
          "--require-message-authenticator",
          "no",
          "--config",
          cfg,
        ]).code,
      ).toBe(0);
      expect(rma("rma-no")).toBe(0);
      expect(
        runMain(["group", "add", "rma-old", "--no-require-message-authenticator", "--config", cfg])
          .code,
      ).toBe(0);
      expect(rma("rma-old")).toBe(0);
      expect(
        runMain([
          "group",
          "set",
          "rma-old",
          "--require-message-authenticator",
          "yes",
          "--config",
          cfg,
        ]).code,
      ).toBe(0);
      expect(rma("rma-old")).toBe(1);
      expect(
        runMain(["group", "set", "rma-old", "--no-require-message-authenticator", "--config", cfg])
          .code,
      ).toBe(0);
      expect(rma("rma-old")).toBe(0);
      for (const args of [
        ["group", "add", "rma-bad", "--require-message-authenticator", "maybe"],
        [
          "group",
          "add",
          "rma-bad",
          "--require-message-authenticator",
          "yes",
          "--no-require-message-authenticator",
        ],
      ]) {
        const r = runMain([...args, "--config", cfg]);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/--require-message-authenticator/);
        expect(r.stderr.trim().split("\n")).toHaveLength(1);
      }
      for (const g of ["rma-yes", "rma-no", "rma-old"])
        expect(runMain(["group", "remove", g, "--config", cfg]).code).toBe(0);
    },
    SPAWNS,
  );
  test("--help lists the same flag under group add and group set", () => {
    const help = runMain(["--help"]).stdout;
    const section = (verb: string) => {
      const start = help.indexOf(`group ${verb} NAME`);
      const end = help.indexOf("\n  group ", start + 1);
      return help.slice(start, end);
    };
    expect(section("add")).toContain("[--require-message-authenticator yes|no]");
    expect(section("set")).toContain("[--require-message-authenticator yes|no]");
  });
});

describe("config errors", () => {
  test("exit 2 with the key path, and no database created", () => {
    const bad = join(dir.path, "bad.toml");
    const dbPath = join(dir.path, "never.sqlite");
    writeFileSync(bad, `[store]\npath = "${dbPath}"\n[tacacs]\nlisten = ["127.0.0.1"]\n`);
    const r = runMain(["group", "list", "--config", bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("tacacs.listen[0]: bad listen address");
    expect(existsSync(dbPath)).toBe(false);
  });
  test("serve: a listener that cannot bind stops start-up with exit 1 and the address (systemd then restarts it)", () => {
    const blocker = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const busy = join(dir.path, "busy.toml");
      writeFileSync(
        busy,
        `[store]\npath = "${join(dir.path, "busy.sqlite")}"\n[tacacs]\nlisten = ["127.0.0.1:${blocker.port}"]\n[radius]\nauth_listen = []\nacct_listen = []\n[http]\nlisten = ""\n`,
      );
      const r = runMain(["--config", busy]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`error: cannot listen on tacacs 127.0.0.1:${blocker.port}`);
    } finally {
      blocker.stop(true);
    }
  });
  test("check-config: 0 for a valid file, 2 with reasons for an invalid one", () => {
    expect(runMain(["check-config", "--config", cfg])).toMatchObject({
      code: 0,
      stdout: `config ok: ${cfg}\n`,
    });
    const bad = join(dir.path, "bad2.toml");
    writeFileSync(bad, `[store]\npath = "x"\nbogus = 1\n[http]\nallow = ["1.2.3.0/99"]\n`);
    const r = runMain(["check-config", "--config", bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`config error: ${bad}: store.bogus: unknown key`);
    expect(r.stderr).toContain(`http.allow[0]: "1.2.3.0/99" is not a valid CIDR`);
  });
  test("serve refuses an invalid config with exit 2 and starts nothing", () => {
    const bad = join(dir.path, "bad3.toml");
    const dbPath = join(dir.path, "never2.sqlite");
    writeFileSync(
      bad,
      `[store]\npath = "${dbPath}"\n[http]\nlisten = "127.0.0.1:19999"\n[radius]\nauth_listen = ["1.2.3.4:1812", "1.2.3.4:1812"]\n`,
    );
    const r = runMain(["--config", bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "radius.auth_listen[1]: 1.2.3.4:1812 is already used by radius.auth_listen[0]",
    );
    expect(r.stdout).toBe("");
    expect(existsSync(dbPath)).toBe(false);
  });
  test("auto_register naming a group that is not in the store stops start-up", () => {
    const bad = join(dir.path, "bad4.toml");
    writeFileSync(
      bad,
      `[store]\npath = "${db}"\n[devices]\nauto_register = true\ndefault_group = "missing"\n`,
    );
    const r = runMain(["--config", bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'devices.default_group: group "missing" does not exist in the store',
    );
  });
});
