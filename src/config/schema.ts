// The aaa.toml schema. Every key is documented in aaa.example.toml; unknown keys are errors
// (strictObject), so a typo never silently falls back to a default.
import * as v from "valibot";
import { FACILITY, parseSyslogTarget, type Facility } from "../lib/log-format.ts";
import { RadiusProxySchema } from "./radius-proxy.ts";
import { cidr, duration, envName, int, listenAddress as hostPort } from "./valibot.ts";

/**
 * A TACACS+ listener: "addr:port", or a table when the listener needs options. The one place
 * both spellings are normalised: the validated config always holds the table form.
 */
const tacacsListener = v.pipe(
  v.union(
    [
      hostPort,
      v.strictObject({
        address: hostPort,
        /** Only the load balancer can reach this listener: a PROXY v2 header is mandatory. */
        require_proxy_protocol: v.optional(v.boolean(), false),
      }),
    ],
    'must be "addr:port" or { address = "addr:port", require_proxy_protocol = true }',
  ),
  v.transform((l): TacacsListenerConfig =>
    typeof l === "string" ? { address: l, require_proxy_protocol: false } : l,
  ),
);

// [log] (logsink): destinations of the log, each with its own level and format. A destination's
// level left out is [log] level. Formats and targets: src/lib/log-format.ts.
const logLevel = v.picklist(
  ["debug", "info", "warn", "error"],
  'must be one of "debug", "info", "warn", "error"',
);
const logFormat = v.picklist(["json", "text"], 'must be "json" or "text"');
const SyslogSchema = v.strictObject({
  target: v.pipe(
    v.string('must be a string like "udp://127.0.0.1:514"'),
    v.check(
      (s) => parseSyslogTarget(s) !== null,
      'must be "udp://host:port", "tcp://host:port" or "unix:///path" (at most 107 bytes)',
    ),
  ),
  facility: v.optional(
    v.picklist(
      Object.keys(FACILITY) as Facility[],
      `must be one of ${Object.keys(FACILITY).join(", ")}`,
    ),
    "authpriv",
  ),
  level: v.optional(logLevel),
  format: v.optional(logFormat, "json"),
  /** Also carry the fields as RFC 5424 STRUCTURED-DATA (not on unix targets: no SD there). */
  structured_data: v.optional(v.boolean(), false),
});
const LogSchema = v.strictObject({
  level: v.optional(logLevel, "info"),
  /** stdout's format; stdout = false leaves it out (file or syslog only). */
  format: v.optional(logFormat, "json"),
  stdout: v.optional(v.boolean(), true),
  /** Which auth decisions the auth log writes (the auth-log lines of issue 14 read it). */
  auth: v.optional(
    v.picklist(["all", "failures", "off"], 'must be "all", "failures" or "off"'),
    "all",
  ),
  file: v.optional(
    v.strictObject({
      path: v.pipe(v.string("must be a file path"), v.minLength(1, "must not be empty")),
      level: v.optional(logLevel),
      format: v.optional(logFormat, "json"),
    }),
  ),
  syslog: v.optional(v.array(SyslogSchema, "must be a list of [[log.syslog]] tables"), []),
});

const StoreSchema = v.strictObject({
  path: v.pipe(v.string("must be a file path"), v.minLength(1, "must not be empty")),
});

const ProxyProtocolSchema = v.strictObject({
  enabled: v.optional(v.boolean(), false),
  /** Accept a PROXY header only from a registered proxy (proxies table). */
  validate_sources: v.optional(v.boolean(), true),
  /** true: a malformed header closes the connection; false: its bytes are discarded, treated as direct. */
  reject_invalid: v.optional(v.boolean(), true),
  /** One deadline for the PROXY header and the first TACACS+ packet. */
  first_packet_timeout: v.optional(duration(100, 120_000), "5s"),
});

const TacacsLimitsSchema = v.strictObject({
  max_connections: v.optional(int(1, 1_000_000), 10_000),
  max_connections_per_client: v.optional(int(1, 100_000), 256),
  max_connections_per_proxy: v.optional(int(1, 1_000_000), 5_000),
  /** Token bucket per client and packet type: sustained packets per second and burst. */
  packets_per_second: v.optional(int(1, 1_000_000), 1_000),
  burst: v.optional(int(1, 1_000_000), 2_000),
});

const TacacsSchema = v.strictObject({
  listen: v.optional(v.array(tacacsListener, "must be a list of listen addresses"), []),
  /** Largest body accepted (RFC 8907 allows 2^32-1; no device needs more than a few KiB). */
  max_body_length: v.optional(int(1024, 16 * 1024 * 1024), 65_536),
  idle_timeout: v.optional(duration(1_000, 86_400_000), "10m"),
  /** Grant single-connect (RFC 8907 §4.3) when a client asks for it. */
  single_connect: v.optional(v.boolean(), true),
  /** Refuse PAP and ASCII login and ASCII change password: only CHAP / MS-CHAP (RFC 8907 §10.5.3). */
  only_chap: v.optional(v.boolean(), false),
  /** With only_chap: refuse enable by ASCII / PAP too (devices have no other way, so no TACACS+ enable). */
  only_chap_enable: v.optional(v.boolean(), false),
  proxy_protocol: v.optional(ProxyProtocolSchema, {}),
  limits: v.optional(TacacsLimitsSchema, {}),
});

const RadiusSchema = v.strictObject({
  auth_listen: v.optional(v.array(hostPort, "must be a list of listen addresses"), []),
  acct_listen: v.optional(v.array(hostPort, "must be a list of listen addresses"), []),
  /** Per-client token bucket: a busy NAS sends thousands per second. */
  requests_per_second: v.optional(int(1, 10_000_000), 20_000),
  burst: v.optional(int(1, 10_000_000), 40_000),
  /** RFC 5080 §2.2.2 duplicate cache lifetime and size. */
  duplicate_lifetime: v.optional(duration(5_000, 30_000), "10s"),
  duplicate_max_entries: v.optional(int(1_000, 10_000_000), 200_000),
  /** RADIUS proxy (home servers, pools, realms): src/config/radius-proxy.ts. Absent: no proxying. */
  proxy: v.optional(RadiusProxySchema),
});

const HttpSchema = v.strictObject({
  /** "" disables the HTTP endpoint. */
  listen: v.optional(v.union([v.literal(""), hostPort], 'must be "addr:port" or ""'), ""),
  /** Client networks allowed to reach the HTTP endpoint at all (others are refused at accept). */
  allow: v.optional(v.array(cidr, "must be a list of CIDRs"), ["127.0.0.0/8", "::1/128"]),
  /**
   * Open HTTP connections in all and per client address. Browsers open ~6, a scraper 1: the
   * bounds keep a flood from taking the descriptors the AAA listeners need (the total is further
   * capped to a share of the process's descriptor limit, see transport/http.ts).
   */
  max_connections: v.optional(int(1, 100_000), 256),
  max_connections_per_client: v.optional(int(1, 10_000), 32),
  /** Name of the environment variable holding the admin API bearer token. Unset: admin API off. */
  admin_token_env: v.optional(envName, "AAA_ADMIN_TOKEN"),
});

const DevicesSchema = v.strictObject({
  auto_register: v.optional(v.boolean(), false),
  default_group: v.optional(v.string(), ""),
  /** At most this many devices are auto-registered per minute, and this many in all. */
  auto_register_per_minute: v.optional(int(1, 100_000), 60),
  auto_register_max: v.optional(int(1, 10_000_000), 10_000),
});

const LockoutSchema = v.strictObject({
  enabled: v.optional(v.boolean(), true),
  max_failures: v.optional(int(1, 1_000), 5),
  window: v.optional(duration(1_000, 86_400_000), "5m"),
  cooldown: v.optional(duration(1_000, 86_400_000), "15m"),
  /** Bound on tracked (user, client) pairs. */
  max_entries: v.optional(int(100, 10_000_000), 100_000),
});

const CredentialCacheSchema = v.strictObject({
  enabled: v.optional(v.boolean(), true),
  ttl: v.optional(duration(1_000, 86_400_000), "5m"),
  max_entries: v.optional(int(1, 10_000_000), 50_000),
});

const PolicySchema = v.strictObject({
  default_command_action: v.optional(
    v.picklist(["permit", "deny"], 'must be "permit" or "deny"'),
    "deny",
  ),
  /** Environment variable holding the key (64 hex chars) that encrypts opt-in CHAP credentials. */
  chap_key_env: v.optional(envName, "AAA_CHAP_KEY"),
  lockout: v.optional(LockoutSchema, {}),
  credential_cache: v.optional(CredentialCacheSchema, {}),
});

const AccountingSchema = v.strictObject({
  /** Records older than this many days are purged; 0 keeps them forever. */
  retention_days: v.optional(int(0, 36_500), 90),
  /** Group commit: longest wait before a batch is committed, and the largest batch. */
  commit_delay: v.optional(duration(0, 1_000), "0ms"),
  max_batch: v.optional(int(1, 100_000), 1_000),
});

export const ConfigSchema = v.strictObject({
  log: v.optional(LogSchema, {}),
  store: StoreSchema,
  tacacs: v.optional(TacacsSchema, {}),
  radius: v.optional(RadiusSchema, {}),
  http: v.optional(HttpSchema, {}),
  devices: v.optional(DevicesSchema, {}),
  policy: v.optional(PolicySchema, {}),
  accounting: v.optional(AccountingSchema, {}),
});

export type Config = v.InferOutput<typeof ConfigSchema>;
export type TacacsListenerConfig = { address: string; require_proxy_protocol: boolean };
