// `aaa-proxy import freeradius-clients FILE [--group-prefix P]`, `import csv devices|users FILE`,
// `export json [--include-secrets]`.
//
// An import is all or nothing: the whole file is parsed and checked first, then written in ONE
// transaction; the first bad row is reported as `FILE:LINE: reason` on stderr, exit 1, and the
// store is unchanged. Passwords are hashed before the transaction opens (argon2id costs ~65 ms
// each, four at a time), so the write lock is held for milliseconds, not minutes. On a terminal,
// long imports show progress on stderr; every import ends with a summary line on stdout.
import { basename } from "node:path";
import { cell, parseCsvTable } from "./csv.ts";
import { parseClientsConf } from "./freeradius-clients.ts";
import { planClients } from "./import-freeradius.ts";
import { csvUsers } from "./import-users.ts";
import {
  csvOrFail,
  fromImport,
  progressOf,
  readFile,
  RowError,
  StoreRefused,
  type ImportContext,
} from "./import-util.ts";
import { parseFlags } from "./args.ts";
import { CliError, type CliCommand } from "./context.ts";

export type { ImportContext } from "./import-util.ts";

async function freeradiusClients(
  file: string,
  prefix: string,
  ctx: ImportContext,
): Promise<string> {
  const parsed = parseClientsConf(await readFile(file));
  if (!parsed.ok) throw new RowError(parsed.line, parsed.message);
  const existing = new Set(ctx.admin.devices.listGroups().map((g) => g.name));
  const plan = planClients(parsed.clients, prefix, (n) => existing.has(n));
  const groups = plan.groups.map((g) => ({
    line: g.line,
    name: g.name,
    radiusSecret: g.secret,
    requireMessageAuthenticator: g.requireMessageAuthenticator,
    description: `imported from ${basename(file)} (first client ${g.client})`,
  }));
  const progress = progressOf(ctx, plan.devices.length);
  const r = fromImport(
    ctx.admin.imports.clients(ctx.actor, basename(file), groups, plan.devices, progress),
  );
  if (plan.ignored.length > 0)
    ctx.err(
      `note: ${file}: ignored attributes with no aaa-proxy equivalent: ${plan.ignored.join(", ")}`,
    );
  return `imported ${r.devices} devices in ${plan.groups.length} groups`;
}

function parseEnabled(v: string, line: number): boolean {
  const s = v.trim().toLowerCase();
  if (s === "" || s === "yes" || s === "true" || s === "1") return true;
  if (s === "no" || s === "false" || s === "0") return false;
  throw new RowError(line, `enabled must be yes/no/true/false/1/0, got "${v}"`);
}

async function csvDevices(file: string, ctx: ImportContext): Promise<string> {
  const t = csvOrFail(
    parseCsvTable(await readFile(file), ["name", "network", "group"], ["enabled"]),
  );
  const rows = t.rows.map((r) => ({
    line: r.line,
    name: cell(t, r, "name").trim(),
    network: cell(t, r, "network").trim(),
    group: cell(t, r, "group").trim(),
    enabled: parseEnabled(cell(t, r, "enabled"), r.line),
  }));
  const progress = progressOf(ctx, rows.length);
  const r = fromImport(ctx.admin.imports.devices(ctx.actor, basename(file), rows, progress));
  return `imported ${r.devices} devices in ${r.groups} groups`;
}

const IMPORT_USAGE =
  "import freeradius-clients FILE [--group-prefix P] | import csv devices FILE | import csv users FILE";

export const importCommand: CliCommand = async (args, c) => {
  const ctx = c as ImportContext;
  const { values, positionals } = parseFlags(args, {
    "group-prefix": { type: "string" },
  });
  const [kind, ...rest] = positionals;
  let file: string | undefined;
  let run: (file: string) => Promise<string>;
  if (kind === "freeradius-clients" && rest.length === 1) {
    file = rest[0];
    run = (f) => freeradiusClients(f, values["group-prefix"] ?? "freeradius-", ctx);
  } else if (
    kind === "csv" &&
    rest.length === 2 &&
    (rest[0] === "devices" || rest[0] === "users")
  ) {
    if (values["group-prefix"] !== undefined)
      throw new CliError("--group-prefix only applies to freeradius-clients");
    file = rest[1];
    run = (f) => (rest[0] === "devices" ? csvDevices(f, ctx) : csvUsers(f, ctx));
  } else throw new CliError(`usage: ${IMPORT_USAGE}`);
  try {
    ctx.out(await run(file!));
    return 0;
  } catch (e) {
    if (!(e instanceof RowError || e instanceof StoreRefused)) throw e;
    // A write the store refused inside the transaction (the disk is full) rolled it back as well:
    // reported the same way, without a stack trace.
    ctx.err(
      e instanceof RowError
        ? `${file}:${e.line}: ${e.message}`
        : `${file}: the store refused the import: ${e.message}`,
    );
    ctx.err("nothing was imported");
    return 1;
  }
};

export const exportCommand: CliCommand = (args, ctx) => {
  const { values, positionals } = parseFlags(args, {
    "include-secrets": { type: "boolean" },
  });
  if (positionals.length !== 1 || positionals[0] !== "json")
    throw new CliError("usage: export json [--include-secrets]");
  const secrets = values["include-secrets"] === true;
  if (secrets)
    ctx.err(
      "warning: this export contains shared secrets and password hashes; store it like a key",
    );
  ctx.out(JSON.stringify(ctx.admin.exportJson(secrets), null, 2));
  return 0;
};
