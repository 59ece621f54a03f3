// The README's quick start: `npm ci && npm start` runs the server on the embedded default, and the
// start-up log's `try_it` commands work as printed (radtest, a Perl TACACS+ client, curl).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { MAIN, ROOT } from "../support/cli.ts";
import { peersAvailable } from "../support/peers.ts";
import { tempDir } from "../support/tmp.ts";

const HAVE_PEERS = peersAvailable("freeradius-utils", "libauthen-tacacsplus-perl");
const dir = tempDir("aaa-quickstart-");
let proc: ReturnType<typeof Bun.spawn> | null = null;
let log = "";

async function portsFree(): Promise<boolean> {
  // The embedded default listens on fixed loopback ports; refuse to guess if something holds them.
  try {
    const s = Bun.listen({ hostname: "127.0.0.1", port: 9090, socket: { data() {} } });
    s.stop(true);
    return true;
  } catch {
    return false;
  }
}

describe("README quick start", () => {
  test("the two commands are the ones package.json runs", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const block = /## Quick start[\s\S]*?```sh\n([\s\S]*?)```/
      .exec(readme)?.[1]
      ?.trim()
      .split("\n");
    expect(block).toEqual(["npm ci && npm start", "npm test"]);
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.start).toBe("bun src/main.ts");
    expect(pkg.scripts.test).toBe("bun test");
  });

  describe.skipIf(!HAVE_PEERS)("npm start: the embedded default and its try_it hints", () => {
    beforeAll(async () => {
      if (!(await portsFree()))
        throw new Error("127.0.0.1:9090 is in use: the embedded default needs it");
      // `npm start` is `bun src/main.ts`; run it from an empty directory so data/ lands there.
      proc = Bun.spawn([process.execPath, MAIN], { cwd: dir.path, stdout: "pipe", stderr: "pipe" });
      const dec = new TextDecoder();
      void (async () => {
        for await (const c of proc!.stdout as ReadableStream<Uint8Array>) log += dec.decode(c);
      })();
      const deadline = Date.now() + 15_000;
      while (!log.includes('"event":"started"') && Date.now() < deadline) await Bun.sleep(25);
      if (!log.includes('"event":"started"')) throw new Error(`no start:\n${log}`);
    }, 30_000);
    afterAll(async () => {
      proc?.kill("SIGTERM");
      await proc?.exited;
      dir.remove();
    });

    test("serves TACACS+, RADIUS auth/acct and HTTP on loopback, with no secret in the log", async () => {
      const health = (await (await fetch("http://127.0.0.1:9090/api/health")).json()) as {
        status: string;
        listeners: Array<{ protocol: string; address: string; state: string }>;
      };
      expect(health.status).toBe("ok");
      expect(health.listeners.map((l) => `${l.protocol} ${l.address} ${l.state}`).sort()).toEqual([
        "http 127.0.0.1:9090 listening",
        "radius-acct 127.0.0.1:1813 listening",
        "radius-auth 127.0.0.1:1812 listening",
        "tacacs 127.0.0.1:4949 listening",
      ]);
      const creds = readFileSync(join(dir.path, "data", "demo-credentials.env"), "utf8");
      for (const m of creds.matchAll(/^export DEMO_\w+=(.+)$/gm))
        if (m[1] !== "demo") expect(log).not.toContain(m[1]!);
    });

    test("every try_it command printed at start-up works as written", () => {
      const hints = log
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { event: string; command?: string })
        .filter((r) => r.event === "try_it")
        .map((r) => r.command!);
      expect(hints.length).toBe(3);
      const out = hints.map((h) => {
        const r = Bun.spawnSync(["sh", "-c", h], { cwd: dir.path, timeout: 20_000 });
        return r.stdout.toString();
      });
      expect(out[0]).toContain("Received Access-Accept");
      expect(out[0]).toContain("welcome to the aaa-proxy demo");
      expect(out[1]!.trim()).toBe("PASS");
      expect(JSON.parse(out[2]!).status).toBe("ok");
    }, 60_000);
  });
});
