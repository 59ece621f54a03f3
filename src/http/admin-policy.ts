// Admin API: users, user groups and command rules. The store functions audit themselves (with the
// API actor). Responses use snake_case like the device side and never carry a hash: users show
// only `enable_secret_set` and the kind of CHAP credential.
import { Hono } from "hono";
import * as v from "valibot";
import type { Store } from "../store/open.ts";
import { addRule, listRules, removeRule, updateRule, type RuleView } from "../store/rules.ts";
import {
  addUserGroup,
  listUserGroups,
  removeUserGroup,
  updateUserGroup,
  type UserGroupView,
} from "../store/user-groups.ts";
import {
  addUser,
  listUsers,
  removeUser,
  setEnabled,
  setExpiry,
  setPassword,
  setUserGroups,
  type UserView,
} from "../store/users.ts";
import {
  fail,
  iso,
  IsoTime,
  Name,
  Names,
  notFound,
  parseIsoTime,
  readBody,
  Secret,
  Text,
  type AdminEnv,
} from "./admin-common.ts";

const Priv = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(15));
const Strings = v.pipe(v.array(v.pipe(v.string(), v.maxLength(1024))), v.maxLength(1000));

const UserCreate = v.strictObject({
  username: Name,
  password: Secret,
  groups: v.optional(Names),
  enable_secret: v.optional(Secret),
  expires_at: v.optional(v.nullable(IsoTime)),
});
const UserPatch = v.strictObject({
  password: v.optional(Secret),
  enabled: v.optional(v.boolean()),
  expires_at: v.optional(v.nullable(IsoTime)),
  groups: v.optional(Names),
});
const UserGroupCreate = v.strictObject({
  name: Name,
  description: v.optional(Text),
  priv_lvl: v.optional(Priv),
  av: v.optional(Strings),
  radius_reply: v.optional(Strings),
  device_groups: v.optional(Names),
});
const UserGroupPatch = v.strictObject({
  description: v.optional(Text),
  priv_lvl: v.optional(Priv),
  av: v.optional(Strings),
  radius_reply: v.optional(Strings),
  device_groups: v.optional(Names),
});
const RulePatch = v.strictObject({
  action: v.optional(v.picklist(["permit", "deny"])),
  pattern: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(1024))),
  position: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  min_priv: v.optional(v.nullable(Priv)),
  max_priv: v.optional(v.nullable(Priv)),
  user_groups: v.optional(Names),
  device_groups: v.optional(Names),
});
const RuleCreate = v.strictObject({
  name: Name,
  action: v.picklist(["permit", "deny"]),
  pattern: v.pipe(v.string(), v.minLength(1), v.maxLength(1024)),
  position: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  min_priv: v.optional(Priv),
  max_priv: v.optional(Priv),
  user_groups: v.optional(Names),
  device_groups: v.optional(Names),
});

const userJson = (u: UserView) => ({
  username: u.username,
  enabled: u.enabled,
  groups: u.groups,
  expires_at: iso(u.expiresAt),
  enable_secret_set: u.enableSecret,
  chap: u.chap,
  credential_version: u.credentialVersion,
  created_at: iso(u.createdAt),
});
const userGroupJson = (g: UserGroupView) => ({
  name: g.name,
  description: g.description,
  priv_lvl: g.privLvl,
  av: g.av,
  radius_reply: g.radiusReply,
  device_groups: g.deviceGroups,
  members: g.members,
});
const ruleJson = (r: RuleView) => ({
  name: r.name,
  position: r.position,
  action: r.action,
  pattern: r.pattern,
  min_priv: r.minPriv,
  max_priv: r.maxPriv,
  user_groups: r.userGroups,
  device_groups: r.deviceGroups,
});

const expiry = (s: string | null | undefined): number | null | undefined =>
  s === undefined || s === null ? s : parseIsoTime(s);

export function policyRoutes(store: Store): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();
  const user = (name: string) => listUsers(store).find((u) => u.username === name.normalize("NFC"));

  // ---- users
  app.get("/users", (c) => c.json({ items: listUsers(store).map(userJson) }));
  app.get("/users/:name", (c) => {
    const u = user(c.req.param("name"));
    return u ? c.json(userJson(u)) : notFound(c, "user", c.req.param("name"));
  });
  app.post("/users", async (c) => {
    const b = await readBody(c, UserCreate);
    if (!b.ok) return b.res;
    const u = b.value;
    const r = await addUser(
      store,
      {
        username: u.username,
        password: u.password,
        groups: u.groups ?? [],
        enableSecret: u.enable_secret,
        expiresAt: expiry(u.expires_at) ?? null,
      },
      c.get("actor"),
    );
    if (!r.ok) return fail(c, r, "create");
    return c.json(userJson(user(u.username)!), 201);
  });
  // Each field is its own audited change. Groups go first: they are the one field that can be
  // refused for bad input (an unknown group), so a refused PATCH changes nothing.
  app.patch("/users/:name", async (c) => {
    const name = c.req.param("name");
    const b = await readBody(c, UserPatch);
    if (!b.ok) return b.res;
    const p = b.value;
    const actor = c.get("actor");
    if (!user(name)) return notFound(c, "user", name);
    const steps: Array<() => ReturnType<typeof setEnabled> | ReturnType<typeof setPassword>> = [];
    if (p.groups !== undefined) steps.push(() => setUserGroups(store, name, p.groups!, actor));
    if (p.expires_at !== undefined)
      steps.push(() => setExpiry(store, name, expiry(p.expires_at)!, actor));
    if (p.enabled !== undefined) steps.push(() => setEnabled(store, name, p.enabled!, actor));
    if (p.password !== undefined) steps.push(() => setPassword(store, name, p.password!, actor));
    for (const step of steps) {
      const r = await step();
      if (!r.ok) return fail(c, r);
    }
    return c.json(userJson(user(name)!));
  });
  app.delete("/users/:name", (c) => {
    const r = removeUser(store, c.req.param("name"), c.get("actor"));
    return r.ok ? c.body(null, 204) : fail(c, r);
  });

  // ---- user groups
  app.get("/user-groups", (c) => c.json({ items: listUserGroups(store).map(userGroupJson) }));
  app.get("/user-groups/:name", (c) => {
    const g = listUserGroups(store).find((x) => x.name === c.req.param("name"));
    return g ? c.json(userGroupJson(g)) : notFound(c, "user group", c.req.param("name"));
  });
  app.post("/user-groups", async (c) => {
    const b = await readBody(c, UserGroupCreate);
    if (!b.ok) return b.res;
    const g = b.value;
    const r = await addUserGroup(
      store,
      {
        name: g.name,
        description: g.description,
        privLvl: g.priv_lvl,
        av: g.av ?? [],
        radiusReply: g.radius_reply ?? [],
        deviceGroups: g.device_groups ?? [],
      },
      c.get("actor"),
    );
    if (!r.ok) return fail(c, r, "create");
    return c.json(userGroupJson(listUserGroups(store).find((x) => x.name === g.name)!), 201);
  });
  app.patch("/user-groups/:name", async (c) => {
    const b = await readBody(c, UserGroupPatch);
    if (!b.ok) return b.res;
    const g = b.value;
    const name = c.req.param("name");
    const r = updateUserGroup(
      store,
      name,
      {
        ...(g.description === undefined ? {} : { description: g.description }),
        ...(g.priv_lvl === undefined ? {} : { privLvl: g.priv_lvl }),
        ...(g.av === undefined ? {} : { av: g.av }),
        ...(g.radius_reply === undefined ? {} : { radiusReply: g.radius_reply }),
        ...(g.device_groups === undefined ? {} : { deviceGroups: g.device_groups }),
      },
      c.get("actor"),
    );
    if (!r.ok) return fail(c, r);
    return c.json(userGroupJson(listUserGroups(store).find((x) => x.name === name)!));
  });
  app.delete("/user-groups/:name", (c) => {
    const r = removeUserGroup(store, c.req.param("name"), c.get("actor"));
    return r.ok ? c.body(null, 204) : fail(c, r);
  });

  // ---- command rules
  app.get("/rules", (c) => c.json({ items: listRules(store).map(ruleJson) }));
  app.get("/rules/:name", (c) => {
    const r = listRules(store).find((x) => x.name === c.req.param("name"));
    return r ? c.json(ruleJson(r)) : notFound(c, "rule", c.req.param("name"));
  });
  app.post("/rules", async (c) => {
    const b = await readBody(c, RuleCreate);
    if (!b.ok) return b.res;
    const x = b.value;
    const r = addRule(
      store,
      {
        name: x.name,
        action: x.action,
        pattern: x.pattern,
        position: x.position,
        minPriv: x.min_priv,
        maxPriv: x.max_priv,
        userGroups: x.user_groups ?? [],
        deviceGroups: x.device_groups ?? [],
      },
      c.get("actor"),
    );
    if (!r.ok) return fail(c, r, "create");
    return c.json(ruleJson(listRules(store).find((y) => y.name === x.name)!), 201);
  });
  app.patch("/rules/:name", async (c) => {
    const b = await readBody(c, RulePatch);
    if (!b.ok) return b.res;
    const x = b.value;
    const name = c.req.param("name");
    const r = updateRule(
      store,
      name,
      {
        ...(x.action === undefined ? {} : { action: x.action }),
        ...(x.pattern === undefined ? {} : { pattern: x.pattern }),
        ...(x.position === undefined ? {} : { position: x.position }),
        ...(x.min_priv === undefined ? {} : { minPriv: x.min_priv }),
        ...(x.max_priv === undefined ? {} : { maxPriv: x.max_priv }),
        ...(x.user_groups === undefined ? {} : { userGroups: x.user_groups }),
        ...(x.device_groups === undefined ? {} : { deviceGroups: x.device_groups }),
      },
      c.get("actor"),
    );
    if (!r.ok) return fail(c, r);
    return c.json(ruleJson(listRules(store).find((y) => y.name === name)!));
  });
  app.delete("/rules/:name", (c) => {
    const r = removeRule(store, c.req.param("name"), c.get("actor"));
    return r.ok ? c.body(null, 204) : fail(c, r);
  });
  return app;
}
