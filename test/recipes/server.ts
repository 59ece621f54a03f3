// A real aaa-proxy (src/main.ts in a child process) for the device recipes: the recipe's own
// commands set up its store through the real CLI, then the server starts on loopback. Stopped by PID.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { MAIN, ROOT, runMain } from "../support/cli.ts";
import { tempDir } from "../support/tmp.ts";

/** The secrets the recipes read through `--tacacs-secret-env` / `--radius-secret-env`. */
export const SECRET_ENV = {
  AAA_TACACS_KEY: "recipe-tacacs-key-7Hq",
  AAA_RADIUS_SECRET: "recipe-radius-secret-Pz4",
} as const;

export const passwordOf = (user: string): string => `${user}-Recipe-pw-1`;

async function freeTcp(): Promise<number> {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = s.port;
  s.stop(true);
  return p;
}
async function freeUdp(): Promise<number> {
  const s = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0 });
  const p = s.port;
  s.close();
  return p;
}

export interface RecipeServer {
  cfgPath: string;
  tacacs: number;
  auth: number;
  acct: number;
  /** Runs one admin command (argv without `aaa-proxy`) against this server's store. */
  cli(argv: string[], stdin?: string): { code: number; stdout: string; stderr: string };
  stop(): Promise<void>;
}

export async function startRecipeServer(setup: string[][]): Promise<RecipeServer> {
  const dir = tempDir("aaa-recipe-");
  const cfgPath = join(dir.path, "aaa.toml");
  const ports = { tacacs: await freeTcp(), auth: await freeUdp(), acct: await freeUdp() };
  writeFileSync(
    cfgPath,
    `[store]
path = "${join(dir.path, "aaa.sqlite")}"
[tacacs]
listen = ["127.0.0.1:${ports.tacacs}"]
[radius]
auth_listen = ["127.0.0.1:${ports.auth}"]
acct_listen = ["127.0.0.1:${ports.acct}"]
`,
  );
  const cli = (argv: string[], stdin?: string) =>
    runMain([...argv, "--config", cfgPath], {
      env: { ...SECRET_ENV },
      ...(stdin === undefined ? {} : { stdin }),
    });
  for (const argv of setup) {
    const user = argv[0] === "user" && argv[1] === "add" ? argv[2] : undefined;
    const r = cli(
      argv,
      user !== undefined && argv.includes("--password-stdin") ? passwordOf(user) + "\n" : undefined,
    );
    if (r.code !== 0) {
      dir.remove();
      throw new Error(`aaa-proxy ${argv.join(" ")}: exit ${r.code}: ${r.stderr}`);
    }
  }
  const proc = Bun.spawn([process.execPath, MAIN, "--config", cfgPath], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env },
  });
  let log = "";
  const reading = (async () => {
    const dec = new TextDecoder();
    for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) log += dec.decode(chunk);
  })();
  const deadline = Date.now() + 20_000;
  while (!log.includes('"event":"started"')) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill("SIGKILL");
      await proc.exited;
      dir.remove();
      throw new Error(`aaa-proxy did not start:\n${log.slice(-2000)}`);
    }
    await Bun.sleep(25);
  }
  return {
    cfgPath,
    ...ports,
    cli,
    async stop() {
      if (proc.exitCode === null) proc.kill("SIGTERM");
      const t = setTimeout(() => proc.kill("SIGKILL"), 5_000);
      await proc.exited;
      clearTimeout(t);
      await reading.catch(() => {});
      dir.remove();
    },
  };
}
