// Command rules and their user-group / device-group scope rows, over Drizzle. A rule with no scope
// rows applies to every group, which is why removing a scoping group is refused upstream.
import { eq, inArray, max } from "drizzle-orm";
import type { RuleRepository, RuleView } from "../../admin/ports.ts";
import { err, ok } from "../../lib/result.ts";
import {
  commandRuleDeviceGroups,
  commandRuleUserGroups,
  commandRules,
  deviceGroups,
  userGroups,
} from "../schema.ts";
import { isUniqueViolation, type Conn } from "./conn.ts";

export function sqliteRules(c: Conn): RuleRepository {
  const { db } = c;

  function ids(table: typeof userGroups | typeof deviceGroups, names: string[]): number[] {
    if (names.length === 0) return [];
    const rows = db.select({ id: table.id }).from(table).where(inArray(table.name, names)).all();
    if (rows.length !== new Set(names).size) throw new Error("a scope group vanished");
    return rows.map((r) => r.id);
  }

  function setScope(ruleId: number, r: RuleView) {
    db.delete(commandRuleUserGroups).where(eq(commandRuleUserGroups.ruleId, ruleId)).run();
    db.delete(commandRuleDeviceGroups).where(eq(commandRuleDeviceGroups.ruleId, ruleId)).run();
    const ug = ids(userGroups, r.userGroups);
    if (ug.length > 0)
      db.insert(commandRuleUserGroups)
        .values(ug.map((g) => ({ ruleId, userGroupId: g })))
        .run();
    const dg = ids(deviceGroups, r.deviceGroups);
    if (dg.length > 0)
      db.insert(commandRuleDeviceGroups)
        .values(dg.map((g) => ({ ruleId, deviceGroupId: g })))
        .run();
  }

  const columns = (r: RuleView) => ({
    position: r.position,
    action: r.action,
    pattern: r.pattern,
    minPriv: r.minPriv,
    maxPriv: r.maxPriv,
  });

  return {
    list() {
      const rows = db
        .select()
        .from(commandRules)
        .orderBy(commandRules.position, commandRules.id)
        .all();
      const ug = db
        .select({ rid: commandRuleUserGroups.ruleId, name: userGroups.name })
        .from(commandRuleUserGroups)
        .innerJoin(userGroups, eq(userGroups.id, commandRuleUserGroups.userGroupId))
        .all();
      const dg = db
        .select({ rid: commandRuleDeviceGroups.ruleId, name: deviceGroups.name })
        .from(commandRuleDeviceGroups)
        .innerJoin(deviceGroups, eq(deviceGroups.id, commandRuleDeviceGroups.deviceGroupId))
        .all();
      return rows.map((r) => ({
        name: r.name,
        position: r.position,
        action: r.action,
        pattern: r.pattern,
        minPriv: r.minPriv,
        maxPriv: r.maxPriv,
        userGroups: ug.filter((x) => x.rid === r.id).map((x) => x.name),
        deviceGroups: dg.filter((x) => x.rid === r.id).map((x) => x.name),
      }));
    },
    lastPosition: () =>
      db
        .select({ m: max(commandRules.position) })
        .from(commandRules)
        .get()?.m ?? null,
    insert(r) {
      try {
        c.sqlite.transaction(() => {
          const id = db
            .insert(commandRules)
            .values({ name: r.name, ...columns(r) })
            .returning({ id: commandRules.id })
            .get().id;
          setScope(id, r);
        })();
      } catch (e) {
        if (isUniqueViolation(e)) return err("duplicate");
        throw e;
      }
      c.changed();
      return ok(undefined);
    },
    replace(r) {
      const row = db
        .select({ id: commandRules.id })
        .from(commandRules)
        .where(eq(commandRules.name, r.name))
        .get();
      if (row === undefined) return false;
      c.sqlite.transaction(() => {
        db.update(commandRules).set(columns(r)).where(eq(commandRules.id, row.id)).run();
        setScope(row.id, r);
      })();
      c.changed();
      return true;
    },
    remove(name) {
      const n = db
        .delete(commandRules)
        .where(eq(commandRules.name, name))
        .returning({ id: commandRules.id })
        .all().length;
      if (n > 0) c.changed();
      return n > 0;
    },
  };
}
