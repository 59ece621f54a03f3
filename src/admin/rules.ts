// Command authorization rules: ordered by position, first match wins (src/policy/authorize.ts).
// The pattern is compiled on every write, so an invalid one never reaches the store.
import { err, ok, type Result } from "../lib/result.ts";
import type { AdminCore } from "./context.ts";
import type { RuleView } from "./ports.ts";
import { checkRuleFields, missingNames } from "./validate.ts";

/** Rules added without a position go after the last one, this far apart, so inserts fit between. */
const POSITION_STEP = 10;
const FAILED = "rules/write-failed";

export interface NewRule {
  name: string;
  action: string;
  pattern: string;
  position?: number | undefined;
  minPriv?: number | undefined;
  maxPriv?: number | undefined;
  userGroups?: string[] | undefined;
  deviceGroups?: string[] | undefined;
}
export interface RulePatch {
  action?: string | undefined;
  pattern?: string | undefined;
  position?: number | undefined;
  /** null clears the bound. */
  minPriv?: number | null | undefined;
  maxPriv?: number | null | undefined;
  /** Replace the scope; [] makes the rule apply to every group. */
  userGroups?: string[] | undefined;
  deviceGroups?: string[] | undefined;
}

export function ruleOperations(core: AdminCore) {
  const repo = core.repos.rules;
  const get = (name: string) => repo.list().find((r) => r.name === name) ?? null;

  /** The rule as it would be stored, or why not (the position is filled in by the caller). */
  function check(r: NewRule | (RulePatch & { name: string; action: string; pattern: string })) {
    const f = checkRuleFields(r);
    if (!f.ok) return f;
    for (const [names, what, known] of [
      [r.userGroups ?? [], "user group", () => core.repos.userGroups.list().map((g) => g.name)],
      [
        r.deviceGroups ?? [],
        "device group",
        () => core.repos.devices.listGroups().map((g) => g.name),
      ],
    ] as const) {
      if (names.length === 0) continue;
      const missing = missingNames(names, known());
      if (missing.length > 0)
        return err("rules/unknown-group", `${what} ${missing.join(", ")} does not exist`);
    }
    return ok(f.value);
  }

  return {
    list: (): RuleView[] => repo.list(),
    get,

    add(actor: string, r: NewRule): Result<RuleView> {
      const c = check(r);
      if (!c.ok) return c;
      if (get(r.name) !== null) return err("rules/exists", `rule ${r.name} already exists`);
      return core.atomic(() => {
        const rule: RuleView = {
          name: r.name,
          position: r.position ?? (repo.lastPosition() ?? 0) + POSITION_STEP,
          ...c.value,
          pattern: r.pattern,
          userGroups: [...new Set(r.userGroups ?? [])],
          deviceGroups: [...new Set(r.deviceGroups ?? [])],
        };
        if (!repo.insert(rule).ok) return err("rules/exists", `rule ${r.name} already exists`);
        core.audit(actor, "rule.add", r.name, {
          action: rule.action,
          pattern: rule.pattern,
          position: rule.position,
          minPriv: rule.minPriv,
          maxPriv: rule.maxPriv,
          userGroups: r.userGroups ?? [],
          deviceGroups: r.deviceGroups ?? [],
        });
        return ok(get(r.name)!);
      }, FAILED);
    },

    /** Change a rule in place (same name), validated like add. */
    update(actor: string, name: string, p: RulePatch): Result<RuleView> {
      const cur = get(name);
      if (cur === null) return err("rules/not-found", `rule ${name} does not exist`);
      const merged = {
        name,
        action: p.action ?? cur.action,
        pattern: p.pattern ?? cur.pattern,
        position: p.position ?? cur.position,
        minPriv: p.minPriv === undefined ? cur.minPriv : p.minPriv,
        maxPriv: p.maxPriv === undefined ? cur.maxPriv : p.maxPriv,
        userGroups: p.userGroups ?? cur.userGroups,
        deviceGroups: p.deviceGroups ?? cur.deviceGroups,
      };
      const c = check(merged);
      if (!c.ok) return c;
      const rule: RuleView = {
        ...merged,
        ...c.value,
        userGroups: [...new Set(merged.userGroups)],
        deviceGroups: [...new Set(merged.deviceGroups)],
      };
      return core.atomic(() => {
        if (!repo.replace(rule)) return err("rules/not-found", `rule ${name} does not exist`);
        core.audit(actor, "rule.set", name, {
          action: rule.action,
          pattern: rule.pattern,
          position: rule.position,
          minPriv: rule.minPriv,
          maxPriv: rule.maxPriv,
          userGroups: merged.userGroups,
          deviceGroups: merged.deviceGroups,
        });
        return ok(get(name)!);
      }, FAILED);
    },

    remove(actor: string, name: string): Result<void> {
      return core.atomic(() => {
        if (!repo.remove(name)) return err("rules/not-found", `rule ${name} does not exist`);
        core.audit(actor, "rule.remove", name);
        return ok(undefined);
      }, FAILED);
    },
  };
}

export type RuleOperations = ReturnType<typeof ruleOperations>;
