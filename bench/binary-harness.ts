// Shared by the benches that drive the built binary (ab.ts, flood.ts): aaaload built from a copy of
// ../shared/tools/aaaload (that folder is read-only), the binary's own admin CLI for the store set-up,
// and a bounded wait for /api/health.
import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Builds aaaload with its own Makefile in a temporary copy; returns the executable's path. */
export function buildAaaload(): string {
  const dir = join(mkdtempSync(join(tmpdir(), "aaaload-")), "src");
  cpSync(join(import.meta.dir, "../../shared/tools/aaaload"), dir, { recursive: true });
  const make = Bun.spawnSync(["make", "-C", dir, "-s"], { stdout: "pipe", stderr: "pipe" });
  if (make.exitCode !== 0) throw new Error(`make aaaload: ${make.stderr.toString()}`);
  return join(dir, "aaaload");
}

/** One admin CLI call of `bin` against `cfg`; a failure stops the bench with the CLI's message. */
export function cli(
  bin: string,
  cfg: string,
  env: Record<string, string | undefined>,
  args: string[],
  stdin?: string,
): void {
  const r = Bun.spawnSync([bin, ...args, "--config", cfg], {
    env,
    stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  if (r.exitCode !== 0) throw new Error(`${args.join(" ")}: ${r.stderr.toString()}`);
}

/** Waits (at most 20 s) until the server's /api/health answers 200. */
export async function waitHealthy(httpPort: number): Promise<void> {
  const until = Date.now() + 20_000;
  while (Date.now() < until) {
    try {
      if ((await fetch(`http://127.0.0.1:${httpPort}/api/health`)).status === 200) return;
    } catch {}
    await Bun.sleep(100);
  }
  throw new Error("server did not become healthy");
}
