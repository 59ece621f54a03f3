// The policy half of the admin CLI, wired into the main dispatcher as `aaa-proxy <key> ...`.
// Commands accept a PolicyCliContext: a CliContext, optionally with `resolveDevice` (needed by
// `policy test`), `stdin` and `env`.
import { accountingCommand } from "./accounting.ts";
import type { CliCommand, CliContext } from "./context.ts";
import { policyCommand } from "./policy-test.ts";
import { ruleCommand } from "./rules.ts";
import { usergroupCommand } from "./usergroups.ts";
import { userCommand } from "./users.ts";

export type { PolicyCliContext } from "./cli-util.ts";

export const policyCommands: Record<string, CliCommand> = {
  user: userCommand,
  usergroup: usergroupCommand,
  rule: ruleCommand,
  accounting: accountingCommand,
  policy: policyCommand,
} satisfies Record<string, (args: string[], ctx: CliContext) => Promise<number>>;
