// The store side of policy: everything the engines ask about users, user groups and command rules,
// read in one read transaction (a consistent view) into an in-memory PolicySnapshot. Rebuilt only
// when the database changed (policy-source.ts), so this is not on the per-request path.
import { asc } from "drizzle-orm";
import type {
  PolicyRule,
  PolicySnapshot,
  PolicyUser,
  PolicyUserGroup,
  RadiusReplyAttribute,
} from "../policy/ports.ts";
import type { Store } from "./open.ts";
import {
  commandRuleDeviceGroups,
  commandRuleUserGroups,
  commandRules,
  userGroupDeviceGroups,
  userGroupMembers,
  userGroups,
  users,
} from "./schema.ts";

function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

function groupIdsBy<R>(rows: R[], k: (r: R) => number, v: (r: R) => number): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (const r of rows) {
    const l = m.get(k(r));
    if (l === undefined) m.set(k(r), [v(r)]);
    else l.push(v(r));
  }
  return m;
}

export function loadPolicySnapshot(store: Pick<Store, "db" | "sqlite">): PolicySnapshot {
  const { db } = store;
  return store.sqlite.transaction(() => {
    const members = groupIdsBy(
      db.select().from(userGroupMembers).all(),
      (r) => r.userId,
      (r) => r.userGroupId,
    );
    const usersByName = new Map<string, PolicyUser>();
    for (const r of db.select().from(users).all())
      usersByName.set(r.username, {
        id: r.id,
        username: r.username,
        enabled: r.enabled,
        passwordHash: r.passwordHash,
        enableHash: r.enableHash,
        chapSecretEnc: r.chapSecretEnc,
        ntHash: r.ntHash,
        expiresAt: r.expiresAt,
        credentialVersion: r.credentialVersion,
        userGroupIds: members.get(r.id) ?? [],
      });
    const gdg = groupIdsBy(
      db.select().from(userGroupDeviceGroups).all(),
      (r) => r.userGroupId,
      (r) => r.deviceGroupId,
    );
    const groupsById = new Map<number, PolicyUserGroup>();
    for (const r of db.select().from(userGroups).all())
      groupsById.set(r.id, {
        id: r.id,
        name: r.name,
        privLvl: r.privLvl,
        tacacsAv: parseJson<Record<string, string[]>>(r.tacacsAv, {}),
        radiusReply: parseJson<RadiusReplyAttribute[]>(r.radiusReply, []),
        deviceGroupIds: gdg.get(r.id) ?? [],
      });
    const rug = groupIdsBy(
      db.select().from(commandRuleUserGroups).all(),
      (r) => r.ruleId,
      (r) => r.userGroupId,
    );
    const rdg = groupIdsBy(
      db.select().from(commandRuleDeviceGroups).all(),
      (r) => r.ruleId,
      (r) => r.deviceGroupId,
    );
    const rules: PolicyRule[] = [];
    for (const r of db
      .select()
      .from(commandRules)
      .orderBy(asc(commandRules.position), asc(commandRules.id))
      .all()) {
      let pattern: RegExp;
      try {
        pattern = new RegExp(r.pattern);
      } catch {
        // Validated on every write; a row edited by hand that no longer compiles matches nothing.
        pattern = /(?!)/;
      }
      rules.push({
        id: r.id,
        name: r.name,
        position: r.position,
        action: r.action,
        pattern,
        minPriv: r.minPriv,
        maxPriv: r.maxPriv,
        userGroupIds: rug.get(r.id) ?? [],
        deviceGroupIds: rdg.get(r.id) ?? [],
      });
    }
    return { usersByName, groupsById, rules };
  })();
}
