// Device groups, devices and proxies: the writes and listings behind the admin CLI (and later the
// admin API). Every write validates first and runs in one transaction, so bad input leaves the
// database unchanged. Listings never carry secrets: only `tacacs_secret_set` / `radius_secret_set`.
import type { Database } from "bun:sqlite";
import { parseCidr } from "../lib/ip.ts";
import { err, ok, type Result } from "../lib/result.ts";
import { bumpLocalGeneration } from "./open.ts";

export type StoreErrorCode =
  "store/invalid" | "store/not-found" | "store/duplicate" | "store/in-use";

export interface GroupView {
  name: string;
  description: string;
  tacacs_secret_set: boolean;
  radius_secret_set: boolean;
  proxy_network: string | null;
  require_message_authenticator: boolean;
  devices: number;
}
export interface DeviceView {
  name: string;
  network: string;
  group: string;
  enabled: boolean;
  auto_registered: boolean;
}
export interface GroupPatch {
  description?: string;
  /** null clears the secret (the group then serves no TACACS+ client). */
  tacacsSecret?: string | null;
  radiusSecret?: string | null;
  proxyNetwork?: string | null;
  requireMessageAuthenticator?: boolean;
}
export interface DeviceFilter {
  group?: string;
  name?: string;
  /** Page size; absent: all. */
  limit?: number;
  offset?: number;
}
export interface ProxyView {
  name: string;
  network: string;
  description: string;
}

/** Names are what scripts type: printable, no spaces, bounded. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
/** Shared secrets: bounded; RFC 2865 §3 requires at least one octet; 16+ is recommended. */
const MAX_SECRET = 256;

function checkName(kind: string, name: string): Result<string, StoreErrorCode> {
  return NAME.test(name)
    ? ok(name)
    : err(
        "store/invalid",
        `${kind} name "${name}" must be 1-128 characters of letters, digits and . _ : @ -`,
      );
}
function checkSecret(flag: string, s: string | undefined): Result<string | null, StoreErrorCode> {
  if (s === undefined) return ok(null);
  if (s.length === 0 || s.length > MAX_SECRET)
    return err("store/invalid", `${flag} must be 1-${MAX_SECRET} characters`);
  return ok(s);
}
function canonicalCidr(flag: string, s: string): Result<string, StoreErrorCode> {
  const c = parseCidr(s);
  return c.ok ? ok(c.value.text) : err("store/invalid", `${flag} "${s}" is not a valid CIDR`);
}
function isUniqueViolation(e: unknown): boolean {
  return e instanceof Error && /UNIQUE constraint failed/.test(e.message);
}

export class DeviceStore {
  constructor(private readonly sqlite: Database) {}

  addGroup(g: {
    name: string;
    description?: string;
    tacacsSecret?: string;
    radiusSecret?: string;
    proxyNetwork?: string;
    requireMessageAuthenticator?: boolean;
  }): Result<void, StoreErrorCode> {
    const name = checkName("group", g.name);
    if (!name.ok) return name;
    const t = checkSecret("--tacacs-secret", g.tacacsSecret);
    if (!t.ok) return t;
    const r = checkSecret("--radius-secret", g.radiusSecret);
    if (!r.ok) return r;
    let proxy: string | null = null;
    if (g.proxyNetwork !== undefined) {
      const c = canonicalCidr("--proxy-network", g.proxyNetwork);
      if (!c.ok) return c;
      proxy = c.value;
    }
    try {
      this.sqlite
        .query(
          "INSERT INTO device_groups (name, description, tacacs_secret, radius_secret, proxy_network, require_message_authenticator) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .run(
          g.name,
          g.description ?? "",
          t.value,
          r.value,
          proxy,
          g.requireMessageAuthenticator === false ? 0 : 1,
        );
    } catch (e) {
      if (isUniqueViolation(e)) return err("store/duplicate", `group "${g.name}" already exists`);
      throw e;
    }
    bumpLocalGeneration(this.sqlite);
    return ok(undefined);
  }

  removeGroup(name: string): Result<void, StoreErrorCode> {
    const row = this.sqlite
      .query<{ id: number }, [string]>("SELECT id FROM device_groups WHERE name = ?")
      .get(name);
    if (!row) return err("store/not-found", `group "${name}" does not exist`);
    const n = this.sqlite
      .query<{ n: number }, [number]>("SELECT count(*) AS n FROM devices WHERE group_id = ?")
      .get(row.id)!.n;
    if (n > 0)
      return err("store/in-use", `group "${name}" still has ${n} device(s); remove them first`);
    // Deleting the group would cascade away a rule's scope row and widen the rule to every
    // device group: refuse instead.
    const rules = this.sqlite
      .query<{ name: string }, [number]>(
        "SELECT r.name FROM command_rules r JOIN command_rule_device_groups s ON s.rule_id = r.id WHERE s.device_group_id = ? ORDER BY r.name",
      )
      .all(row.id)
      .map((r) => r.name);
    if (rules.length > 0)
      return err(
        "store/in-use",
        `group "${name}" scopes command rule(s) ${rules.join(", ")}; remove or rescope them first`,
      );
    this.sqlite.query("DELETE FROM device_groups WHERE id = ?").run(row.id);
    bumpLocalGeneration(this.sqlite);
    return ok(undefined);
  }

  listGroups(): GroupView[] {
    return this.groups(null);
  }

  getGroup(name: string): GroupView | null {
    return this.groups(name)[0] ?? null;
  }

  private groups(name: string | null): GroupView[] {
    return this.sqlite
      .query<
        {
          name: string;
          description: string;
          t: number;
          r: number;
          proxy_network: string | null;
          rma: number;
          devices: number;
        },
        [string | null, string | null]
      >(
        `SELECT g.name, g.description, g.tacacs_secret IS NOT NULL AS t, g.radius_secret IS NOT NULL AS r, g.proxy_network,
                g.require_message_authenticator AS rma, (SELECT count(*) FROM devices d WHERE d.group_id = g.id) AS devices
         FROM device_groups g WHERE (? IS NULL OR g.name = ?) ORDER BY g.name`,
      )
      .all(name, name)
      .map((g) => ({
        name: g.name,
        description: g.description,
        tacacs_secret_set: g.t === 1,
        radius_secret_set: g.r === 1,
        proxy_network: g.proxy_network,
        require_message_authenticator: g.rma === 1,
        devices: g.devices,
      }));
  }

  /**
   * Change a group in place. For the secrets and proxy_network, `undefined` keeps the value and
   * `null` clears it. A changed secret takes effect on the next request (the index rebuilds).
   */
  updateGroup(name: string, p: GroupPatch): Result<void, StoreErrorCode> {
    const row = this.sqlite
      .query<{ id: number }, [string]>("SELECT id FROM device_groups WHERE name = ?")
      .get(name);
    if (!row) return err("store/not-found", `group "${name}" does not exist`);
    const sets: string[] = [];
    const vals: Array<string | number | null> = [];
    if (p.description !== undefined) (sets.push("description = ?"), vals.push(p.description));
    for (const [col, flag, v] of [
      ["tacacs_secret", "tacacs_secret", p.tacacsSecret],
      ["radius_secret", "radius_secret", p.radiusSecret],
    ] as const) {
      if (v === undefined) continue;
      const s = v === null ? ok(null) : checkSecret(flag, v);
      if (!s.ok) return s;
      (sets.push(`${col} = ?`), vals.push(s.value));
    }
    if (p.proxyNetwork !== undefined) {
      const c = p.proxyNetwork === null ? ok(null) : canonicalCidr("proxy_network", p.proxyNetwork);
      if (!c.ok) return c;
      (sets.push("proxy_network = ?"), vals.push(c.value));
    }
    if (p.requireMessageAuthenticator !== undefined)
      (sets.push("require_message_authenticator = ?"),
        vals.push(p.requireMessageAuthenticator ? 1 : 0));
    if (sets.length === 0) return ok(undefined);
    this.sqlite
      .query(`UPDATE device_groups SET ${sets.join(", ")} WHERE id = ?`)
      .run(...vals, row.id);
    bumpLocalGeneration(this.sqlite);
    return ok(undefined);
  }

  addDevice(d: {
    name: string;
    network: string;
    group: string;
    enabled?: boolean;
  }): Result<void, StoreErrorCode> {
    const name = checkName("device", d.name);
    if (!name.ok) return name;
    const net = canonicalCidr("--network", d.network);
    if (!net.ok) return net;
    const g = this.sqlite
      .query<{ id: number }, [string]>("SELECT id FROM device_groups WHERE name = ?")
      .get(d.group);
    if (!g) return err("store/not-found", `group "${d.group}" does not exist`);
    try {
      this.sqlite
        .query("INSERT INTO devices (name, network, group_id, enabled) VALUES (?, ?, ?, ?)")
        .run(d.name, net.value, g.id, d.enabled === false ? 0 : 1);
    } catch (e) {
      if (isUniqueViolation(e)) return err("store/duplicate", `device "${d.name}" already exists`);
      throw e;
    }
    bumpLocalGeneration(this.sqlite);
    return ok(undefined);
  }

  removeDevice(name: string): Result<void, StoreErrorCode> {
    const res = this.sqlite.query("DELETE FROM devices WHERE name = ?").run(name);
    if (res.changes === 0) return err("store/not-found", `device "${name}" does not exist`);
    bumpLocalGeneration(this.sqlite);
    return ok(undefined);
  }

  /** Devices by name; optionally one group, one name, one page. */
  listDevices(f: DeviceFilter = {}): DeviceView[] {
    return this.sqlite
      .query<
        { name: string; network: string; grp: string; enabled: number; auto: number },
        [string | null, string | null, string | null, string | null, number, number]
      >(
        `SELECT d.name, d.network, g.name AS grp, d.enabled, d.auto_registered AS auto FROM devices d JOIN device_groups g ON g.id = d.group_id
         WHERE (? IS NULL OR g.name = ?) AND (? IS NULL OR d.name = ?) ORDER BY d.name LIMIT ? OFFSET ?`,
      )
      .all(
        f.group ?? null,
        f.group ?? null,
        f.name ?? null,
        f.name ?? null,
        f.limit ?? -1,
        f.offset ?? 0,
      )
      .map((d) => ({
        name: d.name,
        network: d.network,
        group: d.grp,
        enabled: d.enabled === 1,
        auto_registered: d.auto === 1,
      }));
  }

  countDevices(group?: string): number {
    return this.sqlite
      .query<{ n: number }, [string | null, string | null]>(
        "SELECT count(*) AS n FROM devices d JOIN device_groups g ON g.id = d.group_id WHERE (? IS NULL OR g.name = ?)",
      )
      .get(group ?? null, group ?? null)!.n;
  }

  getDevice(name: string): DeviceView | null {
    return this.listDevices({ name })[0] ?? null;
  }

  updateDevice(
    name: string,
    p: { network?: string; group?: string; enabled?: boolean },
  ): Result<void, StoreErrorCode> {
    const row = this.sqlite
      .query<{ id: number }, [string]>("SELECT id FROM devices WHERE name = ?")
      .get(name);
    if (!row) return err("store/not-found", `device "${name}" does not exist`);
    const sets: string[] = [];
    const vals: Array<string | number> = [];
    if (p.network !== undefined) {
      const c = canonicalCidr("network", p.network);
      if (!c.ok) return c;
      (sets.push("network = ?"), vals.push(c.value));
    }
    if (p.group !== undefined) {
      const g = this.sqlite
        .query<{ id: number }, [string]>("SELECT id FROM device_groups WHERE name = ?")
        .get(p.group);
      // A missing target group is bad input for this request, not a missing device.
      if (!g) return err("store/invalid", `group "${p.group}" does not exist`);
      (sets.push("group_id = ?"), vals.push(g.id));
    }
    if (p.enabled !== undefined) (sets.push("enabled = ?"), vals.push(p.enabled ? 1 : 0));
    if (sets.length === 0) return ok(undefined);
    this.sqlite.query(`UPDATE devices SET ${sets.join(", ")} WHERE id = ?`).run(...vals, row.id);
    bumpLocalGeneration(this.sqlite);
    return ok(undefined);
  }

  addProxy(p: {
    name: string;
    network: string;
    description?: string;
  }): Result<void, StoreErrorCode> {
    const name = checkName("proxy", p.name);
    if (!name.ok) return name;
    const net = canonicalCidr("--network", p.network);
    if (!net.ok) return net;
    try {
      this.sqlite
        .query("INSERT INTO proxies (name, network, description) VALUES (?, ?, ?)")
        .run(p.name, net.value, p.description ?? "");
    } catch (e) {
      if (isUniqueViolation(e)) return err("store/duplicate", `proxy "${p.name}" already exists`);
      throw e;
    }
    bumpLocalGeneration(this.sqlite);
    return ok(undefined);
  }

  removeProxy(name: string): Result<void, StoreErrorCode> {
    const res = this.sqlite.query("DELETE FROM proxies WHERE name = ?").run(name);
    if (res.changes === 0) return err("store/not-found", `proxy "${name}" does not exist`);
    bumpLocalGeneration(this.sqlite);
    return ok(undefined);
  }

  getProxy(name: string): ProxyView | null {
    return (
      this.sqlite
        .query<ProxyView, [string]>("SELECT name, network, description FROM proxies WHERE name = ?")
        .get(name) ?? null
    );
  }

  updateProxy(
    name: string,
    p: { network?: string; description?: string },
  ): Result<void, StoreErrorCode> {
    const row = this.sqlite
      .query<{ id: number }, [string]>("SELECT id FROM proxies WHERE name = ?")
      .get(name);
    if (!row) return err("store/not-found", `proxy "${name}" does not exist`);
    const sets: string[] = [];
    const vals: string[] = [];
    if (p.network !== undefined) {
      const c = canonicalCidr("network", p.network);
      if (!c.ok) return c;
      (sets.push("network = ?"), vals.push(c.value));
    }
    if (p.description !== undefined) (sets.push("description = ?"), vals.push(p.description));
    if (sets.length === 0) return ok(undefined);
    this.sqlite.query(`UPDATE proxies SET ${sets.join(", ")} WHERE id = ?`).run(...vals, row.id);
    bumpLocalGeneration(this.sqlite);
    return ok(undefined);
  }

  listProxies(): ProxyView[] {
    return this.sqlite
      .query<ProxyView, []>("SELECT name, network, description FROM proxies ORDER BY name")
      .all();
  }
}
