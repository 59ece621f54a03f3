// The policy CLI in-process: exit codes, one-line errors with the database unchanged, no secrets in
// listings, audit actor, and the offline tracer with a stub device resolver.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { policyCommands, type PolicyCliContext } from "../../src/cli/policy-commands.ts";
import { validateConfig } from "../../src/config/load.ts";
import { AccountingWriter } from "../../src/store/accounting.ts";
import { openStore, type Store } from "../../src/store/open.ts";
import { loadChapKey } from "../../src/policy/chap-credential.ts";
import { storeTracer } from "../../src/store/policy-source.ts";
import { sqliteAdminService } from "../../src/store/repos/index.ts";
import { deviceGroups } from "../../src/store/schema.ts";

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0).reverse()) f();
});

function setup(o: { env?: Record<string, string>; stdin?: string } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "aaa-cli-"));
  const store: Store = openStore(join(dir, "aaa.db"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanup.push(() => store.close());
  const cfg = validateConfig({ store: { path: join(dir, "aaa.db") } });
  if (!cfg.ok) throw new Error("config");
  const core = store.db
    .insert(deviceGroups)
    .values({ name: "core", tacacsSecret: "k" })
    .returning({ id: deviceGroups.id })
    .get().id;
  store.db.insert(deviceGroups).values({ name: "lab" }).run();
  const out: string[] = [];
  const err: string[] = [];
  const env = o.env ?? {};
  const ctx: PolicyCliContext = {
    admin: sqliteAdminService(store, {
      chapKey: loadChapKey(env, cfg.value.policy.chap_key_env),
    }),
    tracer: () => storeTracer(store, cfg.value, env),
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    actor: "cli:test",
    env,
    resolveDevice: (ip, proxy) =>
      ip === "10.0.0.1" && proxy === null
        ? { deviceName: "r1", groupId: core, groupName: "core" }
        : null,
    ...(o.stdin === undefined ? {} : { stdin: async () => o.stdin! }),
  };
  const run = async (line: string[]) => {
    out.length = 0;
    err.length = 0;
    const [cmd, ...rest] = line;
    return policyCommands[cmd!]!(rest, ctx);
  };
  const dump = () =>
    JSON.stringify(
      ["users", "user_groups", "user_group_members", "command_rules", "audit"].map((t) =>
        store.sqlite.query(`SELECT * FROM ${t}`).all(),
      ),
    );
  return { run, out, err, store, dump };
}

describe("policy CLI", () => {
  test("user lifecycle, listing without secrets, audit actor", async () => {
    const { run, out, err, store } = setup();
    expect(
      await run([
        "usergroup",
        "add",
        "ops",
        "--priv-lvl",
        "15",
        "--av",
        "service=shell:timeout=30",
        "--radius-reply",
        "Session-Timeout=3600",
        "--device-group",
        "core",
      ]),
    ).toBe(0);
    expect(
      await run([
        "user",
        "add",
        "alice",
        "--password",
        "Secret-1",
        "--group",
        "ops",
        "--enable-secret",
        "En-2",
        "--expires",
        "2099-01-01T00:00:00Z",
      ]),
    ).toBe(0);
    expect(out).toEqual(["user alice added"]);
    expect(await run(["user", "list", "--json"])).toBe(0);
    const listed = JSON.parse(out[0]!);
    expect(listed).toMatchObject([
      {
        username: "alice",
        enabled: true,
        groups: ["ops"],
        enableSecret: true,
        chap: "none",
        expiresAt: Date.parse("2099-01-01T00:00:00Z"),
      },
    ]);
    expect(out[0]).not.toMatch(/argon2|Secret-1|En-2/);
    expect(await run(["user", "list"])).toBe(0);
    expect(out[0]).toContain("alice\tenabled\tgroups=ops");
    expect(await run(["user", "disable", "alice"])).toBe(0);
    expect(await run(["user", "enable", "alice"])).toBe(0);
    expect(await run(["user", "passwd", "alice", "--password", "Secret-3"])).toBe(0);
    expect(await run(["usergroup", "list", "--json"])).toBe(0);
    expect(JSON.parse(out[0]!)).toMatchObject([
      {
        name: "ops",
        privLvl: 15,
        av: { shell: ["timeout=30"] },
        radiusReply: [{ name: "Session-Timeout", value: "3600" }],
        deviceGroups: ["core"],
        members: 1,
      },
    ]);
    expect(await run(["user", "remove", "alice"])).toBe(0);
    expect(err).toEqual([]);
    const audit = store.sqlite
      .query<{ actor: string; action: string; detail: string }, []>(
        "SELECT actor, action, detail FROM audit ORDER BY id",
      )
      .all();
    expect(audit.map((a) => a.action)).toEqual([
      "usergroup.add",
      "user.add",
      "user.disable",
      "user.enable",
      "user.passwd",
      "user.remove",
    ]);
    expect(audit.every((a) => a.actor === "cli:test")).toBe(true);
    expect(JSON.stringify(audit)).not.toMatch(/Secret-|En-2/);
  });

  test("bad input: exit 1, one clear line, database unchanged", async () => {
    const { run, err, dump } = setup();
    await run(["usergroup", "add", "ops", "--device-group", "core"]);
    const before = dump();
    const cases: [string[], RegExp][] = [
      [
        ["user", "add", "bob", "--password", "x", "--group", "nope"],
        /user group nope does not exist/,
      ],
      [["user", "add", "bob"], /--password or --password-stdin is required/],
      [["user", "add", "bob", "--password", "x", "--bogus"], /Unknown option '--bogus'/],
      [
        ["user", "add", "bob", "--password", "x", "--expires", "tomorrow"],
        /--expires must be an ISO 8601/,
      ],
      [["user", "add", "bob", "--password", "x", "--chap-secret", "c"], /AAA_CHAP_KEY/],
      [["user", "passwd", "ghost", "--password", "x"], /user ghost does not exist/],
      [["user", "remove", "ghost"], /does not exist/],
      [["user", "frobnicate"], /unknown or missing sub-command "frobnicate"/],
      [
        ["rule", "add", "r1", "--action", "permit", "--pattern", "show ("],
        /invalid regular expression/,
      ],
      [["rule", "add", "r1", "--action", "maybe", "--pattern", "x"], /action must be/],
      [
        ["rule", "add", "r1", "--action", "permit", "--pattern", "x", "--min-priv", "x"],
        /--min-priv must be an integer/,
      ],
      [["usergroup", "add", "g2", "--priv-lvl", "16"], /priv-lvl must be an integer 0..15/],
      [
        ["usergroup", "add", "g2", "--device-group", "nowhere"],
        /device group nowhere does not exist/,
      ],
      [["accounting", "list", "--since", "yesterday"], /--since must be/],
      [["policy", "test", "--user", "bob"], /--user and --device-ip are required/],
      [
        ["policy", "test", "--user", "bob", "--device-ip", "10.9.9.9"],
        /no device matches 10.9.9.9/,
      ],
    ];
    for (const [line, re] of cases) {
      expect(await run(line)).toBe(1);
      expect(err.length).toBe(1);
      expect(err[0]).toMatch(re);
    }
    expect(dump()).toBe(before);
  });

  test("--password-stdin and CHAP opt-in with a key", async () => {
    const { run, store } = setup({
      env: { AAA_CHAP_KEY: "ab".repeat(32) },
      stdin: "from-stdin\nignored\n",
    });
    expect(await run(["user", "add", "carol", "--password-stdin", "--chap-secret", "chap-c"])).toBe(
      0,
    );
    const row = store.sqlite
      .query<{ password_hash: string; chap_secret_enc: string }, []>(
        "SELECT password_hash, chap_secret_enc FROM users",
      )
      .get()!;
    expect(await Bun.password.verify("from-stdin", row.password_hash)).toBe(true);
    expect(row.chap_secret_enc).toStartWith("v1:");
    expect(row.chap_secret_enc).not.toContain("chap-c");
  });

  test("rules: positions, list order, scope display", async () => {
    const { run, out } = setup();
    await run(["usergroup", "add", "ops", "--device-group", "core"]);
    expect(await run(["rule", "add", "b", "--action", "permit", "--pattern", "^show "])).toBe(0);
    expect(out).toEqual(["rule b added at position 10"]);
    await run([
      "rule",
      "add",
      "a",
      "--action",
      "deny",
      "--pattern",
      "^reload",
      "--position",
      "5",
      "--user-group",
      "ops",
      "--device-group",
      "lab",
      "--max-priv",
      "14",
    ]);
    expect(await run(["rule", "list"])).toBe(0);
    expect(out).toEqual([
      "5\ta\tdeny\t/^reload/\tuser-groups=ops\tdevice-groups=lab\tpriv=0..14",
      "10\tb\tpermit\t/^show /\tuser-groups=*\tdevice-groups=*",
    ]);
    expect(await run(["rule", "remove", "a"])).toBe(0);
    expect(await run(["rule", "list", "--json"])).toBe(0);
    expect(JSON.parse(out[0]!).map((r: { name: string }) => r.name)).toEqual(["b"]);
  });

  test("user groups replaces the memberships (or empties them); an unknown group changes nothing", async () => {
    const { run, out, err, dump } = setup();
    await run(["usergroup", "add", "ops"]);
    await run(["usergroup", "add", "noc"]);
    await run(["user", "add", "bob", "--password", "pw", "--group", "ops"]);
    expect(await run(["user", "groups", "bob", "--group", "noc", "--group", "ops"])).toBe(0);
    expect(out).toEqual(["groups of bob: noc,ops"]);
    expect(await run(["user", "groups", "bob", "--no-groups"])).toBe(0);
    expect(out).toEqual(["groups of bob: -"]);
    const before = dump();
    for (const [line, why] of [
      [["user", "groups", "bob", "--group", "wheel"], /user group wheel does not exist/],
      [["user", "groups", "bob"], /--group G ... or --no-groups/],
      [["user", "groups", "bob", "--group", "ops", "--no-groups"], /--group G ... or --no-groups/],
      [["user", "groups", "ghost", "--group", "ops"], /user ghost does not exist/],
    ] as const) {
      expect(await run([...line])).toBe(1);
      expect(err).toHaveLength(1);
      expect(err[0]).toMatch(why);
    }
    expect(dump()).toBe(before);
  });

  test("usergroup set and rule set change in place, as the API's PATCH does; bad input changes nothing", async () => {
    const { run, out, err, dump } = setup();
    await run(["usergroup", "add", "ops", "--priv-lvl", "7", "--av", "shell:timeout=5"]);
    await run(["rule", "add", "r", "--action", "deny", "--pattern", "^reload", "--min-priv", "3"]);
    expect(
      await run([
        "usergroup",
        "set",
        "ops",
        "--priv-lvl",
        "15",
        "--no-av",
        "--device-group",
        "core",
      ]),
    ).toBe(0);
    expect(out).toEqual(["user group ops changed"]);
    await run(["usergroup", "list", "--json"]);
    expect(JSON.parse(out[0]!)[0]).toMatchObject({ privLvl: 15, av: {}, deviceGroups: ["core"] });
    expect(
      await run([
        "rule",
        "set",
        "r",
        "--position",
        "40",
        "--clear-min-priv",
        "--user-group",
        "ops",
      ]),
    ).toBe(0);
    expect(out).toEqual(["rule r changed (position 40)"]);
    await run(["rule", "list", "--json"]);
    expect(JSON.parse(out[0]!)[0]).toMatchObject({
      position: 40,
      minPriv: null,
      action: "deny",
      userGroups: ["ops"],
    });
    expect(await run(["rule", "set", "r", "--all-user-groups"])).toBe(0);
    const before = dump();
    for (const [line, why] of [
      [["usergroup", "set", "ops"], /nothing to change/],
      [["usergroup", "set", "ops", "--priv-lvl", "16"], /priv-lvl must be an integer 0..15/],
      [["usergroup", "set", "ghost", "--priv-lvl", "1"], /user group ghost does not exist/],
      [["usergroup", "set", "ops", "--av", "x", "--no-av"], /--av and --no-av together/],
      [["rule", "set", "r", "--pattern", "(["], /invalid regular expression/],
      [["rule", "set", "r", "--min-priv", "2", "--clear-min-priv"], /together/],
      [["rule", "set", "ghost", "--action", "permit"], /rule ghost does not exist/],
    ] as const) {
      expect(await run([...line])).toBe(1);
      expect(err).toHaveLength(1);
      expect(err[0]).toMatch(why);
    }
    expect(dump()).toBe(before);
  });

  test("policy test traces the deciding rule, offline", async () => {
    const { run, out } = setup();
    await run(["usergroup", "add", "ops", "--priv-lvl", "15", "--device-group", "core"]);
    await run(["user", "add", "alice", "--password", "pw", "--group", "ops"]);
    await run([
      "rule",
      "add",
      "lab-any",
      "--action",
      "permit",
      "--pattern",
      ".*",
      "--device-group",
      "lab",
    ]);
    await run(["rule", "add", "no-reload", "--action", "deny", "--pattern", "^reload"]);
    await run(["rule", "add", "show", "--action", "permit", "--pattern", "^show "]);
    expect(
      await run([
        "policy",
        "test",
        "--user",
        "alice",
        "--device-ip",
        "10.0.0.1",
        "--password",
        "pw",
        "--command",
        "show running-config",
      ]),
    ).toBe(0);
    expect(out).toContain("  authentication: authenticated");
    expect(out).toContain("    rule 10 lab-any: skip-device-group");
    expect(out).toContain("    rule 20 no-reload: no-match");
    expect(out).toContain('  command "show running-config": permit (permitted:show) by rule show');
    expect(out.at(-1)).toBe("result: PERMIT");
    expect(
      await run([
        "policy",
        "test",
        "--user",
        "alice",
        "--device-ip",
        "10.0.0.1",
        "--command",
        "reload in 5",
        "--json",
      ]),
    ).toBe(0);
    expect(JSON.parse(out[0]!).command).toMatchObject({
      decision: "deny",
      reason: "command-denied:no-reload",
      rule: "no-reload",
    });
    expect(
      await run([
        "policy",
        "test",
        "--user",
        "mallory",
        "--device-ip",
        "10.0.0.1",
        "--password",
        "x",
        "--command",
        "show x",
      ]),
    ).toBe(0);
    expect(out).toContain("  authentication: unknown-user");
    expect(out).toContain('  command "show x": deny (unknown-user)');
    expect(out.at(-1)).toBe("result: DENY");
  });

  test("accounting list filters and prints JSON", async () => {
    const { run, out, store } = setup();
    const w = new AccountingWriter(store, { commitDelay: 1, maxBatch: 100 });
    const now = Date.now();
    const base = {
      protocol: "radius" as const,
      clientIp: "10.0.0.1",
      device: "r1",
      deviceGroup: "core",
      sessionId: "s",
      recordType: "stop" as const,
      attributes: { "Acct-Session-Time": 5 },
    };
    await Promise.all([
      w.write({ ...base, time: now - 7_200_000, username: "alice" }),
      w.write({ ...base, time: now - 60_000, username: "alice" }),
      w.write({ ...base, time: now - 30_000, username: "bob" }),
    ]);
    expect(await run(["accounting", "list", "--since", "1h", "--user", "alice", "--json"])).toBe(0);
    const rows = JSON.parse(out[0]!);
    expect(rows.length).toBe(1);
    expect(rows[0]).toMatchObject({
      username: "alice",
      attributes: { "Acct-Session-Time": 5 },
    });
    expect(await run(["accounting", "list", "--limit", "2"])).toBe(0);
    expect(out.length).toBe(2);
    expect(out[0]).toContain("\tradius\tstop\tbob\tr1\t10.0.0.1");
  });
});
