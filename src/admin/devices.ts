// Device groups, devices and proxies (PROXY v2 senders). Every write is validated first and runs in
// one transaction with its audit row, so bad input leaves the store unchanged. Secrets are
// write-only: views say only `tacacs_secret_set` / `radius_secret_set`, and the audit row names the
// fields that changed, never their values.
import { err, ok, type Result } from "../lib/result.ts";
import type { AdminCore } from "./context.ts";
import type {
  DeviceFilter,
  DeviceRepository,
  DeviceRow,
  DeviceView,
  GroupChange,
  GroupRow,
  GroupView,
  ProxyView,
} from "./ports.ts";
import { canonicalCidr, checkObjectName, checkSecret } from "./validate.ts";

export interface NewGroup {
  name: string;
  description?: string | undefined;
  tacacsSecret?: string | undefined;
  radiusSecret?: string | undefined;
  proxyNetwork?: string | undefined;
  requireMessageAuthenticator?: boolean | undefined;
}
/** For the secrets and proxyNetwork, `undefined` keeps the value and `null` clears it. */
export interface GroupPatch {
  description?: string | undefined;
  /** null clears the secret (the group then serves no TACACS+ client). */
  tacacsSecret?: string | null | undefined;
  radiusSecret?: string | null | undefined;
  proxyNetwork?: string | null | undefined;
  requireMessageAuthenticator?: boolean | undefined;
}
export interface NewDevice {
  name: string;
  network: string;
  group: string;
  enabled?: boolean | undefined;
}
export interface DevicePatch {
  network?: string | undefined;
  group?: string | undefined;
  enabled?: boolean | undefined;
}
export interface NewProxy {
  name: string;
  network: string;
  description?: string | undefined;
}

/** The API's field names, for audit rows (which fields changed, not to what). */
const GROUP_FIELDS: Record<keyof GroupPatch | "name", string> = {
  name: "name",
  description: "description",
  tacacsSecret: "tacacs_secret",
  radiusSecret: "radius_secret",
  proxyNetwork: "proxy_network",
  requireMessageAuthenticator: "require_message_authenticator",
};
const given = (o: object) => Object.entries(o).filter(([, v]) => v !== undefined);
const fieldsOf = (o: object) =>
  given(o)
    .map(([k]) => GROUP_FIELDS[k as keyof typeof GROUP_FIELDS])
    .sort();
const definedOnly = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(given(o)) as Partial<T>;

const noGroup = (name: string) => err("store/not-found", `group "${name}" does not exist`);
const FAILED = "store/write-failed";

function groupSecret(flag: string, s: string | null | undefined) {
  return s === undefined || s === null ? ok(s) : checkSecret(flag, s);
}

/** A new group as it would be stored, or why not (the name may still be taken). */
export function checkNewGroup(g: NewGroup): Result<GroupRow> {
  const name = checkObjectName("group", g.name);
  if (!name.ok) return name;
  const t = groupSecret("--tacacs-secret", g.tacacsSecret);
  if (!t.ok) return t;
  const r = groupSecret("--radius-secret", g.radiusSecret);
  if (!r.ok) return r;
  let proxy: string | null = null;
  if (g.proxyNetwork !== undefined) {
    const c = canonicalCidr("--proxy-network", g.proxyNetwork);
    if (!c.ok) return c;
    proxy = c.value;
  }
  return ok({
    name: g.name,
    description: g.description ?? "",
    tacacsSecret: t.value ?? null,
    radiusSecret: r.value ?? null,
    proxyNetwork: proxy,
    requireMessageAuthenticator: g.requireMessageAuthenticator !== false,
  });
}

/** A new device as it would be stored, or why not (its group is checked at insert). */
export function checkNewDevice(d: NewDevice): Result<DeviceRow> {
  const name = checkObjectName("device", d.name);
  if (!name.ok) return name;
  const net = canonicalCidr("--network", d.network);
  if (!net.ok) return net;
  return ok({ name: d.name, network: net.value, group: d.group, enabled: d.enabled !== false });
}

/** Inside a transaction: the group must exist, the name must be free. */
export function insertDevice(repo: DeviceRepository, d: DeviceRow): Result<void> {
  if (!repo.hasGroup(d.group)) return noGroup(d.group);
  return repo.insertDevice(d).ok
    ? ok(undefined)
    : err("store/duplicate", `device "${d.name}" already exists`);
}

export function deviceOperations(core: AdminCore) {
  const repo = core.repos.devices;

  return {
    listGroups: (): GroupView[] => repo.listGroups(),
    getGroup: (name: string): GroupView | null => repo.getGroup(name),

    addGroup(actor: string, g: NewGroup): Result<GroupView> {
      const row = checkNewGroup(g);
      if (!row.ok) return row;
      return core.atomic(() => {
        if (!repo.insertGroup(row.value).ok)
          return err("store/duplicate", `group "${g.name}" already exists`);
        core.audit(actor, "group.add", g.name, {
          fields: fieldsOf(g),
          proxy_network: row.value.proxyNetwork,
        });
        return ok(repo.getGroup(g.name)!);
      }, FAILED);
    },

    /** Change a group in place: its devices keep it; a new secret applies on the next request. */
    updateGroup(actor: string, name: string, p: GroupPatch): Result<GroupView> {
      if (!repo.hasGroup(name)) return noGroup(name);
      const change: GroupChange = {};
      if (p.description !== undefined) change.description = p.description;
      const t = groupSecret("tacacs_secret", p.tacacsSecret);
      if (!t.ok) return t;
      if (t.value !== undefined) change.tacacsSecret = t.value;
      const r = groupSecret("radius_secret", p.radiusSecret);
      if (!r.ok) return r;
      if (r.value !== undefined) change.radiusSecret = r.value;
      if (p.proxyNetwork !== undefined) {
        const c =
          p.proxyNetwork === null ? ok(null) : canonicalCidr("proxy_network", p.proxyNetwork);
        if (!c.ok) return c;
        change.proxyNetwork = c.value;
      }
      if (p.requireMessageAuthenticator !== undefined)
        change.requireMessageAuthenticator = p.requireMessageAuthenticator;
      return core.atomic(() => {
        if (!repo.updateGroup(name, change)) return noGroup(name);
        const cleared = given(p)
          .filter(([, v]) => v === null)
          .map(([k]) => GROUP_FIELDS[k as keyof GroupPatch])
          .sort();
        core.audit(actor, "group.set", name, { fields: fieldsOf(p), cleared });
        return ok(repo.getGroup(name)!);
      }, FAILED);
    },

    removeGroup(actor: string, name: string): Result<void> {
      return core.atomic(() => {
        const g = repo.getGroup(name);
        if (g === null) return noGroup(name);
        if (g.devices > 0)
          return err(
            "store/in-use",
            `group "${name}" still has ${g.devices} device(s); remove them first`,
          );
        // Deleting the group would cascade away a rule's scope row and widen the rule to every
        // device group: refuse instead.
        const rules = core.repos.rules
          .list()
          .filter((r) => r.deviceGroups.includes(name))
          .map((r) => r.name)
          .sort();
        if (rules.length > 0)
          return err(
            "store/in-use",
            `group "${name}" scopes command rule(s) ${rules.join(", ")}; remove or rescope them first`,
          );
        repo.removeGroup(name);
        core.audit(actor, "group.remove", name);
        return ok(undefined);
      }, FAILED);
    },

    listDevices: (f: DeviceFilter = {}): DeviceView[] => repo.listDevices(f),
    countDevices: (group?: string): number => repo.countDevices(group),
    getDevice: (name: string): DeviceView | null => repo.listDevices({ name })[0] ?? null,

    addDevice(actor: string, d: NewDevice): Result<DeviceView> {
      const row = checkNewDevice(d);
      if (!row.ok) return row;
      return core.atomic(() => {
        const ins = insertDevice(repo, row.value);
        if (!ins.ok) return ins;
        const { network, group, enabled } = row.value;
        core.audit(actor, "device.add", d.name, { network, group, enabled });
        return ok(repo.listDevices({ name: d.name })[0]!);
      }, FAILED);
    },

    updateDevice(actor: string, name: string, p: DevicePatch): Result<DeviceView> {
      const noDevice = err("store/not-found", `device "${name}" does not exist`);
      if (repo.listDevices({ name }).length === 0) return noDevice;
      const change: DevicePatch = definedOnly(p);
      if (p.network !== undefined) {
        const c = canonicalCidr("network", p.network);
        if (!c.ok) return c;
        change.network = c.value;
      }
      return core.atomic(() => {
        // A missing target group is bad input for this request, not a missing device.
        if (p.group !== undefined && !repo.hasGroup(p.group))
          return err("store/invalid", `group "${p.group}" does not exist`);
        if (!repo.updateDevice(name, change)) return noDevice;
        core.audit(actor, "device.set", name, { ...change });
        return ok(repo.listDevices({ name })[0]!);
      }, FAILED);
    },

    removeDevice(actor: string, name: string): Result<void> {
      return core.atomic(() => {
        if (!repo.removeDevice(name))
          return err("store/not-found", `device "${name}" does not exist`);
        core.audit(actor, "device.remove", name);
        return ok(undefined);
      }, FAILED);
    },

    listProxies: (): ProxyView[] => repo.listProxies(),
    getProxy: (name: string): ProxyView | null =>
      repo.listProxies().find((p) => p.name === name) ?? null,

    addProxy(actor: string, p: NewProxy): Result<ProxyView> {
      const name = checkObjectName("proxy", p.name);
      if (!name.ok) return name;
      const net = canonicalCidr("--network", p.network);
      if (!net.ok) return net;
      const row = { name: p.name, network: net.value, description: p.description ?? "" };
      return core.atomic(() => {
        if (!repo.insertProxy(row).ok)
          return err("store/duplicate", `proxy "${p.name}" already exists`);
        core.audit(actor, "proxy.add", p.name, { network: net.value });
        return ok(row);
      }, FAILED);
    },

    updateProxy(
      actor: string,
      name: string,
      p: { network?: string | undefined; description?: string | undefined },
    ): Result<ProxyView> {
      const noProxy = err("store/not-found", `proxy "${name}" does not exist`);
      if (!repo.listProxies().some((x) => x.name === name)) return noProxy;
      const change = definedOnly(p);
      if (p.network !== undefined) {
        const c = canonicalCidr("network", p.network);
        if (!c.ok) return c;
        change.network = c.value;
      }
      return core.atomic(() => {
        if (!repo.updateProxy(name, change)) return noProxy;
        core.audit(actor, "proxy.set", name, { ...change });
        return ok(repo.listProxies().find((x) => x.name === name)!);
      }, FAILED);
    },

    removeProxy(actor: string, name: string): Result<void> {
      return core.atomic(() => {
        if (!repo.removeProxy(name))
          return err("store/not-found", `proxy "${name}" does not exist`);
        core.audit(actor, "proxy.remove", name);
        return ok(undefined);
      }, FAILED);
    },
  };
}

export type DeviceOperations = ReturnType<typeof deviceOperations>;
