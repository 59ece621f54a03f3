// Flag parsing for admin commands: node:util parseArgs in strict mode, so an unknown or
// misspelt flag is an error, never silently ignored.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { CliError } from "./context.ts";

export function parseFlags<T extends NonNullable<ParseArgsConfig["options"]>>(
  args: string[],
  options: T,
) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (e) {
    throw new CliError(e instanceof Error ? e.message.split("\n")[0]! : String(e));
  }
}

export function requireFlag(value: string | undefined, flag: string): string {
  if (value === undefined || value === "") throw new CliError(`missing required flag ${flag}`);
  return value;
}

export function onePositional(positionals: string[], what: string): string {
  if (positionals.length !== 1)
    throw new CliError(
      positionals.length === 0
        ? `missing ${what}`
        : `expected one ${what}, got: ${positionals.join(" ")}`,
    );
  return positionals[0]!;
}

/** Plain aligned columns for humans; scripts use --json. */
export function table(rows: Array<Record<string, unknown>>, columns: string[]): string[] {
  const cell = (v: unknown) => (v === null || v === undefined ? "-" : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [
    line(columns.map((c) => c.toUpperCase())),
    ...rows.map((r) => line(columns.map((c) => cell(r[c])))),
  ];
}
