// The admin service itself, without sockets or a CLI: validation codes, write-only secrets, hashing
// and CHAP encryption, audit rows, and all-or-nothing writes. Every test runs twice: over the SQLite
// repositories (the production ones) and over an in-memory implementation of the same ports.
import { afterAll, describe, expect, test } from "bun:test";
import type { AdminRepositories } from "../../src/admin/ports.ts";
import { createAdminService, type AdminService } from "../../src/admin/service.ts";
import { err, ok } from "../../src/lib/result.ts";
import { decryptChapSecret } from "../../src/policy/chap-credential.ts";
import { openStore, type Store } from "../../src/store/open.ts";
import { sqliteRepositories } from "../../src/store/repos/index.ts";
import { memoryRepositories } from "./memory-repos.ts";

const KEY = new Uint8Array(32).fill(7);
const SECRETS = ["Tac-secret-1", "Rad-secret-2", "Login-pw-3", "Enable-pw-4", "Chap-pw-5"] as const;
const stores: Store[] = [];
afterAll(() => stores.forEach((s) => s.close()));

const backends: Array<[string, () => AdminRepositories]> = [
  [
    "sqlite",
    () => {
      const s = openStore(":memory:");
      stores.push(s);
      return sqliteRepositories(s);
    },
  ],
  ["memory", () => memoryRepositories()],
];

function service(repos: AdminRepositories, chapKey = true) {
  const hashed: string[] = [];
  const admin = createAdminService(repos, {
    // A cheap stand-in for argon2id that still never stores the cleartext.
    hashPassword: async (p) => (hashed.push(p), `fake$${Bun.hash(p).toString(16)}`),
    chapKey: chapKey ? ok(KEY) : err("chap/no-key", "environment variable AAA_CHAP_KEY is not set"),
    now: () => 1_700_000_000_000,
  });
  return { admin, hashed, audit: () => repos.audit.list(1000, 0).reverse() };
}

async function seed(a: AdminService) {
  expect(
    a.devices.addGroup("t", { name: "core", tacacsSecret: SECRETS[0], radiusSecret: SECRETS[1] })
      .ok,
  ).toBe(true);
  expect(a.devices.addDevice("t", { name: "r1", network: "10.0.0.1", group: "core" }).ok).toBe(
    true,
  );
  expect(a.userGroups.add("t", { name: "ops", privLvl: 15, deviceGroups: ["core"] }).ok).toBe(true);
  expect(
    (await a.users.add("t", { username: "alice", password: SECRETS[2], groups: ["ops"] })).ok,
  ).toBe(true);
}

for (const [backend, make] of backends)
  describe(`admin service over ${backend} repositories`, () => {
    test("device side: canonical CIDRs, stable codes for bad input, duplicates, missing and in-use", async () => {
      const { admin } = service(make());
      await seed(admin);
      const d = admin.devices;
      expect(d.getDevice("r1")).toEqual({
        name: "r1",
        network: "10.0.0.1/32",
        group: "core",
        enabled: true,
        auto_registered: false,
      });
      expect(d.addGroup("t", { name: "has space" })).toMatchObject({
        ok: false,
        code: "store/invalid",
      });
      expect(d.addGroup("t", { name: "g", radiusSecret: "" })).toMatchObject({
        code: "store/invalid",
      });
      expect(d.addGroup("t", { name: "g", proxyNetwork: "1.2.3.0/40" })).toMatchObject({
        code: "store/invalid",
      });
      expect(d.addGroup("t", { name: "core" })).toMatchObject({ code: "store/duplicate" });
      expect(d.addDevice("t", { name: "r2", network: "10.0.0.2", group: "nope" })).toMatchObject({
        code: "store/not-found",
      });
      expect(d.updateDevice("t", "r1", { group: "nope" })).toMatchObject({ code: "store/invalid" });
      expect(d.updateDevice("t", "ghost", { enabled: false })).toMatchObject({
        code: "store/not-found",
      });
      expect(d.removeGroup("t", "core")).toMatchObject({ code: "store/in-use" });
      expect(d.updateGroup("t", "core", { proxyNetwork: "192.0.2.7/24" })).toMatchObject({
        ok: true,
        value: { proxy_network: "192.0.2.0/24" },
      });
      expect(d.addProxy("t", { name: "lb", network: "192.0.2.1" })).toEqual({
        ok: true,
        value: { name: "lb", network: "192.0.2.1/32", description: "" },
      });
      expect(d.updateProxy("t", "ghost", { network: "nope" })).toMatchObject({
        code: "store/not-found",
      });
      expect(d.removeProxy("t", "lb").ok).toBe(true);
      expect(d.listProxies()).toEqual([]);
    });

    test("a device group or user group that scopes a rule cannot be removed (the rule would widen)", async () => {
      const { admin } = service(make());
      await seed(admin);
      expect(admin.devices.addGroup("t", { name: "lab" }).ok).toBe(true);
      expect(
        admin.rules.add("t", {
          name: "r",
          action: "permit",
          pattern: "^show",
          userGroups: ["ops"],
          deviceGroups: ["lab"],
        }).ok,
      ).toBe(true);
      expect(admin.devices.removeGroup("t", "lab")).toMatchObject({ code: "store/in-use" });
      expect(admin.userGroups.remove("t", "ops")).toMatchObject({ code: "usergroups/in-use" });
      expect(admin.rules.remove("t", "r").ok).toBe(true);
      expect(admin.devices.removeGroup("t", "lab").ok).toBe(true);
      expect(admin.userGroups.remove("t", "ops").ok).toBe(true);
      expect(admin.users.get("alice")!.groups).toEqual([]);
    });

    test("secrets are write-only: views, audit and the plain export never carry them", async () => {
      const { admin, audit } = service(make());
      await seed(admin);
      expect(
        (
          await admin.users.add("t", {
            username: "bob",
            password: "pw",
            enableSecret: SECRETS[3],
            chapSecret: SECRETS[4],
          })
        ).ok,
      ).toBe(true);
      expect(
        admin.devices.updateGroup("t", "core", { tacacsSecret: "Tac-secret-rotated" }).ok,
      ).toBe(true);
      const shown = JSON.stringify([
        admin.devices.listGroups(),
        admin.users.list(),
        audit(),
        admin.exportJson(false),
      ]);
      for (const s of [...SECRETS, "Tac-secret-rotated", "fake$"]) expect(shown).not.toContain(s);
      expect(admin.devices.getGroup("core")).toMatchObject({
        tacacs_secret_set: true,
        radius_secret_set: true,
      });
      const full = admin.exportJson(true) as { device_groups: object[]; users: object[] };
      expect(full.device_groups[0]).toMatchObject({
        tacacs_secret: "Tac-secret-rotated",
        radius_secret: SECRETS[1],
      });
      expect(full.users).toContainEqual(
        expect.objectContaining({
          username: "bob",
          password_hash: expect.stringMatching(/^fake\$/),
        }),
      );
    });

    test("passwords are hashed by the given hasher; a CHAP secret is encrypted with the key; no key, no CHAP secret", async () => {
      const repos = make();
      const { admin, hashed } = service(repos);
      await seed(admin);
      expect(
        (
          await admin.users.add("t", {
            username: "bob",
            password: "login",
            enableSecret: "en",
            chapSecret: "chap-clear",
          })
        ).ok,
      ).toBe(true);
      expect(hashed).toEqual([SECRETS[2], "login", "en"]);
      const enc = repos.users.credentials().get("bob")!.chapSecretEnc!;
      expect(enc).not.toContain("chap-clear");
      const clear = decryptChapSecret(KEY, "bob", enc);
      expect(clear.ok && new TextDecoder().decode(clear.value)).toBe("chap-clear");
      expect(admin.users.get("bob")).toMatchObject({ chap: "encrypted", enableSecret: true });
      const noKey = service(make(), false).admin;
      expect(
        await noKey.users.add("t", { username: "c", password: "p", chapSecret: "x" }),
      ).toMatchObject({
        ok: false,
        code: "users/no-chap-key",
        detail: expect.stringContaining("AAA_CHAP_KEY"),
      });
      expect(
        await admin.users.add("t", {
          username: "d",
          password: "p",
          chapSecret: "x",
          ntHashFromPassword: true,
        }),
      ).toMatchObject({ code: "users/bad-chap" });
      // A new password re-derives an NT hash opted in from the old one.
      expect(
        (await admin.users.add("t", { username: "n", password: "old", ntHashFromPassword: true }))
          .ok,
      ).toBe(true);
      const before = repos.users.credentials().get("n")!.ntHash;
      expect((await admin.users.setPassword("t", "n", "new")).ok).toBe(true);
      expect(repos.users.credentials().get("n")!.ntHash).not.toBe(before);
    });

    test("one audit row per change, with the actor; refused writes leave no row", async () => {
      const { admin, audit } = service(make());
      await seed(admin);
      expect(
        admin.devices.addDevice("cli:x", { name: "r1", network: "10.0.0.1", group: "core" }).ok,
      ).toBe(false);
      expect(
        admin.devices.updateGroup("cli:x", "core", { radiusSecret: null, description: "d" }).ok,
      ).toBe(true);
      expect(
        admin.note("api:y", "config.reload", "aaa.toml", { ok: true, password: "leak?" }).ok,
      ).toBe(true);
      const rows = audit();
      expect(rows.map((r) => `${r.actor} ${r.action} ${r.object}`)).toEqual([
        "t group.add core",
        "t device.add r1",
        "t usergroup.add ops",
        "t user.add alice",
        "cli:x group.set core",
        "api:y config.reload aaa.toml",
      ]);
      expect(rows[4]!.detail).toEqual({
        fields: ["description", "radius_secret"],
        cleared: ["radius_secret"],
      });
      expect(rows[5]!.detail).toEqual({ ok: true, password: "[redacted]" });
      expect(rows.every((r) => r.time === 1_700_000_000_000)).toBe(true);
    });

    test("a user change is all or nothing: a refused step leaves every field as it was", async () => {
      const { admin, audit } = service(make());
      await seed(admin);
      const before = admin.users.get("alice");
      const rows = audit().length;
      expect(
        await admin.users.update("t", "alice", {
          enabled: false,
          groups: ["ops", "nope"],
          password: "x",
        }),
      ).toMatchObject({
        code: "users/unknown-group",
      });
      expect(admin.users.get("alice")).toEqual(before);
      expect(audit().length).toBe(rows);
      const r = await admin.users.update("t", "alice", {
        groups: [],
        expiresAt: 5,
        enabled: false,
        password: "new",
      });
      expect(r).toMatchObject({ ok: true, value: { groups: [], expiresAt: 5, enabled: false } });
      // One version bump per audited step, as when each was its own change.
      expect(admin.users.get("alice")!.credentialVersion).toBe(before!.credentialVersion + 4);
      expect(
        audit()
          .slice(rows)
          .map((x) => x.action),
      ).toEqual(["user.groups", "user.expiry", "user.disable", "user.passwd"]);
    });

    test("imports: the first bad row comes back with its line and nothing (not even the audit row) is written", async () => {
      const { admin, audit, hashed } = service(make());
      await seed(admin);
      const rows = audit().length;
      const devices = [
        { line: 2, name: "d1", network: "10.1.0.1", group: "core" },
        { line: 3, name: "d2", network: "10.1.0.300", group: "core" },
      ];
      expect(admin.imports.devices("t", "x.csv", devices)).toMatchObject({
        ok: false,
        code: "store/invalid",
        line: 3,
      });
      expect(admin.devices.getDevice("d1")).toBeNull();
      const clients = admin.imports.clients(
        "t",
        "clients.conf",
        [
          {
            line: 1,
            name: "fr-1",
            radiusSecret: "s",
            requireMessageAuthenticator: false,
            description: "",
          },
        ],
        [{ line: 4, name: "r1", network: "10.9.0.1", group: "fr-1" }],
      );
      expect(clients).toMatchObject({ ok: false, code: "store/duplicate", line: 4 });
      expect(admin.devices.getGroup("fr-1")).toBeNull();
      const n = hashed.length;
      const users = await admin.imports.users("t", "u.csv", [
        { line: 2, username: "u1", password: "p", enableSecret: "", groups: ["ops"], expires: "" },
        {
          line: 3,
          username: "u2",
          password: "p",
          enableSecret: "",
          groups: [],
          expires: "next week",
        },
      ]);
      expect(users).toMatchObject({ ok: false, code: "users/bad-expiry", line: 3 });
      expect(hashed.length).toBe(n); // refused before any hashing
      expect(audit().length).toBe(rows);
      const good = await admin.imports.users("t", "u.csv", [
        {
          line: 2,
          username: "u1",
          password: "p1",
          enableSecret: "e1",
          groups: ["ops"],
          expires: "2099-01-01",
        },
      ]);
      expect(good).toEqual({ ok: true, value: { users: 1 } });
      expect(admin.users.get("u1")).toMatchObject({
        groups: ["ops"],
        enableSecret: true,
        expiresAt: Date.parse("2099-01-01"),
      });
      expect(audit().at(-1)).toMatchObject({
        action: "import.users",
        object: "u.csv",
        detail: { users: 1 },
      });
    });

    test("rules: validated, placed after the last one, changed in place", async () => {
      const { admin } = service(make());
      await seed(admin);
      expect(admin.rules.add("t", { name: "bad", action: "permit", pattern: "([" })).toMatchObject({
        code: "rules/bad-pattern",
      });
      expect(admin.rules.add("t", { name: "bad", action: "allow", pattern: "x" })).toMatchObject({
        code: "rules/bad-action",
      });
      expect(
        admin.rules.add("t", { name: "bad", action: "deny", pattern: "x", minPriv: 9, maxPriv: 2 }),
      ).toMatchObject({ code: "rules/bad-priv" });
      expect(
        admin.rules.add("t", { name: "bad", action: "deny", pattern: "x", userGroups: ["nope"] }),
      ).toMatchObject({ code: "rules/unknown-group" });
      expect(admin.rules.add("t", { name: "a", action: "deny", pattern: "^reload" })).toMatchObject(
        { value: { position: 10 } },
      );
      expect(
        admin.rules.add("t", { name: "b", action: "permit", pattern: ".*", userGroups: ["ops"] }),
      ).toMatchObject({ value: { position: 20 } });
      expect(admin.rules.update("t", "a", { position: 30, minPriv: 5 })).toMatchObject({
        ok: true,
        value: { position: 30, minPriv: 5, pattern: "^reload" },
      });
      expect(admin.rules.list().map((r) => r.name)).toEqual(["b", "a"]);
      expect(admin.rules.update("t", "a", { minPriv: null })).toMatchObject({
        value: { minPriv: null },
      });
      expect(admin.rules.update("t", "ghost", {})).toMatchObject({ code: "rules/not-found" });
    });
  });
