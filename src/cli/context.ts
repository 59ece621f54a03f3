// What every admin CLI command gets. Commands print results with `out`, one clear line per error
// with `err`, and return the process exit code (0 ok, 1 bad input / refused, 2 config error). They
// read and write only through the admin service; the composition root builds it over the store.
import type { AdminService } from "../admin/service.ts";

export interface CliContext {
  admin: AdminService;
  out(line: string): void;
  err(line: string): void;
  /** Who is acting, for the audit table (e.g. "cli:root"). */
  actor: string;
  /** The environment, read once by the composition root: --tacacs-secret-env VAR names a variable in it. */
  env: Record<string, string | undefined>;
}

export type CliCommand = (args: string[], ctx: CliContext) => Promise<number> | number;

/** A CLI failure with a one-line message; the dispatcher prints it and exits 1. */
export class CliError extends Error {}
