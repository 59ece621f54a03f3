// Validated config → the plain option objects each service is built from. The only file that reads
// the process environment (`readEnvironment`, once at start-up, and again for each reload so a
// rotated secret is picked up); everything below the root takes values, never `process.env`.
// Secrets named by variable (`*_env` keys) are resolved here; a service never sees a variable
// name it has to look up.
//
// Adding a service: one function `xOptions(cfg, env)` here, one builder in compose.ts.
import type { Config } from "../config/schema.ts";
import type { TacacsOptions } from "../transport/tacacs-tcp.ts";

/** A snapshot of the environment: secrets are looked up by name in it. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** The one read of the process environment. A copy: later changes to process.env do not leak in. */
export function readEnvironment(): Environment {
  return Object.freeze({ ...process.env });
}

/** Who the CLI writes into the audit table (the login name; the CLI runs on the host). */
export function cliActor(env: Environment): string {
  return `cli:${env.USER ?? "unknown"}`;
}

export interface HttpOptions {
  /** "addr:port"; "" is off (then nothing else here matters). */
  listen: string;
  /** Client networks admitted at accept; everyone else is refused before a byte is read. */
  allow: readonly string[];
  /** The admin bearer token (value of [http].admin_token_env), undefined when unset. */
  adminToken: string | undefined;
  /** Its variable name, for the admin_api_on/off log line (the value is never logged). */
  adminTokenEnv: string;
  /** Open HTTP connections in all and per client address (issue 21, defect 4). */
  maxConnections: number;
  maxConnectionsPerClient: number;
}

export function httpOptions(cfg: Config, env: Environment): HttpOptions {
  return {
    listen: cfg.http.listen,
    allow: cfg.http.allow,
    adminToken: env[cfg.http.admin_token_env],
    adminTokenEnv: cfg.http.admin_token_env,
    maxConnections: cfg.http.max_connections,
    maxConnectionsPerClient: cfg.http.max_connections_per_client,
  };
}

/** `[tacacs]` → the TACACS+ service's plain options (the transport never reads the config). */
export function tacacsOptions(cfg: Config): TacacsOptions {
  const c = cfg.tacacs;
  return {
    listen: c.listen.map((l) =>
      typeof l === "string"
        ? { address: l, requireProxyProtocol: false }
        : { address: l.address, requireProxyProtocol: l.require_proxy_protocol },
    ),
    proxyProtocol: {
      enabled: c.proxy_protocol.enabled,
      validateSources: c.proxy_protocol.validate_sources,
      rejectInvalid: c.proxy_protocol.reject_invalid,
    },
    firstPacketTimeoutMs: c.proxy_protocol.first_packet_timeout,
    idleTimeoutMs: c.idle_timeout,
    limits: {
      maxConnections: c.limits.max_connections,
      maxConnectionsPerClient: c.limits.max_connections_per_client,
      maxConnectionsPerProxy: c.limits.max_connections_per_proxy,
    },
    maxBodyLength: c.max_body_length,
    singleConnect: c.single_connect,
    onlyChap: c.only_chap,
    onlyChapEnable: c.only_chap_enable,
    packetsPerSecond: c.limits.packets_per_second,
    burst: c.limits.burst,
  };
}

export interface DeviceIndexOptions {
  enabled: boolean;
  defaultGroup: string;
  perMinute: number;
  max: number;
}

/** Auto-registration of unknown devices ([devices]). */
export function deviceIndexOptions(cfg: Config): DeviceIndexOptions {
  return {
    enabled: cfg.devices.auto_register,
    defaultGroup: cfg.devices.default_group,
    perMinute: cfg.devices.auto_register_per_minute,
    max: cfg.devices.auto_register_max,
  };
}

/** What sections a service is built from: a reload rebuilds the service when this part changed. */
export const sectionOf = {
  tacacs: (cfg: Config) => cfg.tacacs,
  // The proxy has its own lifecycle (built before the listeners swap, see reload.ts).
  radius: (cfg: Config) => ({ ...cfg.radius, proxy: undefined }),
  http: (cfg: Config) => cfg.http,
  radiusProxy: (cfg: Config) => cfg.radius.proxy,
  devices: (cfg: Config) => cfg.devices,
  policy: (cfg: Config) => ({ policy: cfg.policy, accounting: cfg.accounting }),
} as const;
