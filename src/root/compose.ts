// The composition root: builds the running server from a validated config and the environment —
// policy over the store, the TACACS+ / RADIUS / RADIUS proxy services, the HTTP endpoint — and is
// the only place where adapters (store, transport, http) meet. Option objects come from
// options.ts; reload (diff, swap, roll back) is reload.ts, which drives this class through
// ReloadTarget; the status page model is status.ts. Only src/main.ts and tests import this file.
//
// Store changes need no reload: every request sees them. Policy settings swap the policy behind a
// forwarding facade, so services hold one Policy for their whole life.
import type { Config } from "../config/schema.ts";
import type { ListenerStatus } from "../lib/listener-status.ts";
import type { Logger } from "../lib/log.ts";
import { Registry } from "../lib/metrics.ts";
import { RateSampler, type Ring } from "../lib/recent.ts";
import { AuthLog, failureFeed, TopClients } from "../policy/auth-log.ts";
import { DecisionStream } from "../policy/decision-record.ts";
import { DeviceIndex } from "../store/device-index.ts";
import type { Store } from "../store/open.ts";
import type { StorePolicy } from "../store/policy-source.ts";
import type { HttpListener } from "../transport/http.ts";
import type { GateCounters } from "../transport/http-gate.ts";
import { ListenerPool } from "../transport/listener-pool.ts";
import { createProxyCounters, proxyStats } from "../transport/metrics.ts";
import type { RadiusService } from "../transport/radius-udp.ts";
import type { RadiusProxyService } from "../transport/radius-upstream.ts";
import type { TacacsService } from "../transport/tacacs-tcp.ts";
import { lagMeter, registerGauges } from "./gauges.ts";
import { deviceIndexOptions, type Environment } from "./options.ts";
import {
  Reloader,
  type ListenerSection,
  type ReloadResult,
  type ReloadTarget,
  type Reread,
} from "./reload.ts";
import {
  buildHttp,
  buildPolicy,
  buildProxy,
  buildRadius,
  buildTacacs,
  forwardingPolicy,
  type Shared,
} from "./services.ts";
import { protocolTotals, statusModel, type Failure } from "./status.ts";
import { storeProblems, purgeOldAccounting } from "./store-checks.ts";

export type { ReloadResult } from "./reload.ts";

export type { Failure } from "./status.ts";

export interface RuntimeOptions {
  version: string;
  store: Store;
  log: Logger;
  /** A reload's [log]: new destinations and levels (root/logging.ts); without it, the level only. */
  applyLog?: (next: Config["log"]) => void;
  /** The environment the first configuration is built with (options.ts readEnvironment). */
  env: Environment;
  /** Re-reads and validates the configuration source (null: nothing to reload from). */
  reread: (() => Reread) | null;
  /** The status page's recent failures, fed from the decision stream. */
  failures: Ring<Failure>;
}

export class Runtime {
  readonly registry = new Registry();
  readonly startedAt = Date.now();
  readonly index: DeviceIndex;
  /** Every decision of both protocols; the auth log, the status page (and a trace) subscribe. */
  readonly decisions = new DecisionStream();
  private readonly authLog: AuthLog;
  private readonly topClients = new TopClients();
  /** What every service shares; built once, the same across reloads. */
  private readonly shared: Shared;
  private cfg!: Config;
  private env: Environment;
  private storePolicy!: StorePolicy;
  private tacacs: TacacsService | null = null;
  private radius: RadiusService | null = null;
  private radiusProxy: RadiusProxyService | null = null;
  private http: HttpListener | null = null;
  private httpListener: ListenerStatus | null = null;
  private readonly rates: RateSampler;
  private readonly lag = lagMeter();
  /** HTTP connections refused at accept, since start-up (each reload's gate counts into it). */
  private readonly httpRefusals: GateCounters = { denied: 0, limitTotal: 0, limitClient: 0 };
  private timers: Array<ReturnType<typeof setInterval>> = [];
  private readonly reloader: Reloader<RadiusProxyService>;
  private readonly adminAuthFailures = this.registry.counter(
    "aaa_admin_auth_failures_total",
    "Admin API requests refused for a missing or wrong token, by reason",
    ["reason"],
  );

  constructor(private readonly o: RuntimeOptions) {
    const log = o.log;
    this.env = o.env;
    this.index = new DeviceIndex(o.store, undefined, undefined, (e) =>
      log.limited("error", "store", "store_error", {
        reason: e instanceof Error ? e.message : String(e),
      }),
    );
    // The mode is set from the config in start() and on every reload.
    this.authLog = new AuthLog(log, "all");
    this.decisions.subscribe(this.authLog.consume);
    this.decisions.subscribe(failureFeed(o.failures));
    this.decisions.subscribe(this.topClients.consume);
    this.shared = {
      decisions: this.decisions,
      store: o.store,
      registry: this.registry,
      log,
      index: this.index,
      policy: forwardingPolicy(() => this.storePolicy.policy),
      proxyCounters: createProxyCounters(this.registry),
      pool: new ListenerPool(),
    };
    this.rates = new RateSampler(() => this.totals(), 10_000, 30);
    registerGauges(this.registry, {
      startedAt: this.startedAt,
      index: this.index,
      policy: () => this.storePolicy,
      lag: this.lag,
      openTacacsConnections: () => Number(this.tacacs?.stats().active_connections ?? 0),
      openHttpConnections: () => this.http?.open() ?? 0,
      httpRefusals: this.httpRefusals,
    });
    this.reloader = new Reloader(o.reread, this.reloadTarget(), log);
  }

  get config(): Config {
    return this.cfg;
  }

  /** Start everything for `cfg`. Listener failures are reported in the listener list and logged. */
  async start(cfg: Config): Promise<void> {
    this.cfg = cfg;
    this.authLog.mode = cfg.log.auth;
    this.index.setAutoRegister(deviceIndexOptions(cfg));
    this.storePolicy = buildPolicy(this.shared, cfg, this.env);
    this.radiusProxy = await buildProxy(this.shared, cfg, this.env);
    this.tacacs = await buildTacacs(this.shared, cfg);
    this.radius = await buildRadius(this.shared, cfg, this.radiusProxy);
    this.startHttp(cfg, this.env);
    const purge = () => purgeOldAccounting(this.o.store, this.cfg, this.o.log);
    purge();
    this.timers.push(
      setInterval(purge, 3_600_000),
      setInterval(() => this.rates.sample(), this.rates.intervalMs),
      this.lag.start(),
    );
    for (const t of this.timers) t.unref();
  }

  listeners(): ListenerStatus[] {
    return [
      ...(this.tacacs?.listeners ?? []),
      ...(this.radius?.listeners ?? []),
      ...(this.httpListener ? [this.httpListener] : []),
    ];
  }

  /** Re-read the configuration and apply what changed (reload.ts). */
  reload(): Promise<ReloadResult> {
    return this.reloader.reload();
  }

  /** Stop accepting, let running sessions and pending requests finish up to graceMs, flush accounting. */
  async shutdown(graceMs: number): Promise<void> {
    this.reloader.stop();
    for (const t of this.timers) clearInterval(t);
    await Promise.all([
      this.tacacs?.stop(graceMs),
      this.radius?.stop(graceMs),
      this.radiusProxy?.stop(graceMs),
    ]);
    await this.http?.stop();
    this.storePolicy.writer.close();
  }

  private reloadTarget(): ReloadTarget<RadiusProxyService> {
    // Getters and arrows over `rt`: the reloader sees the runtime as it is at each step.
    const rt = this;
    return {
      get config() {
        return rt.cfg;
      },
      get env() {
        return rt.env;
      },
      check: (next) => storeProblems(rt.o.store, rt.cfg, next),
      buildProxy: (next, env) => buildProxy(rt.shared, next, env),
      stopProxy: (p) => void p.stop(0),
      swap: (section, cfg, env) => rt.swapListeners(section, cfg, env),
      commit: (next, env, plan, proxy) => {
        rt.cfg = next;
        rt.env = env;
        rt.authLog.mode = next.log.auth;
        if (rt.o.applyLog) rt.o.applyLog(next.log);
        else rt.o.log.level = next.log.level;
        if (plan.devices) rt.index.setAutoRegister(deviceIndexOptions(next));
        if (plan.policy) {
          const old = rt.storePolicy;
          rt.storePolicy = buildPolicy(rt.shared, next, env, old);
          old.writer.close(); // flush what the old writer holds
        }
        if (plan.radiusProxy && proxy !== undefined) {
          const old = rt.radiusProxy;
          rt.radiusProxy = proxy;
          // The RADIUS service calls the proxy itself (a forward output): tell it which one.
          rt.radius?.useProxy(proxy);
          // In-flight requests finish on the home servers they were sent to.
          void old
            ?.stop(30_000)
            .catch((e) => rt.o.log.error("radius_proxy_stop_failed", { reason: String(e) }));
        }
      },
    };
  }

  /**
   * Rebind one protocol's listeners as `cfg` says; returns the section's new listener list. TCP
   * (TACACS+, HTTP): the new service starts first and takes over the listening socket of every
   * address it keeps (the pool: nothing queued is reset), then the old one stops accepting on the
   * rest and finishes what it runs (issue 21, defect 5). UDP (RADIUS) has no accept queue to
   * lose: the old sockets close first, and a datagram meanwhile is retransmitted by the NAS.
   */
  private async swapListeners(
    section: ListenerSection,
    cfg: Config,
    env: Environment,
  ): Promise<ListenerStatus[]> {
    const log = this.o.log;
    if (section === "tacacs") {
      const old = this.tacacs;
      this.tacacs = await buildTacacs(this.shared, cfg);
      void old?.stop(30_000).catch((e) => log.error("tacacs_stop_failed", { reason: String(e) }));
      return this.tacacs?.listeners ?? [];
    }
    if (section === "radius") {
      const old = this.radius;
      this.radius = null;
      if (old) await old.stop(2_000);
      this.radius = await buildRadius(this.shared, cfg, this.radiusProxy);
      return this.radius?.listeners ?? [];
    }
    // Graceful and not awaited: the reload may have come in over this very listener (POST
    // /api/admin/reload), and its answer is still to be written.
    const old = this.http;
    this.startHttp(cfg, env);
    void old
      ?.stop({ graceful: true })
      .catch((e) => log.error("http_stop_failed", { reason: String(e) }));
    return this.httpListener ? [this.httpListener] : [];
  }

  /** (Re)build the HTTP endpoint for `cfg`; a bind failure shows in the listener list. */
  private startHttp(cfg: Config, env: Environment): void {
    const built = buildHttp(this.shared, cfg, env, {
      version: this.o.version,
      startedAt: this.startedAt,
      listeners: () => this.listeners(),
      stats: () => this.stats(),
      storeOk: () => this.index.proxyStatus("0.0.0.0") !== "store-error",
      storeProblem: () => this.storePolicy.writer.problem,
      status: () => this.status(),
      reload: () => this.reload(),
      onAuthFailure: (reason) => {
        this.adminAuthFailures.inc({ reason });
        this.o.log.limited("warn", `admin-auth:${reason}`, "admin_auth_failed", {
          reason,
          protocol: "http",
          client: "-",
        });
      },
      refusals: this.httpRefusals,
    });
    this.http = built.http;
    this.httpListener = built.status;
  }

  stats(): Record<string, unknown> {
    return {
      proxy: proxyStats(this.shared.proxyCounters),
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

  private totals(): Record<string, number> {
    return protocolTotals({
      tacacs: this.tacacs?.counters ?? null,
      radius: this.radius?.counters ?? null,
    });
  }

  private status() {
    const proxy = this.radiusProxy?.stats() as
      { home_servers?: Array<{ name: string; state: string; outstanding: number }> } | undefined;
    return statusModel({
      version: this.o.version,
      startedAt: this.startedAt,
      listeners: this.listeners(),
      tacacs: this.tacacs?.counters ?? null,
      radius: this.radius?.counters ?? null,
      rates: this.rates.snapshot(),
      rateIntervalS: this.rates.intervalMs / 1000,
      radiusClients: this.radius?.clients(10) ?? [],
      homeServers: proxy?.home_servers ?? [],
      pools: this.cfg.radius.proxy?.pools ?? [],
      recentFailures: this.o.failures.toArray(),
      decisionClients: this.topClients.top(10),
    });
  }
}
