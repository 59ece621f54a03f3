// Run a real HAProxy (Debian package `haproxy`) for interop and end-to-end tests.
//   const hap = await startHaproxy(cfg, { waitForListeners: [{ host: "127.0.0.1", port }] });
//   ... finally { await hap.stop(); }
// The config is validated with `haproxy -c` first so a typo fails with HAProxy's own message, then
// HAProxy runs in the foreground (-db) as our child. Readiness is read from /proc/net/tcp{,6} rather
// than by connecting, because a probe connection would itself be forwarded (with a PROXY header) to
// the backend under test. stop() always ends the process: SIGTERM, then SIGKILL after a grace period.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

export interface Listener {
  host: string;
  port: number;
}

export interface HaproxyOptions {
  /** Wait until HAProxy listens on these (bind lines of the config). */
  waitForListeners?: Listener[];
  /** Start-up bound, default 5 s. */
  timeoutMs?: number;
}

export interface Haproxy {
  pid: number;
  configPath: string;
  /** stdout + stderr so far (HAProxy warnings and alerts), for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** The HAProxy binary, or a clear failure naming the Debian package (tests must not skip). */
export function haproxyBinary(): string {
  const bin =
    Bun.which("haproxy") ?? Bun.which("haproxy", { PATH: "/usr/sbin:/usr/local/sbin:/sbin" });
  if (!bin)
    throw new Error(
      "haproxy not found: install the Debian package `haproxy` (apt-get install -y haproxy)",
    );
  return bin;
}

/** `haproxy -v` first line, e.g. "HAProxy version 2.6.12-1+deb12u4 ...". */
export function haproxyVersion(): string {
  const r = Bun.spawnSync([haproxyBinary(), "-v"]);
  return r.stdout.toString().split("\n")[0] ?? "";
}

/** global + defaults for a TCP-mode test instance with short, bounded timeouts. */
export function baseConfig(): string {
  return [
    "global",
    "  maxconn 200",
    "defaults",
    "  mode tcp",
    "  timeout connect 2s",
    "  timeout client 10s",
    "  timeout server 10s",
    "",
  ].join("\n");
}

/** A port that was free a moment ago (bind port 0, read it, close). Prefer port 0 where possible. */
export function freePort(hostname = "127.0.0.1"): number {
  const l = Bun.listen({ hostname, port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

function isListening(l: Listener): boolean {
  const v6 = l.host.includes(":");
  const hexPort = l.port.toString(16).toUpperCase().padStart(4, "0");
  for (const file of v6 ? ["/proc/net/tcp6"] : ["/proc/net/tcp"]) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      return false;
    }
    // Columns: sl local_address rem_address st ...; st 0A = LISTEN.
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === "0A" && cols[1]?.endsWith(`:${hexPort}`)) return true;
    }
  }
  return false;
}

export async function startHaproxy(config: string, options: HaproxyOptions = {}): Promise<Haproxy> {
  const bin = haproxyBinary();
  const dir = mkdtempSync(join(tmpdir(), "aaa-haproxy-"));
  const configPath = join(dir, "haproxy.cfg");
  writeFileSync(configPath, config.endsWith("\n") ? config : `${config}\n`);

  const check = Bun.spawnSync([bin, "-c", "-f", configPath]);
  if (check.exitCode !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `haproxy -c rejected the config:\n${check.stdout}${check.stderr}\n--- config ---\n${config}`,
    );
  }

  let out = "";
  const proc: Subprocess<"ignore", "pipe", "pipe"> = Bun.spawn([bin, "-f", configPath, "-db"], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const pump = async (s: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const chunk of s) out += dec.decode(chunk);
  };
  void pump(proc.stdout);
  void pump(proc.stderr);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    proc.kill("SIGTERM");
    const graceful = await Promise.race([
      proc.exited.then(() => true),
      Bun.sleep(2000).then(() => false),
    ]);
    if (!graceful) {
      proc.kill("SIGKILL");
      await proc.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  const wanted = options.waitForListeners ?? [];
  while (!wanted.every(isListening)) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      const why =
        proc.exitCode !== null ? `exited with ${proc.exitCode}` : "did not start listening in time";
      await stop();
      throw new Error(`haproxy ${why}:\n${out}`);
    }
    await Bun.sleep(20);
  }
  return { pid: proc.pid, configPath, output: () => out, stop };
}
