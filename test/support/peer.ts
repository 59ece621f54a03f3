// Run an external peer program asynchronously (never spawnSync: the server under test runs in this
// same process and must keep answering), bounded in time, failing loudly when it is not installed.
import { existsSync } from "node:fs";

export interface PeerResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Throws (a test failure, not a skip) naming the Debian package when `binary` is missing. */
export function requireBinary(binary: string, debianPackage: string): void {
  if (!existsSync(binary))
    throw new Error(
      `${binary} not found: install the Debian package ${debianPackage} (apt-get install -y ${debianPackage})`,
    );
}

export async function runPeer(
  cmd: string[],
  o: { stdin?: string; timeoutMs?: number } = {},
): Promise<PeerResult> {
  const p = Bun.spawn({
    cmd,
    stdin: o.stdin === undefined ? "ignore" : new TextEncoder().encode(o.stdin),
    stdout: "pipe",
    stderr: "pipe",
    timeout: o.timeoutMs ?? 15_000,
  });
  const [stdout, stderr] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
  ]);
  const code = await p.exited;
  return { code, stdout, stderr };
}
