// One builder per service: each takes what the root shares (store, registry, log, device index,
// the forwarding policy, the listener pool) plus the validated config and the environment, maps
// them to the service's own options (options.ts) and starts it. compose.ts decides when; these
// decide how. A new service or a new option is one function here.
import type { Config } from "../config/schema.ts";
import { adminTokenProblem } from "../http/admin.ts";
import { createHttpApp, type HttpDeps } from "../http/app.ts";
import type { ListenerStatus } from "../lib/listener-status.ts";
import type { Logger } from "../lib/log.ts";
import type { Registry } from "../lib/metrics.ts";
import type { ReloadResult } from "../lib/result.ts";
import type { DecisionStream } from "../policy/decision-record.ts";
import type { Policy } from "../policy/ports.ts";
import type { RadiusProxyPort } from "../radius/proxy-port.ts";
import type { DeviceIndex } from "../store/device-index.ts";
import type { Store } from "../store/open.ts";
import { createStorePolicy, type StorePolicy } from "../store/policy-source.ts";
import { sqliteAdminService } from "../store/repos/index.ts";
import type { GateCounters } from "../transport/http-gate.ts";
import { startHttp, type HttpListener } from "../transport/http.ts";
import type { ListenerPool } from "../transport/listener-pool.ts";
import type { ProxyCounters } from "../transport/metrics.ts";
import { radiusOptions, radiusProxyOptions } from "./radius-options.ts";
import { startRadius, type RadiusService } from "../transport/radius-udp.ts";
import { startRadiusProxy, type RadiusProxyService } from "../transport/radius-upstream.ts";
import { startTacacs, type TacacsService } from "../transport/tacacs-tcp.ts";
import { httpOptions, tacacsOptions, type Environment } from "./options.ts";

/** What every service of one root shares. */
export interface Shared {
  /** Every decision's record (policy/decision-record.ts), for the auth log and the status page. */
  decisions: DecisionStream;
  store: Store;
  registry: Registry;
  log: Logger;
  index: DeviceIndex;
  /** Forwards to the current policy (a reload swaps it behind this). */
  policy: Policy;
  proxyCounters: ProxyCounters;
  /** TCP listening sockets handed from a replaced service to its successor. */
  pool: ListenerPool;
}

/** Forwards every Policy call to whichever policy is current, so a reload can swap it. */
export function forwardingPolicy(current: () => Policy): Policy {
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

/** The store-backed policy for `cfg`; on a reload it takes over the previous one's state. */
export function buildPolicy(
  s: Shared,
  cfg: Config,
  env: Environment,
  previous?: StorePolicy,
): StorePolicy {
  const sp = createStorePolicy(s.store, cfg, {
    env,
    onLockout: (username, clientIp) =>
      s.log.limited("warn", `lockout:${clientIp}`, "user_locked_out", {
        user: username,
        client: clientIp,
        reason: "locked-out",
        protocol: "policy",
      }),
    // Accounting counters are "since start-up": they continue across a rebuild.
    ...(previous ? { accountingCounters: previous.writer.counters } : {}),
  });
  if (sp.chapKeyProblem) s.log.info("chap_credentials_unavailable", { reason: sp.chapKeyProblem });
  if (previous) {
    sp.policy.lockout.adopt(previous.policy.lockout);
    sp.policy.verifyGate.adopt(previous.policy.verifyGate);
    // Health keeps saying why commits fail until the new writer stores a batch.
    sp.writer.problem = previous.writer.problem;
  }
  return sp;
}

/** The RADIUS proxy (home servers, pools, realms), or null without [radius.proxy]. Throws when it cannot start. */
export async function buildProxy(
  s: Shared,
  cfg: Config,
  env: Environment,
): Promise<RadiusProxyService | null> {
  if (!cfg.radius.proxy) return null;
  return startRadiusProxy({
    options: radiusProxyOptions(cfg.radius.proxy, env),
    registry: s.registry,
    log: s.log,
  });
}

export async function buildTacacs(s: Shared, cfg: Config): Promise<TacacsService | null> {
  if (cfg.tacacs.listen.length === 0) return null;
  return startTacacs({
    options: tacacsOptions(cfg),
    devices: s.index,
    policy: s.policy,
    registry: s.registry,
    proxyCounters: s.proxyCounters,
    log: s.log,
    decisions: s.decisions,
    listeners: s.pool,
  });
}

/** `proxy`: the RADIUS proxy in use (null: every request is local); a reload swaps it with useProxy. */
export async function buildRadius(
  s: Shared,
  cfg: Config,
  proxy: RadiusProxyPort | null,
): Promise<RadiusService | null> {
  if (cfg.radius.auth_listen.length === 0 && cfg.radius.acct_listen.length === 0) return null;
  return startRadius({
    options: radiusOptions(cfg.radius),
    index: s.index,
    policy: s.policy,
    registry: s.registry,
    log: s.log,
    decisions: s.decisions,
    ...(proxy ? { proxy } : {}),
  });
}

/** What the HTTP app reads from the running server. */
export interface HttpHooks extends Pick<
  HttpDeps,
  "listeners" | "stats" | "storeOk" | "storeProblem" | "status"
> {
  version: string;
  startedAt: number;
  reload: () => Promise<ReloadResult>;
  onAuthFailure: (reason: "missing-token" | "wrong-token" | "rate-limited") => void;
  /** Refusals at accept, kept by the root across reloads. */
  refusals: GateCounters;
}

/** The HTTP endpoint, or none for listen = "". A bind failure is a listener status, not a throw. */
export function buildHttp(
  s: Shared,
  cfg: Config,
  env: Environment,
  hooks: HttpHooks,
): { http: HttpListener | null; status: ListenerStatus | null } {
  const h = httpOptions(cfg, env);
  if (h.listen === "") return { http: null, status: null };
  const problem = adminTokenProblem(h.adminToken);
  s.log.info(
    problem ? "admin_api_off" : "admin_api_on",
    problem ? { reason: problem, env: h.adminTokenEnv } : { env: h.adminTokenEnv },
  );
  const app = createHttpApp({
    version: hooks.version,
    startedAt: hooks.startedAt,
    registry: s.registry,
    listeners: hooks.listeners,
    stats: hooks.stats,
    storeOk: hooks.storeOk,
    ...(hooks.storeProblem ? { storeProblem: hooks.storeProblem } : {}),
    ...(hooks.status ? { status: hooks.status } : {}),
    admin: {
      service: sqliteAdminService(s.store),
      token: h.adminToken,
      registry: s.registry,
      reload: hooks.reload,
      onAuthFailure: hooks.onAuthFailure,
    },
  });
  try {
    const http = startHttp({
      listen: h.listen,
      allow: h.allow,
      maxConnections: h.maxConnections,
      maxConnectionsPerClient: h.maxConnectionsPerClient,
      app,
      log: s.log,
      listeners: s.pool,
      refusals: hooks.refusals,
    });
    return { http, status: { protocol: "http", address: h.listen, state: "listening" } };
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    s.log.error("listen_failed", { protocol: "http", address: h.listen, reason: error });
    return { http: null, status: { protocol: "http", address: h.listen, state: "failed", error } };
  }
}
