// Seeding shim (see seed.ts): command rules with the old call shapes; the admin service validates and audits.
import type { RuleView } from "../admin/ports.ts";
import type { NewRule } from "../admin/rules.ts";
import { ok, type Result } from "../lib/result.ts";
import type { Store } from "./open.ts";
import { seedService } from "./seed.ts";

export function addRule(store: Store, r: NewRule, actor: string): Result<{ position: number }> {
  const a = seedService(store).rules.add(actor, r);
  return a.ok ? ok({ position: a.value.position }) : a;
}
export const listRules = (store: Store): RuleView[] => seedService(store).rules.list();
export const removeRule = (store: Store, name: string, actor: string): Result<void> =>
  seedService(store).rules.remove(actor, name);
