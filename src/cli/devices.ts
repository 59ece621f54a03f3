// `aaa-proxy group|device|proxy add|set|list|remove`: the device side of the admin CLI. Flags become
// admin service calls; the service validates and audits.
import type { Result } from "../lib/result.ts";
import { onePositional, parseFlags, requireFlag, table } from "./args.ts";
import { CliError, type CliCommand, type CliContext } from "./context.ts";

function sub(args: string[]): [string, string[]] {
  const [verb, ...rest] = args;
  if (!verb) throw new CliError("missing action: add, list or remove");
  return [verb, rest];
}

function done(ctx: CliContext, r: Result<unknown>, what: string, object: string): number {
  if (!r.ok) throw new CliError(r.detail ?? r.code);
  ctx.out(`ok: ${what} ${object}`);
  return 0;
}

function list(ctx: CliContext, rest: string[], rows: object[], columns: string[]): number {
  const { values } = parseFlags(rest, { json: { type: "boolean" } });
  if (values.json) ctx.out(JSON.stringify(rows));
  else for (const l of table(rows as Record<string, unknown>[], columns)) ctx.out(l);
  return 0;
}

/**
 * A group secret from --X-secret S or --X-secret-env NAME (the value of that environment variable):
 * the second keeps the secret out of the command line, where `ps` and shell history show it.
 */
function secretFlag(
  values: Record<string, unknown>,
  flag: "tacacs-secret" | "radius-secret",
  env: Record<string, string | undefined>,
): string | undefined {
  const direct = values[flag] as string | undefined;
  const name = values[`${flag}-env`] as string | undefined;
  if (name === undefined) return direct;
  if (direct !== undefined) throw new CliError(`--${flag} and --${flag}-env together`);
  const v = env[name];
  if (v === undefined || v === "")
    throw new CliError(`--${flag}-env: environment variable ${name} is not set`);
  return v;
}

/** Shared by `group add` and `group set`: one spelling for both (issue 21 defect 11). */
const GROUP_FLAGS = {
  "tacacs-secret": { type: "string" },
  "radius-secret": { type: "string" },
  "tacacs-secret-env": { type: "string" },
  "radius-secret-env": { type: "string" },
  "proxy-network": { type: "string" },
  description: { type: "string" },
  "require-message-authenticator": { type: "string" },
  /** The old `group add` spelling, kept as an alias of `--require-message-authenticator no`. */
  "no-require-message-authenticator": { type: "boolean" },
} as const;

function requireMA(values: {
  "require-message-authenticator"?: string | undefined;
  "no-require-message-authenticator"?: boolean | undefined;
}): boolean | undefined {
  const v = values["require-message-authenticator"];
  if (v !== undefined && v !== "yes" && v !== "no")
    throw new CliError("--require-message-authenticator takes yes or no");
  if (values["no-require-message-authenticator"]) {
    if (v === "yes")
      throw new CliError(
        "--require-message-authenticator yes and --no-require-message-authenticator together",
      );
    return false;
  }
  return v === undefined ? undefined : v === "yes";
}

export const groupCommand: CliCommand = (args, ctx) => {
  const ops = ctx.admin.devices;
  const [verb, rest] = sub(args);
  switch (verb) {
    case "add": {
      const { values, positionals } = parseFlags(rest, GROUP_FLAGS);
      const name = onePositional(positionals, "group name");
      const r = ops.addGroup(ctx.actor, {
        name,
        tacacsSecret: secretFlag(values, "tacacs-secret", ctx.env),
        radiusSecret: secretFlag(values, "radius-secret", ctx.env),
        proxyNetwork: values["proxy-network"],
        description: values.description,
        requireMessageAuthenticator: requireMA(values),
      });
      return done(ctx, r, "group.add", name);
    }
    case "set": {
      // Secret rotation and the like, in place: devices keep their group.
      const { values, positionals } = parseFlags(rest, {
        ...GROUP_FLAGS,
        "clear-tacacs-secret": { type: "boolean" },
        "clear-radius-secret": { type: "boolean" },
        "clear-proxy-network": { type: "boolean" },
      });
      const name = onePositional(positionals, "group name");
      const pick = (
        value: string | undefined,
        clear: boolean | undefined,
        flag: string,
      ): string | null | undefined => {
        if (value !== undefined && clear)
          throw new CliError(`--${flag} and --clear-${flag} together`);
        return clear ? null : value;
      };
      const patch = {
        tacacsSecret: pick(
          secretFlag(values, "tacacs-secret", ctx.env),
          values["clear-tacacs-secret"],
          "tacacs-secret",
        ),
        radiusSecret: pick(
          secretFlag(values, "radius-secret", ctx.env),
          values["clear-radius-secret"],
          "radius-secret",
        ),
        proxyNetwork: pick(values["proxy-network"], values["clear-proxy-network"], "proxy-network"),
        description: values.description,
        requireMessageAuthenticator: requireMA(values),
      };
      if (Object.values(patch).every((v) => v === undefined))
        throw new CliError("nothing to change (see --help)");
      return done(ctx, ops.updateGroup(ctx.actor, name, patch), "group.set", name);
    }
    case "remove": {
      const { positionals } = parseFlags(rest, {});
      const name = onePositional(positionals, "group name");
      return done(ctx, ops.removeGroup(ctx.actor, name), "group.remove", name);
    }
    case "list":
      return list(ctx, rest, ops.listGroups(), [
        "name",
        "tacacs_secret_set",
        "radius_secret_set",
        "proxy_network",
        "devices",
      ]);
    default:
      throw new CliError(`unknown action "group ${verb}": use add, set, list or remove`);
  }
};

export const deviceCommand: CliCommand = (args, ctx) => {
  const ops = ctx.admin.devices;
  const [verb, rest] = sub(args);
  switch (verb) {
    case "add": {
      const { values, positionals } = parseFlags(rest, {
        network: { type: "string" },
        group: { type: "string" },
        disabled: { type: "boolean" },
      });
      const name = onePositional(positionals, "device name");
      const network = requireFlag(values.network, "--network");
      const group = requireFlag(values.group, "--group");
      const r = ops.addDevice(ctx.actor, { name, network, group, enabled: !values.disabled });
      return done(ctx, r, "device.add", name);
    }
    case "set": {
      const { values, positionals } = parseFlags(rest, {
        network: { type: "string" },
        group: { type: "string" },
        enable: { type: "boolean" },
        disable: { type: "boolean" },
      });
      const name = onePositional(positionals, "device name");
      if (values.enable && values.disable) throw new CliError("--enable and --disable together");
      const patch = {
        network: values.network,
        group: values.group,
        enabled: values.enable ? true : values.disable ? false : undefined,
      };
      if (Object.values(patch).every((v) => v === undefined))
        throw new CliError("nothing to change (see --help)");
      return done(ctx, ops.updateDevice(ctx.actor, name, patch), "device.set", name);
    }
    case "remove": {
      const { positionals } = parseFlags(rest, {});
      const name = onePositional(positionals, "device name");
      return done(ctx, ops.removeDevice(ctx.actor, name), "device.remove", name);
    }
    case "list":
      return list(ctx, rest, ops.listDevices(), [
        "name",
        "network",
        "group",
        "enabled",
        "auto_registered",
      ]);
    default:
      throw new CliError(`unknown action "device ${verb}": use add, set, list or remove`);
  }
};

export const proxyCommand: CliCommand = (args, ctx) => {
  const ops = ctx.admin.devices;
  const [verb, rest] = sub(args);
  switch (verb) {
    case "add": {
      const { values, positionals } = parseFlags(rest, {
        network: { type: "string" },
        description: { type: "string" },
      });
      const name = onePositional(positionals, "proxy name");
      const network = requireFlag(values.network, "--network");
      const r = ops.addProxy(ctx.actor, { name, network, description: values.description });
      return done(ctx, r, "proxy.add", name);
    }
    case "set": {
      const { values, positionals } = parseFlags(rest, {
        network: { type: "string" },
        description: { type: "string" },
      });
      const name = onePositional(positionals, "proxy name");
      const patch = { network: values.network, description: values.description };
      if (Object.values(patch).every((v) => v === undefined))
        throw new CliError("nothing to change (see --help)");
      return done(ctx, ops.updateProxy(ctx.actor, name, patch), "proxy.set", name);
    }
    case "remove": {
      const { positionals } = parseFlags(rest, {});
      const name = onePositional(positionals, "proxy name");
      return done(ctx, ops.removeProxy(ctx.actor, name), "proxy.remove", name);
    }
    case "list":
      return list(ctx, rest, ops.listProxies(), ["name", "network", "description"]);
    default:
      throw new CliError(`unknown action "proxy ${verb}": use add, set, list or remove`);
  }
};
