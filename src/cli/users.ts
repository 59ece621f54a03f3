// `aaa-proxy user add|list|remove|passwd|disable|enable|expire|groups` — local users.
import type { Result } from "../lib/result.ts";
import { parseIsoTime } from "../admin/validate.ts";
import { CliError } from "./context.ts";
import {
  dispatch,
  need,
  onePositional,
  parse,
  secretArg,
  type PolicyCliContext,
} from "./cli-util.ts";

const ADD =
  "user add NAME (--password P | --password-stdin) [--group G ...] [--enable-secret S] [--expires ISO8601] [--chap-secret S | --nt-hash-from-password]";

function parseExpiry(s: string | undefined): number | null | undefined {
  if (s === undefined) return undefined;
  if (s === "never") return null;
  const t = parseIsoTime(s);
  if (t === null) throw new CliError(`--expires must be an ISO 8601 date or "never", got "${s}"`);
  return t;
}

async function add(args: string[], ctx: PolicyCliContext): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      password: { type: "string" },
      "password-stdin": { type: "boolean" },
      group: { type: "string", multiple: true },
      "enable-secret": { type: "string" },
      expires: { type: "string" },
      "chap-secret": { type: "string" },
      "nt-hash-from-password": { type: "boolean" },
    },
    ADD,
  );
  const username = onePositional(positionals, ADD);
  const password = await secretArg(values, ctx);
  if (password === undefined)
    throw new CliError(`--password or --password-stdin is required (usage: ${ADD})`);
  need(
    await ctx.admin.users.add(ctx.actor, {
      username,
      password,
      groups: values.group ?? [],
      enableSecret: values["enable-secret"],
      expiresAt: parseExpiry(values.expires),
      chapSecret: values["chap-secret"],
      ntHashFromPassword: values["nt-hash-from-password"] ?? false,
    }),
  );
  ctx.out(`user ${username.normalize("NFC")} added`);
  return 0;
}

function list(args: string[], ctx: PolicyCliContext): number {
  const { values } = parse(args, { json: { type: "boolean" } }, "user list [--json]");
  const users = ctx.admin.users.list();
  if (values.json) {
    ctx.out(JSON.stringify(users));
    return 0;
  }
  for (const u of users) {
    const exp = u.expiresAt === null ? "" : ` expires=${new Date(u.expiresAt).toISOString()}`;
    ctx.out(
      `${u.username}\t${u.enabled ? "enabled" : "disabled"}\tgroups=${u.groups.join(",") || "-"}\tenable-secret=${u.enableSecret ? "yes" : "no"}\tchap=${u.chap}${exp}`,
    );
  }
  return 0;
}

function named(action: string, f: (ctx: PolicyCliContext, name: string) => Result<unknown>) {
  return (args: string[], ctx: PolicyCliContext): number => {
    const usage = `user ${action} NAME`;
    const { positionals } = parse(args, {}, usage);
    const name = onePositional(positionals, usage);
    need(f(ctx, name));
    ctx.out(`user ${name} ${action === "remove" ? "removed" : `${action}d`}`);
    return 0;
  };
}

async function passwd(args: string[], ctx: PolicyCliContext): Promise<number> {
  const usage = "user passwd NAME (--password P | --password-stdin)";
  const { values, positionals } = parse(
    args,
    { password: { type: "string" }, "password-stdin": { type: "boolean" } },
    usage,
  );
  const name = onePositional(positionals, usage);
  const password = await secretArg(values, ctx);
  if (password === undefined)
    throw new CliError(`--password or --password-stdin is required (usage: ${usage})`);
  need(await ctx.admin.users.setPassword(ctx.actor, name, password));
  ctx.out(`password of ${name} changed`);
  return 0;
}

function expire(args: string[], ctx: PolicyCliContext): number {
  const usage = "user expire NAME --expires ISO8601|never";
  const { values, positionals } = parse(args, { expires: { type: "string" } }, usage);
  const name = onePositional(positionals, usage);
  const t = parseExpiry(values.expires);
  if (t === undefined) throw new CliError(`--expires is required (usage: ${usage})`);
  need(ctx.admin.users.setExpiry(ctx.actor, name, t));
  ctx.out(`expiry of ${name} set to ${t === null ? "never" : new Date(t).toISOString()}`);
  return 0;
}

/** Replace the memberships, as PATCH /api/admin/users/NAME {groups} does. */
function groups(args: string[], ctx: PolicyCliContext): number {
  const usage = "user groups NAME (--group G ... | --no-groups)";
  const { values, positionals } = parse(
    args,
    { group: { type: "string", multiple: true }, "no-groups": { type: "boolean" } },
    usage,
  );
  const name = onePositional(positionals, usage);
  if ((values.group === undefined) === (values["no-groups"] !== true))
    throw new CliError(`give --group G ... or --no-groups (usage: ${usage})`);
  const u = need(ctx.admin.users.setGroups(ctx.actor, name, values.group ?? []));
  ctx.out(`groups of ${u.username}: ${u.groups.join(",") || "-"}`);
  return 0;
}

export const userCommand = dispatch("user", {
  add,
  list,
  remove: named("remove", (ctx, n) => ctx.admin.users.remove(ctx.actor, n)),
  passwd,
  disable: named("disable", (ctx, n) => ctx.admin.users.setEnabled(ctx.actor, n, false)),
  enable: named("enable", (ctx, n) => ctx.admin.users.setEnabled(ctx.actor, n, true)),
  expire,
  groups,
});
