// The running server, built from a validated config: policy, the TACACS+ / RADIUS / RADIUS proxy
// services and the HTTP endpoint, plus hot reload and graceful shutdown. Part of the composition
// root (only src/main.ts imports it).
//
// Reload (SIGHUP or POST /api/admin/reload): the file is re-read and validated; an invalid file
// changes nothing. A valid one is applied section by section: a service whose section changed is
// replaced — the new one binds, the old one stops accepting and its running sessions / in-flight
// requests finish on it (a single-connect TACACS+ connection ends after its running sessions, and
// the device reconnects to the new listener under the new config). Policy settings swap the
// policy behind a forwarding facade. Store changes need no reload: every request sees them.
import type { Config } from "./config/schema.ts";
import { adminTokenProblem } from "./http/admin.ts";
import { createHttpApp, type ListenerStatus } from "./http/app.ts";
import type { StatusModel } from "./http/status-page.tsx";
import type { Logger } from "./lib/log.ts";
import { Registry } from "./lib/metrics.ts";
import { RateSampler, Ring } from "./lib/recent.ts";
import type { Policy } from "./policy/ports.ts";
import type { RadiusProxyPort } from "./radius/proxy-port.ts";
import { purgeAccounting } from "./store/accounting.ts";
import { registerStorageGauges } from "./store/wal-guard.ts";
import { registerVerifyGateGauges } from "./policy/verify-gate.ts";
import { DeviceIndex } from "./store/device-index.ts";
import type { Store } from "./store/open.ts";
import { createStorePolicy, type StorePolicy } from "./store/policy-source.ts";
import { startHttp, type HttpListener } from "./transport/http.ts";
import { createProxyCounters, proxyStats, type ProxyCounters } from "./transport/metrics.ts";
import { startRadius, type RadiusService } from "./transport/radius-udp.ts";
import { startRadiusProxy, type RadiusProxyService } from "./transport/radius-upstream.ts";
import { startTacacs, type TacacsService } from "./transport/tacacs-tcp.ts";

export interface RuntimeOptions {
  version: string;
  store: Store;
  log: Logger;
  /** Re-reads and validates the configuration source (null: nothing to reload from). */
  loadConfig: (() => { ok: true; cfg: Config } | { ok: false; errors: string[] }) | null;
  /** Tap of the logger: failures for the status page. */
  failures: Ring<{ time: string; protocol: string; client: string; reason: string; user?: string }>;
}

export type ReloadResult = { ok: true; changed: string[] } | { ok: false; errors: string[] };

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const LAG_TICK_MS = 100;

/** Forwards every Policy call to whichever policy is current, so a reload can swap it. */
function forwardingPolicy(current: () => Policy): Policy {
  return {
    authenticatePassword: (r) => current().authenticatePassword(r),
    authenticateEnable: (r) => current().authenticateEnable(r),
    changePassword: (r) => current().changePassword(r),
    authenticateChap: (r, c) => current().authenticateChap(r, c),
    authenticateMsChap: (r, c) => current().authenticateMsChap(r, c),
    authorizeShell: (r) => current().authorizeShell(r),
    authorizeCommand: (r) => current().authorizeCommand(r),
    radiusReply: (u) => current().radiusReply(u),
    account: (r) => current().account(r),
  };
}

export class Runtime {
  readonly registry = new Registry();
  readonly startedAt = Date.now();
  readonly index: DeviceIndex;
  private readonly proxyCounters: ProxyCounters;
  private cfg!: Config;
  private storePolicy!: StorePolicy;
  private readonly policy: Policy;
  private tacacs: TacacsService | null = null;
  private radius: RadiusService | null = null;
  private radiusProxy: RadiusProxyService | null = null;
  private readonly proxyPort: RadiusProxyPort;
  private http: HttpListener | null = null;
  private httpListener: ListenerStatus | null = null;
  private readonly failedListeners: ListenerStatus[] = [];
  private readonly rates: RateSampler;
  private timers: Array<ReturnType<typeof setInterval>> = [];
  private reloading: Promise<ReloadResult> | null = null;
  /** A reload asked for while one runs: it runs after, so it reads the file as it is then. */
  private reloadAgain: Promise<ReloadResult> | null = null;
  /** Set by shutdown(): no reload may bind anything after it. */
  private stopping = false;
  /** Event-loop lag: how late a 100 ms timer fires; the max over a 10 s window is exported. */
  private readonly lag = { max: 0, current: 0, windowStart: 0 };
  private readonly adminAuthFailures = this.registry.counter(
    "aaa_admin_auth_failures_total",
    "Admin API requests refused for a missing or wrong token, by reason",
    ["reason"],
  );

  constructor(private readonly o: RuntimeOptions) {
    const log = o.log;
    this.index = new DeviceIndex(o.store.sqlite, undefined, undefined, (e) =>
      log.limited("error", "store", "store_error", {
        reason: e instanceof Error ? e.message : String(e),
      }),
    );
    this.proxyCounters = createProxyCounters(this.registry);
    this.policy = forwardingPolicy(() => this.storePolicy.policy);
    // With no proxy configured every request is local; a reload can add or remove the proxy.
    this.proxyPort = {
      handle: (req, ctx, reply) =>
        this.radiusProxy ? this.radiusProxy.handle(req, ctx, reply) : { kind: "local" },
    };
    this.rates = new RateSampler(() => this.totals(), 10_000, 30);
    const r = this.registry;
    r.gauge("aaa_devices", "Devices in the resolution index", () => this.index.stats.devices);
    r.gauge(
      "aaa_device_index_rebuilds",
      "Times the device index was rebuilt after a store change",
      () => this.index.stats.rebuilds,
    );
    r.gauge(
      "aaa_process_resident_memory_bytes",
      "Resident set size",
      () => process.memoryUsage().rss,
    );
    r.gauge("aaa_process_uptime_seconds", "Seconds since start-up", () =>
      Math.round((Date.now() - this.startedAt) / 1000),
    );
    r.gauge(
      "aaa_process_event_loop_lag_seconds",
      "Largest event-loop delay seen in the last 10 s (a 100 ms timer's lateness)",
      () => this.lag.max / 1000,
    );
    r.gauge("aaa_open_connections", "Open TACACS+ connections", () =>
      Number(this.tacacs?.stats().active_connections ?? 0),
    );
    r.gauge(
      "aaa_lockouts",
      "Lockouts started since start-up",
      () => this.storePolicy.policy.lockout.counters.lockouts,
    );
    r.gauge(
      "aaa_credential_cache_entries",
      "Verified credentials held (keyed hashes)",
      () => this.storePolicy.policy.cache.counters.size,
    );
    registerVerifyGateGauges(r, () => this.storePolicy.policy.verifyGate);
    registerStorageGauges(r, () => this.storePolicy.writer);
    r.gauge(
      "aaa_accounting_committed",
      "Accounting records committed since start-up",
      () => this.storePolicy.writer.counters.committed,
    );
    r.gauge(
      "aaa_accounting_failed",
      "Accounting records whose commit failed since start-up",
      () => this.storePolicy.writer.counters.failed,
    );
  }

  get config(): Config {
    return this.cfg;
  }

  /** Start everything for `cfg`. Listener failures are reported in the listener list and logged. */
  async start(cfg: Config): Promise<void> {
    this.cfg = cfg;
    this.applyIndexSettings(cfg);
    this.storePolicy = this.makePolicy(cfg);
    this.radiusProxy = await this.buildProxy(cfg);
    await this.startTacacs(cfg);
    await this.startRadius(cfg);
    this.startHttp(cfg);
    const purge = () => this.purge();
    purge();
    let expected = performance.now() + LAG_TICK_MS;
    this.lag.windowStart = performance.now();
    const lagTick = () => {
      const now = performance.now();
      this.lag.current = Math.max(this.lag.current, now - expected);
      if (now - this.lag.windowStart >= 10_000) {
        this.lag.max = this.lag.current;
        this.lag.current = 0;
        this.lag.windowStart = now;
      } else this.lag.max = Math.max(this.lag.max, this.lag.current);
      expected = now + LAG_TICK_MS;
    };
    this.timers.push(
      setInterval(purge, 3_600_000),
      setInterval(() => this.rates.sample(), this.rates.intervalMs),
      setInterval(lagTick, LAG_TICK_MS),
    );
    for (const t of this.timers) t.unref();
  }

  listeners(): ListenerStatus[] {
    return [
      ...(this.tacacs?.listeners ?? []),
      ...(this.radius?.listeners ?? []),
      ...(this.httpListener ? [this.httpListener] : []),
      ...this.failedListeners,
    ];
  }

  /** Re-read the configuration and apply what changed; one at a time (see below). */
  reload(): Promise<ReloadResult> {
    if (this.stopping) return Promise.resolve({ ok: false, errors: ["shutting down"] });
    // One at a time. A request during a reload gets a second reload after it (requests meanwhile
    // share that one): the file may have changed since the running one read it.
    if (this.reloading !== null) {
      this.reloadAgain ??= this.reloading.then(() => {
        this.reloadAgain = null;
        return this.reload();
      });
      return this.reloadAgain;
    }
    this.reloading = this.doReload()
      .catch((e: unknown): ReloadResult => {
        // Anything unforeseen is still an answer and a log line, never a silent 500.
        const errors = [`reload failed: ${e instanceof Error ? e.message : String(e)}`];
        this.o.log.error("reload_failed", { errors });
        return { ok: false, errors };
      })
      .finally(() => {
        this.reloading = null;
      });
    return this.reloading;
  }

  private async doReload(): Promise<ReloadResult> {
    const log = this.o.log;
    if (!this.o.loadConfig)
      return {
        ok: false,
        errors: ["running on the embedded default configuration: nothing to reload"],
      };
    const loaded = this.o.loadConfig();
    if (!loaded.ok) {
      log.error("reload_refused", { errors: loaded.errors });
      return { ok: false, errors: loaded.errors };
    }
    const next = loaded.cfg;
    if (
      next.devices.auto_register &&
      !this.o.store.sqlite
        .query("SELECT 1 FROM device_groups WHERE name = ?")
        .get(next.devices.default_group)
    ) {
      const errors = [
        `devices.default_group: group "${next.devices.default_group}" does not exist in the store`,
      ];
      log.error("reload_refused", { errors });
      return { ok: false, errors };
    }
    if (next.store.path !== this.cfg.store.path) {
      const errors = ["store.path: changing the database needs a restart"];
      log.error("reload_refused", { errors });
      return { ok: false, errors };
    }
    const prev = this.cfg;
    const changed: string[] = [];
    // The new proxy is built before anything changes: if it cannot start, the reload is refused and
    // the running configuration stays whole (clearing the proxy first would route every realm to
    // local policy - fail open).
    let nextProxy: RadiusProxyService | null | undefined;
    if (!same(prev.radius.proxy, next.radius.proxy)) {
      try {
        nextProxy = await this.buildProxy(next);
      } catch (e) {
        const errors = [`radius.proxy: ${e instanceof Error ? e.message : String(e)}`];
        log.error("reload_refused", { errors });
        return { ok: false, errors };
      }
    }
    // Listeners next, each swapped (old sockets closed, new ones bound) and checked: if any new
    // address cannot be bound, every swapped section is put back on its old addresses and the
    // reload is refused — a reload must never leave a protocol unserved while reporting success.
    const swapped: Array<"tacacs" | "radius" | "http"> = [];
    const radiusListen = (c: Config) => ({ ...c.radius, proxy: undefined });
    const sections: Array<["tacacs" | "radius" | "http", boolean]> = [
      ["tacacs", !same(prev.tacacs, next.tacacs)],
      ["radius", !same(radiusListen(prev), radiusListen(next))],
      ["http", !same(prev.http, next.http)],
    ];
    for (const [section, differs] of sections) {
      if (!differs) continue;
      await this.swapListeners(section, next);
      swapped.push(section);
      const failed = this.sectionListeners(section).filter((l) => l.state !== "listening");
      if (failed.length > 0) {
        for (const s of swapped.reverse()) await this.swapListeners(s, prev);
        if (nextProxy) void nextProxy.stop(0);
        const errors = failed.map(
          (l) =>
            `${section}: cannot listen on ${l.address}: ${l.error ?? l.state}; the previous listeners were restored`,
        );
        log.error("reload_refused", { errors });
        return { ok: false, errors };
      }
    }
    this.cfg = next;
    log.level = next.log.level;
    changed.push(...swapped);
    if (!same(prev.devices, next.devices)) {
      this.applyIndexSettings(next);
      changed.push("devices");
    }
    if (!same(prev.policy, next.policy) || !same(prev.accounting, next.accounting)) {
      const old = this.storePolicy;
      this.storePolicy = this.makePolicy(next, old);
      old.writer.close(); // flush what the old writer holds
      changed.push("policy");
    }
    if (nextProxy !== undefined) {
      const old = this.radiusProxy;
      this.radiusProxy = nextProxy;
      // In-flight requests finish on the home servers they were sent to.
      if (old)
        void old
          .stop(30_000)
          .catch((e) => log.error("radius_proxy_stop_failed", { reason: String(e) }));
      changed.push("radius.proxy");
    }
    log.info("reloaded", { changed });
    return { ok: true, changed };
  }

  /** Close one protocol's listeners and open them as `cfg` says (the same or other addresses). */
  private async swapListeners(section: "tacacs" | "radius" | "http", cfg: Config): Promise<void> {
    const log = this.o.log;
    if (section === "tacacs") {
      const old = this.tacacs;
      this.tacacs = null;
      // stop() closes the listening sockets at once, then lets running sessions finish (their
      // connections close after them); meanwhile the new service binds.
      void old?.stop(30_000).catch((e) => log.error("tacacs_stop_failed", { reason: String(e) }));
      await this.startTacacs(cfg);
    } else if (section === "radius") {
      const old = this.radius;
      this.radius = null;
      if (old) await old.stop(2_000);
      await this.startRadius(cfg);
    } else {
      // Not awaited, and graceful: the reload may have come in over this listener (POST
      // /api/admin/reload), and its answer is still to be written.
      void this.http
        ?.stop({ graceful: true })
        .catch((e) => log.error("http_stop_failed", { reason: String(e) }));
      this.http = null;
      this.httpListener = null;
      this.startHttp(cfg);
    }
  }

  private sectionListeners(section: "tacacs" | "radius" | "http"): ListenerStatus[] {
    if (section === "tacacs") return this.tacacs?.listeners ?? [];
    if (section === "radius") return this.radius?.listeners ?? [];
    return this.httpListener ? [this.httpListener] : [];
  }

  /** Stop accepting, let running sessions and pending requests finish up to graceMs, flush accounting. */
  async shutdown(graceMs: number): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    await Promise.all([
      this.tacacs?.stop(graceMs),
      this.radius?.stop(graceMs),
      this.radiusProxy?.stop(graceMs),
    ]);
    await this.http?.stop();
    this.storePolicy.writer.close();
  }

  private applyIndexSettings(cfg: Config): void {
    this.index.setAutoRegister({
      enabled: cfg.devices.auto_register,
      defaultGroup: cfg.devices.default_group,
      perMinute: cfg.devices.auto_register_per_minute,
      max: cfg.devices.auto_register_max,
    });
  }

  /** A policy for `cfg`; on a reload it takes over the previous one's lockout state. */
  private makePolicy(cfg: Config, previous?: StorePolicy): StorePolicy {
    const log = this.o.log;
    const sp = createStorePolicy(this.o.store, cfg, {
      onLockout: (username, clientIp) =>
        log.limited("warn", `lockout:${clientIp}`, "user_locked_out", {
          user: username,
          client: clientIp,
          reason: "locked-out",
          protocol: "policy",
        }),
      ...(previous ? { accountingCounters: previous.writer.counters } : {}),
    });
    if (sp.chapKeyProblem) log.info("chap_credentials_unavailable", { reason: sp.chapKeyProblem });
    if (previous) sp.policy.lockout.adopt(previous.policy.lockout);
    if (previous) sp.policy.verifyGate.adopt(previous.policy.verifyGate);
    // Health keeps saying why commits fail until the new writer stores a batch.
    if (previous) sp.writer.problem = previous.writer.problem;
    return sp;
  }

  private async buildProxy(cfg: Config): Promise<RadiusProxyService | null> {
    if (!cfg.radius.proxy) return null;
    return startRadiusProxy({ config: cfg.radius.proxy, registry: this.registry, log: this.o.log });
  }

  private async startTacacs(cfg: Config): Promise<void> {
    if (cfg.tacacs.listen.length === 0) return;
    this.tacacs = await startTacacs({
      config: cfg.tacacs,
      index: this.index,
      policy: this.policy,
      registry: this.registry,
      proxyCounters: this.proxyCounters,
      log: this.o.log,
    });
  }

  private async startRadius(cfg: Config): Promise<void> {
    if (cfg.radius.auth_listen.length === 0 && cfg.radius.acct_listen.length === 0) return;
    this.radius = await startRadius({
      config: cfg.radius,
      index: this.index,
      policy: this.policy,
      registry: this.registry,
      log: this.o.log,
      proxy: this.proxyPort,
    });
  }

  private startHttp(cfg: Config): void {
    if (cfg.http.listen === "") return;
    const token = process.env[cfg.http.admin_token_env];
    const problem = adminTokenProblem(token);
    this.o.log.info(
      problem ? "admin_api_off" : "admin_api_on",
      problem
        ? { reason: problem, env: cfg.http.admin_token_env }
        : { env: cfg.http.admin_token_env },
    );
    const app = createHttpApp({
      version: this.o.version,
      startedAt: this.startedAt,
      registry: this.registry,
      listeners: () => this.listeners(),
      stats: () => this.stats(),
      storeOk: () => this.index.proxyStatus("0.0.0.0") !== "store-error",
      storeProblem: () => this.storePolicy.writer.problem,
      status: () => this.statusModel(),
      admin: {
        store: this.o.store,
        token,
        registry: this.registry,
        reload: () => this.reload(),
        onAuthFailure: (reason) => {
          this.adminAuthFailures.inc({ reason });
          this.o.log.limited("warn", `admin-auth:${reason}`, "admin_auth_failed", {
            reason,
            protocol: "http",
            client: "-",
          });
        },
      },
    });
    try {
      this.http = startHttp({
        listen: cfg.http.listen,
        allow: cfg.http.allow,
        app,
        log: this.o.log,
      });
      this.httpListener = { protocol: "http", address: cfg.http.listen, state: "listening" };
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      this.o.log.error("listen_failed", {
        protocol: "http",
        address: cfg.http.listen,
        reason: error,
      });
      this.httpListener = { protocol: "http", address: cfg.http.listen, state: "failed", error };
    }
  }

  private purge(): void {
    const days = this.cfg.accounting.retention_days;
    if (days === 0) return;
    try {
      const n = purgeAccounting(this.o.store, days);
      if (n > 0) this.o.log.info("accounting_purged", { records: n, retention_days: days });
    } catch (e) {
      this.o.log.error("accounting_purge_failed", {
        reason: e instanceof Error ? e.message : String(e),
      });
    }
  }

  stats(): Record<string, unknown> {
    return {
      proxy: proxyStats(this.proxyCounters),
      devices: { ...this.index.stats },
      policy: {
        lockout: { ...this.storePolicy.policy.lockout.counters },
        credential_cache: { ...this.storePolicy.policy.cache.counters },
        verify_gate: this.storePolicy.policy.verifyGate.counters,
      },
      accounting: { ...this.storePolicy.writer.counters },
      ...(this.tacacs ? { tacacs: this.tacacs.stats() } : {}),
      ...(this.radius ? { radius: this.radius.stats() } : {}),
      ...(this.radiusProxy ? { radius_proxy: this.radiusProxy.stats() } : {}),
    };
  }

  /** Cumulative pass/fail per protocol, from the protocol counters. */
  private totals(): Record<string, number> {
    const out: Record<string, number> = {};
    const sumWhere = (name: string, pred: (labels: Record<string, string>) => boolean): number => {
      const m = this.registry.get(name)?.toJSON();
      if (!Array.isArray(m)) return 0;
      let n = 0;
      for (const row of m as Array<Record<string, string> & { value: number }>)
        if (pred(row)) n += row.value;
      return n;
    };
    if (this.tacacs) {
      const pass = (r: Record<string, string>) =>
        r.result === "pass" || r.result === "permit" || r.result === "success";
      for (const metric of [
        "aaa_tacacs_authentications_total",
        "aaa_tacacs_authorizations_total",
        "aaa_tacacs_accounting_total",
      ]) {
        out["tacacs pass"] = (out["tacacs pass"] ?? 0) + sumWhere(metric, pass);
        out["tacacs fail"] = (out["tacacs fail"] ?? 0) + sumWhere(metric, (r) => !pass(r));
      }
    }
    if (this.radius) {
      out["radius pass"] =
        sumWhere("aaa_radius_accepted_total", () => true) +
        sumWhere("aaa_radius_accounting_total", () => true);
      out["radius fail"] =
        sumWhere("aaa_radius_rejected_total", () => true) +
        sumWhere("aaa_radius_dropped_total", () => true);
    }
    return out;
  }

  private statusModel(): StatusModel {
    const totals = this.totals();
    const protocols = ["tacacs", "radius"]
      .filter((p) => `${p} pass` in totals)
      .map((p) => ({
        protocol: p,
        pass: totals[`${p} pass`] ?? 0,
        fail: totals[`${p} fail`] ?? 0,
      }));
    const clients = new Map<string, { client: string; device: string | null; requests: number }>();
    for (const c of this.radius?.server.clients(10) ?? [])
      clients.set(`radius ${c.device}`, {
        client: `radius ${c.device}`,
        device: c.device,
        requests: c.requests,
      });
    const matches = this.registry.get("aaa_tacacs_device_matches_total")?.toJSON();
    if (Array.isArray(matches))
      for (const r of matches as Array<{ device_group: string; value: number }>) {
        const key = `tacacs group ${r.device_group}`;
        const c = clients.get(key) ?? { client: key, device: null, requests: 0 };
        c.requests += r.value;
        clients.set(key, c);
      }
    const proxy = this.radiusProxy?.stats() as
      { home_servers?: Array<{ name: string; state: string; outstanding: number }> } | undefined;
    const pools = this.cfg.radius.proxy?.pools ?? [];
    return {
      version: this.o.version,
      uptimeS: Math.round((Date.now() - this.startedAt) / 1000),
      listeners: this.listeners(),
      protocols,
      rates: this.rates.snapshot(),
      rateIntervalS: this.rates.intervalMs / 1000,
      topClients: [...clients.values()].sort((a, b) => b.requests - a.requests).slice(0, 10),
      homeServers: (proxy?.home_servers ?? []).map((h) => ({
        name: h.name,
        pool: pools
          .filter((p) => (p.servers as readonly string[]).includes(h.name))
          .map((p) => p.name)
          .join(", "),
        state: h.state,
        outstanding: h.outstanding,
      })),
      recentFailures: this.o.failures.toArray(),
    };
  }
}
