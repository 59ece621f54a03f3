// `aaa-proxy group|device|proxy add|list|remove`: the device side of the admin CLI.
import { audit } from "../store/audit.ts";
import { DeviceStore } from "../store/devices.ts";
import { onePositional, parseFlags, requireFlag, table } from "./args.ts";
import { CliError, type CliCommand, type CliContext } from "./context.ts";

function sub(args: string[]): [string, string[]] {
  const [verb, ...rest] = args;
  if (!verb) throw new CliError("missing action: add, list or remove");
  return [verb, rest];
}

function done(
  ctx: CliContext,
  r: { ok: true } | { ok: false; detail?: string; code: string },
  action: string,
  object: string,
  detail: Record<string, unknown> = {},
): number {
  if (!r.ok) throw new CliError(r.detail ?? r.code);
  audit(ctx.store.db, ctx.actor, action, object, detail);
  ctx.out(`ok: ${action} ${object}`);
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

export const groupCommand: CliCommand = (args, ctx) => {
  const env = ctx.env ?? process.env;
  const store = new DeviceStore(ctx.store.sqlite);
  const [verb, rest] = sub(args);
  switch (verb) {
    case "add": {
      const { values, positionals } = parseFlags(rest, {
        "tacacs-secret": { type: "string" },
        "radius-secret": { type: "string" },
        "tacacs-secret-env": { type: "string" },
        "radius-secret-env": { type: "string" },
        "proxy-network": { type: "string" },
        description: { type: "string" },
        "no-require-message-authenticator": { type: "boolean" },
      });
      const name = onePositional(positionals, "group name");
      const tacacsSecret = secretFlag(values, "tacacs-secret", env);
      const radiusSecret = secretFlag(values, "radius-secret", env);
      const r = store.addGroup({
        name,
        tacacsSecret,
        radiusSecret,
        proxyNetwork: values["proxy-network"],
        description: values.description,
        requireMessageAuthenticator: !values["no-require-message-authenticator"],
      });
      return done(ctx, r, "group.add", name, {
        tacacs_secret_set: tacacsSecret !== undefined,
        radius_secret_set: radiusSecret !== undefined,
        proxy_network: values["proxy-network"] ?? null,
      });
    }
    case "set": {
      // Secret rotation and the like, in place: devices keep their group.
      const { values, positionals } = parseFlags(rest, {
        "tacacs-secret": { type: "string" },
        "radius-secret": { type: "string" },
        "tacacs-secret-env": { type: "string" },
        "radius-secret-env": { type: "string" },
        "proxy-network": { type: "string" },
        description: { type: "string" },
        "clear-tacacs-secret": { type: "boolean" },
        "clear-radius-secret": { type: "boolean" },
        "clear-proxy-network": { type: "boolean" },
        "require-message-authenticator": { type: "string" },
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
      const rma = values["require-message-authenticator"];
      if (rma !== undefined && rma !== "yes" && rma !== "no")
        throw new CliError("--require-message-authenticator takes yes or no");
      const patch = {
        tacacsSecret: pick(
          secretFlag(values, "tacacs-secret", env),
          values["clear-tacacs-secret"],
          "tacacs-secret",
        ),
        radiusSecret: pick(
          secretFlag(values, "radius-secret", env),
          values["clear-radius-secret"],
          "radius-secret",
        ),
        proxyNetwork: pick(values["proxy-network"], values["clear-proxy-network"], "proxy-network"),
        description: values.description,
        requireMessageAuthenticator: rma === undefined ? undefined : rma === "yes",
      };
      const changed = Object.entries(patch)
        .filter(([, v]) => v !== undefined)
        .map(([k]) => k);
      if (changed.length === 0) throw new CliError("nothing to change (see --help)");
      return done(ctx, store.updateGroup(name, patch), "group.set", name, { changed });
    }
    case "remove": {
      const { positionals } = parseFlags(rest, {});
      const name = onePositional(positionals, "group name");
      return done(ctx, store.removeGroup(name), "group.remove", name);
    }
    case "list": {
      const { values } = parseFlags(rest, { json: { type: "boolean" } });
      const rows = store.listGroups();
      if (values.json) ctx.out(JSON.stringify(rows));
      else
        for (const l of table(rows as unknown as Record<string, unknown>[], [
          "name",
          "tacacs_secret_set",
          "radius_secret_set",
          "proxy_network",
          "devices",
        ]))
          ctx.out(l);
      return 0;
    }
    default:
      throw new CliError(`unknown action "group ${verb}": use add, set, list or remove`);
  }
};

export const deviceCommand: CliCommand = (args, ctx) => {
  const store = new DeviceStore(ctx.store.sqlite);
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
      return done(
        ctx,
        store.addDevice({ name, network, group, enabled: !values.disabled }),
        "device.add",
        name,
        { network, group },
      );
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
      const changed = Object.entries(patch)
        .filter(([, v]) => v !== undefined)
        .map(([k]) => k);
      if (changed.length === 0) throw new CliError("nothing to change (see --help)");
      return done(ctx, store.updateDevice(name, patch), "device.set", name, { changed });
    }
    case "remove": {
      const { positionals } = parseFlags(rest, {});
      const name = onePositional(positionals, "device name");
      return done(ctx, store.removeDevice(name), "device.remove", name);
    }
    case "list": {
      const { values } = parseFlags(rest, { json: { type: "boolean" } });
      const rows = store.listDevices();
      if (values.json) ctx.out(JSON.stringify(rows));
      else
        for (const l of table(rows as unknown as Record<string, unknown>[], [
          "name",
          "network",
          "group",
          "enabled",
          "auto_registered",
        ]))
          ctx.out(l);
      return 0;
    }
    default:
      throw new CliError(`unknown action "device ${verb}": use add, set, list or remove`);
  }
};

export const proxyCommand: CliCommand = (args, ctx) => {
  const store = new DeviceStore(ctx.store.sqlite);
  const [verb, rest] = sub(args);
  switch (verb) {
    case "add": {
      const { values, positionals } = parseFlags(rest, {
        network: { type: "string" },
        description: { type: "string" },
      });
      const name = onePositional(positionals, "proxy name");
      const network = requireFlag(values.network, "--network");
      return done(
        ctx,
        store.addProxy({ name, network, description: values.description }),
        "proxy.add",
        name,
        { network },
      );
    }
    case "remove": {
      const { positionals } = parseFlags(rest, {});
      const name = onePositional(positionals, "proxy name");
      return done(ctx, store.removeProxy(name), "proxy.remove", name);
    }
    case "list": {
      const { values } = parseFlags(rest, { json: { type: "boolean" } });
      const rows = store.listProxies();
      if (values.json) ctx.out(JSON.stringify(rows));
      else
        for (const l of table(rows as unknown as Record<string, unknown>[], [
          "name",
          "network",
          "description",
        ]))
          ctx.out(l);
      return 0;
    }
    default:
      throw new CliError(`unknown action "proxy ${verb}": use add, list or remove`);
  }
};
