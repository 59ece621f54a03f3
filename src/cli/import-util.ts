// Shared by the import commands: the context (with an optional progress sink), reading the
// input file with a size bound, and the row error that carries the line to report.
import { readFile as nodeReadFile, stat } from "node:fs/promises";
import type { ImportResult } from "../admin/imports.ts";
import { CliError, type CliContext } from "./context.ts";
import type { CsvResult } from "./csv.ts";

/** A refused input row: reported as FILE:LINE: message, and nothing is imported. */
export class RowError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ImportContext extends CliContext {
  /** Progress sink (tests); default: a self-overwriting line on stderr when it is a terminal. */
  progress?: (done: number, total: number, what: string) => void;
}

/** Fewer rows than this finish too fast for a progress line to help. */
const PROGRESS_MIN_ROWS = 50;
/** An import file is a list, not a database dump; refuse anything larger than this. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

export function progressOf(
  ctx: ImportContext,
  total: number,
): (done: number, what: string) => void {
  if (ctx.progress) return (done, what) => ctx.progress!(done, total, what);
  if (!process.stderr.isTTY || total < PROGRESS_MIN_ROWS) return () => {};
  const step = Math.max(1, Math.floor(total / 100));
  return (done, what) => {
    if (done % step !== 0 && done !== total) return;
    process.stderr.write(`\r\x1b[K${what} ${done}/${total}${done === total ? "\n" : ""}`);
  };
}

export async function readFile(file: string): Promise<string> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    throw new CliError(`${file}: no such file`);
  }
  if (size > MAX_FILE_BYTES) throw new CliError(`${file}: larger than ${MAX_FILE_BYTES} bytes`);
  return nodeReadFile(file, "utf8");
}

export function csvOrFail<T>(r: CsvResult<T>): T {
  if (!r.ok) throw new RowError(r.line, r.message);
  return r.value;
}

/** A refused row becomes FILE:LINE: reason; a write the store refused, FILE: the store refused… */
export class StoreRefused extends Error {}

export function fromImport<T>(r: ImportResult<T>): T {
  if (r.ok) return r.value;
  const message = r.detail ?? r.code;
  if (r.line !== undefined) throw new RowError(r.line, message);
  throw new StoreRefused(message);
}
