// `aaa-proxy rule add|set|list|remove` — command authorization rules (first match wins, by position).
import { CliError } from "./context.ts";
import { dispatch, int, need, onePositional, parse, type PolicyCliContext } from "./cli-util.ts";

const ADD =
  "rule add NAME --action permit|deny --pattern REGEX [--position N] [--min-priv N] [--max-priv N] [--user-group G ...] [--device-group G ...]";

function add(args: string[], ctx: PolicyCliContext): number {
  const { values, positionals } = parse(
    args,
    {
      action: { type: "string" },
      pattern: { type: "string" },
      position: { type: "string" },
      "min-priv": { type: "string" },
      "max-priv": { type: "string" },
      "user-group": { type: "string", multiple: true },
      "device-group": { type: "string", multiple: true },
    },
    ADD,
  );
  const name = onePositional(positionals, ADD);
  if (values.action === undefined || values.pattern === undefined)
    throw new CliError(`--action and --pattern are required (usage: ${ADD})`);
  const r = need(
    ctx.admin.rules.add(ctx.actor, {
      name,
      action: values.action,
      pattern: values.pattern,
      position: int(values.position, "--position"),
      minPriv: int(values["min-priv"], "--min-priv"),
      maxPriv: int(values["max-priv"], "--max-priv"),
      userGroups: values["user-group"] ?? [],
      deviceGroups: values["device-group"] ?? [],
    }),
  );
  ctx.out(`rule ${name} added at position ${r.position}`);
  return 0;
}

const SET =
  "rule set NAME [--action permit|deny] [--pattern REGEX] [--position N] [--min-priv N|--clear-min-priv] [--max-priv N|--clear-max-priv] [--user-group G ...|--all-user-groups] [--device-group G ...|--all-device-groups]";

function either<T>(value: T | undefined, other: boolean | undefined, a: string, b: string, to: T) {
  if (value !== undefined && other) throw new CliError(`--${a} and --${b} together`);
  return other ? to : value;
}

/** Change a rule in place (same name), as PATCH /api/admin/rules/NAME does. */
function set(args: string[], ctx: PolicyCliContext): number {
  const { values, positionals } = parse(
    args,
    {
      action: { type: "string" },
      pattern: { type: "string" },
      position: { type: "string" },
      "min-priv": { type: "string" },
      "clear-min-priv": { type: "boolean" },
      "max-priv": { type: "string" },
      "clear-max-priv": { type: "boolean" },
      "user-group": { type: "string", multiple: true },
      "all-user-groups": { type: "boolean" },
      "device-group": { type: "string", multiple: true },
      "all-device-groups": { type: "boolean" },
    },
    SET,
  );
  const name = onePositional(positionals, SET);
  const r = need(
    ctx.admin.rules.update(ctx.actor, name, {
      action: values.action,
      pattern: values.pattern,
      position: int(values.position, "--position"),
      minPriv: either(
        int(values["min-priv"], "--min-priv"),
        values["clear-min-priv"],
        "min-priv",
        "clear-min-priv",
        null,
      ),
      maxPriv: either(
        int(values["max-priv"], "--max-priv"),
        values["clear-max-priv"],
        "max-priv",
        "clear-max-priv",
        null,
      ),
      userGroups: either(
        values["user-group"],
        values["all-user-groups"],
        "user-group",
        "all-user-groups",
        [],
      ),
      deviceGroups: either(
        values["device-group"],
        values["all-device-groups"],
        "device-group",
        "all-device-groups",
        [],
      ),
    }),
  );
  ctx.out(`rule ${name} changed (position ${r.position})`);
  return 0;
}

function list(args: string[], ctx: PolicyCliContext): number {
  const { values } = parse(args, { json: { type: "boolean" } }, "rule list [--json]");
  const rules = ctx.admin.rules.list();
  if (values.json) {
    ctx.out(JSON.stringify(rules));
    return 0;
  }
  for (const r of rules) {
    const priv =
      r.minPriv === null && r.maxPriv === null
        ? ""
        : `\tpriv=${r.minPriv ?? 0}..${r.maxPriv ?? 15}`;
    ctx.out(
      `${r.position}\t${r.name}\t${r.action}\t/${r.pattern}/\tuser-groups=${r.userGroups.join(",") || "*"}\tdevice-groups=${r.deviceGroups.join(",") || "*"}${priv}`,
    );
  }
  return 0;
}

function remove(args: string[], ctx: PolicyCliContext): number {
  const { positionals } = parse(args, {}, "rule remove NAME");
  const name = onePositional(positionals, "rule remove NAME");
  need(ctx.admin.rules.remove(ctx.actor, name));
  ctx.out(`rule ${name} removed`);
  return 0;
}

export const ruleCommand = dispatch("rule", { add, set, list, remove });
