// Local users and their user-group memberships over Drizzle. Every update bumps credential_version:
// the credential cache keys on it, so a changed password, status or membership is never answered
// from a cached decision.
import { eq, inArray, sql } from "drizzle-orm";
import type { UserRepository, UserView } from "../../admin/ports.ts";
import { err, ok } from "../../lib/result.ts";
import { userGroupMembers, userGroups, users } from "../schema.ts";
import { isUniqueViolation, type Conn } from "./conn.ts";

export function sqliteUsers(c: Conn): UserRepository {
  const { db } = c;
  const idOf = (username: string) =>
    db.select({ id: users.id }).from(users).where(eq(users.username, username)).get()?.id;

  function setGroups(userId: number, groups: string[]) {
    db.delete(userGroupMembers).where(eq(userGroupMembers.userId, userId)).run();
    if (groups.length === 0) return;
    const ids = db
      .select({ id: userGroups.id })
      .from(userGroups)
      .where(inArray(userGroups.name, groups))
      .all();
    if (ids.length !== new Set(groups).size) throw new Error("a user group vanished");
    db.insert(userGroupMembers)
      .values(ids.map((g) => ({ userId, userGroupId: g.id })))
      .run();
  }

  function list(username: string | null): UserView[] {
    const rows = db
      .select()
      .from(users)
      .where(username === null ? undefined : eq(users.username, username))
      .orderBy(users.username)
      .all();
    // One user: only its memberships (a fleet may have 100,000 users).
    const one = username === null ? undefined : rows[0]?.id;
    if (username !== null && one === undefined) return [];
    const memberships = db
      .select({ userId: userGroupMembers.userId, name: userGroups.name })
      .from(userGroupMembers)
      .innerJoin(userGroups, eq(userGroups.id, userGroupMembers.userGroupId))
      .where(one === undefined ? undefined : eq(userGroupMembers.userId, one))
      .orderBy(userGroups.name)
      .all();
    return rows.map((r) => ({
      username: r.username,
      enabled: r.enabled,
      groups: memberships.filter((m) => m.userId === r.id).map((m) => m.name),
      expiresAt: r.expiresAt,
      enableSecret: r.enableHash !== null,
      chap: r.chapSecretEnc !== null ? "encrypted" : r.ntHash !== null ? "nt-hash" : "none",
      credentialVersion: r.credentialVersion,
      createdAt: r.createdAt,
    }));
  }

  return {
    list: () => list(null),
    get: (username) => list(username)[0] ?? null,
    hasNtHash(username) {
      const r = db
        .select({ nt: users.ntHash })
        .from(users)
        .where(eq(users.username, username))
        .get();
      return r === undefined ? null : r.nt !== null;
    },
    credentials: () =>
      new Map(
        db
          .select()
          .from(users)
          .all()
          .map((u) => [
            u.username,
            {
              passwordHash: u.passwordHash,
              enableHash: u.enableHash,
              chapSecretEnc: u.chapSecretEnc,
              ntHash: u.ntHash,
            },
          ]),
      ),
    insert(u) {
      const { groups, ...row } = u;
      try {
        c.sqlite.transaction(() => {
          const id = db.insert(users).values(row).returning({ id: users.id }).get().id;
          setGroups(id, groups);
        })();
      } catch (e) {
        if (isUniqueViolation(e)) return err("duplicate");
        throw e;
      }
      c.changed();
      return ok(undefined);
    },
    update(username, change) {
      const id = idOf(username);
      if (id === undefined) return false;
      const { groups, ...set } = change;
      c.sqlite.transaction(() => {
        if (groups !== undefined) setGroups(id, groups);
        db.update(users)
          .set({ ...set, credentialVersion: sql`${users.credentialVersion} + 1` })
          .where(eq(users.id, id))
          .run();
      })();
      c.changed();
      return true;
    },
    remove(username) {
      const n = db
        .delete(users)
        .where(eq(users.username, username))
        .returning({ id: users.id })
        .all().length;
      if (n > 0) c.changed();
      return n > 0;
    },
  };
}
