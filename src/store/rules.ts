// Command authorization rules: ordered by position, first match wins (src/policy/authorize.ts).
// The pattern is a JavaScript regular expression over the full command line; it is compiled here on
// insert so an invalid one never reaches the table.
import { eq, inArray, max } from "drizzle-orm";
import { err, ok, type Result } from "../lib/result.ts";
import { audit } from "./audit.ts";
import type { Store } from "./open.ts";
import { bumpLocalGeneration } from "./policy-source.ts";
import {
  commandRuleDeviceGroups,
  commandRuleUserGroups,
  commandRules,
  deviceGroups,
  userGroups,
} from "./schema.ts";

/** Patterns are admin input, but keep them readable and bounded. */
const MAX_PATTERN_LENGTH = 1024;
/** Rules added without --position go after the last one, this far apart, so inserts fit between. */
const POSITION_STEP = 10;

export interface NewRule {
  name: string;
  action: string;
  pattern: string;
  position?: number;
  minPriv?: number;
  maxPriv?: number;
  userGroups?: string[];
  deviceGroups?: string[];
}

const priv = (n: number | undefined, what: string): Result<number | null> =>
  n === undefined
    ? ok(null)
    : Number.isInteger(n) && n >= 0 && n <= 15
      ? ok(n)
      : err("rules/bad-priv", `${what} must be an integer 0..15`);

function idsByName(
  store: Store,
  table: typeof userGroups | typeof deviceGroups,
  names: string[],
  what: string,
): Result<number[]> {
  const unique = [...new Set(names)];
  if (unique.length === 0) return ok([]);
  const rows = store.db
    .select({ id: table.id, name: table.name })
    .from(table)
    .where(inArray(table.name, unique))
    .all();
  const missing = unique.filter((n) => !rows.some((r) => r.name === n));
  return missing.length > 0
    ? err("rules/unknown-group", `${what} ${missing.join(", ")} does not exist`)
    : ok(rows.map((r) => r.id));
}

/** Everything about a rule that can be checked before writing it (shared by add and update). */
function checkRule(
  store: Store,
  r: NewRule,
): Result<{ minPriv: number | null; maxPriv: number | null; ug: number[]; dg: number[] }> {
  if (!/^[A-Za-z0-9_.:@-]{1,64}$/.test(r.name))
    return err("rules/bad-name", "rule name: 1-64 of letters, digits, _ . : @ -");
  if (r.action !== "permit" && r.action !== "deny")
    return err("rules/bad-action", 'action must be "permit" or "deny"');
  if (r.pattern.length === 0 || r.pattern.length > MAX_PATTERN_LENGTH)
    return err("rules/bad-pattern", `pattern must be 1..${MAX_PATTERN_LENGTH} characters`);
  try {
    new RegExp(r.pattern);
  } catch (e) {
    return err("rules/bad-pattern", `invalid regular expression: ${(e as Error).message}`);
  }
  const minPriv = priv(r.minPriv, "min-priv");
  if (!minPriv.ok) return minPriv;
  const maxPriv = priv(r.maxPriv, "max-priv");
  if (!maxPriv.ok) return maxPriv;
  if (minPriv.value !== null && maxPriv.value !== null && minPriv.value > maxPriv.value)
    return err("rules/bad-priv", "min-priv is above max-priv");
  if (r.position !== undefined && (!Number.isSafeInteger(r.position) || r.position < 0))
    return err("rules/bad-position", "position must be a non-negative integer");
  const ug = idsByName(store, userGroups, r.userGroups ?? [], "user group");
  if (!ug.ok) return ug;
  const dg = idsByName(store, deviceGroups, r.deviceGroups ?? [], "device group");
  if (!dg.ok) return dg;
  return ok({ minPriv: minPriv.value, maxPriv: maxPriv.value, ug: ug.value, dg: dg.value });
}

export function addRule(
  store: Store,
  r: NewRule,
  actor: string,
): Result<{ id: number; position: number }> {
  const checked = checkRule(store, r);
  if (!checked.ok) return checked;
  const { minPriv, maxPriv, ug, dg } = checked.value;
  if (
    store.db
      .select({ id: commandRules.id })
      .from(commandRules)
      .where(eq(commandRules.name, r.name))
      .get() !== undefined
  ) {
    return err("rules/exists", `rule ${r.name} already exists`);
  }
  try {
    const out = store.db.transaction((tx) => {
      const last = tx
        .select({ m: max(commandRules.position) })
        .from(commandRules)
        .get();
      const position = r.position ?? (last?.m ?? 0) + POSITION_STEP;
      const row = tx
        .insert(commandRules)
        .values({
          name: r.name,
          position,
          action: r.action as "permit" | "deny",
          pattern: r.pattern,
          minPriv: minPriv,
          maxPriv: maxPriv,
        })
        .returning({ id: commandRules.id })
        .get();
      if (ug.length > 0)
        tx.insert(commandRuleUserGroups)
          .values(ug.map((g) => ({ ruleId: row.id, userGroupId: g })))
          .run();
      if (dg.length > 0)
        tx.insert(commandRuleDeviceGroups)
          .values(dg.map((g) => ({ ruleId: row.id, deviceGroupId: g })))
          .run();
      audit(tx, actor, "rule.add", r.name, {
        action: r.action,
        pattern: r.pattern,
        position,
        minPriv: minPriv,
        maxPriv: maxPriv,
        userGroups: r.userGroups ?? [],
        deviceGroups: r.deviceGroups ?? [],
      });
      return { id: row.id, position };
    });
    bumpLocalGeneration(store.sqlite);
    return ok(out);
  } catch (e) {
    return err("rules/write-failed", (e as Error).message);
  }
}

export interface RulePatch {
  action?: string;
  pattern?: string;
  position?: number;
  /** null clears the bound. */
  minPriv?: number | null;
  maxPriv?: number | null;
  /** Replace the scope; [] makes the rule apply to every group. */
  userGroups?: string[];
  deviceGroups?: string[];
}

/** Change a rule in place (same name, same id), validated like addRule; one transaction. */
export function updateRule(
  store: Store,
  name: string,
  p: RulePatch,
  actor: string,
): Result<{ position: number }> {
  const cur = listRules(store).find((x) => x.name === name);
  if (cur === undefined) return err("rules/not-found", `rule ${name} does not exist`);
  const merged: NewRule = {
    name,
    action: p.action ?? cur.action,
    pattern: p.pattern ?? cur.pattern,
    position: p.position ?? cur.position,
    ...(() => {
      const minP = p.minPriv === undefined ? cur.minPriv : p.minPriv;
      const maxP = p.maxPriv === undefined ? cur.maxPriv : p.maxPriv;
      return {
        ...(minP === null ? {} : { minPriv: minP }),
        ...(maxP === null ? {} : { maxPriv: maxP }),
      };
    })(),
    userGroups: p.userGroups ?? cur.userGroups,
    deviceGroups: p.deviceGroups ?? cur.deviceGroups,
  };
  const checked = checkRule(store, merged);
  if (!checked.ok) return checked;
  const v = checked.value;
  try {
    store.db.transaction((tx) => {
      const row = tx
        .select({ id: commandRules.id })
        .from(commandRules)
        .where(eq(commandRules.name, name))
        .get();
      if (row === undefined) throw new Error(`rule ${name} vanished`);
      tx.update(commandRules)
        .set({
          action: merged.action as "permit" | "deny",
          pattern: merged.pattern,
          position: merged.position!,
          minPriv: v.minPriv,
          maxPriv: v.maxPriv,
        })
        .where(eq(commandRules.id, row.id))
        .run();
      tx.delete(commandRuleUserGroups).where(eq(commandRuleUserGroups.ruleId, row.id)).run();
      tx.delete(commandRuleDeviceGroups).where(eq(commandRuleDeviceGroups.ruleId, row.id)).run();
      if (v.ug.length > 0)
        tx.insert(commandRuleUserGroups)
          .values(v.ug.map((g) => ({ ruleId: row.id, userGroupId: g })))
          .run();
      if (v.dg.length > 0)
        tx.insert(commandRuleDeviceGroups)
          .values(v.dg.map((g) => ({ ruleId: row.id, deviceGroupId: g })))
          .run();
      audit(tx, actor, "rule.set", name, {
        action: merged.action,
        pattern: merged.pattern,
        position: merged.position,
        minPriv: v.minPriv,
        maxPriv: v.maxPriv,
        userGroups: merged.userGroups,
        deviceGroups: merged.deviceGroups,
      });
    });
    bumpLocalGeneration(store.sqlite);
    return ok({ position: merged.position! });
  } catch (e) {
    return err("rules/write-failed", (e as Error).message);
  }
}

export interface RuleView {
  name: string;
  position: number;
  action: "permit" | "deny";
  pattern: string;
  minPriv: number | null;
  maxPriv: number | null;
  userGroups: string[];
  deviceGroups: string[];
}

export function listRules(store: Store): RuleView[] {
  const rows = store.db
    .select()
    .from(commandRules)
    .orderBy(commandRules.position, commandRules.id)
    .all();
  const ug = store.db
    .select({ rid: commandRuleUserGroups.ruleId, name: userGroups.name })
    .from(commandRuleUserGroups)
    .innerJoin(userGroups, eq(userGroups.id, commandRuleUserGroups.userGroupId))
    .all();
  const dg = store.db
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
}

export function removeRule(store: Store, name: string, actor: string): Result<void> {
  try {
    const n = store.db.transaction((tx) => {
      const r = tx
        .delete(commandRules)
        .where(eq(commandRules.name, name))
        .returning({ id: commandRules.id })
        .all();
      if (r.length > 0) audit(tx, actor, "rule.remove", name);
      return r.length;
    });
    if (n === 0) return err("rules/not-found", `rule ${name} does not exist`);
  } catch (e) {
    return err("rules/write-failed", (e as Error).message);
  }
  bumpLocalGeneration(store.sqlite);
  return ok(undefined);
}
