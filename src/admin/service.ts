// The admin service: the one way the CLI and the admin API read and change the store. Validation,
// password hashing, CHAP-credential encryption and audit happen here, once; the CLI and the API only
// translate their input into these calls and the results back into lines or JSON. Refusals are
// Results with stable codes (`store/*`, `users/*`, `usergroups/*`, `rules/*`, `import/*`): the CLI
// prints the detail as one line, the API maps the code to a status (src/http/admin-common.ts).
import { ok, type Result } from "../lib/result.ts";
import { createCore, type AdminOptions } from "./context.ts";
import { deviceOperations } from "./devices.ts";
import { exportDocument } from "./export.ts";
import { importOperations } from "./imports.ts";
import {
  ACCOUNTING_MAX_PAGE,
  type AccountingQuery,
  type AccountingRow,
  type AdminRepositories,
  type AuditEntry,
} from "./ports.ts";
import { ruleOperations } from "./rules.ts";
import { userGroupOperations } from "./user-groups.ts";
import { userOperations } from "./users.ts";

export type { AdminOptions } from "./context.ts";

export function createAdminService(repos: AdminRepositories, o: AdminOptions) {
  const core = createCore(repos, o);
  return {
    devices: deviceOperations(core),
    users: userOperations(core),
    userGroups: userGroupOperations(core),
    rules: ruleOperations(core),
    imports: importOperations(core),

    /** Newest first; the page is clamped to 1..ACCOUNTING_MAX_PAGE rows. */
    accounting(q: Partial<AccountingQuery>): AccountingRow[] {
      return repos.accounting.query({
        ...q,
        limit: Math.max(1, Math.min(q.limit ?? 100, ACCOUNTING_MAX_PAGE)),
        offset: Math.max(0, q.offset ?? 0),
      });
    },
    /** The audit trail, newest first. */
    auditLog: (limit: number, offset: number): AuditEntry[] => repos.audit.list(limit, offset),
    /** An audited action that is not a store write (a reload, a counters reset). */
    note(
      actor: string,
      action: string,
      object: string,
      detail: Record<string, unknown> = {},
    ): Result<void> {
      core.audit(actor, action, object, detail);
      return ok(undefined);
    },
    exportJson: (includeSecrets: boolean): Record<string, unknown> =>
      exportDocument(repos, includeSecrets, core.now()),
  };
}

export type AdminService = ReturnType<typeof createAdminService>;
