// The entry point: argv → config → store (+ migrations) → the composition root (src/root/) →
// signals. The admin commands run here too, on the same store. Nothing imports this file.
import pkg from "../package.json" with { type: "json" };
import { runAdminCommand, adminCommands } from "./cli/index.ts";
import { ADMIN_USAGE } from "./cli/help.ts";
import type { PolicyCliContext } from "./cli/policy-commands.ts";
import { DEFAULT_CONFIG_TOML } from "./config/default.ts";
import { formatConfigErrors, loadConfigFile, parseConfigText } from "./config/load.ts";
import type { Config } from "./config/schema.ts";
import { createLogger } from "./lib/log.ts";
import { Ring } from "./lib/recent.ts";
import { Runtime, type Failure } from "./root/compose.ts";
import { Logging } from "./root/logging.ts";
import { provisionDemo, demoHints } from "./root/demo.ts";
import { cliActor, readEnvironment, type Environment } from "./root/options.ts";
import { configAgainstStore } from "./root/store-checks.ts";
import { DeviceIndex } from "./store/device-index.ts";
import { descriptorLimit } from "./transport/http.ts";
import { openStore, type Store } from "./store/open.ts";
import { loadChapKey } from "./policy/chap-credential.ts";
import { storeTracer } from "./store/policy-source.ts";
import { sqliteAdminService } from "./store/repos/index.ts";

const VERSION = pkg.version;

const USAGE = `aaa-proxy ${VERSION} — TACACS+ (RFC 8907) and RADIUS AAA server and proxy

Usage:
  aaa-proxy [--config FILE]                 run the server (no --config: embedded loopback demo)
  aaa-proxy check-config --config FILE      validate a configuration and exit (0 ok, 2 invalid)
  aaa-proxy <command> <action> [flags] --config FILE
  aaa-proxy --version | --help

${ADMIN_USAGE}

Exit codes: 0 ok, 1 bad input or runtime failure, 2 invalid configuration.
`;

type Loaded = { cfg: Config; source: string; embedded: boolean };

function takeConfigFlag(args: string[]): { file: string | null; rest: string[]; error?: string } {
  const rest: string[] = [];
  let file: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--config" || a === "-c") {
      const v = args[++i];
      if (v === undefined || v.startsWith("-"))
        return { file, rest, error: "--config needs a file path" };
      file = v;
    } else if (a.startsWith("--config=")) file = a.slice("--config=".length);
    else rest.push(a);
  }
  return { file, rest };
}

function loadConfig(file: string | null, env: Environment): Loaded | { errors: string } {
  if (file === null) {
    const r = parseConfigText(DEFAULT_CONFIG_TOML);
    if (!r.ok) return { errors: formatConfigErrors(r.errors ?? [], "(embedded default)") };
    return { cfg: r.value, source: "(embedded default)", embedded: true };
  }
  const r = loadConfigFile(file, env);
  if (!r.ok) return { errors: formatConfigErrors(r.errors ?? [], file) };
  return { cfg: r.value, source: file, embedded: false };
}

/** Warn lines of requests refused before any decision (a wrong key, a bad PROXY v2 header, ...). */
const REFUSAL_EVENT = /^(tacacs_refused|radius_request_not_authentic)$/;

/** A running session gets this long to finish after SIGTERM/SIGINT; a second signal exits at once. */
const SHUTDOWN_GRACE_MS = 10_000;

async function serve(loaded: Loaded, configFile: string | null, env: Environment): Promise<number> {
  const { cfg } = loaded;
  // SIGHUP before start-up finished (a `systemctl reload` racing `start`) would otherwise end the
  // process with the default action — a death systemd counts as clean, so nothing restarts it.
  // From here on it is remembered and applied once the runtime is up.
  let started: Runtime | null = null;
  let reloadAsked = false;
  process.on("SIGHUP", () => {
    if (started) void started.reload();
    else reloadAsked = true;
  });
  const failures = new Ring<Failure>(50);
  let logging: Logging;
  try {
    logging = new Logging(cfg.log);
  } catch (e) {
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  const log = createLogger({
    sinks: logging.sinks,
    // Decisions (rejects, denies, failed accounting) reach the status page's recent failures
    // through the decision stream (root/compose.ts). What is refused before any decision — a
    // wrong key, an unknown client, a bad PROXY v2 header, a request that is not authentic —
    // has no decision record and is still tapped here, from its (flood-limited) warn line.
    tap: (r) => {
      if (r.level !== "warn" || typeof r.reason !== "string" || !REFUSAL_EVENT.test(r.event))
        return;
      failures.push({
        time: r.time,
        protocol: r.event.split("_")[0] ?? r.event,
        client: String(r.client ?? r.client_ip ?? r.peer ?? "-"),
        reason: r.reason,
      });
    },
  });
  logging.bind(log);
  // logrotate's postrotate `kill -USR1`: the file destination reopens its path.
  process.on("SIGUSR1", () => logging.reopen());
  let store: Store;
  try {
    store = openStore(cfg.store.path);
  } catch (e) {
    log.error("store_open_failed", {
      path: cfg.store.path,
      reason: e instanceof Error ? e.message : String(e),
    });
    return 1;
  }
  const bad = configAgainstStore(store, cfg);
  if (bad.length > 0) {
    for (const b of bad) process.stderr.write(`config error: ${loaded.source}: ${b}\n`);
    store.close();
    return 2;
  }
  if (loaded.embedded) await provisionDemo(store, log);

  const runtime = new Runtime({
    version: VERSION,
    store,
    log,
    applyLog: (next) => logging.apply(next),
    failures,
    env,
    // A reload reads the file and the environment again (a rotated secret_env is picked up).
    reread:
      configFile === null
        ? null
        : () => {
            const now = readEnvironment();
            const r = loadConfigFile(configFile, now);
            return r.ok
              ? { ok: true, cfg: r.value, env: now }
              : { ok: false, errors: (r.errors ?? []).map((e) => `${e.path}: ${e.reason}`) };
          },
  });
  logging.register(runtime.registry);
  await runtime.start(cfg);
  const up = runtime.listeners();
  const failed = up
    .filter((l) => l.state !== "listening")
    .map((l) => `${l.protocol} ${l.address}: ${l.error ?? l.state}`);
  if (failed.length > 0) {
    // A configured listener that cannot bind (port taken, address not on this host, no privilege)
    // stops start-up: exit 1, so systemd marks the unit failed and restarts it, instead of a
    // process that runs without serving what the file says.
    for (const f of failed) process.stderr.write(`error: cannot listen on ${f}\n`);
    log.error("start_failed", { failed });
    await runtime.shutdown(0);
    store.close();
    return 1;
  }
  started = runtime;
  if (reloadAsked) void runtime.reload();
  log.info("started", {
    version: VERSION,
    config: loaded.source,
    store: cfg.store.path,
    listeners: up.map((l) => `${l.protocol} ${l.address}`),
    // Bun raises the soft RLIMIT_NOFILE to the hard limit at start-up; this is what we got.
    descriptor_limit: descriptorLimit(),
  });
  if (loaded.embedded) for (const hint of demoHints(cfg)) log.info("try_it", { command: hint });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      log.warn("exit_now", { signal });
      process.exit(1);
    }
    stopping = true;
    log.info("stopping", { signal, grace_ms: SHUTDOWN_GRACE_MS });
    try {
      await runtime.shutdown(SHUTDOWN_GRACE_MS);
      store.close();
    } catch (e) {
      log.error("stop_failed", { reason: e instanceof Error ? e.message : String(e) });
      process.exit(1);
    }
    log.info("stopped", {});
    await logging.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  return new Promise<number>(() => {}); // runs until a signal
}

async function main(argv: string[], env: Environment): Promise<number> {
  const parsed = takeConfigFlag(argv);
  if (parsed.error) {
    process.stderr.write(`error: ${parsed.error}\n`);
    return 1;
  }
  const args = parsed.rest;
  if (args[0] === "--version" || args[0] === "-V" || args[0] === "version") {
    process.stdout.write(`aaa-proxy ${VERSION}\n`);
    return 0;
  }
  if (args[0] === "--help" || args[0] === "-h" || args[0] === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  const command = args[0] ?? "serve";
  if (command.startsWith("-")) {
    process.stderr.write(`error: unknown option ${command} (see --help)\n`);
    return 1;
  }
  if (command === "check-config") {
    if (parsed.file === null) {
      process.stderr.write("error: check-config needs --config FILE\n");
      return 1;
    }
    const loaded = loadConfig(parsed.file, env);
    if ("errors" in loaded) {
      process.stderr.write(loaded.errors + "\n");
      return 2;
    }
    process.stdout.write(`config ok: ${parsed.file}\n`);
    return 0;
  }
  const loaded = loadConfig(parsed.file, env);
  if ("errors" in loaded) {
    process.stderr.write(loaded.errors + "\n");
    return 2;
  }
  if (command === "serve") return serve(loaded, parsed.file, env);
  if (!(command in adminCommands)) {
    process.stderr.write(`error: unknown command "${command}" (see --help)\n`);
    return 1;
  }
  let store: Store;
  try {
    store = openStore(loaded.cfg.store.path);
  } catch (e) {
    process.stderr.write(
      `error: cannot open store ${loaded.cfg.store.path}: ${e instanceof Error ? e.message : String(e)}\n`,
    );
    return 1;
  }
  try {
    const index = new DeviceIndex(store);
    const ctx: PolicyCliContext = {
      admin: sqliteAdminService(store, {
        chapKey: loadChapKey(env, loaded.cfg.policy.chap_key_env),
      }),
      env,
      out: (l) => process.stdout.write(l + "\n"),
      err: (l) => process.stderr.write(l + "\n"),
      actor: cliActor(env),
      resolveDevice: (ip, proxyIp) => index.resolve(ip, proxyIp),
      tracer: () => storeTracer(store, loaded.cfg, env),
      stdin: () => Bun.stdin.text(),
    };
    return await runAdminCommand(command, args.slice(1), ctx);
  } finally {
    store.close();
  }
}

const code = await main(process.argv.slice(2), readEnvironment());
process.exit(code);
