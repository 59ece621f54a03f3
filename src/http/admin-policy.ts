// Admin API: users, user groups and command rules, mapped onto the admin service (which validates,
// hashes and audits with the API actor). Responses use snake_case like the device side and never
// carry a hash: users show only `enable_secret_set` and the kind of CHAP credential.
import { Hono } from "hono";
import * as v from "valibot";
import type { AdminService } from "../admin/service.ts";
import { ruleJson, userGroupJson, userJson } from "../admin/views.ts";
import {
  fail,
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

const expiry = (s: string | null | undefined): number | null | undefined =>
  s === undefined || s === null ? s : parseIsoTime(s);

export function policyRoutes(admin: AdminService): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();
  const { users, userGroups, rules } = admin;

  // ---- users
  app.get("/users", (c) => c.json({ items: users.list().map(userJson) }));
  app.get("/users/:name", (c) => {
    const u = users.get(c.req.param("name"));
    return u ? c.json(userJson(u)) : notFound(c, "user", c.req.param("name"));
  });
  app.post("/users", async (c) => {
    const b = await readBody(c, UserCreate);
    if (!b.ok) return b.res;
    const u = b.value;
    const r = await users.add(c.get("actor"), {
      username: u.username,
      password: u.password,
      groups: u.groups ?? [],
      enableSecret: u.enable_secret,
      expiresAt: expiry(u.expires_at) ?? null,
    });
    return r.ok ? c.json(userJson(r.value), 201) : fail(c, r, "create");
  });
  // Each field is its own audited change (groups, expiry, status, password), all in one
  // transaction: a refused PATCH changes nothing.
  app.patch("/users/:name", async (c) => {
    const name = c.req.param("name");
    const b = await readBody(c, UserPatch);
    if (!b.ok) return b.res;
    const p = b.value;
    if (!users.get(name)) return notFound(c, "user", name);
    const r = await users.update(c.get("actor"), name, {
      groups: p.groups,
      expiresAt: expiry(p.expires_at),
      enabled: p.enabled,
      password: p.password,
    });
    return r.ok ? c.json(userJson(r.value)) : fail(c, r);
  });
  app.delete("/users/:name", (c) => {
    const r = users.remove(c.get("actor"), c.req.param("name"));
    return r.ok ? c.body(null, 204) : fail(c, r);
  });

  // ---- user groups
  app.get("/user-groups", (c) => c.json({ items: userGroups.list().map(userGroupJson) }));
  app.get("/user-groups/:name", (c) => {
    const g = userGroups.get(c.req.param("name"));
    return g ? c.json(userGroupJson(g)) : notFound(c, "user group", c.req.param("name"));
  });
  app.post("/user-groups", async (c) => {
    const b = await readBody(c, UserGroupCreate);
    if (!b.ok) return b.res;
    const g = b.value;
    const r = userGroups.add(c.get("actor"), {
      name: g.name,
      description: g.description,
      privLvl: g.priv_lvl,
      av: g.av ?? [],
      radiusReply: g.radius_reply ?? [],
      deviceGroups: g.device_groups ?? [],
    });
    return r.ok ? c.json(userGroupJson(r.value), 201) : fail(c, r, "create");
  });
  app.patch("/user-groups/:name", async (c) => {
    const b = await readBody(c, UserGroupPatch);
    if (!b.ok) return b.res;
    const g = b.value;
    const r = userGroups.update(c.get("actor"), c.req.param("name"), {
      description: g.description,
      privLvl: g.priv_lvl,
      av: g.av,
      radiusReply: g.radius_reply,
      deviceGroups: g.device_groups,
    });
    return r.ok ? c.json(userGroupJson(r.value)) : fail(c, r);
  });
  app.delete("/user-groups/:name", (c) => {
    const r = userGroups.remove(c.get("actor"), c.req.param("name"));
    return r.ok ? c.body(null, 204) : fail(c, r);
  });

  // ---- command rules
  app.get("/rules", (c) => c.json({ items: rules.list().map(ruleJson) }));
  app.get("/rules/:name", (c) => {
    const r = rules.get(c.req.param("name"));
    return r ? c.json(ruleJson(r)) : notFound(c, "rule", c.req.param("name"));
  });
  app.post("/rules", async (c) => {
    const b = await readBody(c, RuleCreate);
    if (!b.ok) return b.res;
    const x = b.value;
    const r = rules.add(c.get("actor"), {
      name: x.name,
      action: x.action,
      pattern: x.pattern,
      position: x.position,
      minPriv: x.min_priv,
      maxPriv: x.max_priv,
      userGroups: x.user_groups ?? [],
      deviceGroups: x.device_groups ?? [],
    });
    return r.ok ? c.json(ruleJson(r.value), 201) : fail(c, r, "create");
  });
  app.patch("/rules/:name", async (c) => {
    const b = await readBody(c, RulePatch);
    if (!b.ok) return b.res;
    const x = b.value;
    const r = rules.update(c.get("actor"), c.req.param("name"), {
      action: x.action,
      pattern: x.pattern,
      position: x.position,
      minPriv: x.min_priv,
      maxPriv: x.max_priv,
      userGroups: x.user_groups,
      deviceGroups: x.device_groups,
    });
    return r.ok ? c.json(ruleJson(r.value)) : fail(c, r);
  });
  app.delete("/rules/:name", (c) => {
    const r = rules.remove(c.get("actor"), c.req.param("name"));
    return r.ok ? c.body(null, 204) : fail(c, r);
  });
  return app;
}
