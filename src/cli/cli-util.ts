// Small helpers shared by the policy CLI commands: flag parsing that fails with one clear line,
// Result → CliError, and reading a secret from stdin instead of argv (argv is visible in `ps`).
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { Result } from "../lib/result.ts";
import type { PolicyService } from "../policy/policy.ts";
import type { PolicySnapshot } from "../policy/ports.ts";
import { CliError, type CliContext } from "./context.ts";

export function parse<T extends NonNullable<ParseArgsConfig["options"]>>(
  args: string[],
  options: T,
  usage: string,
) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new CliError(`${(e as Error).message.split("\n")[0]} (usage: ${usage})`);
  }
}

export function need<T>(r: Result<T>): T {
  if (!r.ok) throw new CliError(r.detail ?? r.code);
  return r.value;
}

export function onePositional(positionals: string[], usage: string): string {
  if (positionals.length !== 1) throw new CliError(`expected exactly one name (usage: ${usage})`);
  return positionals[0]!;
}

export function int(v: string | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw new CliError(`${what} must be an integer, got "${v}"`);
  return Number(v);
}

/** The password from --password, or one line from stdin with --password-stdin. */
export async function secretArg(
  values: { password?: string; "password-stdin"?: boolean },
  ctx: CliContext & { stdin?: () => Promise<string> },
): Promise<string | undefined> {
  if (values.password !== undefined && values["password-stdin"])
    throw new CliError("give --password or --password-stdin, not both");
  if (!values["password-stdin"]) return values.password;
  if (ctx.stdin === undefined) throw new CliError("--password-stdin: no standard input here");
  const text = await ctx.stdin();
  const line = text.split(/\r?\n/)[0] ?? "";
  if (line === "") throw new CliError("--password-stdin: no password on standard input");
  return line;
}

/** Sub-command dispatch: `user add ...` → handlers.add(["..."]). */
export function dispatch(
  name: string,
  handlers: Record<string, (args: string[], ctx: PolicyCliContext) => Promise<number> | number>,
) {
  return async (args: string[], ctx: PolicyCliContext): Promise<number> => {
    const [sub, ...rest] = args;
    const h = sub === undefined ? undefined : handlers[sub];
    if (h === undefined) {
      ctx.err(
        `${name}: unknown or missing sub-command${sub === undefined ? "" : ` "${sub}"`} (one of: ${Object.keys(handlers).join(", ")})`,
      );
      return 1;
    }
    try {
      return await h(rest, ctx);
    } catch (e) {
      if (e instanceof CliError) {
        ctx.err(`${name} ${sub}: ${e.message}`);
        return 1;
      }
      throw e;
    }
  };
}

/** The device as the device index resolves it (src/policy/devices.ts Device fits). */
export interface TraceDevice {
  deviceName: string;
  groupId: number;
  groupName: string;
}

/** What `policy test` runs: the policy the engines would use, built by the composition root. */
export interface PolicyTracer {
  policy: PolicyService;
  snapshot(): PolicySnapshot;
  defaultCommandAction: "permit" | "deny";
}

export interface PolicyCliContext extends CliContext {
  /** Device resolution for `policy test` (the main CLI passes DeviceIndex.resolve). */
  resolveDevice?: (clientIp: string, proxyIp: string | null) => TraceDevice | null;
  /** The policy for `policy test`, built on first use (the root passes the store's). */
  tracer?: () => PolicyTracer;
  /** Standard input, for --password-stdin (tests pass a string). */
  stdin?: () => Promise<string>;
}
