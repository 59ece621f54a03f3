// What the root asks the store outside any service: names in the config that must exist there
// (start-up and reload), and the hourly accounting purge.
import type { Config } from "../config/schema.ts";
import type { Logger } from "../lib/log.ts";
import { purgeAccounting } from "../store/accounting.ts";
import { DeviceStore } from "../store/devices.ts";
import type { Store } from "../store/open.ts";

/** Checks of `cfg` that need the store, as "key.path: reason" lines (none: fine). */
export function configAgainstStore(store: Store, cfg: Config): string[] {
  if (
    cfg.devices.auto_register &&
    new DeviceStore(store).getGroup(cfg.devices.default_group) === null
  )
    return [
      `devices.default_group: group "${cfg.devices.default_group}" does not exist in the store`,
    ];
  return [];
}

/** What refuses a reload from `prev` to `next` before anything is touched. */
export function storeProblems(store: Store, prev: Config, next: Config): string[] {
  const problems = configAgainstStore(store, next);
  if (problems.length > 0) return problems;
  if (next.store.path !== prev.store.path)
    return ["store.path: changing the database needs a restart"];
  return [];
}

/** Purge accounting records older than [accounting].retention_days (0: keep forever). */
export function purgeOldAccounting(store: Store, cfg: Config, log: Logger): void {
  const days = cfg.accounting.retention_days;
  if (days === 0) return;
  try {
    const n = purgeAccounting(store, days);
    if (n > 0) log.info("accounting_purged", { records: n, retention_days: days });
  } catch (e) {
    log.error("accounting_purge_failed", { reason: e instanceof Error ? e.message : String(e) });
  }
}
