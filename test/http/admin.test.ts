// The admin API through app.request(): token auth (refused without/with a wrong token, off without a
// configured token), a full CRUD walk whose every response body is searched for the secrets that
// went in, validation and conflict errors, audit rows, accounting paging, counters reset, reload.
import { afterAll, describe, expect, test } from "bun:test";
import { createHttpApp } from "../../src/http/app.ts";
import type { ReloadResult } from "../../src/http/admin.ts";
import { Registry } from "../../src/lib/metrics.ts";
import { sqliteAdminService } from "../../src/store/repos/index.ts";
import { tempStore } from "../support/tmp.ts";

const TOKEN = "tok-0123456789abcdef-admin";
const TAC1 = "TacSecret-one-4f1c";
const TAC2 = "TacSecret-two-9d2e";
const RAD1 = "RadSecret-one-77aa";
const PW1 = "Password-one-c0ffee";
const PW2 = "Password-two-beef42";
const ENABLE = "Enable-secret-5a5a";
const SECRETS = [TOKEN, TAC1, TAC2, RAD1, PW1, PW2, ENABLE, "$argon2"];

const stores: Array<{ remove(): void }> = [];
afterAll(() => stores.forEach((s) => s.remove()));

function setup(
  o: {
    token?: string | null;
    admin?: boolean;
    reload?: () => Promise<ReloadResult>;
  } = {},
) {
  const store = tempStore();
  stores.push(store);
  const registry = new Registry();
  const app = createHttpApp({
    version: "0",
    startedAt: Date.now(),
    registry,
    listeners: () => [],
    stats: () => ({}),
    storeOk: () => true,
    ...(o.admin === false
      ? {}
      : {
          admin: {
            service: sqliteAdminService(store),
            token: o.token === undefined ? TOKEN : o.token,
            registry,
            ...(o.reload ? { reload: o.reload } : {}),
          },
        }),
  });
  const bodies: string[] = [];
  async function call(method: string, path: string, body?: unknown, token: string | null = TOKEN) {
    const headers: Record<string, string> = {
      "content-type": "application/json",
    };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    const res = await app.request(`/api/admin${path}`, {
      method,
      headers,
      ...(body === undefined
        ? {}
        : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    bodies.push(text);
    return {
      status: res.status,
      headers: res.headers,
      text,
      json: (text === "" ? null : JSON.parse(text)) as any,
    };
  }
  return { app, store, registry, call, bodies };
}

describe("auth", () => {
  test("no token, a wrong token, another scheme or a prefix of the token: 401 with a Bearer challenge", async () => {
    const { call, store } = setup();
    for (const [token, path] of [
      [null, "/devices"],
      ["wrong-token-0123456789", "/devices"],
      [TOKEN.slice(0, -1), "/device-groups"],
      [TOKEN + "x", "/users"],
      [null, "/no-such-route"],
    ] as const) {
      const r = await call("GET", path, undefined, token);
      expect(r.status).toBe(401);
      expect(r.headers.get("www-authenticate")).toStartWith("Bearer");
      expect(r.json.error).toBe("unauthorized");
    }
    const basic = await setup().app.request("/api/admin/devices", {
      headers: { authorization: `Basic ${btoa(`admin:${TOKEN}`)}` },
    });
    expect(basic.status).toBe(401);
    // Refused writes change nothing.
    expect((await call("POST", "/device-groups", { name: "g" }, null)).status).toBe(401);
    expect(store.sqlite.query("SELECT count(*) AS n FROM device_groups").get()).toEqual({ n: 0 });
    const ok = await call("GET", "/devices");
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({
      items: [],
      total: 0,
      limit: 1000,
      offset: 0,
      next_offset: null,
    });
  });

  test("without a configured token (absent, empty or too short) the API is off, never open", async () => {
    for (const o of [{ token: null }, { token: "" }, { token: "short" }, { admin: false }]) {
      const { call } = setup(o);
      for (const token of [null, "", "short", TOKEN]) {
        const r = await call("GET", "/devices", undefined, token);
        expect(r.status).toBe(404);
        expect(r.json.error).toBe("admin_api_disabled");
        expect((await call("POST", "/device-groups", { name: "g" }, token)).status).toBe(404);
      }
    }
    // The rest of the HTTP app is unaffected.
    expect((await setup({ token: null }).app.request("/api/health")).status).toBe(200);
  });
});

describe("CRUD walk: secrets are write-only", () => {
  test("groups, devices, proxies, users, user groups and rules; no response carries a secret", async () => {
    const { call, bodies, store } = setup();
    const g = await call("POST", "/device-groups", {
      name: "core",
      tacacs_secret: TAC1,
      radius_secret: RAD1,
      description: "core routers",
    });
    expect(g.status).toBe(201);
    expect(g.json).toEqual({
      name: "core",
      description: "core routers",
      tacacs_secret_set: true,
      radius_secret_set: true,
      proxy_network: null,
      require_message_authenticator: true,
      devices: 0,
    });
    expect((await call("POST", "/device-groups", { name: "lab" })).status).toBe(201);
    const p = await call("PATCH", "/device-groups/core", {
      tacacs_secret: TAC2,
      radius_secret: null,
      proxy_network: "192.0.2.0/24",
      require_message_authenticator: false,
    });
    expect(p.status).toBe(200);
    expect(p.json).toMatchObject({
      tacacs_secret_set: true,
      radius_secret_set: false,
      proxy_network: "192.0.2.0/24",
      require_message_authenticator: false,
    });
    // The new secret really was written.
    expect(
      store.sqlite
        .query(
          "SELECT tacacs_secret AS t, radius_secret AS r FROM device_groups WHERE name = 'core'",
        )
        .get(),
    ).toEqual({ t: TAC2, r: null });

    for (let i = 0; i < 5; i++)
      expect(
        (
          await call("POST", "/devices", {
            name: `r${i}`,
            network: `10.0.0.${i}`,
            group: i < 3 ? "core" : "lab",
          })
        ).status,
      ).toBe(201);
    const page = await call("GET", "/devices?group=core&limit=2&offset=1");
    expect(page.json).toEqual({
      items: [
        {
          name: "r1",
          network: "10.0.0.1/32",
          group: "core",
          enabled: true,
          auto_registered: false,
        },
        {
          name: "r2",
          network: "10.0.0.2/32",
          group: "core",
          enabled: true,
          auto_registered: false,
        },
      ],
      total: 3,
      limit: 2,
      offset: 1,
      next_offset: null,
    });
    expect((await call("GET", "/devices?limit=2")).json.next_offset).toBe(2);
    const d = await call("PATCH", "/devices/r0", {
      enabled: false,
      network: "10.1.0.0/16",
      group: "lab",
    });
    expect(d.json).toEqual({
      name: "r0",
      network: "10.1.0.0/16",
      group: "lab",
      enabled: false,
      auto_registered: false,
    });
    expect((await call("GET", "/device-groups/core")).json.devices).toBe(2);
    expect((await call("DELETE", "/devices/r4")).status).toBe(204);
    expect((await call("GET", "/devices/r4")).status).toBe(404);

    expect((await call("POST", "/proxies", { name: "lb1", network: "192.0.2.1" })).json).toEqual({
      name: "lb1",
      network: "192.0.2.1/32",
      description: "",
    });
    expect((await call("PATCH", "/proxies/lb1", { description: "haproxy" })).json.description).toBe(
      "haproxy",
    );

    const ug = await call("POST", "/user-groups", {
      name: "ops",
      priv_lvl: 15,
      av: ["service=shell:priv-lvl=15"],
      device_groups: ["core"],
    });
    expect(ug.status).toBe(201);
    expect(ug.json).toMatchObject({
      name: "ops",
      priv_lvl: 15,
      av: { shell: ["priv-lvl=15"] },
      device_groups: ["core"],
      members: 0,
    });
    const u = await call("POST", "/users", {
      username: "alice",
      password: PW1,
      groups: ["ops"],
      enable_secret: ENABLE,
      expires_at: "2099-01-01",
    });
    expect(u.status).toBe(201);
    expect(u.json).toMatchObject({
      username: "alice",
      enabled: true,
      groups: ["ops"],
      enable_secret_set: true,
      expires_at: "2099-01-01T00:00:00.000Z",
      chap: "none",
    });
    const u2 = await call("PATCH", "/users/alice", {
      password: PW2,
      enabled: false,
      expires_at: null,
      groups: [],
    });
    expect(u2.json).toMatchObject({
      username: "alice",
      enabled: false,
      groups: [],
      expires_at: null,
    });
    const hash = store.sqlite
      .query<{ h: string }, []>("SELECT password_hash AS h FROM users")
      .get()!.h;
    expect(await Bun.password.verify(PW2, hash)).toBe(true);
    expect((await call("GET", "/users")).json.items).toHaveLength(1);
    expect((await call("GET", "/users/alice")).json.username).toBe("alice");

    const rule = await call("POST", "/rules", {
      name: "show",
      action: "permit",
      pattern: "^show ",
      user_groups: ["ops"],
      max_priv: 15,
    });
    expect(rule.json).toEqual({
      name: "show",
      position: 10,
      action: "permit",
      pattern: "^show ",
      min_priv: null,
      max_priv: 15,
      user_groups: ["ops"],
      device_groups: [],
    });
    expect((await call("GET", "/rules")).json.items).toHaveLength(1);

    // Lists and single reads of everything, then the deletes.
    for (const path of [
      "/device-groups",
      "/device-groups/core",
      "/devices",
      "/proxies",
      "/proxies/lb1",
      "/users",
      "/user-groups",
      "/user-groups/ops",
      "/rules/show",
      "/audit",
    ])
      expect((await call("GET", path)).status).toBe(200);
    expect((await call("DELETE", "/user-groups/ops")).status).toBe(409); // scopes rule "show"
    for (const path of [
      "/rules/show",
      "/user-groups/ops",
      "/users/alice",
      "/proxies/lb1",
      "/devices/r0",
      "/devices/r1",
      "/devices/r2",
      "/devices/r3",
      "/device-groups/core",
      "/device-groups/lab",
    ])
      expect([path, (await call("DELETE", path)).status]).toEqual([path, 204]);
    expect((await call("GET", "/device-groups")).json).toEqual({ items: [] });

    expect(bodies.length).toBeGreaterThan(40);
    for (const b of bodies) for (const s of SECRETS) expect(b).not.toContain(s);
  });
});

describe("failed-token rate limit", () => {
  test("a burst of wrong tokens ends in 429; the right token still works", async () => {
    const { call } = setup();
    const codes: number[] = [];
    for (let i = 0; i < 30; i++)
      codes.push(
        (await call("GET", "/device-groups", undefined, `wrong-token-${i}-padding`)).status,
      );
    expect(codes.slice(0, 20).every((c) => c === 401)).toBe(true);
    expect(codes.slice(20).every((c) => c === 429)).toBe(true);
    expect((await call("GET", "/device-groups")).status).toBe(200);
  });
});

describe("update in place: user groups and rules", () => {
  test("PATCH changes a user group (members keep it) and a rule (same name, validated), audited", async () => {
    const { call, store } = setup();
    expect(
      (await call("POST", "/device-groups", { name: "core", tacacs_secret: TAC1 })).status,
    ).toBe(201);
    expect((await call("POST", "/device-groups", { name: "edge" })).status).toBe(201);
    expect(
      (await call("POST", "/user-groups", { name: "ops", priv_lvl: 1, device_groups: ["core"] }))
        .status,
    ).toBe(201);
    expect(
      (await call("POST", "/users", { username: "ann", password: PW1, groups: ["ops"] })).status,
    ).toBe(201);
    const g = await call("PATCH", "/user-groups/ops", {
      priv_lvl: 15,
      av: ["service=shell:priv-lvl=15"],
      device_groups: ["core", "edge"],
    });
    expect(g.status).toBe(200);
    expect(g.json).toMatchObject({
      name: "ops",
      priv_lvl: 15,
      device_groups: ["core", "edge"],
      members: 1,
    });
    expect((await call("GET", "/users/ann")).json.groups).toEqual(["ops"]);
    expect((await call("PATCH", "/user-groups/ops", { device_groups: ["nope"] })).status).toBe(400);
    expect((await call("PATCH", "/user-groups/ops", { priv_lvl: 16 })).status).toBe(400);
    expect((await call("PATCH", "/user-groups/ghost", { priv_lvl: 2 })).status).toBe(404);
    expect((await call("GET", "/user-groups/ops")).json.priv_lvl).toBe(15);

    expect(
      (
        await call("POST", "/rules", {
          name: "show",
          action: "permit",
          pattern: "^show ",
          user_groups: ["ops"],
        })
      ).status,
    ).toBe(201);
    const r = await call("PATCH", "/rules/show", {
      action: "deny",
      pattern: "^show run",
      min_priv: 5,
      device_groups: ["edge"],
    });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      name: "show",
      action: "deny",
      pattern: "^show run",
      min_priv: 5,
      user_groups: ["ops"],
      device_groups: ["edge"],
    });
    expect((await call("PATCH", "/rules/show", { pattern: "(" })).status).toBe(400);
    expect((await call("PATCH", "/rules/show", { min_priv: 10, max_priv: 2 })).status).toBe(400);
    expect((await call("PATCH", "/rules/show", { min_priv: null })).json.min_priv).toBeNull();
    expect((await call("GET", "/rules/show")).json.pattern).toBe("^show run");
    const rows = store.sqlite
      .query<{ action: string }, []>(
        "SELECT action FROM audit WHERE action IN ('usergroup.set', 'rule.set')",
      )
      .all();
    expect(rows.length).toBe(3);
  });
});

describe("a user PATCH is all or nothing", () => {
  test("a field refused late (a password over 1024 bytes) leaves the fields before it unchanged", async () => {
    const { call, store } = setup();
    await call("POST", "/user-groups", { name: "ops" });
    expect((await call("POST", "/users", { username: "u", password: PW1 })).status).toBe(201);
    const audits = () =>
      store.sqlite.query<{ n: number }, []>("SELECT count(*) AS n FROM audit").get()!.n;
    const before = [(await call("GET", "/users/u")).json, audits()];
    // 600 × "é" passes the schema's 1024-character bound and fails the 1024-byte rule.
    const r = await call("PATCH", "/users/u", {
      groups: ["ops"],
      enabled: false,
      password: "é".repeat(600),
    });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe("users/bad-password");
    expect([(await call("GET", "/users/u")).json, audits()]).toEqual(before);
  });
});

describe("errors", () => {
  test("validation: OpenAPI-style issues with paths; bad JSON; unknown fields; store rules", async () => {
    const { call } = setup();
    const v1 = await call("POST", "/devices", { name: 7, network: "10.0.0.1" });
    expect(v1.status).toBe(400);
    expect(v1.json.error).toBe("validation_failed");
    expect(v1.json.issues.map((i: any) => i.path).sort()).toEqual(["group", "name"]);
    const v2 = await call("POST", "/device-groups", {
      name: "g",
      tacacs_secert: TAC1,
    });
    expect(v2.status).toBe(400);
    expect(v2.json.issues[0].path).toBe("tacacs_secert");
    const v3 = await call("POST", "/device-groups", "{not json");
    expect([v3.status, v3.json.error]).toEqual([400, "validation_failed"]);
    const v4 = await call("POST", "/device-groups", {
      name: "g",
      tacacs_secret: "",
    });
    expect(v4.json.issues).toEqual([{ path: "tacacs_secret", message: "must not be empty" }]);
    const v5 = await call("POST", "/users", {
      username: "bob",
      password: "x",
      expires_at: "tomorrow",
    });
    expect(v5.json.issues[0].path).toBe("expires_at");
    expect(
      (
        await call("POST", "/device-groups", {
          name: "g",
          proxy_network: "10.0.0.0/99",
        })
      ).json,
    ).toMatchObject({ error: "invalid", code: "store/invalid" });
    expect(
      (
        await call("POST", "/rules", {
          name: "r",
          action: "permit",
          pattern: "(",
        })
      ).json.code,
    ).toBe("rules/bad-pattern");
    expect((await call("GET", "/devices?limit=0")).json.issues[0].path).toBe("limit");
    expect((await call("PATCH", "/device-groups/g", { name: "renamed" })).status).toBe(400);
    const big = await call("POST", "/device-groups", {
      name: "g",
      description: "x".repeat(70_000),
    });
    expect(big.status).toBe(413);
  });

  test("404 for unknown objects, 409 for duplicates and objects in use, 400 for a missing reference", async () => {
    const { call } = setup();
    for (const path of [
      "/device-groups/nope",
      "/devices/nope",
      "/proxies/nope",
      "/users/nope",
      "/user-groups/nope",
      "/rules/nope",
    ]) {
      expect([path, (await call("GET", path)).status]).toEqual([path, 404]);
      expect([path, (await call("DELETE", path)).status]).toEqual([path, 404]);
    }
    expect((await call("PATCH", "/devices/nope", { enabled: true })).status).toBe(404);
    expect((await call("PATCH", "/users/nope", { enabled: true })).status).toBe(404);
    expect((await call("POST", "/device-groups", { name: "g" })).status).toBe(201);
    expect((await call("POST", "/device-groups", { name: "g" })).status).toBe(409);
    expect(
      (
        await call("POST", "/devices", {
          name: "d",
          network: "10.0.0.1",
          group: "nope",
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await call("POST", "/devices", {
          name: "d",
          network: "10.0.0.1",
          group: "g",
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await call("POST", "/devices", {
          name: "d",
          network: "10.0.0.2",
          group: "g",
        })
      ).status,
    ).toBe(409);
    const inUse = await call("DELETE", "/device-groups/g");
    expect([inUse.status, inUse.json.code]).toEqual([409, "store/in-use"]);
    expect((await call("PATCH", "/devices/d", { group: "nope" })).status).toBe(400);
    expect(
      (
        await call("POST", "/users", {
          username: "u",
          password: PW1,
          groups: ["nope"],
        })
      ).status,
    ).toBe(400);
    // A PATCH refused for an unknown group changes nothing else.
    expect((await call("POST", "/users", { username: "u", password: PW1 })).status).toBe(201);
    expect((await call("PATCH", "/users/u", { enabled: false, groups: ["nope"] })).status).toBe(
      400,
    );
    expect((await call("GET", "/users/u")).json.enabled).toBe(true);
  });
});

describe("audit", () => {
  test("every change is audited with the token's id as actor and without secrets", async () => {
    const { call, store } = setup();
    await call("POST", "/device-groups", { name: "g", tacacs_secret: TAC1 });
    await call("PATCH", "/device-groups/g", {
      tacacs_secret: TAC2,
      radius_secret: RAD1,
    });
    await call("POST", "/devices", {
      name: "d",
      network: "10.0.0.1",
      group: "g",
    });
    await call("POST", "/user-groups", { name: "ops" });
    await call("POST", "/users", {
      username: "u",
      password: PW1,
      enable_secret: ENABLE,
    });
    await call("PATCH", "/users/u", { password: PW2, groups: ["ops"] });
    await call("POST", "/counters/reset");
    await call("POST", "/devices", {
      name: "d",
      network: "10.0.0.1",
      group: "g",
    }); // 409: not audited
    const rows = store.sqlite
      .query<{ actor: string; action: string; object: string; detail: string }, []>(
        "SELECT actor, action, object, detail FROM audit ORDER BY id",
      )
      .all();
    expect(rows.map((r) => `${r.action} ${r.object}`)).toEqual([
      "group.add g",
      "group.set g",
      "device.add d",
      "usergroup.add ops",
      "user.add u",
      "user.groups u",
      "user.passwd u",
      "counters.reset metrics",
    ]);
    const actors = new Set(rows.map((r) => r.actor));
    expect(actors.size).toBe(1);
    expect([...actors][0]).toMatch(/^api:[0-9a-f]{12}$/);
    expect(JSON.parse(rows[1]!.detail)).toEqual({
      fields: ["radius_secret", "tacacs_secret"],
      cleared: [],
    });
    const all = JSON.stringify(rows);
    for (const s of SECRETS) expect(all).not.toContain(s);
    const viaApi = await call("GET", "/audit?limit=3");
    expect(viaApi.json.items.map((i: any) => i.action)).toEqual([
      "counters.reset",
      "user.passwd",
      "user.groups",
    ]);
    expect(viaApi.json.next_offset).toBe(3);
  });
});

describe("accounting, counters, reload", () => {
  test("accounting query: filters and paging, newest first", async () => {
    const { call, store } = setup();
    const ins = store.sqlite.prepare(
      "INSERT INTO accounting (protocol, time, client_ip, device, username, session_id, record_type) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    const t0 = Date.parse("2025-03-01T00:00:00Z");
    for (let i = 0; i < 25; i++)
      ins.run(
        i % 2 ? "radius" : "tacacs",
        t0 + i * 60_000,
        "10.0.0.1",
        i < 20 ? "r1" : "r2",
        i % 5 === 0 ? "bob" : "alice",
        `s${i}`,
        "start",
      );
    const p1 = await call("GET", "/accounting?limit=10");
    expect(p1.json.items.map((r: any) => r.sessionId)).toEqual([
      "s24",
      "s23",
      "s22",
      "s21",
      "s20",
      "s19",
      "s18",
      "s17",
      "s16",
      "s15",
    ]);
    expect(p1.json.next_offset).toBe(10);
    const p3 = await call("GET", "/accounting?limit=10&offset=20");
    expect(p3.json.items).toHaveLength(5);
    expect(p3.json.next_offset).toBeNull();
    const bob = await call("GET", "/accounting?user=bob&protocol=tacacs");
    expect(bob.json.items.map((r: any) => r.sessionId)).toEqual(["s20", "s10", "s0"]);
    const window = await call(
      "GET",
      `/accounting?since=2025-03-01T00:10:00Z&until=2025-03-01T00:12:00Z&device=r1`,
    );
    expect(window.json.items.map((r: any) => r.sessionId)).toEqual(["s12", "s11", "s10"]);
    expect((await call("GET", "/accounting?limit=100000")).status).toBe(400);
    expect((await call("GET", "/accounting?since=yesterday")).json.issues[0].path).toBe("since");
    expect((await call("GET", "/accounting?protocol=diameter")).status).toBe(400);
  });

  test("counters reset empties the registry", async () => {
    const { call, registry } = setup();
    const c = registry.counter("aaa_test_total", "test", []);
    c.inc(undefined, 5);
    expect((await call("POST", "/counters/reset")).json).toEqual({ ok: true });
    expect(c.get()).toBe(0);
  });

  test("reload: 503 without a reloader, 422 with the reasons when refused, 200 when applied", async () => {
    expect((await setup().call("POST", "/reload")).status).toBe(503);
    let calls = 0;
    let answer: ReloadResult = {
      ok: false,
      errors: ["radius.proxy.realms[0]: unknown pool"],
    };
    const { call, store } = setup({ reload: async () => (calls++, answer) });
    const bad = await call("POST", "/reload");
    expect([bad.status, bad.json.error, bad.json.errors]).toEqual([
      422,
      "config_invalid",
      ["radius.proxy.realms[0]: unknown pool"],
    ]);
    answer = { ok: true, changed: ["policy"] };
    expect((await call("POST", "/reload")).json).toEqual({ ok: true });
    expect((await call("POST", "/reload", undefined, null)).status).toBe(401);
    expect(calls).toBe(2);
    expect(
      store.sqlite.query("SELECT count(*) AS n FROM audit WHERE action = 'config.reload'").get(),
    ).toEqual({ n: 2 });
  });
});
