// `aaa-proxy policy test --user U --device-ip IP [--proxy-ip IP] [--password P | --password-stdin]
//  [--command "show run"] [--priv-lvl N] [--json]` — the offline tracer: resolves the device, then runs
// the same policy functions the engines use, printing the decision, its reason code and the rule that
// made it. No socket is opened; the only side effect is the in-memory lockout/cache of this process.
import { normalizeIp } from "../lib/ip.ts";
import { traceAccess, traceCommand } from "../policy/trace.ts";
import { CliError } from "./context.ts";
import { dispatch, int, parse, secretArg, type PolicyCliContext } from "./cli-util.ts";

const TEST =
  'policy test --user U --device-ip IP [--proxy-ip IP] [--password P | --password-stdin] [--command "show run"] [--priv-lvl N] [--json]';

async function test(args: string[], ctx: PolicyCliContext): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      user: { type: "string" },
      "device-ip": { type: "string" },
      "proxy-ip": { type: "string" },
      password: { type: "string" },
      "password-stdin": { type: "boolean" },
      command: { type: "string" },
      "priv-lvl": { type: "string" },
      json: { type: "boolean" },
    },
    TEST,
  );
  if (positionals.length > 0)
    throw new CliError(`unexpected argument "${positionals[0]}" (usage: ${TEST})`);
  if (values.user === undefined || values["device-ip"] === undefined)
    throw new CliError(`--user and --device-ip are required (usage: ${TEST})`);
  const ip = normalizeIp(values["device-ip"]);
  if (ip === null) throw new CliError(`--device-ip: not an IP address: "${values["device-ip"]}"`);
  const proxy = values["proxy-ip"] === undefined ? null : normalizeIp(values["proxy-ip"]);
  if (values["proxy-ip"] !== undefined && proxy === null)
    throw new CliError(`--proxy-ip: not an IP address: "${values["proxy-ip"]}"`);
  if (ctx.resolveDevice === undefined)
    throw new CliError("no device resolver available (the CLI must pass the device index)");
  const device = ctx.resolveDevice(ip, proxy);
  if (device === null)
    throw new CliError(
      `no device matches ${ip}${proxy === null ? "" : ` via proxy ${proxy}`}: a real request would be dropped`,
    );
  const password = await secretArg(values, ctx);
  const privLvl = int(values["priv-lvl"], "--priv-lvl");
  if (privLvl !== undefined && (privLvl < 0 || privLvl > 15))
    throw new CliError("--priv-lvl must be 0..15");

  if (ctx.tracer === undefined)
    throw new CliError("no policy available (the CLI must pass the store's policy)");
  const { policy, snapshot, defaultCommandAction } = ctx.tracer();
  const now = Date.now();
  const access = traceAccess(snapshot(), values.user, device, now);
  const report: Record<string, unknown> = {
    user: access.user,
    known: access.known,
    device: {
      name: device.deviceName,
      group: device.groupName,
      clientIp: ip,
      proxyIp: proxy,
    },
    userGroups: access.userGroups,
    privLvl: access.privLvl,
    access: access.state === null ? "permitted" : access.state.reason,
    shellAv: access.shellAv,
  };
  let allowed = access.state === null;
  if (password !== undefined) {
    const d = await policy.authenticatePassword({
      username: values.user,
      password,
      clientIp: ip,
      device,
    });
    report.authentication = d.reason;
    allowed &&= d.allow;
  }
  if (values.command !== undefined) {
    const words = values.command.trim().split(/\s+/);
    const t = traceCommand(
      snapshot(),
      {
        username: values.user,
        device,
        cmd: words[0] ?? "",
        args: words.slice(1),
        privLvl: privLvl ?? access.privLvl,
      },
      defaultCommandAction,
      now,
    );
    report.command = {
      line: t.line,
      decision: t.decision.allow ? "permit" : "deny",
      reason: t.decision.reason,
      rule: t.decision.rule ?? null,
      steps: t.steps,
    };
    allowed &&= t.decision.allow;
  }
  if (values.json) {
    ctx.out(JSON.stringify(report));
    return 0;
  }
  ctx.out(
    `user ${access.user}${access.known ? "" : " (unknown)"} on device ${device.deviceName} (group ${device.groupName}) from ${ip}${proxy === null ? "" : ` via ${proxy}`}`,
  );
  ctx.out(`  user groups: ${access.userGroups.join(", ") || "-"}; priv-lvl ${access.privLvl}`);
  ctx.out(
    `  access: ${report.access}${access.shellAv.length > 0 ? `; shell AV: ${access.shellAv.join(" ")}` : ""}`,
  );
  if (report.authentication !== undefined) ctx.out(`  authentication: ${report.authentication}`);
  if (values.command !== undefined) {
    const c = report.command as {
      line: string;
      decision: string;
      reason: string;
      rule: string | null;
      steps: { rule: string; position: number; verdict: string }[];
    };
    for (const s of c.steps) ctx.out(`    rule ${s.position} ${s.rule}: ${s.verdict}`);
    ctx.out(
      `  command "${c.line}": ${c.decision} (${c.reason})${c.rule === null ? "" : ` by rule ${c.rule}`}`,
    );
  }
  ctx.out(`result: ${allowed ? "PERMIT" : "DENY"}`);
  return 0;
}

export const policyCommand = dispatch("policy", { test });
