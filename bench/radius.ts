// RADIUS benchmark (a script, not a test): `bun bench/radius.ts [seconds] [--million]`.
// Side by side in one run, each server pinned to CPU 1 with taskset, the load generator
// (../shared/tools/aaaload, compiled into /tmp) pinned to CPU 0:
//   ours      bench/radius-server.ts (temporary store, Message-Authenticator required, accounting
//             committed with synchronous=FULL before each Accounting-Response; default 2 ms group commit)
//   FreeRADIUS 3.2 (Debian freeradius) via test/support/freeradius.ts, twice:
//     "FreeRADIUS stock"   Debian's shipped configuration (a copy of /etc/freeradius/3.0: every
//                          stock module and policy) with a users file holding the same user — the
//                          baseline the issue describes ("Debian freeradius, a users file with the
//                          same user"); accounting through preacct (preprocess, acct_unique, suffix,
//                          files) and accounting (detail per client and day, unix radwtmp, exec,
//                          attr_filter), files written, not fsynced, before the response
//     "FreeRADIUS minimal" a hand-trimmed configuration: authorize chap, files, pap; accounting only
//                          the detail file (locking off), preacct ok — the fastest FreeRADIUS we
//                          know how to configure for these two workloads, a stricter comparison
// Workloads: PAP Access-Request with Message-Authenticator, window 64; Accounting Start/Stop, window 64.
// Runs --rounds=N (default 3) interleaved rounds and reports each round's ratio and the median.
// Reports rps, p50/p99 latency, RSS (VmRSS) after each run, the server's CPU time per request (from
// /proc/PID/stat over a counted run of 100,000: robust when other work shares the machine), the
// ratios ours/FreeRADIUS, and with
// --million the RSS of our server before and after 1,000,000 PAP requests, then 1,000,000 accounting
// requests (flat = no leak).
// Every run is bounded (aaaload --duration/--count and --max-time); every process is stopped in finally.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startFreeradius, type FreeradiusServer } from "../test/support/freeradius.ts";

const SECRET = "bench-s3cret";
const USER = "alice";
const PASS = "alice-pass";
const seconds = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 10);
const million = process.argv.includes("--million");
/** Rounds of the four runs, interleaved: this VM's speed drifts by ±30 % over minutes, so one pair
 *  of runs can mislead; the summary reports each round's ratio and their median. */
const rounds = Number(process.argv.find((a) => a.startsWith("--rounds="))?.slice(9) ?? 3);
const commitDelay =
  process.argv.find((a) => a.startsWith("--commit-delay="))?.slice("--commit-delay=".length) ??
  "0ms";
const AAALOAD_SRC = join(import.meta.dir, "..", "..", "shared", "tools", "aaaload");
const AAALOAD = "/tmp/aaaload-bench";

function buildLoadGenerator(): void {
  if (!existsSync(AAALOAD_SRC))
    throw new Error(`load generator sources not found at ${AAALOAD_SRC}`);
  const srcs = ["main.c", "md5.c", "radius.c", "tacacs.c", "tls.c", "util.c"].map((f) =>
    join(AAALOAD_SRC, f),
  );
  const r = Bun.spawnSync({
    cmd: ["cc", "-O2", "-std=gnu11", "-o", AAALOAD, ...srcs, "-lssl", "-lcrypto"],
    stderr: "pipe",
    timeout: 120_000,
  });
  if (r.exitCode !== 0) throw new Error(`cc failed: ${r.stderr.toString()}`);
}

/** utime + stime of a process (all threads), in µs: CPU cost per request survives a noisy machine. */
const cpuUs = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(f[11]) + Number(f[12])) * (1e6 / 100);
};

const rssKb = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : NaN;
};

type Line = Record<string, string>;
async function load(args: string[]): Promise<Line> {
  const p = Bun.spawn({
    cmd: [AAALOAD, ...args, "-s", SECRET, "--cpu", "0", "-q", "--max-time", "300"],
    stdout: "pipe",
    stderr: "pipe",
    timeout: 320_000,
  });
  const out = await new Response(p.stdout).text();
  await p.exited;
  return Object.fromEntries(
    out
      .trim()
      .split(/\s+/)
      .map((kv) => kv.split("=") as [string, string]),
  );
}

async function startOurs(): Promise<{
  auth: number;
  acct: number;
  pid: number;
  stop(): Promise<string>;
}> {
  const p = Bun.spawn({
    cmd: [
      "taskset",
      "-c",
      "1",
      process.execPath,
      join(import.meta.dir, "radius-server.ts"),
      SECRET,
      USER,
      PASS,
      commitDelay,
    ],
    stdout: "pipe",
    stderr: "pipe",
  });
  const reader = p.stdout.getReader();
  let text = "";
  const deadline = Date.now() + 20_000;
  while (!text.includes("\n") && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  if (!text.includes("\n")) {
    p.kill("SIGKILL");
    throw new Error(`our server did not start: ${await new Response(p.stderr).text()}`);
  }
  const info = JSON.parse(text.split("\n")[0]!) as {
    auth: number;
    acct: number;
    pid: number;
  };
  return {
    ...info,
    pid: p.pid, // taskset execs bun: same pid
    async stop() {
      p.kill("SIGTERM");
      const t = setTimeout(() => p.kill("SIGKILL"), 5_000);
      const err = await new Response(p.stderr).text();
      await p.exited;
      clearTimeout(t);
      return err.trim().split("\n").pop() ?? "";
    },
  };
}

interface Row {
  round: number;
  server: string;
  workload: string;
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  bad: number;
  timeout: number;
  rss: number;
  cpuPerReq: number;
}
const rows: Row[] = [];
/** Throughput run (duration), then a counted run measuring the server's CPU time per request. */
async function measure(
  server: string,
  workload: string,
  pid: number,
  args: string[],
): Promise<Row> {
  const l = await load(args);
  const rss = rssKb(pid);
  const counted = args.slice(0, args.indexOf("-d")).concat(["-n", String(CPU_SAMPLE)]);
  const c0 = cpuUs(pid);
  const lc = await load(counted);
  const cpuPerReq = (cpuUs(pid) - c0) / Math.max(1, Number(lc.ok) + Number(lc.fail));
  return row(server, workload, l, rss, cpuPerReq);
}
const CPU_SAMPLE = 100_000;
let round = 0;

const row = (server: string, workload: string, l: Line, rss: number, cpuPerReq: number): Row => {
  const r = {
    round,
    server,
    workload,
    rps: Number(l.rps),
    p50: Number(l.p50_us),
    p99: Number(l.p99_us),
    ok: Number(l.ok),
    bad: Number(l.bad),
    timeout: Number(l.timeout),
    rss,
    cpuPerReq,
  };
  rows.push(r);
  console.error(JSON.stringify({ ...r, loader_cpu_pct: l.loader_cpu_pct }));
  return r;
};

buildLoadGenerator();
const pap = (port: number) => [
  "radius-auth",
  "-t",
  `127.0.0.1:${port}`,
  "-u",
  USER,
  "-p",
  PASS,
  "-w",
  "64",
  "--msg-auth",
  "-d",
  String(seconds),
  "--warmup",
  "2",
];
const acct = (port: number) => [
  "radius-acct",
  "-t",
  `127.0.0.1:${port}`,
  "-w",
  "64",
  "-d",
  String(seconds),
  "--warmup",
  "2",
];

let ours: Awaited<ReturnType<typeof startOurs>> | null = null;
/** The two FreeRADIUS configurations, each its own process (started once, measured every round). */
const FR = ["FreeRADIUS stock", "FreeRADIUS minimal"] as const;
const frs: FreeradiusServer[] = [];
let oursSummary = "";
const millionResults: Array<{ workload: string; before: number; after: number; line: Line }> = [];
try {
  ours = await startOurs();
  for (const name of FR)
    frs.push(
      await startFreeradius({
        clients: [
          {
            ipaddr: "127.0.0.1",
            secret: SECRET,
            requireMessageAuthenticator: true,
          },
        ],
        users: [{ name: USER, password: PASS }],
        taskset: "1",
        stock: name === "FreeRADIUS stock",
      }),
    );
  // One request each first: our credential cache is cold until the first argon2id verify completes,
  // and 64 concurrent first requests would each pay one (~100 ms of CPU at 64 MiB each) — a start-up
  // cost, not the steady state this measures (the policy does not coalesce concurrent misses yet).
  for (const port of [ours.auth, ...frs.map((f) => f.authPort)])
    await load([
      "radius-auth",
      "-t",
      `127.0.0.1:${port}`,
      "-u",
      USER,
      "-p",
      PASS,
      "-w",
      "1",
      "--msg-auth",
      "-n",
      "1",
    ]);
  // Interleaved so that background load on the machine hits both alike.
  for (round = 1; round <= rounds; round++) {
    await measure("ours", "PAP", ours.pid, pap(ours.auth));
    for (const [i, f] of frs.entries()) await measure(FR[i]!, "PAP", f.pid, pap(f.authPort));
    await measure("ours", "accounting", ours.pid, acct(ours.acct));
    for (const [i, f] of frs.entries())
      await measure(FR[i]!, "accounting", f.pid, acct(f.acctPort));
  }
  if (million)
    for (const [workload, args] of [
      ["PAP", pap(ours.auth)],
      ["accounting", acct(ours.acct)],
    ] as const) {
      const before = rssKb(ours.pid);
      const counted = args.slice(0, args.indexOf("-d")).concat(["-n", "1000000"]);
      const line = await load(counted);
      millionResults.push({ workload, before, after: rssKb(ours.pid), line });
    }
} finally {
  if (ours) oursSummary = await ours.stop();
  for (const f of frs) await f.close();
}

const get = (s: string, w: string, n: number) =>
  rows.find((r) => r.server === s && r.workload === w && r.round === n)!;
const median = (xs: number[]): number => {
  const v = [...xs].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
};
const out: string[] = [];
out.push(
  `RADIUS benchmark ${new Date().toISOString()} — ${rounds} rounds, ${seconds} s per run after 2 s warm-up, window 64, servers on CPU 1, aaaload on CPU 0`,
);
out.push(
  "| round | server | workload | req/s | p50 µs | p99 µs | ok | timeouts | bad | RSS MB | CPU µs/req |",
);
out.push("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const r of rows)
  out.push(
    `| ${r.round} | ${r.server} | ${r.workload} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(0)} | ${r.p99.toFixed(0)} | ${r.ok} | ${r.timeout} | ${r.bad} | ${(r.rss / 1024).toFixed(0)} | ${r.cpuPerReq.toFixed(1)} |`,
  );
for (const w of ["PAP", "accounting"])
  for (const name of FR) {
    const pairs = Array.from({ length: rounds }, (_, i) => ({
      a: get("ours", w, i + 1),
      b: get(name, w, i + 1),
    }));
    const tp = pairs.map(({ a, b }) => a.rps / b.rps);
    const p99 = pairs.map(({ a, b }) => a.p99 / b.p99);
    out.push(
      `${w}: ours/${name} throughput ${tp.map((x) => x.toFixed(2)).join(" / ")} (median ${median(tp).toFixed(2)}×); ` +
        `p99 ${p99.map((x) => x.toFixed(2)).join(" / ")} (median ${median(p99).toFixed(2)}×); ` +
        `median req/s ours ${median(pairs.map((p) => p.a.rps)).toFixed(0)}, ${name} ${median(pairs.map((p) => p.b.rps)).toFixed(0)}`,
    );
  }
for (const m of millionResults) {
  const l = m.line;
  out.push(
    `1,000,000 ${m.workload} requests: ok=${l.ok} timeout=${l.timeout} rps=${l.rps}; our RSS ${(m.before / 1024).toFixed(0)} MB before, ${(m.after / 1024).toFixed(0)} MB after`,
  );
}
out.push(`our server at exit: ${oursSummary}`);
console.log(out.join("\n"));
