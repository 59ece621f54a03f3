// Issue 21, defect 4, end to end: the real entry point under a low descriptor limit (ulimit -n
// 256, soft and hard, so Bun cannot raise it), flooded with 600 idle HTTP connections from an
// allowed address. Before the accept gate each held a descriptor until Bun's idle timeout, the
// process hit its limit and TACACS+ logins failed; now HTTP is held to a share of the limit and
// logins keep passing. Bounded: 600 connections, a few seconds.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readdirSync, writeFileSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import { join } from "node:path";
import { AuthenStatus } from "../../src/tacacs/codec/authentication.ts";
import { MAIN, ROOT, runMain } from "../support/cli.ts";
import { papOnce } from "../support/tacacs-client.ts";
import { tempDir } from "../support/tmp.ts";

const dir = tempDir("aaa-http-flood-");
const cfgPath = join(dir.path, "aaa.toml");
const KEY = "flood-key-1";
const FD_LIMIT = 256;
const IDLE = 600;
let proc: ReturnType<typeof Bun.spawn>;
let tacacsPort = 0;
let httpPort = 0;
let logText = "";
const sockets: Socket[] = [];

const freeTcp = () => {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = s.port;
  s.stop(true);
  return p;
};

beforeAll(async () => {
  tacacsPort = freeTcp();
  httpPort = freeTcp();
  writeFileSync(
    cfgPath,
    `[store]\npath = "${join(dir.path, "aaa.sqlite")}"\n[tacacs]\nlisten = ["127.0.0.1:${tacacsPort}"]\n` +
      `[radius]\nauth_listen = []\nacct_listen = []\n[http]\nlisten = "127.0.0.1:${httpPort}"\n` +
      `max_connections_per_client = 10000\n`,
  );
  for (const args of [
    ["group", "add", "lab", "--tacacs-secret", KEY],
    ["device", "add", "lab-lo", "--network", "127.0.0.0/8", "--group", "lab"],
    ["usergroup", "add", "ops", "--priv-lvl", "15", "--device-group", "lab"],
    ["user", "add", "carol", "--password", "carol-pass-1", "--group", "ops"],
  ]) {
    const r = runMain([...args, "--config", cfgPath]);
    if (r.code !== 0) throw new Error(`${args.join(" ")}: ${r.stderr}`);
  }
  proc = Bun.spawn(
    [
      "bash",
      "-c",
      `ulimit -n ${FD_LIMIT} && exec "$0" "$@"`,
      process.execPath,
      MAIN,
      "--config",
      cfgPath,
    ],
    { cwd: ROOT, stdout: "pipe", stderr: "pipe" },
  );
  void (async () => {
    const dec = new TextDecoder();
    for await (const chunk of proc.stdout as ReadableStream<Uint8Array>)
      logText += dec.decode(chunk);
  })();
  const deadline = Date.now() + 15_000;
  while (!logText.includes('"event":"started"') && Date.now() < deadline) await Bun.sleep(25);
  if (!logText.includes('"event":"started"')) throw new Error(`not started:\n${logText}`);
}, 30_000);

afterAll(async () => {
  for (const s of sockets) s.destroy();
  if (proc && proc.exitCode === null) {
    proc.kill("SIGKILL");
    await proc.exited;
  }
  dir.remove();
});

test("600 idle HTTP connections leave the process its descriptors and TACACS+ logins pass", async () => {
  const fds = () => readdirSync(`/proc/${proc.pid}/fd`).length;
  const before = fds();
  // The gate's share: a quarter of the limit, three descriptors per connection.
  expect(logText).toContain(`"max_connections":${Math.floor(FD_LIMIT / 4 / 3)}`);
  expect(logText).toContain(`"descriptor_limit":${FD_LIMIT}`);
  await Promise.all(
    Array.from(
      { length: IDLE },
      () =>
        new Promise<void>((done) => {
          const s = createConnection({ host: "127.0.0.1", port: httpPort });
          s.on("error", () => done());
          s.on("connect", () => done());
          s.on("close", () => done());
          sockets.push(s);
        }),
    ),
  );
  await Bun.sleep(300);
  expect(fds() - before).toBeLessThanOrEqual(Math.floor(FD_LIMIT / 4) + 8);
  for (let i = 0; i < 5; i++)
    expect(await papOnce("127.0.0.1", tacacsPort, KEY, "carol", "carol-pass-1")).toBe(
      AuthenStatus.PASS,
    );
  // HTTP itself still answers once the flood is gone.
  for (const s of sockets.splice(0)) s.destroy();
  await Bun.sleep(300);
  expect((await fetch(`http://127.0.0.1:${httpPort}/api/health`)).status).toBe(200);
}, 30_000);
