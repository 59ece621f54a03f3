// A/B benchmark of two built binaries (a script, not a test): the same operator configuration,
// the same workloads, interleaved rounds, each round's ratio B/A. For "does this change regress?"
// on a shared, noisy VM, where only side-by-side figures from one sitting mean anything.
//
//   bun bench/ab.ts A=path/to/aaa-proxy B=path/to/aaa-proxy [--seconds 8] [--rounds 3] [--million]
//
// Each binary runs as an operator would run it (`aaa-proxy --config aaa.toml`, a SQLite store set
// up through its own CLI), pinned to CPU 1; aaaload (../shared/tools/aaaload, built with make) is
// pinned to CPU 0, and so is the RADIUS proxy's home server (`aaaload radius-echo`). Workloads:
//   pap      RADIUS PAP Access-Request with Message-Authenticator, window 64 (credential cache hits)
//   acct     RADIUS Accounting Start/Stop, window 64 (every record committed and fdatasync'ed)
//   proxy    RADIUS PAP for user@bench.example, proxied to the home server, window 64
//   tac-sc   TACACS+ PAP, single-connect, 16 connections
//   tac-cps  TACACS+ PAP, a connection per session, 16 at once
// Per workload: throughput, p99, RSS, and the server's CPU time per answered request (utime +
// stime from /proc/PID/stat over the run): the steadier figure when other work shares the VM.
// With --million: 1,000,000 PAP requests per binary, RSS before and after (flat = no leak).
// Every run is bounded (--duration/--count and --max-time); every process is stopped by its PID.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { buildAaaload, cli, waitHealthy } from "./binary-harness.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: "string", default: "8" },
    rounds: { type: "string", default: "3" },
    million: { type: "boolean", default: false },
  },
});
const bins: Record<string, string> = {};
for (const p of positionals) {
  const m = /^(\w+)=(.+)$/.exec(p);
  if (!m) throw new Error(`expected NAME=BINARY, got ${p}`);
  bins[m[1]!] = resolve(m[2]!);
}
const names = Object.keys(bins);
if (names.length !== 2) throw new Error("give exactly two binaries: A=... B=...");
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);

const AALOAD = buildAaaload();

const KEY = "bench-key-0123";
const SECRET = "bench-secret-0123";
const HOME_SECRET = "home-secret-0123";
const PORT_BASE = 21000 + Math.floor(Math.random() * 2000) * 8;
const P = {
  tacacs: PORT_BASE,
  auth: PORT_BASE + 1,
  acct: PORT_BASE + 2,
  http: PORT_BASE + 3,
  home: PORT_BASE + 4,
};

function config(dir: string): string {
  return `[log]
level = "warn"
[store]
path = "${dir}/aaa.sqlite"
[tacacs]
listen = ["127.0.0.1:${P.tacacs}"]
[tacacs.limits]
packets_per_second = 500000
burst = 1000000
[radius]
auth_listen = ["127.0.0.1:${P.auth}"]
acct_listen = ["127.0.0.1:${P.acct}"]
requests_per_second = 500000
burst = 1000000
[[radius.proxy.home_servers]]
name = "home"
address = "127.0.0.1:${P.home}"
type = "auth"
secret_env = "BENCH_HOME_SECRET"
require_message_authenticator = true
status_check = false
max_outstanding = 4096
[[radius.proxy.pools]]
name = "home"
servers = ["home"]
[[radius.proxy.realms]]
name = "bench.example"
match = "suffix"
pool = "home"
[http]
listen = "127.0.0.1:${P.http}"
`;
}

const env = {
  ...process.env,
  BENCH_KEY: KEY,
  BENCH_SECRET: SECRET,
  BENCH_HOME_SECRET: HOME_SECRET,
};

function setup(bin: string, dir: string): string {
  const cfg = join(dir, "aaa.toml");
  writeFileSync(cfg, config(dir));
  cli(bin, cfg, env, [
    "group",
    "add",
    "core",
    "--tacacs-secret-env",
    "BENCH_KEY",
    "--radius-secret-env",
    "BENCH_SECRET",
  ]);
  cli(bin, cfg, env, ["device", "add", "lo", "--network", "127.0.0.0/8", "--group", "core"]);
  cli(bin, cfg, env, ["usergroup", "add", "ops", "--priv-lvl", "15", "--device-group", "core"]);
  cli(
    bin,
    cfg,
    env,
    ["user", "add", "alice", "--password-stdin", "--group", "ops"],
    "alice-pass\n",
  );
  return cfg;
}

/** CPU time (user + system) the process has used, in µs (clock ticks are 10 ms on Linux). */
function cpuMicros(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = f.slice(f.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

type Row = Record<string, string>;
function load(args: string[], maxTime: number): Row {
  const r = Bun.spawnSync([AALOAD, ...args, "--cpu", "0", "-q", "--max-time", String(maxTime)], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const out = r.stdout.toString().trim().split("\n").pop() ?? "";
  const row: Row = {};
  for (const m of out.matchAll(/(\w+)=(\S+)/g)) row[m[1]!] = m[2]!;
  if (row.rps === undefined) throw new Error(`aaaload ${args[0]}: ${out} ${r.stderr.toString()}`);
  return row;
}

const WORKLOADS: Record<string, string[]> = {
  pap: [
    "radius-auth",
    "-t",
    `127.0.0.1:${P.auth}`,
    "-s",
    SECRET,
    "-u",
    "alice",
    "-p",
    "alice-pass",
    "-w",
    "64",
    "--msg-auth",
  ],
  acct: ["radius-acct", "-t", `127.0.0.1:${P.acct}`, "-s", SECRET, "-w", "64"],
  proxy: [
    "radius-auth",
    "-t",
    `127.0.0.1:${P.auth}`,
    "-s",
    SECRET,
    "-u",
    "alice@bench.example",
    "-p",
    "alice-pass",
    "-w",
    "64",
    "--msg-auth",
  ],
  "tac-sc": [
    "tacacs-auth",
    "-t",
    `127.0.0.1:${P.tacacs}`,
    "--key",
    KEY,
    "-u",
    "alice",
    "-p",
    "alice-pass",
    "-c",
    "16",
    "--single-connect",
  ],
  "tac-cps": [
    "tacacs-auth",
    "-t",
    `127.0.0.1:${P.tacacs}`,
    "--key",
    KEY,
    "-u",
    "alice",
    "-p",
    "alice-pass",
    "-c",
    "16",
    "--rst",
  ],
};

interface Result {
  rps: number;
  /** Server CPU per answered request (µs): robust when other work shares the machine. */
  cpu: number;
  p99: number;
  fail: number;
  rss: number;
}

async function runOne(name: string, million: boolean): Promise<Record<string, Result>> {
  const bin = bins[name]!;
  const dir = mkdtempSync(join(tmpdir(), `ab-${name}-`));
  const cfg = setup(bin, dir);
  const home = Bun.spawn(
    [
      AALOAD,
      "radius-echo",
      "-t",
      `127.0.0.1:${P.home}`,
      "-s",
      HOME_SECRET,
      "--cpu",
      "0",
      "--max-time",
      "900",
    ],
    { stdout: "ignore", stderr: "ignore" },
  );
  const server = Bun.spawn(["taskset", "-c", "1", bin, "--config", cfg], {
    env,
    stdout: "ignore",
    stderr: "pipe",
  });
  const out: Record<string, Result> = {};
  try {
    await waitHealthy(P.http);
    // Warm-up: the credential cache, the JIT, the first WAL pages.
    for (const w of ["pap", "acct", "proxy", "tac-sc"]) load([...WORKLOADS[w]!, "-d", "1"], 30);
    for (const [w, args] of Object.entries(WORKLOADS)) {
      const cpu0 = cpuMicros(server.pid);
      const row = load([...args, "-d", String(SECONDS)], SECONDS + 30);
      const used = cpuMicros(server.pid) - cpu0;
      out[w] = {
        rps: Number(row.rps),
        cpu: used / Math.max(1, Number(row.ok ?? 0)),
        p99: Number(row.p99_us),
        fail: Number(row.fail ?? 0) + Number(row.timeout ?? 0),
        rss: rss(server.pid),
      };
    }
    if (million) {
      const before = rss(server.pid);
      load([...WORKLOADS.pap!, "-n", "1000000"], 300);
      const after = rss(server.pid);
      out["million-pap"] = { rps: 0, cpu: 0, p99: 0, fail: 0, rss: after };
      console.log(`${name}: RSS over 1,000,000 PAP: ${before} -> ${after} MiB`);
    }
  } finally {
    server.kill("SIGTERM");
    home.kill("SIGTERM");
    await Promise.race([server.exited, Bun.sleep(15_000)]);
    server.kill("SIGKILL");
    await home.exited;
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

const [A, B] = names as [string, string];
const rounds: Array<Record<string, Record<string, Result>>> = [];
for (let r = 0; r < ROUNDS; r++) {
  // Alternate which binary goes first, so drift within a round does not favour one.
  const order = r % 2 === 0 ? [A, B] : [B, A];
  const res: Record<string, Record<string, Result>> = {};
  for (const n of order) res[n] = await runOne(n, values.million && r === ROUNDS - 1);
  rounds.push(res);
  console.log(`round ${r + 1} (${order.join(" then ")}):`);
  for (const w of Object.keys(WORKLOADS)) {
    const a = res[A]![w]!;
    const b = res[B]![w]!;
    console.log(
      `  ${w.padEnd(8)} ${A} ${a.rps.toFixed(0).padStart(7)}/s p99 ${String(a.p99).padStart(6)} µs fail ${a.fail} rss ${a.rss} MiB cpu ${a.cpu.toFixed(1)} µs | ` +
        `${B} ${b.rps.toFixed(0).padStart(7)}/s p99 ${String(b.p99).padStart(6)} µs fail ${b.fail} rss ${b.rss} MiB cpu ${b.cpu.toFixed(1)} µs | ${B}/${A} ${(b.rps / a.rps).toFixed(3)} cpu ${(b.cpu / a.cpu).toFixed(3)}`,
    );
  }
}
console.log(`\n${new Date().toISOString().slice(0, 10)} ratios ${B}/${A} per round, median:`);
for (const w of Object.keys(WORKLOADS)) {
  const ratios = rounds.map((r) => r[B]![w]!.rps / r[A]![w]!.rps);
  const sorted = [...ratios].sort((x, y) => x - y);
  const cpu = rounds.map((r) => r[B]![w]!.cpu / r[A]![w]!.cpu).sort((x, y) => x - y);
  console.log(
    `  ${w.padEnd(8)} ${ratios.map((x) => x.toFixed(3)).join(" / ")}  median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(3)}; server CPU per request ${B}/${A} median ${cpu[Math.floor(cpu.length / 2)]!.toFixed(3)}`,
  );
}
