// Accounting under an unknown-user PAP flood (a script, not a test; issue 21, defect 1):
//
//   bun bench/flood.ts NAME=path/to/aaa-proxy [NAME=path/to/aaa-proxy] [--seconds 8] [--rounds 2]
//
// Each binary runs as an operator runs it (`aaa-proxy --config aaa.toml`, the store set up through
// its own CLI, the default [policy] and [accounting] settings), not pinned: its argon2 workers and
// its event loop share the machine's two cores as they would in production. aaaload
// (../shared/tools/aaaload, built with make into a temporary copy) is pinned to CPU 0. Per binary
// and round, side by side:
//   quiet    RADIUS Accounting Start/Stop, window 64, for --seconds
//   flood    the same, while bench/flood-sender.ts (pinned to CPU 0) sends PAP for users that do
//            not exist (a distinct name each, Message-Authenticator on) at --flood-rate per second
//            (default 400: over 10x what argon2 verifies here, ~33/s per worker, ~40-60/s on
//            Bun's two pool threads), never retransmitted
// Reported: accounting req/s and p99, how many flood requests were sent and answered
// unanswered, the server's verify-busy refusals (from /metrics, where the binary exports them), and
// how long a known user's first (uncached) login takes 2 s into the flood and right after it (the
// backlog). A login not answered within 10 s shows as NaN.
// Every run is bounded (--duration and --max-time); every process is stopped by its PID.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { buildAaaload, cli, waitHealthy } from "./binary-harness.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: "string", default: "8" },
    rounds: { type: "string", default: "2" },
    "flood-rate": { type: "string", default: "400" },
  },
});
const bins: Array<[string, string]> = positionals.map((p) => {
  const m = /^(\w+)=(.+)$/.exec(p);
  if (!m) throw new Error(`expected NAME=BINARY, got ${p}`);
  return [m[1]!, resolve(m[2]!)];
});
if (bins.length === 0) throw new Error("give at least one binary: NAME=path/to/aaa-proxy");
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);

const AALOAD = buildAaaload();

const SECRET = "bench-secret-0123";
const PORT_BASE = 23000 + Math.floor(Math.random() * 2000) * 4;
const P = { auth: PORT_BASE, acct: PORT_BASE + 1, http: PORT_BASE + 2 };
const env = { ...process.env, BENCH_SECRET: SECRET };

function config(dir: string): string {
  return `[log]
level = "warn"
[store]
path = "${dir}/aaa.sqlite"
[tacacs]
listen = []
[radius]
auth_listen = ["127.0.0.1:${P.auth}"]
acct_listen = ["127.0.0.1:${P.acct}"]
requests_per_second = 500000
burst = 1000000
[http]
listen = "127.0.0.1:${P.http}"
`;
}

function setup(bin: string, dir: string): string {
  const cfg = join(dir, "aaa.toml");
  writeFileSync(cfg, config(dir));
  cli(bin, cfg, env, ["group", "add", "core", "--radius-secret-env", "BENCH_SECRET"]);
  cli(bin, cfg, env, ["device", "add", "lo", "--network", "127.0.0.0/8", "--group", "core"]);
  cli(bin, cfg, env, ["usergroup", "add", "ops", "--priv-lvl", "15", "--device-group", "core"]);
  cli(
    bin,
    cfg,
    env,
    ["user", "add", "alice", "--password-stdin", "--group", "ops"],
    "alice-pass\n",
  );
  cli(bin, cfg, env, ["user", "add", "bob", "--password-stdin", "--group", "ops"], "bob-pass\n");
  return cfg;
}

type Row = Record<string, string>;
function parse(out: string, what: string): Row {
  const line = out.trim().split("\n").pop() ?? "";
  const row: Row = {};
  for (const m of line.matchAll(/(\w+)=(\S+)/g)) row[m[1]!] = m[2]!;
  if (row.rps === undefined) throw new Error(`aaaload ${what}: ${line}`);
  return row;
}

const ACCT = ["radius-acct", "-t", `127.0.0.1:${P.acct}`, "-s", SECRET, "-w", "64"];
const FLOOD_RATE = Number(values["flood-rate"]);

async function flood(
  seconds: number,
): Promise<{ sent: number; answered: number; rejects: number }> {
  const p = Bun.spawn(
    ["taskset", "-c", "0", process.execPath, join(import.meta.dir, "flood-sender.ts")].concat([
      String(P.auth),
      SECRET,
      String(FLOOD_RATE),
      String(seconds),
    ]),
    { stdout: "pipe", stderr: "inherit", timeout: (seconds + 30) * 1000 },
  );
  const out = await new Response(p.stdout).text();
  await p.exited;
  return JSON.parse(out.trim().split("\n").pop() ?? "{}");
}
/** One PAP login (the first for this user since start-up: a real argon2 verify); ms, NaN if none. */
async function login(user: string): Promise<number> {
  const t = performance.now();
  const r = await aaaload(
    [
      "radius-auth",
      ...["-t", `127.0.0.1:${P.auth}`, "-s", SECRET, "-u", user, "-p", `${user}-pass`, "-w", "1"],
      ...["--msg-auth", "-n", "1", "--timeout", "10000"],
    ],
    30,
  );
  return Number(r.ok) === 1 ? performance.now() - t : NaN;
}

async function aaaload(args: string[], maxTime: number): Promise<Row> {
  const p = Bun.spawn([AALOAD, ...args, "--cpu", "0", "-q", "--max-time", String(maxTime)], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const out = await new Response(p.stdout).text();
  await p.exited;
  return parse(out, args[0]!);
}

async function busy(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${P.http}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(/^aaa_password_verifies_refused\{[^}]*\} (\d+)$/gm))
    n += Number(m[1]);
  return n;
}

interface Result {
  quiet: { rps: number; p99: number; lost: number };
  flood: { rps: number; p99: number; lost: number };
  flooder: { sent: number; answered: number };
  refused: number;
  loginDuringMs: number;
  loginAfterMs: number;
}

async function runOne(bin: string): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), "flood-"));
  const cfg = setup(bin, dir);
  const server = Bun.spawn([bin, "--config", cfg], { env, stdout: "ignore", stderr: "ignore" });
  try {
    await waitHealthy(P.http);
    await aaaload([...ACCT, "-d", "1"], 30);
    const lost = (r: Row) => Number(r.timeout ?? 0) + Number(r.bad ?? 0);
    const q = await aaaload([...ACCT, "-d", String(SECONDS)], SECONDS + 30);
    const flooder = flood(SECONDS + 2);
    await Bun.sleep(1_000);
    const during = Bun.sleep(2_000).then(() => login("alice"));
    const f = await aaaload([...ACCT, "-d", String(SECONDS)], SECONDS + 30);
    const fl = await flooder;
    const loginDuringMs = await during;
    const loginAfterMs = await login("bob");
    return {
      quiet: { rps: Number(q.rps), p99: Number(q.p99_us), lost: lost(q) },
      flood: { rps: Number(f.rps), p99: Number(f.p99_us), lost: lost(f) },
      flooder: { sent: fl.sent, answered: fl.answered },
      refused: await busy(),
      loginDuringMs,
      loginAfterMs,
    };
  } finally {
    server.kill("SIGTERM");
    await Promise.race([server.exited, Bun.sleep(15_000)]);
    server.kill("SIGKILL");
    await server.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

const ms = (us: number) => (us / 1000).toFixed(1);
console.log(
  `${new Date().toISOString()} accounting (window 64) quiet vs under an unknown-user PAP flood at ${FLOOD_RATE}/s`,
);
console.log(
  "| round | binary | acct quiet req/s | p99 ms | acct under flood req/s | p99 ms | acct lost | flood sent | flood answered | verify-busy | login during flood ms | login right after flood ms |",
);
console.log("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 === 0 ? bins : [...bins].reverse();
  for (const [name, bin] of order) {
    const x = await runOne(bin);
    console.log(
      `| ${r + 1} | ${name} | ${x.quiet.rps.toFixed(0)} | ${ms(x.quiet.p99)} | ${x.flood.rps.toFixed(0)} | ${ms(x.flood.p99)} | ` +
        `${x.flood.lost} | ${x.flooder.sent} | ${x.flooder.answered} | ${x.refused} | ${x.loginDuringMs.toFixed(0)} | ${x.loginAfterMs.toFixed(0)} |`,
    );
  }
}
