// The composition root: argv → config → store (+ migrations) → services → transports → signals.
// Nothing imports this file.
import pkg from "../package.json" with { type: "json" };
import { runAdminCommand, adminCommands } from "./cli/index.ts";
import type { PolicyCliContext } from "./cli/policy-commands.ts";
import { DEFAULT_CONFIG_TOML } from "./config/default.ts";
import { formatConfigErrors, loadConfigFile, parseConfigText } from "./config/load.ts";
import type { Config } from "./config/schema.ts";
import { createHttpApp, type ListenerStatus } from "./http/app.ts";
import { createLogger, type Logger } from "./lib/log.ts";
import { Registry } from "./lib/metrics.ts";
import { provisionDemo, demoHints } from "./demo.ts";
import { DeviceIndex } from "./store/device-index.ts";
import { purgeAccounting } from "./store/accounting.ts";
import { openStore, type Store } from "./store/open.ts";
import { createStorePolicy } from "./store/policy-source.ts";
import { startHttp } from "./transport/http.ts";
import { createProxyCounters, proxyStats } from "./transport/metrics.ts";

const VERSION = pkg.version;

const USAGE = `aaa-proxy ${VERSION} — TACACS+ (RFC 8907) and RADIUS AAA server and proxy

Usage:
  aaa-proxy [--config FILE]                 run the server (no --config: embedded loopback demo)
  aaa-proxy check-config --config FILE      validate a configuration and exit (0 ok, 2 invalid)
  aaa-proxy <command> <action> [flags] --config FILE
  aaa-proxy --version | --help

Admin commands (safe while the server runs; they share its database):
  group add NAME [--tacacs-secret S] [--radius-secret S] [--proxy-network CIDR] [--description D]
  group list [--json] | group remove NAME
  device add NAME --network CIDR --group G [--disabled] | device list [--json] | device remove NAME
  proxy add NAME --network CIDR [--description D] | proxy list [--json] | proxy remove NAME
  user add NAME --password P [--group G] ... | user list [--json] | user remove NAME | user passwd NAME --password P
  usergroup add|list|remove, rule add|list|remove, accounting list, policy test (see docs)

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
      if (v === undefined || v.startsWith("-")) return { file, rest, error: "--config needs a file path" };
      file = v;
    } else if (a.startsWith("--config=")) file = a.slice("--config=".length);
    else rest.push(a);
  }
  return { file, rest };
}

function loadConfig(file: string | null): Loaded | { errors: string } {
  if (file === null) {
    const r = parseConfigText(DEFAULT_CONFIG_TOML);
    if (!r.ok) return { errors: formatConfigErrors(r.errors ?? [], "(embedded default)") };
    return { cfg: r.value, source: "(embedded default)", embedded: true };
  }
  const r = loadConfigFile(file);
  if (!r.ok) return { errors: formatConfigErrors(r.errors ?? [], file) };
  return { cfg: r.value, source: file, embedded: false };
}

/** Checks that need the store: names in the config must exist there. */
function checkAgainstStore(cfg: Config, store: Store, source: string): string | null {
  if (cfg.devices.auto_register) {
    const g = store.sqlite.query("SELECT 1 FROM device_groups WHERE name = ?").get(cfg.devices.default_group);
    if (!g) return `config error: ${source}: devices.default_group: group "${cfg.devices.default_group}" does not exist in the store`;
  }
  return null;
}

async function serve(loaded: Loaded): Promise<number> {
  const { cfg } = loaded;
  const log = createLogger({ level: cfg.log.level });
  let store: Store;
  try {
    store = openStore(cfg.store.path);
  } catch (e) {
    log.error("store_open_failed", { path: cfg.store.path, reason: e instanceof Error ? e.message : String(e) });
    return 1;
  }
  const bad = checkAgainstStore(cfg, store, loaded.source);
  if (bad) {
    process.stderr.write(bad + "\n");
    store.close();
    return 2;
  }
  if (loaded.embedded) await provisionDemo(store, log);

  const { policy, writer, chapKeyProblem } = createStorePolicy(store, cfg, {
    onLockout: (username, clientIp) => log.limited("warn", `lockout:${clientIp}`, "user_locked_out", { user: username, client: clientIp }),
  });
  if (chapKeyProblem) log.info("chap_credentials_unavailable", { reason: chapKeyProblem });

  const registry = new Registry();
  const proxyCounters = createProxyCounters(registry);
  const index = new DeviceIndex(
    store.sqlite,
    {
      enabled: cfg.devices.auto_register,
      defaultGroup: cfg.devices.default_group,
      perMinute: cfg.devices.auto_register_per_minute,
      max: cfg.devices.auto_register_max,
    },
    undefined,
    (e) => log.limited("error", "store", "store_error", { reason: e instanceof Error ? e.message : String(e) }),
  );
  registry.gauge("aaa_devices", "Devices in the resolution index", () => index.stats.devices);
  registry.gauge("aaa_device_index_rebuilds", "Times the device index was rebuilt after a store change", () => index.stats.rebuilds);
  registry.gauge("aaa_process_resident_memory_bytes", "Resident set size", () => process.memoryUsage().rss);
  registry.gauge("aaa_lockouts", "Lockouts started since start-up", () => policy.lockout.counters.lockouts);
  registry.gauge("aaa_credential_cache_entries", "Verified credentials held (keyed hashes)", () => policy.cache.counters.size);
  registry.gauge("aaa_accounting_committed", "Accounting records committed since start-up", () => writer.counters.committed);
  registry.gauge("aaa_accounting_failed", "Accounting records whose commit failed since start-up", () => writer.counters.failed);

  // Accounting retention: purge once at start, then hourly. Never blocks start-up on failure.
  const purge = () => {
    if (cfg.accounting.retention_days === 0) return;
    try {
      const n = purgeAccounting(store, cfg.accounting.retention_days);
      if (n > 0) log.info("accounting_purged", { records: n, retention_days: cfg.accounting.retention_days });
    } catch (e) {
      log.error("accounting_purge_failed", { reason: e instanceof Error ? e.message : String(e) });
    }
  };
  purge();
  const purgeTimer = setInterval(purge, 3_600_000);
  purgeTimer.unref();
  const startedAt = Date.now();
  const listeners: ListenerStatus[] = [];
  const stoppers: Array<() => void | Promise<void>> = [];

  for (const l of cfg.tacacs.listen) {
    const address = typeof l === "string" ? l : l.address;
    listeners.push({ protocol: "tacacs", address, state: "failed", error: "TACACS+ service not available in this build" });
  }
  for (const address of cfg.radius.auth_listen) listeners.push({ protocol: "radius-auth", address, state: "failed", error: "RADIUS service not available in this build" });
  for (const address of cfg.radius.acct_listen) listeners.push({ protocol: "radius-acct", address, state: "failed", error: "RADIUS service not available in this build" });
  for (const l of listeners) log.warn("service_unavailable", { protocol: l.protocol, address: l.address, reason: l.error });

  if (cfg.http.listen !== "") {
    const app = createHttpApp({
      version: VERSION,
      startedAt,
      registry,
      listeners: () => listeners,
      stats: () => ({
        proxy: proxyStats(proxyCounters),
        devices: { ...index.stats },
        policy: { lockout: { ...policy.lockout.counters }, credential_cache: { ...policy.cache.counters } },
        accounting: { ...writer.counters },
      }),
      storeOk: () => index.proxyStatus("0.0.0.0") !== "store-error",
    });
    try {
      const http = startHttp({ listen: cfg.http.listen, allow: cfg.http.allow, app, log });
      listeners.push({ protocol: "http", address: cfg.http.listen, state: "listening" });
      stoppers.push(() => http.stop());
    } catch (e) {
      log.error("listen_failed", { protocol: "http", address: cfg.http.listen, reason: e instanceof Error ? e.message : String(e) });
      store.close();
      return 1;
    }
  }

  log.info("started", { version: VERSION, config: loaded.source, store: cfg.store.path, listeners: listeners.filter((l) => l.state === "listening").map((l) => `${l.protocol} ${l.address}`) });
  if (loaded.embedded) for (const hint of demoHints(cfg)) log.info("try_it", { command: hint });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) process.exit(1); // a second signal exits at once
    stopping = true;
    log.info("stopping", { signal });
    for (const s of stoppers) await s();
    clearInterval(purgeTimer);
    await writer.close(); // flush accounting that is queued
    store.close();
    log.info("stopped", {});
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  return new Promise<number>(() => {}); // runs until a signal
}

async function main(argv: string[]): Promise<number> {
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
    const loaded = loadConfig(parsed.file);
    if ("errors" in loaded) {
      process.stderr.write(loaded.errors + "\n");
      return 2;
    }
    process.stdout.write(`config ok: ${parsed.file}\n`);
    return 0;
  }
  const loaded = loadConfig(parsed.file);
  if ("errors" in loaded) {
    process.stderr.write(loaded.errors + "\n");
    return 2;
  }
  if (command === "serve") return serve(loaded);
  if (!(command in adminCommands)) {
    process.stderr.write(`error: unknown command "${command}" (see --help)\n`);
    return 1;
  }
  let store: Store;
  try {
    store = openStore(loaded.cfg.store.path);
  } catch (e) {
    process.stderr.write(`error: cannot open store ${loaded.cfg.store.path}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  try {
    const index = new DeviceIndex(store.sqlite);
    const ctx: PolicyCliContext = {
      store,
      config: loaded.cfg,
      out: (l) => process.stdout.write(l + "\n"),
      err: (l) => process.stderr.write(l + "\n"),
      actor: `cli:${process.env.USER ?? "unknown"}`,
      resolveDevice: (ip, proxyIp) => index.resolve(ip, proxyIp),
      stdin: () => Bun.stdin.text(),
    };
    return await runAdminCommand(command, args.slice(1), ctx);
  } finally {
    store.close();
  }
}

const code = await main(process.argv.slice(2));
process.exit(code);
