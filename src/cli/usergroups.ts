// `aaa-proxy usergroup add|set|list|remove`.
import { CliError } from "./context.ts";
import { dispatch, int, need, onePositional, parse, type PolicyCliContext } from "./cli-util.ts";

const ADD =
  "usergroup add NAME [--priv-lvl N] [--av service=shell:priv-lvl=15 ...] [--radius-reply Name=Value ...] [--device-group G ...] [--description TEXT]";

function add(args: string[], ctx: PolicyCliContext): number {
  const { values, positionals } = parse(
    args,
    {
      "priv-lvl": { type: "string" },
      av: { type: "string", multiple: true },
      "radius-reply": { type: "string", multiple: true },
      "device-group": { type: "string", multiple: true },
      description: { type: "string" },
    },
    ADD,
  );
  const name = onePositional(positionals, ADD);
  const privLvl = int(values["priv-lvl"], "--priv-lvl");
  need(
    ctx.admin.userGroups.add(ctx.actor, {
      name,
      privLvl,
      description: values.description,
      av: values.av ?? [],
      radiusReply: values["radius-reply"] ?? [],
      deviceGroups: values["device-group"] ?? [],
    }),
  );
  ctx.out(`user group ${name} added`);
  return 0;
}

const SET =
  "usergroup set NAME [--priv-lvl N] [--av ... | --no-av] [--radius-reply ... | --no-radius-reply] [--device-group G ... | --no-device-groups] [--description TEXT]";

/** A list flag replaces the list; its --no- twin empties it; neither keeps it. */
function listFlag(given: string[] | undefined, none: boolean | undefined, flag: string) {
  if (given !== undefined && none) throw new CliError(`--${flag} and --no-${flag}s together`);
  return none ? [] : given;
}

/** Change a user group in place (members keep it), as PATCH /api/admin/user-groups/NAME does. */
function set(args: string[], ctx: PolicyCliContext): number {
  const { values, positionals } = parse(
    args,
    {
      "priv-lvl": { type: "string" },
      av: { type: "string", multiple: true },
      "no-av": { type: "boolean" },
      "radius-reply": { type: "string", multiple: true },
      "no-radius-reply": { type: "boolean" },
      "device-group": { type: "string", multiple: true },
      "no-device-groups": { type: "boolean" },
      description: { type: "string" },
    },
    SET,
  );
  const name = onePositional(positionals, SET);
  if (values.av !== undefined && values["no-av"]) throw new CliError("--av and --no-av together");
  if (values["radius-reply"] !== undefined && values["no-radius-reply"])
    throw new CliError("--radius-reply and --no-radius-reply together");
  need(
    ctx.admin.userGroups.update(ctx.actor, name, {
      privLvl: int(values["priv-lvl"], "--priv-lvl"),
      description: values.description,
      av: values["no-av"] ? [] : values.av,
      radiusReply: values["no-radius-reply"] ? [] : values["radius-reply"],
      deviceGroups: listFlag(values["device-group"], values["no-device-groups"], "device-group"),
    }),
  );
  ctx.out(`user group ${name} changed`);
  return 0;
}

function list(args: string[], ctx: PolicyCliContext): number {
  const { values } = parse(args, { json: { type: "boolean" } }, "usergroup list [--json]");
  const groups = ctx.admin.userGroups.list();
  if (values.json) {
    ctx.out(JSON.stringify(groups));
    return 0;
  }
  for (const g of groups) {
    const av = Object.entries(g.av).flatMap(([svc, l]) => l.map((a) => `${svc}:${a}`));
    const reply = g.radiusReply.map((r) => `${r.name}=${r.value}`);
    ctx.out(
      `${g.name}\tpriv-lvl=${g.privLvl}\tdevice-groups=${g.deviceGroups.join(",") || "-"}\tmembers=${g.members}\tav=${av.join(" ") || "-"}\tradius-reply=${reply.join(" ") || "-"}`,
    );
  }
  return 0;
}

function remove(args: string[], ctx: PolicyCliContext): number {
  const { positionals } = parse(args, {}, "usergroup remove NAME");
  const name = onePositional(positionals, "usergroup remove NAME");
  need(ctx.admin.userGroups.remove(ctx.actor, name));
  ctx.out(`user group ${name} removed`);
  return 0;
}

export const usergroupCommand = dispatch("usergroup", { add, set, list, remove });
