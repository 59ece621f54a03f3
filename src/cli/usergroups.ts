// `aaa-proxy usergroup add|list|remove`.
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

export const usergroupCommand = dispatch("usergroup", { add, list, remove });
