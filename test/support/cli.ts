// Runs the real entry point (src/main.ts, or the built binary) as a child process.
import { join } from "node:path";

export const ROOT = join(import.meta.dir, "..", "..");
export const MAIN = join(ROOT, "src", "main.ts");

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function runMain(
  args: string[],
  opts: { cwd?: string; bin?: string; stdin?: string; env?: Record<string, string> } = {},
): Run {
  const cmd = opts.bin ? [opts.bin, ...args] : [process.execPath, MAIN, ...args];
  const r = Bun.spawnSync(cmd, {
    cwd: opts.cwd ?? ROOT,
    stdin: opts.stdin !== undefined ? new TextEncoder().encode(opts.stdin) : "ignore",
    env: { ...process.env, ...opts.env },
    timeout: 30_000,
  });
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}
