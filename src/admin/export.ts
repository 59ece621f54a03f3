// `export json`: the whole store as one JSON document (device groups, devices, proxies, users, user
// groups, rules), in the admin API's snake_case shapes. Without secrets it carries no shared secret
// and no password hash (only `*_set` flags); with them, group secrets and the users' hashes and CHAP
// credentials are added, for a move to another aaa-proxy.
import type { AdminRepositories } from "./ports.ts";
import { ruleJson, userGroupJson, userJson } from "./views.ts";

/** Bumped when the document's shape changes incompatibly. */
export const EXPORT_VERSION = 1;

export function exportDocument(
  repos: AdminRepositories,
  includeSecrets: boolean,
  now: number,
): Record<string, unknown> {
  const groupSecrets = includeSecrets ? repos.devices.groupSecrets() : new Map();
  const credentials = includeSecrets ? repos.users.credentials() : new Map();
  return {
    format: "aaa-proxy-export",
    version: EXPORT_VERSION,
    exported_at: new Date(now).toISOString(),
    includes_secrets: includeSecrets,
    device_groups: repos.devices.listGroups().map(({ devices: _count, ...g }) => ({
      ...g,
      ...groupSecrets.get(g.name),
    })),
    devices: repos.devices.listDevices(),
    proxies: repos.devices.listProxies(),
    users: repos.users.list().map((u) => {
      const { credential_version: _v, created_at: _c, ...shown } = userJson(u);
      const c = credentials.get(u.username);
      return c === undefined
        ? shown
        : {
            ...shown,
            password_hash: c.passwordHash,
            enable_hash: c.enableHash,
            chap_secret_enc: c.chapSecretEnc,
            nt_hash: c.ntHash,
          };
    }),
    user_groups: repos.userGroups.list().map((g) => {
      const { members: _m, ...shown } = userGroupJson(g);
      return shown;
    }),
    rules: repos.rules.list().map(ruleJson),
  };
}
