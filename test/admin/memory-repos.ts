// A second implementation of the admin repositories (src/admin/ports.ts), in memory, with no SQL:
// the admin service's tests run against it and against SQLite alike, which is what keeps the ports
// honest (a PostgreSQL backend would be a third). `atomically` snapshots the state and puts it back
// when the callback throws.
import type {
  AdminRepositories,
  AuditEntry,
  DeviceRow,
  GroupRow,
  ProxyView,
  RuleView,
  UserGroupRow,
  UserRow,
} from "../../src/admin/ports.ts";
import { err, ok } from "../../src/lib/result.ts";

interface State {
  groups: GroupRow[];
  devices: Array<DeviceRow & { autoRegistered: boolean }>;
  proxies: ProxyView[];
  users: Array<UserRow & { enabled: boolean; credentialVersion: number; createdAt: number }>;
  userGroups: UserGroupRow[];
  rules: RuleView[];
  audit: AuditEntry[];
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : 1);

export function memoryRepositories(): AdminRepositories & { state: () => State } {
  let s: State = {
    groups: [],
    devices: [],
    proxies: [],
    users: [],
    userGroups: [],
    rules: [],
    audit: [],
  };
  const taken = (list: { name: string }[], name: string) => list.some((x) => x.name === name);
  const drop = <T>(list: T[], pred: (x: T) => boolean) => {
    const i = list.findIndex(pred);
    if (i < 0) return false;
    list.splice(i, 1);
    return true;
  };
  const groupView = (g: GroupRow) => ({
    name: g.name,
    description: g.description,
    tacacs_secret_set: g.tacacsSecret !== null,
    radius_secret_set: g.radiusSecret !== null,
    proxy_network: g.proxyNetwork,
    require_message_authenticator: g.requireMessageAuthenticator,
    devices: s.devices.filter((d) => d.group === g.name).length,
  });
  const deviceView = (d: State["devices"][number]) => ({
    name: d.name,
    network: d.network,
    group: d.group,
    enabled: d.enabled,
    auto_registered: d.autoRegistered,
  });
  const userView = (u: State["users"][number]) =>
    ({
      username: u.username,
      enabled: u.enabled,
      groups: [...u.groups].sort(),
      expiresAt: u.expiresAt,
      enableSecret: u.enableHash !== null,
      chap: u.chapSecretEnc !== null ? "encrypted" : u.ntHash !== null ? "nt-hash" : "none",
      credentialVersion: u.credentialVersion,
      createdAt: u.createdAt,
    }) as const;
  // Removing a group takes its links with it, as ON DELETE CASCADE does.
  const unlinkDeviceGroup = (name: string) => {
    for (const g of s.userGroups) g.deviceGroups = g.deviceGroups.filter((x) => x !== name);
    for (const r of s.rules) r.deviceGroups = r.deviceGroups.filter((x) => x !== name);
  };

  return {
    state: () => s,
    devices: {
      listGroups: () => [...s.groups].sort(byName).map(groupView),
      getGroup: (name) => {
        const g = s.groups.find((x) => x.name === name);
        return g === undefined ? null : groupView(g);
      },
      hasGroup: (name) => s.groups.some((g) => g.name === name),
      groupSecrets: () =>
        new Map(
          s.groups.map((g) => [
            g.name,
            { tacacs_secret: g.tacacsSecret, radius_secret: g.radiusSecret },
          ]),
        ),
      insertGroup: (g) =>
        taken(s.groups, g.name) ? err("duplicate") : (s.groups.push({ ...g }), ok(undefined)),
      updateGroup: (name, c) => {
        const g = s.groups.find((x) => x.name === name);
        return g === undefined ? false : (Object.assign(g, c), true);
      },
      removeGroup: (name) => (unlinkDeviceGroup(name), drop(s.groups, (g) => g.name === name)),
      listDevices: (f = {}) =>
        [...s.devices]
          .sort(byName)
          .filter(
            (d) =>
              (f.group === undefined || d.group === f.group) &&
              (f.name === undefined || d.name === f.name),
          )
          .slice(f.offset ?? 0, f.limit === undefined ? undefined : (f.offset ?? 0) + f.limit)
          .map(deviceView),
      countDevices: (group) =>
        s.devices.filter((d) => group === undefined || d.group === group).length,
      insertDevice: (d) =>
        taken(s.devices, d.name)
          ? err("duplicate")
          : (s.devices.push({ ...d, autoRegistered: false }), ok(undefined)),
      updateDevice: (name, c) => {
        const d = s.devices.find((x) => x.name === name);
        return d === undefined ? false : (Object.assign(d, c), true);
      },
      removeDevice: (name) => drop(s.devices, (d) => d.name === name),
      listProxies: () => [...s.proxies].sort(byName).map((p) => ({ ...p })),
      insertProxy: (p) =>
        taken(s.proxies, p.name) ? err("duplicate") : (s.proxies.push({ ...p }), ok(undefined)),
      updateProxy: (name, c) => {
        const p = s.proxies.find((x) => x.name === name);
        return p === undefined ? false : (Object.assign(p, c), true);
      },
      removeProxy: (name) => drop(s.proxies, (p) => p.name === name),
    },
    users: {
      list: () => [...s.users].sort((a, b) => (a.username < b.username ? -1 : 1)).map(userView),
      get: (name) => {
        const u = s.users.find((x) => x.username === name);
        return u === undefined ? null : userView(u);
      },
      hasNtHash: (name) => {
        const u = s.users.find((x) => x.username === name);
        return u === undefined ? null : u.ntHash !== null;
      },
      credentials: () =>
        new Map(
          s.users.map((u) => [
            u.username,
            {
              passwordHash: u.passwordHash,
              enableHash: u.enableHash,
              chapSecretEnc: u.chapSecretEnc,
              ntHash: u.ntHash,
            },
          ]),
        ),
      insert: (u) =>
        s.users.some((x) => x.username === u.username)
          ? err("duplicate")
          : (s.users.push({ ...u, enabled: true, credentialVersion: 1, createdAt: 0 }),
            ok(undefined)),
      update: (name, c) => {
        const u = s.users.find((x) => x.username === name);
        if (u === undefined) return false;
        Object.assign(u, c);
        u.credentialVersion++;
        return true;
      },
      remove: (name) => drop(s.users, (u) => u.username === name),
    },
    userGroups: {
      list: () =>
        [...s.userGroups]
          .sort(byName)
          .map((g) => ({ ...g, members: s.users.filter((u) => u.groups.includes(g.name)).length })),
      insert: (g) =>
        taken(s.userGroups, g.name)
          ? err("duplicate")
          : (s.userGroups.push({ ...g }), ok(undefined)),
      update: (name, c) => {
        const g = s.userGroups.find((x) => x.name === name);
        return g === undefined ? false : (Object.assign(g, c), true);
      },
      remove: (name) => {
        for (const u of s.users) u.groups = u.groups.filter((x) => x !== name);
        return drop(s.userGroups, (g) => g.name === name);
      },
    },
    rules: {
      list: () => [...s.rules].sort((a, b) => a.position - b.position).map((r) => ({ ...r })),
      lastPosition: () =>
        s.rules.length === 0 ? null : Math.max(...s.rules.map((r) => r.position)),
      insert: (r) =>
        taken(s.rules, r.name) ? err("duplicate") : (s.rules.push({ ...r }), ok(undefined)),
      replace: (r) => {
        const i = s.rules.findIndex((x) => x.name === r.name);
        return i < 0 ? false : ((s.rules[i] = { ...r }), true);
      },
      remove: (name) => drop(s.rules, (r) => r.name === name),
    },
    accounting: { query: () => [] },
    audit: {
      record: (time, actor, action, object, detail) =>
        void s.audit.push({ id: s.audit.length + 1, time, actor, action, object, detail }),
      list: (limit, offset) => [...s.audit].reverse().slice(offset, offset + limit),
    },
    atomically<T>(fn: () => T): T {
      const saved = structuredClone(s);
      try {
        return fn();
      } catch (e) {
        s = saved;
        throw e;
      }
    },
  };
}
