// What every admin CLI command gets. Commands print results with `out`, one clear line per error
// with `err`, and return the process exit code (0 ok, 1 bad input / refused, 2 config error).
import type { Config } from "../config/schema.ts";
import type { Store } from "../store/open.ts";

export interface CliContext {
  store: Store;
  config: Config;
  out(line: string): void;
  err(line: string): void;
  /** Who is acting, for the audit table (e.g. "cli:root"). */
  actor: string;
  /** Environment for secrets named by variable (CHAP key, --X-secret-env); defaults to process.env. */
  env?: Record<string, string | undefined>;
}

export type CliCommand = (args: string[], ctx: CliContext) => Promise<number> | number;

/** A CLI failure with a one-line message; the dispatcher prints it and exits 1. */
export class CliError extends Error {}
