// User groups: TACACS+ priv-lvl, per-service AV pairs, RADIUS reply attributes, and the device
// groups their members may use (none listed: none). Validated here, written with their audit row in
// one transaction.
import { err, ok, type Result } from "../lib/result.ts";
import type { AdminCore } from "./context.ts";
import type { UserGroupRow, UserGroupView } from "./ports.ts";
import {
  checkPrivLvl,
  checkUserGroupName,
  missingNames,
  parseAvList,
  parseReplyList,
} from "./validate.ts";

export interface NewUserGroup {
  name: string;
  description?: string | undefined;
  privLvl?: number | undefined;
  /** "service=shell:priv-lvl=15" or "shell:priv-lvl=15"; `*` instead of `=` marks an optional AV. */
  av?: string[] | undefined;
  /** "Name=Value", the name as in the RADIUS dictionary. */
  radiusReply?: string[] | undefined;
  deviceGroups?: string[] | undefined;
}
/** Replaces what is given (same syntax as NewUserGroup); members keep the group. */
export type UserGroupPatch = Omit<NewUserGroup, "name">;

const FAILED = "usergroups/write-failed";

export function userGroupOperations(core: AdminCore) {
  const repo = core.repos.userGroups;
  const get = (name: string) => repo.list().find((g) => g.name === name) ?? null;

  /** The checked, parsed form of the given fields, and their audit detail. */
  function check(p: UserGroupPatch): Result<Partial<UserGroupRow>> {
    const out: Partial<UserGroupRow> = {};
    if (p.description !== undefined) out.description = p.description;
    if (p.privLvl !== undefined) {
      const r = checkPrivLvl(p.privLvl);
      if (!r.ok) return r;
      out.privLvl = r.value;
    }
    if (p.av !== undefined) {
      const r = parseAvList(p.av);
      if (!r.ok) return r;
      out.av = r.value;
    }
    if (p.radiusReply !== undefined) {
      const r = parseReplyList(p.radiusReply);
      if (!r.ok) return r;
      out.radiusReply = r.value;
    }
    if (p.deviceGroups !== undefined) {
      const names = [...new Set(p.deviceGroups)];
      const missing = missingNames(
        names,
        core.repos.devices.listGroups().map((g) => g.name),
      );
      if (missing.length > 0)
        return err(
          "usergroups/unknown-device-group",
          `device group ${missing.join(", ")} does not exist`,
        );
      out.deviceGroups = names;
    }
    return ok(out);
  }

  return {
    list: (): UserGroupView[] => repo.list(),
    get,

    add(actor: string, g: NewUserGroup): Result<UserGroupView> {
      const name = checkUserGroupName(g.name);
      if (!name.ok) return name;
      const c = check({
        ...g,
        privLvl: g.privLvl ?? 1,
        av: g.av ?? [],
        radiusReply: g.radiusReply ?? [],
        deviceGroups: g.deviceGroups ?? [],
      });
      if (!c.ok) return c;
      if (get(g.name) !== null)
        return err("usergroups/exists", `user group ${g.name} already exists`);
      const row: UserGroupRow = {
        name: g.name,
        description: g.description ?? "",
        privLvl: c.value.privLvl!,
        av: c.value.av!,
        radiusReply: c.value.radiusReply!,
        deviceGroups: c.value.deviceGroups!,
      };
      return core.atomic(() => {
        if (!repo.insert(row).ok)
          return err("usergroups/exists", `user group ${g.name} already exists`);
        // AVs and reply attributes are configuration, not secrets; audit still redacts secret-looking keys.
        core.audit(actor, "usergroup.add", g.name, {
          privLvl: row.privLvl,
          av: row.av,
          radiusReply: row.radiusReply,
          deviceGroups: row.deviceGroups,
        });
        return ok(get(g.name)!);
      }, FAILED);
    },

    update(actor: string, name: string, p: UserGroupPatch): Result<UserGroupView> {
      if (get(name) === null)
        return err("usergroups/not-found", `user group ${name} does not exist`);
      const c = check(p);
      if (!c.ok) return c;
      if (Object.keys(c.value).length === 0)
        return err("usergroups/nothing-to-change", "nothing to change");
      return core.atomic(() => {
        if (!repo.update(name, c.value))
          return err("usergroups/not-found", `user group ${name} does not exist`);
        core.audit(actor, "usergroup.set", name, { ...c.value });
        return ok(get(name)!);
      }, FAILED);
    },

    /**
     * Memberships go with the group. A group that scopes a command rule is refused: removing it
     * would drop the rule's scope row, and a rule with no scope rows applies to everyone, so
     * "permit .* for ops" would silently become "permit .* for all".
     */
    remove(actor: string, name: string): Result<void> {
      return core.atomic(() => {
        const rules = core.repos.rules.list().filter((r) => r.userGroups.includes(name));
        if (rules.length > 0)
          return err(
            "usergroups/in-use",
            `user group ${name} scopes rule ${rules.map((r) => r.name).join(", ")}; remove or change those rules first`,
          );
        if (!repo.remove(name))
          return err("usergroups/not-found", `user group ${name} does not exist`);
        core.audit(actor, "usergroup.remove", name);
        return ok(undefined);
      }, FAILED);
    },
  };
}

export type UserGroupOperations = ReturnType<typeof userGroupOperations>;
