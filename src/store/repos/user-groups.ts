// User groups and the device groups their members may use, over Drizzle. AV pairs and reply
// attributes are stored as JSON text (the policy snapshot parses them once per rebuild).
import { eq, inArray } from "drizzle-orm";
import type { UserGroupRepository, UserGroupRow } from "../../admin/ports.ts";
import { err, ok } from "../../lib/result.ts";
import type { RadiusReplyAttribute } from "../../policy/ports.ts";
import { deviceGroups, userGroupDeviceGroups, userGroupMembers, userGroups } from "../schema.ts";
import { isUniqueViolation, type Conn } from "./conn.ts";

export function sqliteUserGroups(c: Conn): UserGroupRepository {
  const { db } = c;

  function setDeviceGroups(id: number, names: string[]) {
    db.delete(userGroupDeviceGroups).where(eq(userGroupDeviceGroups.userGroupId, id)).run();
    if (names.length === 0) return;
    const ids = db
      .select({ id: deviceGroups.id })
      .from(deviceGroups)
      .where(inArray(deviceGroups.name, names))
      .all();
    if (ids.length !== new Set(names).size) throw new Error("a device group vanished");
    db.insert(userGroupDeviceGroups)
      .values(ids.map((d) => ({ userGroupId: id, deviceGroupId: d.id })))
      .run();
  }

  function columns(g: Partial<Omit<UserGroupRow, "name" | "deviceGroups">>) {
    const set: Partial<typeof userGroups.$inferInsert> = {};
    if (g.description !== undefined) set.description = g.description;
    if (g.privLvl !== undefined) set.privLvl = g.privLvl;
    if (g.av !== undefined) set.tacacsAv = JSON.stringify(g.av);
    if (g.radiusReply !== undefined) set.radiusReply = JSON.stringify(g.radiusReply);
    return set;
  }

  return {
    list() {
      const rows = db.select().from(userGroups).orderBy(userGroups.name).all();
      const dgs = db
        .select({ gid: userGroupDeviceGroups.userGroupId, name: deviceGroups.name })
        .from(userGroupDeviceGroups)
        .innerJoin(deviceGroups, eq(deviceGroups.id, userGroupDeviceGroups.deviceGroupId))
        .orderBy(deviceGroups.name)
        .all();
      const members = db.select({ gid: userGroupMembers.userGroupId }).from(userGroupMembers).all();
      return rows.map((r) => ({
        name: r.name,
        description: r.description,
        privLvl: r.privLvl,
        av: JSON.parse(r.tacacsAv) as Record<string, string[]>,
        radiusReply: JSON.parse(r.radiusReply) as RadiusReplyAttribute[],
        deviceGroups: dgs.filter((d) => d.gid === r.id).map((d) => d.name),
        members: members.filter((m) => m.gid === r.id).length,
      }));
    },
    insert(g) {
      try {
        c.sqlite.transaction(() => {
          const id = db
            .insert(userGroups)
            .values({ name: g.name, ...columns(g) })
            .returning({ id: userGroups.id })
            .get().id;
          setDeviceGroups(id, g.deviceGroups);
        })();
      } catch (e) {
        if (isUniqueViolation(e)) return err("duplicate");
        throw e;
      }
      c.changed();
      return ok(undefined);
    },
    update(name, change) {
      const row = db
        .select({ id: userGroups.id })
        .from(userGroups)
        .where(eq(userGroups.name, name))
        .get();
      if (row === undefined) return false;
      const set = columns(change);
      c.sqlite.transaction(() => {
        if (Object.keys(set).length > 0)
          db.update(userGroups).set(set).where(eq(userGroups.id, row.id)).run();
        if (change.deviceGroups !== undefined) setDeviceGroups(row.id, change.deviceGroups);
      })();
      c.changed();
      return true;
    },
    /** Memberships and device-group links go with it (ON DELETE CASCADE). */
    remove(name) {
      const n = db
        .delete(userGroups)
        .where(eq(userGroups.name, name))
        .returning({ id: userGroups.id })
        .all().length;
      if (n > 0) c.changed();
      return n > 0;
    },
  };
}
