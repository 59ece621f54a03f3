// `import csv users FILE`: header username,password[,groups][,enable_secret][,expires], groups
// separated by ";". The admin service checks every row before any hashing, hashes, and writes all
// users with one transaction; this file only reads the CSV into rows.
import { basename } from "node:path";
import { cell, parseCsvTable } from "./csv.ts";
import { csvOrFail, fromImport, progressOf, readFile, type ImportContext } from "./import-util.ts";

export async function csvUsers(file: string, ctx: ImportContext): Promise<string> {
  const t = csvOrFail(
    parseCsvTable(
      await readFile(file),
      ["username", "password"],
      ["groups", "enable_secret", "expires"],
    ),
  );
  const rows = t.rows.map((r) => ({
    line: r.line,
    username: cell(t, r, "username").trim(),
    // Passwords are taken exactly as written: spaces may be part of them.
    password: cell(t, r, "password"),
    enableSecret: cell(t, r, "enable_secret"),
    groups: cell(t, r, "groups")
      .split(";")
      .map((g) => g.trim())
      .filter((g) => g !== ""),
    expires: cell(t, r, "expires"),
  }));
  const progress = progressOf(ctx, rows.length);
  const r = fromImport(await ctx.admin.imports.users(ctx.actor, basename(file), rows, progress));
  return `imported ${r.users} users`;
}
