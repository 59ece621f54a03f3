// Device groups, devices and proxies over Drizzle. Plain storage: the admin service validated every
// value; a taken unique name is the one refusal decided here.
import { and, count, eq, sql, type SQL } from "drizzle-orm";
import type { DeviceFilter, DeviceRepository, GroupView } from "../../admin/ports.ts";
import { err, ok } from "../../lib/result.ts";
import { deviceGroups, devices, proxies } from "../schema.ts";
import { isUniqueViolation, type Conn } from "./conn.ts";

const duplicate = err("duplicate");

export function sqliteDevices(c: Conn): DeviceRepository {
  const { db } = c;
  // Prepared once: an import asks these per row, and building a Drizzle query costs more than
  // running it (20,000 devices: 4.4 s built per row, ~0.3 s prepared).
  const groupIdQuery = db
    .select({ id: deviceGroups.id })
    .from(deviceGroups)
    .where(eq(deviceGroups.name, sql.placeholder("name")))
    .prepare();
  const groupId = (name: string) => groupIdQuery.get({ name })?.id;
  const insertDeviceQuery = db
    .insert(devices)
    .values({
      name: sql.placeholder("name"),
      network: sql.placeholder("network"),
      groupId: sql.placeholder("groupId"),
      enabled: sql.placeholder("enabled"),
    })
    .prepare();

  function groups(name: string | null): GroupView[] {
    // One group: count its devices through the group index; all groups: one grouped count.
    const counts = new Map(
      db
        .select({ id: devices.groupId, n: count() })
        .from(devices)
        .where(name === null ? undefined : eq(devices.groupId, groupId(name) ?? -1))
        .groupBy(devices.groupId)
        .all()
        .map((r) => [r.id, r.n]),
    );
    return db
      .select({
        id: deviceGroups.id,
        name: deviceGroups.name,
        description: deviceGroups.description,
        // Read to say whether they are set; never part of a view.
        t: deviceGroups.tacacsSecret,
        r: deviceGroups.radiusSecret,
        proxy_network: deviceGroups.proxyNetwork,
        rma: deviceGroups.requireMessageAuthenticator,
      })
      .from(deviceGroups)
      .where(name === null ? undefined : eq(deviceGroups.name, name))
      .orderBy(deviceGroups.name)
      .all()
      .map((g) => ({
        name: g.name,
        description: g.description,
        tacacs_secret_set: g.t !== null,
        radius_secret_set: g.r !== null,
        proxy_network: g.proxy_network,
        require_message_authenticator: g.rma,
        devices: counts.get(g.id) ?? 0,
      }));
  }

  /** Runs one write; true when it touched a row. */
  const wrote = (changes: number) => (changes > 0 ? (c.changed(), true) : false);
  function insert(run: () => void) {
    try {
      run();
    } catch (e) {
      if (isUniqueViolation(e)) return duplicate;
      throw e;
    }
    c.changed();
    return ok(undefined);
  }

  return {
    listGroups: () => groups(null),
    getGroup: (name) => groups(name)[0] ?? null,
    hasGroup: (name) => groupId(name) !== undefined,
    groupSecrets: () =>
      new Map(
        db
          .select({
            name: deviceGroups.name,
            t: deviceGroups.tacacsSecret,
            r: deviceGroups.radiusSecret,
          })
          .from(deviceGroups)
          .all()
          .map((g) => [g.name, { tacacs_secret: g.t, radius_secret: g.r }]),
      ),
    insertGroup: (g) => insert(() => db.insert(deviceGroups).values(g).run()),
    updateGroup(name, change) {
      if (groupId(name) === undefined) return false;
      if (Object.keys(change).length === 0) return true;
      return wrote(
        db
          .update(deviceGroups)
          .set(change)
          .where(eq(deviceGroups.name, name))
          .returning({ id: deviceGroups.id })
          .all().length,
      );
    },
    removeGroup: (name) =>
      wrote(
        db
          .delete(deviceGroups)
          .where(eq(deviceGroups.name, name))
          .returning({ id: deviceGroups.id })
          .all().length,
      ),

    listDevices(f: DeviceFilter = {}) {
      const where: SQL[] = [];
      if (f.group !== undefined) where.push(eq(deviceGroups.name, f.group));
      if (f.name !== undefined) where.push(eq(devices.name, f.name));
      return db
        .select({
          name: devices.name,
          network: devices.network,
          group: deviceGroups.name,
          enabled: devices.enabled,
          auto_registered: devices.autoRegistered,
        })
        .from(devices)
        .innerJoin(deviceGroups, eq(deviceGroups.id, devices.groupId))
        .where(and(...where))
        .orderBy(devices.name)
        .limit(f.limit ?? -1)
        .offset(f.offset ?? 0)
        .all();
    },
    countDevices: (group) =>
      db
        .select({ n: count() })
        .from(devices)
        .innerJoin(deviceGroups, eq(deviceGroups.id, devices.groupId))
        .where(group === undefined ? undefined : eq(deviceGroups.name, group))
        .get()!.n,
    insertDevice(d) {
      const gid = groupId(d.group);
      if (gid === undefined) throw new Error(`device group ${d.group} vanished`);
      return insert(() =>
        insertDeviceQuery.run({
          name: d.name,
          network: d.network,
          groupId: gid,
          enabled: d.enabled,
        }),
      );
    },
    updateDevice(name, change) {
      const row = db.select({ id: devices.id }).from(devices).where(eq(devices.name, name)).get();
      if (row === undefined) return false;
      const set: Partial<typeof devices.$inferInsert> = {};
      if (change.network !== undefined) set.network = change.network;
      if (change.enabled !== undefined) set.enabled = change.enabled;
      if (change.group !== undefined) {
        const gid = groupId(change.group);
        if (gid === undefined) throw new Error(`device group ${change.group} vanished`);
        set.groupId = gid;
      }
      if (Object.keys(set).length === 0) return true;
      db.update(devices).set(set).where(eq(devices.id, row.id)).run();
      c.changed();
      return true;
    },
    removeDevice: (name) =>
      wrote(
        db.delete(devices).where(eq(devices.name, name)).returning({ id: devices.id }).all().length,
      ),

    listProxies: () =>
      db
        .select({
          name: proxies.name,
          network: proxies.network,
          description: proxies.description,
        })
        .from(proxies)
        .orderBy(proxies.name)
        .all(),
    insertProxy: (p) => insert(() => db.insert(proxies).values(p).run()),
    updateProxy(name, change) {
      const row = db.select({ id: proxies.id }).from(proxies).where(eq(proxies.name, name)).get();
      if (row === undefined) return false;
      if (Object.keys(change).length === 0) return true;
      db.update(proxies).set(change).where(eq(proxies.id, row.id)).run();
      c.changed();
      return true;
    },
    removeProxy: (name) =>
      wrote(
        db.delete(proxies).where(eq(proxies.name, name)).returning({ id: proxies.id }).all().length,
      ),
  };
}
