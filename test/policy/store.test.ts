// Store-backed policy: users, user groups, rules through the store adapters, the snapshot rebuilt on
// changes from this connection and from another process's connection, and audit without secrets.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateConfig } from "../../src/config/load.ts";
import { ManualClock } from "../../src/lib/clock.ts";
import { openStore, type Store } from "../../src/store/open.ts";
import { createStorePolicy } from "../../src/store/policy-source.ts";
import { addRule, listRules, removeRule } from "../../src/store/rules.ts";
import { deviceGroups } from "../../src/store/schema.ts";
import { addUserGroup, listUserGroups, removeUserGroup } from "../../src/store/user-groups.ts";
import { addUser, listUsers, removeUser, setEnabled, setPassword } from "../../src/store/users.ts";
import { FakeHasher } from "./fixtures.ts";

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempStore(): Store {
  const dir = mkdtempSync(join(tmpdir(), "aaa-policy-"));
  dirs.push(dir);
  const s = openStore(join(dir, "aaa.db"));
  stores.push(s);
  return s;
}

function testConfig(extra: Record<string, unknown> = {}) {
  const r = validateConfig({ store: { path: ":memory:" }, ...extra });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value;
}

const KEY_HEX = "11".repeat(32);
const core = (s: Store) => {
  const id = s.db
    .insert(deviceGroups)
    .values({ name: "core", tacacsSecret: "k" })
    .returning({ id: deviceGroups.id })
    .get().id;
  return { deviceName: "r1", groupId: id, groupName: "core" };
};

describe("store-backed policy", () => {
  test("add group, user, rule; decisions follow; changes apply on the next request", async () => {
    const s = tempStore();
    const dev = core(s);
    expect(
      await addUserGroup(
        s,
        {
          name: "ops",
          privLvl: 15,
          av: ["service=shell:timeout=30"],
          radiusReply: ["Session-Timeout=3600"],
          deviceGroups: ["core"],
        },
        "test",
      ),
    ).toMatchObject({ ok: true });
    expect(
      await addUser(s, { username: "alice", password: "pw-a", groups: ["ops"] }, "test"),
    ).toMatchObject({ ok: true });
    expect(
      addRule(s, { name: "no-reload", action: "deny", pattern: "^reload" }, "test"),
    ).toMatchObject({ ok: true, value: { position: 10 } });
    expect(
      addRule(s, { name: "all", action: "permit", pattern: ".*", userGroups: ["ops"] }, "test"),
    ).toMatchObject({ ok: true, value: { position: 20 } });
    const { policy, source } = createStorePolicy(s, testConfig(), { env: {} });
    const ip = "192.0.2.9";
    expect(
      await policy.authenticatePassword({
        username: "alice",
        password: "pw-a",
        clientIp: ip,
        device: dev,
      }),
    ).toMatchObject({ allow: true, privLvl: 15 });
    expect(
      policy.authorizeShell({
        username: "alice",
        device: dev,
        service: "shell",
      }).av,
    ).toEqual(["priv-lvl=15", "timeout=30"]);
    expect(policy.radiusReply("alice")).toEqual([{ name: "Session-Timeout", value: "3600" }]);
    const cmd = (c: string, a: string[]) =>
      policy.authorizeCommand({
        username: "alice",
        device: dev,
        cmd: c,
        args: a,
        privLvl: 15,
      });
    expect(cmd("reload", [])).toMatchObject({
      allow: false,
      reason: "command-denied:no-reload",
    });
    expect(cmd("show", ["run"])).toMatchObject({
      allow: true,
      reason: "permitted:all",
    });
    const rebuilt = source.rebuilds;
    policy.authorizeCommand({
      username: "alice",
      device: dev,
      cmd: "x",
      args: [],
      privLvl: 1,
    });
    expect(source.rebuilds).toBe(rebuilt); // unchanged store: no rebuild

    // Same connection: local generation.
    expect(removeRule(s, "all", "test").ok).toBe(true);
    expect(cmd("show", ["run"])).toMatchObject({
      allow: false,
      reason: "default-deny",
    });

    // Another connection (the CLI in another process): data_version.
    const other = openStore(s.path);
    stores.push(other);
    expect(
      addRule(other, { name: "show", action: "permit", pattern: "^show " }, "cli"),
    ).toMatchObject({ ok: true });
    expect(cmd("show", ["run"])).toMatchObject({
      allow: true,
      reason: "permitted:show",
    });
    expect(setEnabled(other, "alice", false, "cli").ok).toBe(true);
    expect(
      await policy.authenticatePassword({
        username: "alice",
        password: "pw-a",
        clientIp: ip,
        device: dev,
      }),
    ).toMatchObject({ allow: false, reason: "disabled" });
  });

  test("passwd and disable invalidate the credential cache", async () => {
    const s = tempStore();
    const dev = core(s);
    await addUserGroup(s, { name: "ops", deviceGroups: ["core"] }, "t");
    await addUser(s, { username: "bob", password: "old", groups: ["ops"] }, "t");
    const { policy } = createStorePolicy(s, testConfig(), {
      env: {},
      clock: new ManualClock(),
    });
    const req = (password: string) => ({
      username: "bob",
      password,
      clientIp: "192.0.2.1",
      device: dev,
    });
    expect(await policy.authenticatePassword(req("old"))).toMatchObject({
      allow: true,
      cached: false,
    });
    expect(await policy.authenticatePassword(req("old"))).toMatchObject({
      allow: true,
      cached: true,
    });
    expect((await setPassword(s, "bob", "new", "t")).ok).toBe(true);
    expect(await policy.authenticatePassword(req("old"))).toMatchObject({
      allow: false,
      reason: "bad-password",
    });
    expect(await policy.authenticatePassword(req("new"))).toMatchObject({
      allow: true,
      cached: false,
    });
    expect(setEnabled(s, "bob", false, "t").ok).toBe(true);
    expect(await policy.authenticatePassword(req("new"))).toMatchObject({
      allow: false,
      reason: "disabled",
    });
    expect(setEnabled(s, "bob", true, "t").ok).toBe(true);
    expect(await policy.authenticatePassword(req("new"))).toMatchObject({
      allow: true,
      cached: false,
    });
  });

  test("validation leaves the database unchanged", async () => {
    const s = tempStore();
    core(s);
    await addUserGroup(s, { name: "ops", deviceGroups: ["core"] }, "t");
    expect(await addUser(s, { username: "a", password: "p", groups: ["nope"] }, "t")).toMatchObject(
      { ok: false, code: "users/unknown-group" },
    );
    expect(await addUser(s, { username: "a b", password: "p", groups: [] }, "t")).toMatchObject({
      ok: false,
      code: "users/bad-name",
    });
    expect(await addUser(s, { username: "a", password: "", groups: [] }, "t")).toMatchObject({
      ok: false,
      code: "users/bad-password",
    });
    expect(
      await addUser(
        s,
        {
          username: "a",
          password: "p",
          groups: [],
          chapSecret: "c",
          chapKey: null,
        },
        "t",
      ),
    ).toMatchObject({ ok: false, code: "users/no-chap-key" });
    expect(addRule(s, { name: "r", action: "permit", pattern: "([" }, "t")).toMatchObject({
      ok: false,
      code: "rules/bad-pattern",
    });
    expect(addRule(s, { name: "r", action: "allow", pattern: "x" }, "t")).toMatchObject({
      ok: false,
      code: "rules/bad-action",
    });
    expect(
      addRule(s, { name: "r", action: "permit", pattern: "x", deviceGroups: ["nope"] }, "t"),
    ).toMatchObject({ ok: false, code: "rules/unknown-group" });
    expect(await addUserGroup(s, { name: "g", privLvl: 16 }, "t")).toMatchObject({
      ok: false,
      code: "usergroups/bad-priv",
    });
    expect(await addUserGroup(s, { name: "g", av: ["priv-lvl=15"] }, "t")).toMatchObject({
      ok: false,
      code: "usergroups/bad-av",
    });
    expect(await addUserGroup(s, { name: "ops" }, "t")).toMatchObject({
      ok: false,
      code: "usergroups/exists",
    });
    expect(listUsers(s)).toEqual([]);
    expect(listRules(s)).toEqual([]);
    expect(listUserGroups(s).map((g) => g.name)).toEqual(["ops"]);
    expect(s.sqlite.query("SELECT count(*) AS n FROM audit").get()).toEqual({
      n: 1,
    });
  });

  test("CHAP opt-in is encrypted; listing and audit never show secrets", async () => {
    const s = tempStore();
    const dev = core(s);
    await addUserGroup(s, { name: "ops", deviceGroups: ["core"] }, "t");
    const key = new Uint8Array(Buffer.from(KEY_HEX, "hex"));
    expect(
      await addUser(
        s,
        {
          username: "c",
          password: "login-pw",
          groups: ["ops"],
          chapSecret: "chap-pw-123",
          enableSecret: "en-pw-456",
          chapKey: key,
        },
        "admin",
      ),
    ).toMatchObject({ ok: true });
    expect(
      await addUser(
        s,
        {
          username: "n",
          password: "nt-pw-789",
          groups: ["ops"],
          ntHashFromPassword: true,
        },
        "admin",
      ),
    ).toMatchObject({ ok: true });
    await setPassword(s, "n", "nt-pw-000", "admin");
    removeUser(s, "n", "admin");
    const dump =
      JSON.stringify(s.sqlite.query("SELECT * FROM users").all()) +
      JSON.stringify(s.sqlite.query("SELECT * FROM audit").all());
    for (const secret of ["login-pw", "chap-pw-123", "en-pw-456", "nt-pw-789", "nt-pw-000"])
      expect(dump).not.toContain(secret);
    expect(JSON.stringify(listUsers(s))).not.toContain("$argon2");
    expect(listUsers(s)).toMatchObject([
      { username: "c", chap: "encrypted", enableSecret: true, groups: ["ops"] },
    ]);
    const actions = s.sqlite
      .query<{ action: string; actor: string }, []>("SELECT action, actor FROM audit ORDER BY id")
      .all();
    expect(actions.map((a) => a.action)).toEqual([
      "usergroup.add",
      "user.add",
      "user.add",
      "user.passwd",
      "user.remove",
    ]);
    // The engine gets the cleartext only through the policy gate.
    const { policy } = createStorePolicy(s, testConfig(), {
      env: { AAA_CHAP_KEY: KEY_HEX },
      hasher: new FakeHasher(),
    });
    let got = "";
    policy.authenticateChap(
      { username: "c", clientIp: "192.0.2.1", device: dev },
      (clear) => ((got = new TextDecoder().decode(clear)), true),
    );
    expect(got).toBe("chap-pw-123");
    // Without the key configured: refused, clearly.
    const noKey = createStorePolicy(s, testConfig(), { env: {} });
    expect(noKey.chapKeyProblem).toContain("AAA_CHAP_KEY");
    expect(
      noKey.policy.authenticateChap(
        { username: "c", clientIp: "192.0.2.1", device: dev },
        () => true,
      ),
    ).toMatchObject({ reason: "no-chap-credential" });
  });

  test("a group scoping a rule cannot be removed (the rule would widen to everyone)", async () => {
    const s = tempStore();
    core(s);
    await addUserGroup(s, { name: "ops", deviceGroups: ["core"] }, "t");
    await addUser(s, { username: "a", password: "p", groups: ["ops"] }, "t");
    addRule(s, { name: "r", action: "permit", pattern: "x", userGroups: ["ops"] }, "t");
    expect(removeUserGroup(s, "ops", "t")).toMatchObject({
      ok: false,
      code: "usergroups/in-use",
    });
    expect(listRules(s)[0]!.userGroups).toEqual(["ops"]);
    expect(removeRule(s, "r", "t").ok).toBe(true);
    expect(removeUserGroup(s, "ops", "t").ok).toBe(true);
    expect(listUsers(s)[0]!.groups).toEqual([]);
    expect(removeUserGroup(s, "ops", "t")).toMatchObject({
      ok: false,
      code: "usergroups/not-found",
    });
  });
});
