// `export json`: the whole store as one JSON document (device groups, devices, proxies, users, user
// groups, rules), in the admin API's snake_case shapes. Without includeSecrets it carries no shared
// secret and no password hash (only `*_set` flags); with it, group secrets and the users' hashes
// and CHAP credentials are added, for a move to another aaa-proxy.
import { DeviceStore } from "../store/devices.ts";
import type { Store } from "../store/open.ts";
import { listRules } from "../store/rules.ts";
import { listUserGroups } from "../store/user-groups.ts";
import { listUsers } from "../store/users.ts";

/** Bumped when the document's shape changes incompatibly. */
export const EXPORT_VERSION = 1;

const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

export function exportStore(
  store: Store,
  includeSecrets: boolean,
  now = Date.now(),
): Record<string, unknown> {
  const ds = new DeviceStore(store.sqlite);
  const groupSecrets = new Map(
    includeSecrets
      ? store.sqlite
          .query<{ name: string; t: string | null; r: string | null }, []>(
            "SELECT name, tacacs_secret AS t, radius_secret AS r FROM device_groups",
          )
          .all()
          .map((g) => [g.name, { tacacs_secret: g.t, radius_secret: g.r }])
      : [],
  );
  const userSecrets = new Map(
    includeSecrets
      ? store.sqlite
          .query<
            {
              u: string;
              p: string;
              e: string | null;
              c: string | null;
              n: string | null;
            },
            []
          >(
            "SELECT username AS u, password_hash AS p, enable_hash AS e, chap_secret_enc AS c, nt_hash AS n FROM users",
          )
          .all()
          .map((u) => [
            u.u,
            {
              password_hash: u.p,
              enable_hash: u.e,
              chap_secret_enc: u.c,
              nt_hash: u.n,
            },
          ])
      : [],
  );
  return {
    format: "aaa-proxy-export",
    version: EXPORT_VERSION,
    exported_at: new Date(now).toISOString(),
    includes_secrets: includeSecrets,
    device_groups: ds.listGroups().map(({ devices: _count, ...g }) => ({
      ...g,
      ...groupSecrets.get(g.name),
    })),
    devices: ds.listDevices(),
    proxies: ds.listProxies(),
    users: listUsers(store).map((u) => ({
      username: u.username,
      enabled: u.enabled,
      groups: u.groups,
      expires_at: iso(u.expiresAt),
      enable_secret_set: u.enableSecret,
      chap: u.chap,
      ...userSecrets.get(u.username),
    })),
    user_groups: listUserGroups(store).map((g) => ({
      name: g.name,
      description: g.description,
      priv_lvl: g.privLvl,
      av: g.av,
      radius_reply: g.radiusReply,
      device_groups: g.deviceGroups,
    })),
    rules: listRules(store).map((r) => ({
      name: r.name,
      position: r.position,
      action: r.action,
      pattern: r.pattern,
      min_priv: r.minPriv,
      max_priv: r.maxPriv,
      user_groups: r.userGroups,
      device_groups: r.deviceGroups,
    })),
  };
}
