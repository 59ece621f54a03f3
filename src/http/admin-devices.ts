// Admin API: device groups, devices and proxies. Secrets are write-only: a request may set or clear
// them, responses only say `tacacs_secret_set` / `radius_secret_set`. DeviceStore does not audit,
// so every successful write here is audited (field names only, never values of secrets).
import { Hono } from "hono";
import * as v from "valibot";
import { audit } from "../store/audit.ts";
import { DeviceStore } from "../store/devices.ts";
import type { Store } from "../store/open.ts";
import {
  fail,
  notFound,
  Name,
  QueryInt,
  readBody,
  readQuery,
  Secret,
  Text,
  type AdminEnv,
} from "./admin-common.ts";

const Cidr = v.pipe(v.string(), v.minLength(1), v.maxLength(64));

const GroupCreate = v.strictObject({
  name: Name,
  description: v.optional(Text),
  tacacs_secret: v.optional(Secret),
  radius_secret: v.optional(Secret),
  proxy_network: v.optional(Cidr),
  require_message_authenticator: v.optional(v.boolean()),
});
/** null clears a secret or the proxy network; an absent field is left as it is. */
const GroupPatch = v.strictObject({
  description: v.optional(Text),
  tacacs_secret: v.optional(v.nullable(Secret)),
  radius_secret: v.optional(v.nullable(Secret)),
  proxy_network: v.optional(v.nullable(Cidr)),
  require_message_authenticator: v.optional(v.boolean()),
});
const DeviceCreate = v.strictObject({
  name: Name,
  network: Cidr,
  group: Name,
  enabled: v.optional(v.boolean()),
});
const DevicePatch = v.strictObject({
  network: v.optional(Cidr),
  group: v.optional(Name),
  enabled: v.optional(v.boolean()),
});
const DeviceQuery = v.object({
  group: v.optional(Name),
  limit: v.optional(QueryInt(1, 10_000)),
  offset: v.optional(QueryInt(0, 1e9)),
});
const ProxyCreate = v.strictObject({
  name: Name,
  network: Cidr,
  description: v.optional(Text),
});
const ProxyPatch = v.strictObject({
  network: v.optional(Cidr),
  description: v.optional(Text),
});

/** Which fields a body touched; goes into the audit detail instead of the values. */
const fields = (o: object): string[] => Object.keys(o).sort();

export function deviceRoutes(store: Store): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();
  const ds = new DeviceStore(store.sqlite);

  // ---- device groups
  app.get("/device-groups", (c) => c.json({ items: ds.listGroups() }));
  app.get("/device-groups/:name", (c) => {
    const g = ds.getGroup(c.req.param("name"));
    return g ? c.json(g) : notFound(c, "group", c.req.param("name"));
  });
  app.post("/device-groups", async (c) => {
    const b = await readBody(c, GroupCreate);
    if (!b.ok) return b.res;
    const g = b.value;
    const r = ds.addGroup({
      name: g.name,
      description: g.description,
      tacacsSecret: g.tacacs_secret,
      radiusSecret: g.radius_secret,
      proxyNetwork: g.proxy_network,
      requireMessageAuthenticator: g.require_message_authenticator,
    });
    if (!r.ok) return fail(c, r, "create");
    audit(store.db, c.get("actor"), "group.add", g.name, {
      fields: fields(g),
      proxy_network: g.proxy_network ?? null,
    });
    return c.json(ds.getGroup(g.name), 201);
  });
  app.patch("/device-groups/:name", async (c) => {
    const name = c.req.param("name");
    const b = await readBody(c, GroupPatch);
    if (!b.ok) return b.res;
    const p = b.value;
    const r = ds.updateGroup(name, {
      description: p.description,
      tacacsSecret: p.tacacs_secret,
      radiusSecret: p.radius_secret,
      proxyNetwork: p.proxy_network,
      requireMessageAuthenticator: p.require_message_authenticator,
    });
    if (!r.ok) return fail(c, r);
    const cleared = fields(p).filter((k) => p[k as keyof typeof p] === null);
    audit(store.db, c.get("actor"), "group.update", name, {
      fields: fields(p),
      cleared,
    });
    return c.json(ds.getGroup(name));
  });
  app.delete("/device-groups/:name", (c) => {
    const name = c.req.param("name");
    const r = ds.removeGroup(name);
    if (!r.ok) return fail(c, r);
    audit(store.db, c.get("actor"), "group.remove", name);
    return c.body(null, 204);
  });

  // ---- devices
  app.get("/devices", (c) => {
    const q = readQuery(c, DeviceQuery);
    if (!q.ok) return q.res;
    const limit = q.value.limit ?? 1000;
    const offset = q.value.offset ?? 0;
    const group = q.value.group;
    const items = ds.listDevices({ group, limit, offset });
    const total = ds.countDevices(group);
    return c.json({
      items,
      total,
      limit,
      offset,
      next_offset: offset + items.length < total ? offset + items.length : null,
    });
  });
  app.get("/devices/:name", (c) => {
    const d = ds.getDevice(c.req.param("name"));
    return d ? c.json(d) : notFound(c, "device", c.req.param("name"));
  });
  app.post("/devices", async (c) => {
    const b = await readBody(c, DeviceCreate);
    if (!b.ok) return b.res;
    const d = b.value;
    const r = ds.addDevice(d);
    if (!r.ok) return fail(c, r, "create");
    audit(store.db, c.get("actor"), "device.add", d.name, {
      network: d.network,
      group: d.group,
      enabled: d.enabled ?? true,
    });
    return c.json(ds.getDevice(d.name), 201);
  });
  app.patch("/devices/:name", async (c) => {
    const name = c.req.param("name");
    const b = await readBody(c, DevicePatch);
    if (!b.ok) return b.res;
    const r = ds.updateDevice(name, b.value);
    if (!r.ok) return fail(c, r);
    audit(store.db, c.get("actor"), "device.update", name, { ...b.value });
    return c.json(ds.getDevice(name));
  });
  app.delete("/devices/:name", (c) => {
    const name = c.req.param("name");
    const r = ds.removeDevice(name);
    if (!r.ok) return fail(c, r);
    audit(store.db, c.get("actor"), "device.remove", name);
    return c.body(null, 204);
  });

  // ---- proxies (PROXY v2 senders)
  app.get("/proxies", (c) => c.json({ items: ds.listProxies() }));
  app.get("/proxies/:name", (c) => {
    const p = ds.getProxy(c.req.param("name"));
    return p ? c.json(p) : notFound(c, "proxy", c.req.param("name"));
  });
  app.post("/proxies", async (c) => {
    const b = await readBody(c, ProxyCreate);
    if (!b.ok) return b.res;
    const r = ds.addProxy(b.value);
    if (!r.ok) return fail(c, r, "create");
    audit(store.db, c.get("actor"), "proxy.add", b.value.name, {
      network: b.value.network,
    });
    return c.json(ds.getProxy(b.value.name), 201);
  });
  app.patch("/proxies/:name", async (c) => {
    const name = c.req.param("name");
    const b = await readBody(c, ProxyPatch);
    if (!b.ok) return b.res;
    const r = ds.updateProxy(name, b.value);
    if (!r.ok) return fail(c, r);
    audit(store.db, c.get("actor"), "proxy.update", name, { ...b.value });
    return c.json(ds.getProxy(name));
  });
  app.delete("/proxies/:name", (c) => {
    const name = c.req.param("name");
    const r = ds.removeProxy(name);
    if (!r.ok) return fail(c, r);
    audit(store.db, c.get("actor"), "proxy.remove", name);
    return c.body(null, 204);
  });
  return app;
}
