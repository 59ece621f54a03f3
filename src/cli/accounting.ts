// `aaa-proxy accounting list [--since ISO|1h] [--until ISO|1h] [--user U] [--device D] [--protocol P] [--limit N] [--offset N] [--json]`.
import { ACCOUNTING_MAX_PAGE as MAX_PAGE } from "../admin/ports.ts";
import { parseAge } from "../admin/validate.ts";
import { CliError } from "./context.ts";
import { dispatch, int, parse, type PolicyCliContext } from "./cli-util.ts";

const LIST =
  "accounting list [--since ISO|1h] [--until ISO|1h] [--user U] [--device D] [--protocol tacacs|radius] [--limit N] [--offset N] [--json]";

/** An ISO 8601 time, or a duration ("90m", "1h", "7d") meaning that long before now. */
export function parseTimeArg(s: string | undefined, what: string, now: number): number | undefined {
  if (s === undefined) return undefined;
  const d = parseAge(s);
  if (d !== null) return now - d;
  const t = /^\d{4}-\d{2}-\d{2}/.test(s) ? Date.parse(s) : NaN;
  if (Number.isNaN(t))
    throw new CliError(`${what} must be an ISO 8601 time or a duration like 1h, got "${s}"`);
  return t;
}

function list(args: string[], ctx: PolicyCliContext): number {
  const { values, positionals } = parse(
    args,
    {
      since: { type: "string" },
      until: { type: "string" },
      user: { type: "string" },
      device: { type: "string" },
      protocol: { type: "string" },
      limit: { type: "string" },
      offset: { type: "string" },
      json: { type: "boolean" },
    },
    LIST,
  );
  if (positionals.length > 0)
    throw new CliError(`unexpected argument "${positionals[0]}" (usage: ${LIST})`);
  const now = Date.now();
  const since = parseTimeArg(values.since, "--since", now);
  const until = parseTimeArg(values.until, "--until", now);
  const p = values.protocol;
  if (p !== undefined && p !== "tacacs" && p !== "radius")
    throw new CliError('--protocol must be "tacacs" or "radius"');
  const limit = int(values.limit, "--limit") ?? 100;
  if (limit < 1 || limit > MAX_PAGE) throw new CliError(`--limit must be 1..${MAX_PAGE}`);
  const offset = int(values.offset, "--offset") ?? 0;
  if (offset < 0) throw new CliError("--offset must not be negative");
  const rows = ctx.admin.accounting({
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
    ...(values.user === undefined ? {} : { user: values.user }),
    ...(values.device === undefined ? {} : { device: values.device }),
    ...(p === undefined ? {} : { protocol: p }),
    limit,
    offset,
  });
  if (values.json) {
    ctx.out(JSON.stringify(rows));
    return 0;
  }
  for (const r of rows) {
    ctx.out(
      `${new Date(r.time).toISOString()}\t${r.protocol}\t${r.recordType}\t${r.username || "-"}\t${r.device ?? "-"}\t${r.clientIp}\tsession=${r.sessionId}\t${JSON.stringify(r.attributes)}`,
    );
  }
  return 0;
}

export const accountingCommand = dispatch("accounting", { list });
