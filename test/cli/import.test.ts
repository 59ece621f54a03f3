// Imports and export through the admin command registry (in process, so progress can be observed),
// plus the real entry point once: a bad row names FILE:LINE, exits 1 and imports nothing (one
// transaction, also when the store itself refuses a row late in the file); export without the flag
// carries no secret.
import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runAdminCommand } from "../../src/cli/index.ts";
import type { ImportContext } from "../../src/cli/import-export.ts";
import { validateConfig } from "../../src/config/load.ts";
import { sqliteAdminService } from "../../src/store/repos/index.ts";
import { DeviceStore } from "../../src/store/devices.ts";
import { addUserGroup } from "../../src/store/user-groups.ts";
import { ROOT, runMain } from "../support/cli.ts";
import { tempDir, tempStore } from "../support/tmp.ts";

const FIXTURE = join(import.meta.dir, "fixtures", "clients.conf");
const cleanup: Array<() => void> = [];
afterAll(() => cleanup.forEach((f) => f()));

function setup() {
  const store = tempStore();
  cleanup.push(() => store.remove());
  const cfg = validateConfig({
    store: { path: join(store.dir, "aaa.sqlite") },
  });
  if (!cfg.ok) throw new Error("config");
  const out: string[] = [];
  const err: string[] = [];
  const progress: string[] = [];
  const hooks: { onProgress?: (done: number) => void } = {};
  const ctx: ImportContext = {
    admin: sqliteAdminService(store),
    env: {},
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    actor: "cli:test",
    progress: (done, total, what) => {
      progress.push(`${what} ${done}/${total}`);
      hooks.onProgress?.(done);
    },
  };
  const run = (args: string[]) => {
    out.length = 0;
    err.length = 0;
    progress.length = 0;
    return runAdminCommand(args[0]!, args.slice(1), ctx);
  };
  const file = (name: string, text: string) => {
    const p = join(store.dir, name);
    writeFileSync(p, text);
    return p;
  };
  const count = (table: string) =>
    store.sqlite.query<{ n: number }, []>(`SELECT count(*) AS n FROM ${table}`).get()!.n;
  return {
    store,
    run,
    out,
    err,
    progress,
    file,
    count,
    hooks,
    ds: new DeviceStore(store.sqlite),
  };
}

describe("import freeradius-clients", () => {
  test("a realistic clients.conf: IPv4, IPv6, CIDR, netmask, quoted secrets, nested sections, clients{} wrapper", async () => {
    const { run, out, err, ds, store, progress } = setup();
    expect(await run(["import", "freeradius-clients", FIXTURE])).toBe(0);
    expect(out).toEqual(["imported 6 devices in 3 groups"]);
    expect(err).toEqual([
      `note: ${FIXTURE}: ignored attributes with no aaa-proxy equivalent: nas_type, proto, virtual_server`,
    ]);
    expect(ds.listDevices().map((d) => `${d.name} ${d.network} ${d.group}`)).toEqual([
      "core-switches 10.20.0.0/16 freeradius-2",
      "edge-v6 2001:db8:10::/48 freeradius-1",
      "lab 192.0.2.0/24 freeradius-3",
      "localhost 127.0.0.1/32 freeradius-1",
      "localhost_ipv6 ::1/128 freeradius-1",
      "wlc-1 198.51.100.0/28 freeradius-2",
    ]);
    const secrets = store.sqlite
      .query(
        "SELECT name, tacacs_secret AS t, radius_secret AS r, require_message_authenticator AS rma FROM device_groups ORDER BY name",
      )
      .all();
    expect(secrets).toEqual([
      { name: "freeradius-1", t: null, r: "testing123", rma: 0 },
      { name: "freeradius-2", t: null, r: 'Sw1tch "core" #key', rma: 1 },
      { name: "freeradius-3", t: null, r: "lab$ecret", rma: 0 },
    ]);
    expect(progress.at(-1)).toBe("devices 6/6");
    // A second import with a prefix: new groups, but the devices already exist → refused whole.
    expect(await run(["import", "freeradius-clients", FIXTURE, "--group-prefix", "old-"])).toBe(1);
    expect(err[0]).toBe(`${FIXTURE}:7: device "localhost" already exists`);
    expect(ds.listGroups().map((g) => g.name)).toEqual([
      "freeradius-1",
      "freeradius-2",
      "freeradius-3",
    ]);
  });

  test("one bad client in the middle: the line is named and nothing is imported", async () => {
    const cases: Array<[string, number, RegExp]> = [
      ["\tipaddr = radius.example.net\n", 9, /client bad: "radius.example.net" is a host name/],
      ["\tipaddr = 10.0.0.300\n", 9, /"10.0.0.300" is not a valid address/],
      ["\tipaddr = 10.0.0.1\n\tnetmask = 255.255.255.0\n", 10, /netmask must be a prefix length/],
      ["\tipv4addr = 2001:db8::1\n", 9, /wrong address family/],
      [
        "\tipaddr = 10.0.0.1\n\trequire_message_authenticator = maybe\n",
        10,
        /must be yes, no or auto/,
      ],
      ["\tipaddr = 10.0.0.1\n", 8, /client bad: no secret/],
      ["\tipaddr = 10.0.0.1\n\tsecret = `/bin/cat /etc/key`\n", 10, /back-quoted/],
      ['\tipaddr = 10.0.0.1\n\tsecret = "unterminated\n', 10, /unterminated quoted string/],
    ];
    for (const [body, line, why] of cases) {
      const { run, err, file, count } = setup();
      const secret =
        /secret|no secret/.test(why.source) || body.includes("secret") ? "" : "\tsecret = s3cret\n";
      const f = file(
        "clients.conf",
        `# test\nclient a {\n\tipaddr = 10.1.0.1\n\tsecret = s1\n}\n\n# the bad one\nclient bad {\n${body}${secret}}\nclient z {\n\tipaddr = 10.9.0.1\n\tsecret = s2\n}\n`,
      );
      expect([why.source, await run(["import", "freeradius-clients", f])]).toEqual([why.source, 1]);
      expect(err[0]).toStartWith(`${f}:${line}: `);
      expect(err[0]).toMatch(why);
      expect(err[1]).toBe("nothing was imported");
      expect([count("devices"), count("device_groups"), count("audit")]).toEqual([0, 0, 0]);
    }
  });

  test("structure errors name their line", async () => {
    const { run, err, file } = setup();
    for (const [text, line, why] of [
      ["client a {\n\tipaddr = 10.0.0.1\n\tsecret = x\n", 1, /client a: missing "}"/],
      ["$INCLUDE clients.d/\n", 1, /\$INCLUDE is not supported/],
      ["server default {\n}\n", 1, /expected a client section/],
      ["client a {\n\tipaddr 10.0.0.1\n}\n", 2, /expected "=" after ipaddr/],
      ["client a {\n\tipaddr = 10.0.0.1\n\tipaddr = 10.0.0.2\n}\n", 3, /set twice.*line 2/],
    ] as const) {
      const f = file("c.conf", text);
      expect(await run(["import", "freeradius-clients", f])).toBe(1);
      expect(err[0]).toStartWith(`${f}:${line}: `);
      expect(err[0]).toMatch(why);
    }
  });
});

describe("import csv", () => {
  test("devices: quoted fields, enabled column, summary; a bad row in the middle imports nothing", async () => {
    const { run, out, file, ds, count, err } = setup();
    ds.addGroup({ name: "core", radiusSecret: "k1" });
    ds.addGroup({ name: "lab", tacacsSecret: "k2" });
    const good = file(
      "d.csv",
      'name,network,group,enabled\r\nr1,10.0.0.1,core,\r\n"r2",10.0.0.0/30,"core",no\r\n\r\nr3,2001:db8::1,lab,yes\r\n',
    );
    expect(await run(["import", "csv", "devices", good])).toBe(0);
    expect(out).toEqual(["imported 3 devices in 2 groups"]);
    expect(ds.listDevices()).toEqual([
      {
        name: "r1",
        network: "10.0.0.1/32",
        group: "core",
        enabled: true,
        auto_registered: false,
      },
      {
        name: "r2",
        network: "10.0.0.0/30",
        group: "core",
        enabled: false,
        auto_registered: false,
      },
      {
        name: "r3",
        network: "2001:db8::1/128",
        group: "lab",
        enabled: true,
        auto_registered: false,
      },
    ]);
    for (const [row, why] of [
      ["r5,10.0.0.500,core", /not a valid CIDR/],
      ["r5,10.0.0.5,nope", /group "nope" does not exist/],
      ["r1,10.0.0.5,core", /device "r1" already exists/],
      ["r4,10.0.0.5,core", /device "r4" already exists/], // duplicate of line 2, caught by the store inside the transaction
      ["r5,10.0.0.5", /expected 3 fields, found 2/],
      ['r5,"10.0.0.5,core', /unterminated quoted field/],
    ] as const) {
      const bad = file(
        "bad.csv",
        `name,network,group\nr4,10.0.0.4,core\n${row}\nr6,10.0.0.6,lab\n`,
      );
      expect(await run(["import", "csv", "devices", bad])).toBe(1);
      expect(err[0]).toMatch(new RegExp(`^${bad.replace(/[.]/g, "\\.")}:3: `));
      expect(err[0]).toMatch(why);
      expect(count("devices")).toBe(3);
    }
    const header = file("h.csv", "name,netwrok,group\nr9,10.0.0.9,core\n");
    expect(await run(["import", "csv", "devices", header])).toBe(1);
    expect(err[0]).toBe(
      `${header}:1: unknown column "netwrok" (expected name,network,group,[enabled])`,
    );
  });

  test("users: groups separated by ;, enable secret, expiry; hashed before the write; a bad row hashes and imports nothing", async () => {
    const { run, out, file, store, count, err, progress } = setup();
    await addUserGroup(store, { name: "ops" }, "t");
    await addUserGroup(store, { name: "noc" }, "t");
    const good = file(
      "u.csv",
      "username,password,groups,enable_secret,expires\nalice,Alice-pw-1,ops;noc,En-able-1,2099-12-31\nbob, spaced pw ,noc,,\ncarol,Carol-pw-3,,,never\n",
    );
    expect(await run(["import", "csv", "users", good])).toBe(0);
    expect(out).toEqual(["imported 3 users"]);
    expect(progress).toEqual([
      "hashing passwords 1/3",
      "hashing passwords 2/3",
      "hashing passwords 3/3",
    ]);
    const rows = store.sqlite
      .query<
        {
          username: string;
          password_hash: string;
          enable_hash: string | null;
          expires_at: number | null;
        },
        []
      >("SELECT * FROM users ORDER BY username")
      .all();
    expect(rows.map((r) => [r.username, r.enable_hash !== null, r.expires_at])).toEqual([
      ["alice", true, Date.parse("2099-12-31")],
      ["bob", false, null],
      ["carol", false, null],
    ]);
    expect(await Bun.password.verify(" spaced pw ", rows[1]!.password_hash)).toBe(true);
    expect(await Bun.password.verify("En-able-1", rows[0]!.enable_hash!)).toBe(true);
    expect(
      store.sqlite
        .query(
          "SELECT u.username, g.name FROM user_group_members m JOIN users u ON u.id = m.user_id JOIN user_groups g ON g.id = m.user_group_id ORDER BY 1, 2",
        )
        .all(),
    ).toEqual([
      { username: "alice", name: "noc" },
      { username: "alice", name: "ops" },
      { username: "bob", name: "noc" },
    ]);
    for (const [row, why] of [
      ["dave,pw,ops;wheel,,", /user group wheel does not exist/],
      ["alice,pw,,,", /user alice already exists/],
      ["erin,pw,,,", /user erin is also on line 2/],
      ["dave,pw,,,next week", /expires must be an ISO 8601 date/],
      ["dave,,,,", /password is empty/],
      ["da ve,pw,,,", /spaces/],
    ] as const) {
      const bad = file(
        "bad.csv",
        `username,password,groups,enable_secret,expires\nerin,pw,,,\n${row}\nfrank,pw,,,\n`,
      );
      const before = count("users");
      expect(await run(["import", "csv", "users", bad])).toBe(1);
      expect(err[0]).toStartWith(`${bad}:3: `);
      expect(err[0]).toMatch(why);
      expect(progress).toEqual([]); // refused before any hashing
      expect(count("users")).toBe(before);
    }
  });
});

test("a row the store refuses inside the transaction rolls back the rows before it", async () => {
  const { run, err, file, store, count, hooks } = setup();
  // Another writer takes a name after the file was checked, while passwords are being hashed.
  hooks.onProgress = (done) => {
    if (done === 1)
      store.sqlite.run("INSERT INTO users (username, password_hash) VALUES ('zed', 'x')");
  };
  const f = file("u.csv", "username,password\namy,pw-1\nbea,pw-2\nzed,pw-3\n");
  expect(await run(["import", "csv", "users", f])).toBe(1);
  // The row that lost the race is named (before the admin service, the SQLite message was shown).
  expect(err).toEqual([`${f}:4: user zed already exists`, "nothing was imported"]);
  expect(store.sqlite.query("SELECT username FROM users").all()).toEqual([{ username: "zed" }]);
  expect(count("audit")).toBe(0);
});

test("a write the store itself refuses (no row to blame) rolls back and says so", async () => {
  const { run, err, file, store, count } = setup();
  store.sqlite.run(
    "CREATE TRIGGER refuse BEFORE INSERT ON users WHEN NEW.username = 'bea' BEGIN SELECT RAISE(ABORT, 'disk says no'); END",
  );
  const f = file("u.csv", "username,password\namy,pw-1\nbea,pw-2\n");
  expect(await run(["import", "csv", "users", f])).toBe(1);
  expect(err).toEqual([`${f}: the store refused the import: disk says no`, "nothing was imported"]);
  expect([count("users"), count("audit")]).toEqual([0, 0]);
});

describe("export json", () => {
  test("the whole store; secrets and hashes only with --include-secrets", async () => {
    const { run, out, err, store, file } = setup();
    await addUserGroup(store, { name: "ops", privLvl: 15 }, "t");
    expect(await run(["import", "freeradius-clients", FIXTURE])).toBe(0);
    expect(
      await run([
        "import",
        "csv",
        "users",
        file("u.csv", "username,password,groups,enable_secret\nalice,Alice-pw-1,ops,En-able-1\n"),
      ]),
    ).toBe(0);
    expect(await run(["export", "json"])).toBe(0);
    const text = out.join("\n");
    for (const s of ["testing123", "Sw1tch", "lab$ecret", "Alice-pw-1", "En-able-1", "$argon2"])
      expect(text).not.toContain(s);
    const doc = JSON.parse(text);
    expect(doc).toMatchObject({
      format: "aaa-proxy-export",
      version: 1,
      includes_secrets: false,
    });
    expect(
      doc.device_groups.map((g: any) => [g.name, g.radius_secret_set, g.tacacs_secret_set]),
    ).toEqual([
      ["freeradius-1", true, false],
      ["freeradius-2", true, false],
      ["freeradius-3", true, false],
    ]);
    expect(doc.devices).toHaveLength(6);
    expect(doc.devices[0]).toEqual({
      name: "core-switches",
      network: "10.20.0.0/16",
      group: "freeradius-2",
      enabled: true,
      auto_registered: false,
    });
    expect(doc.users).toEqual([
      {
        username: "alice",
        enabled: true,
        groups: ["ops"],
        expires_at: null,
        enable_secret_set: true,
        chap: "none",
      },
    ]);
    expect(doc.user_groups).toEqual([
      {
        name: "ops",
        description: "",
        priv_lvl: 15,
        av: {},
        radius_reply: [],
        device_groups: [],
      },
    ]);
    expect(doc.proxies).toEqual([]);
    expect(doc.rules).toEqual([]);

    expect(await run(["export", "json", "--include-secrets"])).toBe(0);
    expect(err[0]).toMatch(/contains shared secrets/);
    const full = JSON.parse(out.join("\n"));
    expect(full.device_groups.map((g: any) => g.radius_secret)).toEqual([
      "testing123",
      'Sw1tch "core" #key',
      "lab$ecret",
    ]);
    expect(await Bun.password.verify("Alice-pw-1", full.users[0].password_hash)).toBe(true);
    expect(await Bun.password.verify("En-able-1", full.users[0].enable_hash)).toBe(true);
    expect(await run(["export", "yaml"])).toBe(1);
  });
});

describe("the real entry point", () => {
  test("exit 1 with FILE:LINE on stderr and nothing imported; then a good import prints the summary", () => {
    const dir = tempDir("aaa-import-");
    cleanup.push(() => dir.remove());
    const cfg = join(dir.path, "aaa.toml");
    writeFileSync(cfg, `[store]\npath = "${join(dir.path, "aaa.sqlite")}"\n`);
    const csv = join(dir.path, "devices.csv");
    expect(runMain(["group", "add", "core", "--radius-secret", "k", "--config", cfg]).code).toBe(0);
    writeFileSync(
      csv,
      "name,network,group\nr1,10.0.0.1,core\nr2,not-an-ip,core\nr3,10.0.0.3,core\n",
    );
    const bad = runMain(["import", "csv", "devices", csv, "--config", cfg]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${csv}:3: --network "not-an-ip" is not a valid CIDR`);
    expect(runMain(["device", "list", "--json", "--config", cfg]).stdout.trim()).toBe("[]");
    writeFileSync(csv, "name,network,group\nr1,10.0.0.1,core\nr3,10.0.0.3,core\n");
    const good = runMain(["import", "csv", "devices", csv, "--config", cfg]);
    expect([good.code, good.stdout.trim()]).toEqual([0, "imported 2 devices in 1 groups"]);
    expect(JSON.parse(runMain(["device", "list", "--json", "--config", cfg]).stdout)).toHaveLength(
      2,
    );
  });

  test("progress on stderr only when it is a terminal (script(1) from Debian bsdutils gives a pty)", () => {
    const dir = tempDir("aaa-import-");
    cleanup.push(() => dir.remove());
    const cfg = join(dir.path, "aaa.toml");
    writeFileSync(cfg, `[store]\npath = "${join(dir.path, "aaa.sqlite")}"\n`);
    expect(runMain(["group", "add", "core", "--radius-secret", "k", "--config", cfg]).code).toBe(0);
    const csv = join(dir.path, "devices.csv");
    const rows = Array.from({ length: 70 }, (_, i) => `d${i},10.0.${i}.1,core`);
    writeFileSync(csv, `name,network,group\n${rows.slice(0, 10).join("\n")}\n`);
    const plain = runMain(["import", "csv", "devices", csv, "--config", cfg]);
    expect([plain.code, plain.stderr]).toEqual([0, ""]);
    writeFileSync(csv, `name,network,group\n${rows.slice(10).join("\n")}\n`);
    if (!Bun.which("script"))
      throw new Error("script(1) is missing: install the Debian package bsdutils");
    const cmd = [
      process.execPath,
      join(ROOT, "src", "main.ts"),
      "import",
      "csv",
      "devices",
      csv,
      "--config",
      cfg,
    ]
      .map((a) => `'${a}'`)
      .join(" ");
    const tty = Bun.spawnSync(["script", "-qec", cmd, "/dev/null"], {
      cwd: ROOT,
      stdin: "ignore",
      timeout: 30_000,
    });
    const text = tty.stdout.toString();
    expect(tty.exitCode).toBe(0);
    expect(text).toContain("\r\x1b[Kdevices 60/60");
    expect(text).toContain("imported 60 devices in 1 groups");
  });
});
