// The built binary: runs from an otherwise empty directory, and inside a scratch-like root that
// holds only dist/rootfs plus /proc and /dev (what a FROM scratch container gives it).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { ROOT, runMain } from "../support/cli.ts";
import { requireBinary, runPeer } from "../support/peer.ts";
import { tempDir } from "../support/tmp.ts";

const BIN = join(ROOT, "dist", "aaa-proxy");
const ROOTFS = join(ROOT, "dist", "rootfs");
const work = tempDir("aaa-e2e-");

beforeAll(() => {
  // Build once per run so the test covers the current source.
  const b = Bun.spawnSync([process.execPath, join(ROOT, "build.ts")], {
    cwd: ROOT,
    timeout: 120_000,
  });
  if (b.exitCode !== 0) throw new Error(`build failed: ${b.stderr.toString()}`);
}, 120_000);
afterAll(() => work.remove());

async function waitForHttp(url: string, ms: number): Promise<Response> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await fetch(url);
    } catch (e) {
      last = e;
      await Bun.sleep(50);
    }
  }
  throw new Error(`no answer from ${url} within ${ms} ms: ${String(last)}`);
}

async function freePort(): Promise<number> {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = s.port;
  s.stop(true);
  return p;
}

async function freeUdpPort(): Promise<number> {
  const s = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0 });
  const p = s.port;
  s.close();
  return p;
}

const RADCLIENT = "/usr/bin/radclient";

describe("dist/aaa-proxy", () => {
  test("is one executable, and the rootfs holds it plus its shared libraries only", () => {
    expect(statSync(BIN).mode & 0o111).not.toBe(0);
    const files = readdirSync(ROOTFS, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(ROOTFS.length));
    expect(files).toContain("/aaa-proxy");
    for (const f of files)
      expect(f === "/aaa-proxy" || /^\/(lib|lib64|usr\/lib)[^ ]*\.so[.\d]*$/.test(f)).toBe(true);
    expect(files.some((f) => f.includes("libc.so"))).toBe(true);
  });

  test("--version and --help work from an empty directory", () => {
    const dir = join(work.path, "empty1");
    mkdirSync(dir);
    cpSync(BIN, join(dir, "aaa-proxy"));
    const v = runMain(["--version"], { bin: join(dir, "aaa-proxy"), cwd: dir });
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^aaa-proxy \d+\.\d+\.\d+\n$/);
    const h = runMain(["--help"], { bin: join(dir, "aaa-proxy"), cwd: dir });
    expect(h.code).toBe(0);
    expect(h.stdout).toContain("check-config --config FILE");
    expect(readdirSync(dir)).toEqual(["aaa-proxy"]);
  });

  test("serves with an embedded-migration store from an otherwise empty directory", async () => {
    const dir = join(work.path, "empty2");
    mkdirSync(dir);
    cpSync(BIN, join(dir, "aaa-proxy"));
    const port = await freePort();
    writeFileSync(
      join(dir, "aaa.toml"),
      `[store]\npath = "state/aaa.sqlite"\n[http]\nlisten = "127.0.0.1:${port}"\n`,
    );
    // The admin CLI creates the store (and applies the embedded migrations) on first use.
    expect(
      runMain(["group", "add", "core", "--tacacs-secret", "k", "--config", "aaa.toml"], {
        bin: join(dir, "aaa-proxy"),
        cwd: dir,
      }).code,
    ).toBe(0);
    const proc = Bun.spawn([join(dir, "aaa-proxy"), "--config", "aaa.toml"], {
      cwd: dir,
      stdout: "pipe",
      stderr: "pipe",
    });
    try {
      const res = await waitForHttp(`http://127.0.0.1:${port}/api/health`, 10_000);
      expect(res.status).toBe(200);
      expect(((await res.json()) as any).store).toBe("ok");
    } finally {
      proc.kill("SIGTERM");
      expect(await proc.exited).toBe(0);
    }
    const log = await new Response(proc.stdout).text();
    const events = log
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).event);
    expect(events).toContain("started");
    expect(events.at(-1)).toBe("stopped");
    expect(existsSync(join(dir, "state", "aaa.sqlite"))).toBe(true);
  }, 20_000);

  test("verifies passwords in the binary: argon2id runs on Workers whose code rides inside it (radclient PAP Accept and Reject)", async () => {
    requireBinary(RADCLIENT, "freeradius-utils");
    const dir = join(work.path, "argon2");
    mkdirSync(dir);
    const [http, auth] = [await freePort(), await freeUdpPort()];
    writeFileSync(
      join(dir, "aaa.toml"),
      `[store]\npath = "state/aaa.sqlite"\n[http]\nlisten = "127.0.0.1:${http}"\n` +
        `[tacacs]\nlisten = []\n[radius]\nauth_listen = ["127.0.0.1:${auth}"]\nacct_listen = []\n`,
    );
    const cli = (args: string[], stdin?: string) =>
      runMain([...args, "--config", "aaa.toml"], {
        bin: BIN,
        cwd: dir,
        ...(stdin ? { stdin } : {}),
      });
    expect(cli(["group", "add", "nas", "--radius-secret", "e2e-radius-secret"]).code).toBe(0);
    expect(cli(["device", "add", "lo", "--network", "127.0.0.1/32", "--group", "nas"]).code).toBe(
      0,
    );
    expect(cli(["usergroup", "add", "ops", "--device-group", "nas"]).code).toBe(0);
    expect(
      cli(["user", "add", "alice", "--password-stdin", "--group", "ops"], "alice-e2e-pass\n").code,
    ).toBe(0);
    const proc = Bun.spawn([BIN, "--config", "aaa.toml"], {
      cwd: dir,
      stdout: "pipe",
      stderr: "pipe",
    });
    try {
      expect((await waitForHttp(`http://127.0.0.1:${http}/api/health`, 10_000)).status).toBe(200);
      const pap = (password: string) =>
        runPeer(
          [RADCLIENT, "-x", "-r", "1", "-t", "5", `127.0.0.1:${auth}`, "auth", "e2e-radius-secret"],
          {
            stdin: `User-Name = "alice", User-Password = "${password}", Message-Authenticator = 0x00\n`,
          },
        );
      expect((await pap("alice-e2e-pass")).stdout).toContain("Received Access-Accept");
      expect((await pap("wrong")).stdout).toContain("Received Access-Reject");
    } finally {
      proc.kill("SIGTERM");
      expect(await proc.exited).toBe(0);
    }
  }, 30_000);

  test("runs in a scratch-like root (rootfs + /proc + /dev only) via unshare and chroot", async () => {
    const root = join(work.path, "scratch");
    cpSync(ROOTFS, root, { recursive: true });
    mkdirSync(join(root, "proc"));
    mkdirSync(join(root, "dev"));
    const port = await freePort();
    writeFileSync(
      join(root, "etc", "aaa.toml"),
      `[store]\npath = "/data/aaa.sqlite"\n[http]\nlisten = "127.0.0.1:${port}"\n`,
    );
    const script = `mount -t proc proc '${root}/proc' && mount --rbind /dev '${root}/dev' && exec chroot '${root}' /aaa-proxy --config /etc/aaa.toml`;
    const proc = Bun.spawn(
      ["unshare", "--mount", "--pid", "--fork", "--kill-child=SIGTERM", "sh", "-c", script],
      { stdout: "pipe", stderr: "pipe" },
    );
    try {
      const res = await waitForHttp(`http://127.0.0.1:${port}/api/health`, 10_000);
      expect(res.status).toBe(200);
      const body = (await res.json()) as any;
      expect(body.store).toBe("ok");
      expect(body.listeners).toEqual([
        { protocol: "http", address: `127.0.0.1:${port}`, state: "listening" },
      ]);
    } finally {
      // unshare --fork ignores SIGTERM while it waits for its child: signal the child (the server,
      // PID 1 of the new namespace) directly; unshare then exits and reaps it. --kill-child covers
      // the case where unshare itself dies first.
      const children = readFileSync(`/proc/${proc.pid}/task/${proc.pid}/children`, "utf8")
        .trim()
        .split(/\s+/)
        .filter(Boolean);
      for (const c of children) process.kill(Number(c), "SIGTERM");
      if (children.length === 0) proc.kill("SIGKILL");
      await proc.exited;
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        try {
          await fetch(`http://127.0.0.1:${port}/api/health`);
          await Bun.sleep(50);
        } catch {
          break;
        }
      }
    }
    await expect(fetch(`http://127.0.0.1:${port}/api/health`)).rejects.toThrow();
    expect(existsSync(join(root, "data", "aaa.sqlite"))).toBe(true);
    const stderr = await new Response(proc.stderr).text();
    expect(stderr).not.toContain("error");
  }, 20_000);
});
