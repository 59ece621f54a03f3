// [radius] and [radius.proxy] → the plain option objects the RADIUS transports take (camelCase,
// milliseconds, home-server secrets as bytes). The root calls these; transports never import config.
//
//   radiusOptions(cfg.radius)                    → RadiusOptions (src/radius/options.ts)
//   radiusProxyOptions(cfg.radius.proxy, env)    → RadiusProxyOptions; throws with the server's name
//                                                  when a secret_env variable is missing (start-up)
import { parseHostPort } from "../lib/ip.ts";
import { IDS_PER_SOCKET } from "../radius/proxy/pending.ts";
import type { HomeServer, ProxySettings } from "../radius/proxy/settings.ts";
import type { RadiusOptions, RadiusProxyOptions } from "../radius/options.ts";
import type { RadiusProxyConfig } from "../config/radius-proxy.ts";
import type { Config } from "../config/schema.ts";

export function radiusOptions(r: Config["radius"]): RadiusOptions {
  return {
    authListen: r.auth_listen,
    acctListen: r.acct_listen,
    requestsPerSecond: r.requests_per_second,
    burst: r.burst,
    duplicateLifetimeMs: r.duplicate_lifetime,
    duplicateMaxEntries: r.duplicate_max_entries,
  };
}

export function radiusProxyOptions(
  p: RadiusProxyConfig,
  env: Record<string, string | undefined>,
): RadiusProxyOptions {
  return {
    settings: proxySettings(p),
    homeServers: buildHomeServers(p, (h) => resolveSecret(h, env)),
  };
}

function proxySettings(cfg: RadiusProxyConfig): ProxySettings {
  return {
    pools: cfg.pools,
    realms: cfg.realms,
    defaultRealm: cfg.default_realm,
    maxProxyStates: cfg.max_proxy_states,
    maxPending: cfg.max_pending,
    retry: {
      initialTimeout: cfg.retry.initial_timeout,
      maxTimeout: cfg.retry.max_timeout,
      maxRetries: cfg.retry.max_retries,
      maxDuration: cfg.retry.max_duration,
    },
    health: {
      interval: cfg.health.interval,
      probeTimeout: cfg.health.probe_timeout,
      zombiePeriod: cfg.health.zombie_period,
      reviveAfter: cfg.health.revive_after,
      downAfter: cfg.health.down_after,
      reviveInterval: cfg.health.revive_interval,
    },
  };
}

/**
 * One entry per (server, port): a "both" server yields an auth entry at `address` and an accounting
 * entry at `acct_address` (default port + 1, the RFC 2865/2866 1812/1813 convention).
 * `secretOf` returns the secret bytes of a configured server (it throws on a missing variable).
 */
function buildHomeServers(
  cfg: RadiusProxyConfig,
  secretOf: (h: RadiusProxyConfig["home_servers"][number]) => Uint8Array,
): HomeServer[] {
  const out: HomeServer[] = [];
  for (const h of cfg.home_servers) {
    const secret = secretOf(h);
    const main = parseHostPort(h.address);
    if (!main.ok) throw new Error(`radius.proxy home server ${h.name}: bad address`);
    const base = {
      name: h.name,
      secret,
      responseTimeout: h.response_timeout,
      maxOutstanding: h.max_outstanding,
      sockets: Math.ceil(h.max_outstanding / IDS_PER_SOCKET),
      requireMa: h.require_message_authenticator,
      statusCheck: h.status_check,
    };
    const entry = (kind: "auth" | "acct", host: string, port: number): HomeServer => ({
      ...base,
      kind,
      host,
      port,
      address: host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`,
    });
    if (h.type === "auth" || h.type === "both")
      out.push(entry("auth", main.value.host, main.value.port));
    if (h.type === "acct") out.push(entry("acct", main.value.host, main.value.port));
    if (h.type === "both") {
      const acct = h.acct_address === undefined ? undefined : parseHostPort(h.acct_address);
      if (acct && !acct.ok) throw new Error(`radius.proxy home server ${h.name}: bad acct_address`);
      if (acct) out.push(entry("acct", acct.value.host, acct.value.port));
      else if (main.value.port < 65535)
        out.push(entry("acct", main.value.host, main.value.port + 1));
    }
  }
  return out;
}

/** Resolve a server's secret: `secret` or the environment variable named by `secret_env`. */
function resolveSecret(
  h: RadiusProxyConfig["home_servers"][number],
  env: Record<string, string | undefined>,
): Uint8Array {
  if (h.secret !== undefined) return new TextEncoder().encode(h.secret);
  const name = h.secret_env ?? "";
  const v = env[name];
  if (v === undefined || v === "")
    throw new Error(
      `radius.proxy home server ${h.name}: environment variable ${name} (secret_env) is not set`,
    );
  return new TextEncoder().encode(v);
}
