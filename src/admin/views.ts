// The snake_case JSON shapes of users, user groups and rules, shared by the admin API and
// `export json` (and `--json` listings of device groups, devices and proxies are the views as they
// come). None carries a hash or a secret: users show only `enable_secret_set` and the kind of CHAP
// credential.
import type { RuleView, UserGroupView, UserView } from "./ports.ts";

export const iso = (t: number | null): string | null =>
  t === null ? null : new Date(t).toISOString();

/** The admin API's user shape (also the export's, without the bookkeeping fields). */
export const userJson = (u: UserView) => ({
  username: u.username,
  enabled: u.enabled,
  groups: u.groups,
  expires_at: iso(u.expiresAt),
  enable_secret_set: u.enableSecret,
  chap: u.chap,
  credential_version: u.credentialVersion,
  created_at: iso(u.createdAt),
});
export const userGroupJson = (g: UserGroupView) => ({
  name: g.name,
  description: g.description,
  priv_lvl: g.privLvl,
  av: g.av,
  radius_reply: g.radiusReply,
  device_groups: g.deviceGroups,
  members: g.members,
});
export const ruleJson = (r: RuleView) => ({
  name: r.name,
  position: r.position,
  action: r.action,
  pattern: r.pattern,
  min_priv: r.minPriv,
  max_priv: r.maxPriv,
  user_groups: r.userGroups,
  device_groups: r.deviceGroups,
});
