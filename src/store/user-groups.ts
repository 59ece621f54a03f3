// User groups: TACACS+ priv-lvl, per-service AV pairs, RADIUS reply attributes, and the device groups
// their members may use (none listed: none). Writes are audited and bump the local generation.
import { eq, inArray } from "drizzle-orm";
import { err, ok, type Result } from "../lib/result.ts";
import type { RadiusReplyAttribute } from "../policy/ports.ts";
import { audit } from "./audit.ts";
import type { Store } from "./open.ts";
import { bumpLocalGeneration } from "./policy-source.ts";
import { deviceGroups, userGroupDeviceGroups, userGroupMembers, userGroups } from "./schema.ts";

/** TACACS+ AV pairs are at most 255 octets each (RFC 8907 §6.1, one length byte). */
const MAX_AV_LENGTH = 255;
/** RADIUS attribute values are at most 253 octets (RFC 2865 §5); longer values need splitting we do not do. */
const MAX_REPLY_VALUE = 253;

export interface NewUserGroup {
  name: string;
  description?: string;
  privLvl?: number;
  /** "service=shell:priv-lvl=15" or "shell:priv-lvl=15"; `*` instead of `=` marks an optional AV. */
  av?: string[];
  /** "Name=Value", the name as in the RADIUS dictionary. */
  radiusReply?: string[];
  deviceGroups?: string[];
}

export function parseServiceAv(s: string): Result<{ service: string; av: string }> {
  const m = /^(?:service=)?([A-Za-z0-9_.-]+):([A-Za-z0-9_.-]+[=*].*)$/s.exec(s);
  if (m === null)
    return err("usergroups/bad-av", `bad AV "${s}": expected service=SERVICE:ATTR=VALUE`);
  const av = m[2]!;
  if (Buffer.byteLength(av) > MAX_AV_LENGTH)
    return err(
      "usergroups/bad-av",
      `AV "${av.slice(0, 20)}…" is longer than ${MAX_AV_LENGTH} bytes`,
    );
  return ok({ service: m[1]!, av });
}

export function parseRadiusReply(s: string): Result<RadiusReplyAttribute> {
  const i = s.indexOf("=");
  const name = i < 0 ? "" : s.slice(0, i);
  if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(name))
    return err("usergroups/bad-reply", `bad RADIUS reply "${s}": expected Name=Value`);
  const value = s.slice(i + 1);
  if (Buffer.byteLength(value) > MAX_REPLY_VALUE)
    return err(
      "usergroups/bad-reply",
      `RADIUS reply ${name} value is longer than ${MAX_REPLY_VALUE} bytes`,
    );
  return ok({ name, value });
}

export async function addUserGroup(
  store: Store,
  g: NewUserGroup,
  actor: string,
): Promise<Result<{ id: number }>> {
  if (!/^[A-Za-z0-9_.@-]{1,64}$/.test(g.name))
    return err("usergroups/bad-name", "group name: 1-64 of letters, digits, _ . @ -");
  const privLvl = g.privLvl ?? 1;
  if (!Number.isInteger(privLvl) || privLvl < 0 || privLvl > 15)
    return err("usergroups/bad-priv", "priv-lvl must be an integer 0..15 (RFC 8907 §6)");
  const tacacsAv: Record<string, string[]> = {};
  for (const s of g.av ?? []) {
    const r = parseServiceAv(s);
    if (!r.ok) return r;
    (tacacsAv[r.value.service] ??= []).push(r.value.av);
  }
  const reply: RadiusReplyAttribute[] = [];
  for (const s of g.radiusReply ?? []) {
    const r = parseRadiusReply(s);
    if (!r.ok) return r;
    reply.push(r.value);
  }
  const dgNames = [...new Set(g.deviceGroups ?? [])];
  const dg =
    dgNames.length === 0
      ? []
      : store.db
          .select({ id: deviceGroups.id, name: deviceGroups.name })
          .from(deviceGroups)
          .where(inArray(deviceGroups.name, dgNames))
          .all();
  const missing = dgNames.filter((n) => !dg.some((r) => r.name === n));
  if (missing.length > 0)
    return err(
      "usergroups/unknown-device-group",
      `device group ${missing.join(", ")} does not exist`,
    );
  if (
    store.db
      .select({ id: userGroups.id })
      .from(userGroups)
      .where(eq(userGroups.name, g.name))
      .get() !== undefined
  ) {
    return err("usergroups/exists", `user group ${g.name} already exists`);
  }
  try {
    const id = store.db.transaction((tx) => {
      const row = tx
        .insert(userGroups)
        .values({
          name: g.name,
          description: g.description ?? "",
          privLvl,
          tacacsAv: JSON.stringify(tacacsAv),
          radiusReply: JSON.stringify(reply),
        })
        .returning({ id: userGroups.id })
        .get();
      if (dg.length > 0)
        tx.insert(userGroupDeviceGroups)
          .values(dg.map((d) => ({ userGroupId: row.id, deviceGroupId: d.id })))
          .run();
      // AVs and reply attributes are configuration, not secrets; audit() still redacts secret-looking keys.
      audit(tx, actor, "usergroup.add", g.name, {
        privLvl,
        av: tacacsAv,
        radiusReply: reply,
        deviceGroups: dgNames,
      });
      return row.id;
    });
    bumpLocalGeneration(store.sqlite);
    return ok({ id });
  } catch (e) {
    return err("usergroups/write-failed", (e as Error).message);
  }
}

export interface UserGroupPatch {
  description?: string;
  privLvl?: number;
  /** Replace the AV list / reply attributes / device groups (same syntax as addUserGroup). */
  av?: string[];
  radiusReply?: string[];
  deviceGroups?: string[];
}

/** Change a user group in place: members keep it; one transaction; validated like addUserGroup. */
export function updateUserGroup(
  store: Store,
  name: string,
  p: UserGroupPatch,
  actor: string,
): Result<void> {
  const row = store.db
    .select({ id: userGroups.id })
    .from(userGroups)
    .where(eq(userGroups.name, name))
    .get();
  if (row === undefined) return err("usergroups/not-found", `user group ${name} does not exist`);
  const set: Partial<typeof userGroups.$inferInsert> = {};
  const detail: Record<string, unknown> = {};
  if (p.description !== undefined) set.description = detail.description = p.description;
  if (p.privLvl !== undefined) {
    if (!Number.isInteger(p.privLvl) || p.privLvl < 0 || p.privLvl > 15)
      return err("usergroups/bad-priv", "priv-lvl must be an integer 0..15 (RFC 8907 §6)");
    set.privLvl = detail.privLvl = p.privLvl;
  }
  if (p.av !== undefined) {
    const tacacsAv: Record<string, string[]> = {};
    for (const a of p.av) {
      const r = parseServiceAv(a);
      if (!r.ok) return r;
      (tacacsAv[r.value.service] ??= []).push(r.value.av);
    }
    set.tacacsAv = JSON.stringify(tacacsAv);
    detail.av = tacacsAv;
  }
  if (p.radiusReply !== undefined) {
    const reply: RadiusReplyAttribute[] = [];
    for (const a of p.radiusReply) {
      const r = parseRadiusReply(a);
      if (!r.ok) return r;
      reply.push(r.value);
    }
    set.radiusReply = JSON.stringify(reply);
    detail.radiusReply = reply;
  }
  let dgIds: number[] | null = null;
  if (p.deviceGroups !== undefined) {
    const names = [...new Set(p.deviceGroups)];
    const dg =
      names.length === 0
        ? []
        : store.db
            .select({ id: deviceGroups.id, name: deviceGroups.name })
            .from(deviceGroups)
            .where(inArray(deviceGroups.name, names))
            .all();
    const missing = names.filter((n) => !dg.some((r) => r.name === n));
    if (missing.length > 0)
      return err(
        "usergroups/unknown-device-group",
        `device group ${missing.join(", ")} does not exist`,
      );
    dgIds = dg.map((d) => d.id);
    detail.deviceGroups = names;
  }
  if (Object.keys(detail).length === 0)
    return err("usergroups/nothing-to-change", "nothing to change");
  try {
    store.db.transaction((tx) => {
      if (Object.keys(set).length > 0)
        tx.update(userGroups).set(set).where(eq(userGroups.id, row.id)).run();
      if (dgIds !== null) {
        tx.delete(userGroupDeviceGroups).where(eq(userGroupDeviceGroups.userGroupId, row.id)).run();
        if (dgIds.length > 0)
          tx.insert(userGroupDeviceGroups)
            .values(dgIds.map((d) => ({ userGroupId: row.id, deviceGroupId: d })))
            .run();
      }
      audit(tx, actor, "usergroup.set", name, detail);
    });
    bumpLocalGeneration(store.sqlite);
    return ok(undefined);
  } catch (e) {
    return err("usergroups/write-failed", (e as Error).message);
  }
}

export interface UserGroupView {
  name: string;
  description: string;
  privLvl: number;
  av: Record<string, string[]>;
  radiusReply: RadiusReplyAttribute[];
  deviceGroups: string[];
  members: number;
}

export function listUserGroups(store: Store): UserGroupView[] {
  const rows = store.db.select().from(userGroups).orderBy(userGroups.name).all();
  const dgs = store.db
    .select({ gid: userGroupDeviceGroups.userGroupId, name: deviceGroups.name })
    .from(userGroupDeviceGroups)
    .innerJoin(deviceGroups, eq(deviceGroups.id, userGroupDeviceGroups.deviceGroupId))
    .orderBy(deviceGroups.name)
    .all();
  const members = store.db
    .select({ gid: userGroupMembers.userGroupId })
    .from(userGroupMembers)
    .all();
  return rows.map((r) => ({
    name: r.name,
    description: r.description,
    privLvl: r.privLvl,
    av: JSON.parse(r.tacacsAv) as Record<string, string[]>,
    radiusReply: JSON.parse(r.radiusReply) as RadiusReplyAttribute[],
    deviceGroups: dgs.filter((d) => d.gid === r.id).map((d) => d.name),
    members: members.filter((m) => m.gid === r.id).length,
  }));
}

/**
 * Memberships go with the group (ON DELETE CASCADE). A group that scopes a command rule is refused:
 * the cascade would delete the rule's scope row, and a rule with no scope rows applies to everyone,
 * so "permit .* for ops" would silently become "permit .* for all".
 */
export function removeUserGroup(store: Store, name: string, actor: string): Result<void> {
  const users = store.sqlite
    .query<{ name: string }, [string]>(
      "SELECT r.name FROM command_rules r JOIN command_rule_user_groups s ON s.rule_id = r.id JOIN user_groups g ON g.id = s.user_group_id WHERE g.name = ? ORDER BY r.position",
    )
    .all(name);
  if (users.length > 0) {
    return err(
      "usergroups/in-use",
      `user group ${name} scopes rule ${users.map((r) => r.name).join(", ")}; remove or change those rules first`,
    );
  }
  try {
    const n = store.db.transaction((tx) => {
      const r = tx
        .delete(userGroups)
        .where(eq(userGroups.name, name))
        .returning({ id: userGroups.id })
        .all();
      if (r.length > 0) audit(tx, actor, "usergroup.remove", name);
      return r.length;
    });
    if (n === 0) return err("usergroups/not-found", `user group ${name} does not exist`);
  } catch (e) {
    return err("usergroups/write-failed", (e as Error).message);
  }
  bumpLocalGeneration(store.sqlite);
  return ok(undefined);
}
