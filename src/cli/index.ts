// The admin CLI dispatcher: `aaa-proxy <noun> <verb> [flags] --config FILE`. Commands share the
// running server's database (WAL), so they are safe while it runs; the server sees their writes
// on its next lookup (PRAGMA data_version).
import { CliError, type CliCommand, type CliContext } from "./context.ts";
import { deviceCommand, groupCommand, proxyCommand } from "./devices.ts";
import { exportCommand, importCommand } from "./import-export.ts";
import { policyCommands } from "./policy-commands.ts";

export const adminCommands: Record<string, CliCommand> = {
  group: groupCommand,
  device: deviceCommand,
  proxy: proxyCommand,
  ...policyCommands,
  import: importCommand,
  export: exportCommand,
};

/** Run one admin command; a CliError becomes one line on stderr and exit code 1. */
export async function runAdminCommand(
  name: string,
  args: string[],
  ctx: CliContext,
): Promise<number> {
  const cmd = adminCommands[name];
  if (!cmd) {
    ctx.err(`error: unknown command "${name}" (see --help)`);
    return 1;
  }
  try {
    return await cmd(args, ctx);
  } catch (e) {
    if (e instanceof CliError) {
      ctx.err(`error: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
