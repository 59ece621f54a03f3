// Admin API: device groups, devices and proxies. Secrets are write-only: a request may set or clear
// them, responses only say `tacacs_secret_set` / `radius_secret_set`. The admin service validates
// and audits (field names only, never values of secrets); this file maps JSON to its calls.
import { Hono } from "hono";
import * as v from "valibot";
import type { AdminService } from "../admin/service.ts";
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

export function deviceRoutes(admin: AdminService): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();
  const ds = admin.devices;

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
    const r = ds.addGroup(c.get("actor"), {
      name: g.name,
      description: g.description,
      tacacsSecret: g.tacacs_secret,
      radiusSecret: g.radius_secret,
      proxyNetwork: g.proxy_network,
      requireMessageAuthenticator: g.require_message_authenticator,
    });
    return r.ok ? c.json(r.value, 201) : fail(c, r, "create");
  });
  app.patch("/device-groups/:name", async (c) => {
    const b = await readBody(c, GroupPatch);
    if (!b.ok) return b.res;
    const p = b.value;
    const r = ds.updateGroup(c.get("actor"), c.req.param("name"), {
      description: p.description,
      tacacsSecret: p.tacacs_secret,
      radiusSecret: p.radius_secret,
      proxyNetwork: p.proxy_network,
      requireMessageAuthenticator: p.require_message_authenticator,
    });
    return r.ok ? c.json(r.value) : fail(c, r);
  });
  app.delete("/device-groups/:name", (c) => {
    const r = ds.removeGroup(c.get("actor"), c.req.param("name"));
    return r.ok ? c.body(null, 204) : fail(c, r);
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
    const r = ds.addDevice(c.get("actor"), b.value);
    return r.ok ? c.json(r.value, 201) : fail(c, r, "create");
  });
  app.patch("/devices/:name", async (c) => {
    const b = await readBody(c, DevicePatch);
    if (!b.ok) return b.res;
    const r = ds.updateDevice(c.get("actor"), c.req.param("name"), b.value);
    return r.ok ? c.json(r.value) : fail(c, r);
  });
  app.delete("/devices/:name", (c) => {
    const r = ds.removeDevice(c.get("actor"), c.req.param("name"));
    return r.ok ? c.body(null, 204) : fail(c, r);
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
    const r = ds.addProxy(c.get("actor"), b.value);
    return r.ok ? c.json(r.value, 201) : fail(c, r, "create");
  });
  app.patch("/proxies/:name", async (c) => {
    const b = await readBody(c, ProxyPatch);
    if (!b.ok) return b.res;
    const r = ds.updateProxy(c.get("actor"), c.req.param("name"), b.value);
    return r.ok ? c.json(r.value) : fail(c, r);
  });
  app.delete("/proxies/:name", (c) => {
    const r = ds.removeProxy(c.get("actor"), c.req.param("name"));
    return r.ok ? c.body(null, 204) : fail(c, r);
  });
  return app;
}
