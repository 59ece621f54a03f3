// TACACS+ PAP benchmark: bench/tacacs-server.ts pinned to CPU 1, the aaaload generator
// (../shared/tools/aaaload, built into a temp dir) pinned to CPU 0. Runs connect-per-session and
// single-connect, then a long single-connect run of AUTHS authentications with RSS read before and
// after (flatness). Every run is bounded (--count / --duration, --max-time).
//
//   bun bench/tacacs.ts [--seconds 10] [--conns 16] [--auths 1000000]
import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "10" },
    conns: { type: "string", default: "16" },
    auths: { type: "string", default: "1000000" },
  },
});
const SRC = join(import.meta.dir, "../../shared/tools/aaaload");
const work = mkdtempSync(join(tmpdir(), "aaaload-"));

function buildLoader(): string {
  if (!existsSync(SRC)) throw new Error(`load generator not found at ${SRC}`);
  cpSync(SRC, join(work, "src"), { recursive: true });
  const r = Bun.spawnSync(["make", "-C", join(work, "src")], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`make aaaload failed: ${r.stderr.toString()}`);
  return join(work, "src", "aaaload");
}

const loader = buildLoader();
const server = Bun.spawn(
  ["taskset", "-c", "1", process.execPath, join(import.meta.dir, "tacacs-server.ts")],
  { stdin: "pipe", stdout: "pipe", stderr: "inherit" },
);
const reader = server.stdout.getReader();
let buffered = "";
async function line(prefix: string): Promise<string> {
  const dec = new TextDecoder();
  const until = Date.now() + 30_000;
  for (;;) {
    const i = buffered.indexOf("\n");
    if (i >= 0) {
      const l = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      if (l.startsWith(prefix)) return l.slice(prefix.length).trim();
      continue;
    }
    if (Date.now() > until) throw new Error(`server did not print ${prefix}`);
    const { value, done } = await reader.read();
    if (done) throw new Error("server exited");
    buffered += dec.decode(value);
  }
}
const rss = async (): Promise<number> => {
  server.stdin.write("rss\n");
  server.stdin.flush();
  return Number(await line("RSS "));
};

function load(args: string[]): Record<string, string> {
  const r = Bun.spawnSync(
    [loader, "tacacs-auth", ...args, "--cpu", "0", "-q", "--max-time", "300"],
    { stdout: "pipe", stderr: "pipe" },
  );
  const out = r.stdout.toString().trim();
  if (r.exitCode !== 0 && out === "") throw new Error(`aaaload failed: ${r.stderr.toString()}`);
  return Object.fromEntries(out.split(/\s+/).map((kv) => kv.split("=") as [string, string]));
}

try {
  const port = await line("READY ");
  const common = [
    "-t",
    `127.0.0.1:${port}`,
    "--key",
    "bench-key",
    "-u",
    "alice",
    "-p",
    "alice-pass",
    "-c",
    values.conns!,
  ];
  // Warm-up: one connection first, so exactly one PAP runs argon2 (16 concurrent cold verifies of
  // 64 MiB each would only measure argon2); then the credential cache answers.
  // aaaload in --count mode waits out its --max-time after the last reply, so every run here is a
  // --duration run.
  load([
    "-t",
    `127.0.0.1:${port}`,
    "--key",
    "bench-key",
    "-u",
    "alice",
    "-p",
    "alice-pass",
    "-c",
    "1",
    "-d",
    "1",
  ]);
  load([...common, "-d", "1"]);
  const rss0 = await rss();
  const runs: Array<[string, Record<string, string>]> = [
    ["connect-per-session", load([...common, "-d", values.seconds!, "--warmup", "1", "--rst"])],
    [
      "single-connect",
      load([...common, "-d", values.seconds!, "--warmup", "1", "--single-connect"]),
    ],
  ];
  const rss1 = await rss();
  // Long enough for AUTHS authentications at the measured single-connect rate (+20 %).
  const rate = Number(runs[1]![1].rps) || 10_000;
  const long = load([
    ...common,
    "-d",
    String(Math.min(280, Math.ceil((Number(values.auths) / rate) * 1.2) + 1)),
    "--single-connect",
  ]);
  const rss2 = await rss();
  runs.push([`single-connect (${long.ok} auths)`, long]);
  console.log(
    `date ${new Date().toISOString()}  bun ${Bun.version}  server taskset -c 1, aaaload --cpu 0, conns ${values.conns}`,
  );
  for (const [name, r] of runs) {
    console.log(
      `${name.padEnd(28)} ok=${r.ok} fail=${r.fail} err=${r.err} bad=${r.bad} timeout=${r.timeout} rps=${r.rps} p50_us=${r.p50_us} p99_us=${r.p99_us} loader_cpu=${r.loader_cpu_pct}%`,
    );
  }
  const mb = (b: number) => (b / 1048576).toFixed(1);
  console.log(
    `RSS after warm-up ${mb(rss0)} MB, after the timed runs ${mb(rss1)} MB, after ${values.auths} more ${mb(rss2)} MB (growth ${(((rss2 - rss1) / rss1) * 100).toFixed(1)} %)`,
  );
} finally {
  server.stdin.write("quit\n");
  server.stdin.end();
  await Promise.race([server.exited, Bun.sleep(3000)]);
  server.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
}
