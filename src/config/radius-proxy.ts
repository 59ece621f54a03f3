// [radius.proxy]: home servers, pools, realms, retries and health checks of the RADIUS proxy.
// The valibot schema checks each key on its own; checkRadiusProxy() checks what refers to what
// (pool → home servers, realm → pool), duplicates and regexes, with key paths such as
// "radius.proxy.realms[2].pool". Secrets: `secret` in the file or `secret_env` naming an environment
// variable (read at start-up by startRadiusProxy, never logged); exactly one of the two.
import * as v from "valibot";
import { attrByName, defaultDictionary } from "../radius/codec/dictionary.ts";
import { duration, envName, int, remoteAddress as hostPort } from "./valibot.ts";

/** Names end up in metric labels and log lines: keep them short and plain. */
const name = v.pipe(
  v.string("must be a string"),
  v.regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/,
    "must be 1-63 characters of letters, digits, '_', '.', '-'",
  ),
);
/** Pool names with a meaning of their own in realms[].pool. */
export const RESERVED_POOLS = ["local", "reject"] as const;
export const POOL_STRATEGIES = [
  "round-robin",
  "least-outstanding",
  "failover",
  "random",
  "keyed",
] as const;
export type PoolStrategy = (typeof POOL_STRATEGIES)[number];

const HomeServerSchema = v.strictObject({
  name,
  /** Where Access-Requests go (type auth/both) or Accounting-Requests go (type acct). */
  address: hostPort,
  /** Accounting address of a type "both" server; default: same host, port + 1. */
  acct_address: v.optional(hostPort),
  type: v.optional(
    v.picklist(["auth", "acct", "both"], 'must be "auth", "acct" or "both"'),
    "auth",
  ),
  secret: v.optional(v.pipe(v.string("must be a string"), v.minLength(1, "must not be empty"))),
  secret_env: v.optional(envName),
  /** First retransmission timeout (RFC 5080 IRT) for attempts on this server; default retry.initial_timeout. */
  response_timeout: v.optional(duration(10, 60_000)),
  /** Requests in flight to this server; 256 per upstream socket, sockets are opened to match. */
  max_outstanding: v.optional(int(1, 65_536), 4_096),
  /** Drop Access-Accept/Reject/Challenge replies without Message-Authenticator (BlastRADIUS). */
  require_message_authenticator: v.optional(v.boolean(), true),
  /** Send Status-Server probes (RFC 5997). Off: a zombie returns to service after health.revive_interval. */
  status_check: v.optional(v.boolean(), true),
});

const PoolSchema = v.strictObject({
  name,
  strategy: v.optional(
    v.picklist(POOL_STRATEGIES, `must be one of ${POOL_STRATEGIES.join(", ")}`),
    "round-robin",
  ),
  /** Home server names; for "failover" the order is the preference order. */
  servers: v.array(v.string("must be a home server name"), "must be a list of home server names"),
  /** "keyed": hash of the first of these attributes present in the request. */
  key_attributes: v.optional(v.array(v.string(), "must be a list of attribute names"), [
    "Calling-Station-Id",
    "User-Name",
  ]),
});

const RealmSchema = v.strictObject({
  name,
  /** exact: the realm equals pattern; suffix: equals it or ends in "." + pattern; regex: pattern matches. */
  match: v.optional(
    v.picklist(["exact", "suffix", "regex"], 'must be "exact", "suffix" or "regex"'),
    "exact",
  ),
  /** Default: name. Compared case-insensitively. */
  pattern: v.optional(v.pipe(v.string(), v.minLength(1, "must not be empty"))),
  /** A pool name, "local" (answer from local policy) or "reject" (Access-Reject). */
  pool: v.string('must be a pool name, "local" or "reject"'),
  /** Pool for Accounting-Requests; default: pool. */
  acct_pool: v.optional(v.string()),
  /** Forward (or answer locally) with the realm removed from User-Name. */
  strip: v.optional(v.boolean(), true),
});

const RetrySchema = v.strictObject({
  /** RFC 5080 §2.2.1 IRT, MRT, MRC, MRD. */
  initial_timeout: v.optional(duration(10, 60_000), "1s"),
  max_timeout: v.optional(duration(10, 300_000), "8s"),
  max_retries: v.optional(int(0, 20), 3),
  max_duration: v.optional(duration(100, 600_000), "30s"),
});

const HealthSchema = v.strictObject({
  /** Status-Server probe interval per home server. */
  interval: v.optional(duration(100, 3_600_000), "10s"),
  /** A probe unanswered after this long counts as a failure (probes are never retransmitted). */
  probe_timeout: v.optional(duration(10, 60_000), "2s"),
  /** up → zombie when a request times out and nothing was heard from the server for this long. */
  zombie_period: v.optional(duration(0, 3_600_000), "5s"),
  /** zombie/down → up after this many consecutive answers (probes or real replies). */
  revive_after: v.optional(int(1, 100), 3),
  /** zombie → down after this many consecutive failures (status_check servers only). */
  down_after: v.optional(int(1, 100), 3),
  /** zombie → up after this long for servers without status_check. */
  revive_interval: v.optional(duration(100, 3_600_000), "60s"),
});

export const RadiusProxySchema = v.strictObject({
  home_servers: v.optional(v.array(HomeServerSchema, "must be a list of home server tables"), []),
  pools: v.optional(v.array(PoolSchema, "must be a list of pool tables"), []),
  realms: v.optional(v.array(RealmSchema, "must be a list of realm tables"), []),
  /** Realm (by name) for user names with no realm or no matching realm; "" answers them locally. */
  default_realm: v.optional(v.string(), ""),
  /** Loop protection: drop requests already carrying more Proxy-State attributes than this. */
  max_proxy_states: v.optional(int(0, 100), 8),
  /** Bound on requests in flight through the proxy, all home servers together. */
  max_pending: v.optional(int(1, 10_000_000), 100_000),
  retry: v.optional(RetrySchema, {}),
  health: v.optional(HealthSchema, {}),
});

export type RadiusProxyConfig = v.InferOutput<typeof RadiusProxySchema>;
export type HomeServerConfig = RadiusProxyConfig["home_servers"][number];
export type PoolConfig = RadiusProxyConfig["pools"][number];
export type RealmConfig = RadiusProxyConfig["realms"][number];

export interface ProxyConfigError {
  path: string;
  reason: string;
}

/** Cross-reference checks; `cfg` is the validated [radius.proxy] table (undefined: nothing to check). */
export function checkRadiusProxy(cfg: RadiusProxyConfig | undefined): ProxyConfigError[] {
  const errors: ProxyConfigError[] = [];
  if (!cfg) return errors;
  const at = (p: string, reason: string) => errors.push({ path: `radius.proxy.${p}`, reason });
  const servers = new Map<string, HomeServerConfig>();
  cfg.home_servers.forEach((h, i) => {
    if (servers.has(h.name)) at(`home_servers[${i}].name`, `duplicate home server "${h.name}"`);
    servers.set(h.name, h);
    if ((h.secret === undefined) === (h.secret_env === undefined))
      at(`home_servers[${i}]`, "needs exactly one of secret or secret_env");
    if (h.acct_address !== undefined && h.type !== "both")
      at(
        `home_servers[${i}].acct_address`,
        'only a type "both" server has a separate accounting address',
      );
  });
  const pools = new Map<string, PoolConfig>();
  const dict = defaultDictionary();
  cfg.pools.forEach((p, i) => {
    if (pools.has(p.name)) at(`pools[${i}].name`, `duplicate pool "${p.name}"`);
    if ((RESERVED_POOLS as readonly string[]).includes(p.name))
      at(`pools[${i}].name`, `"${p.name}" is reserved`);
    pools.set(p.name, p);
    if (p.servers.length === 0) at(`pools[${i}].servers`, "a pool needs at least one home server");
    const seen = new Set<string>();
    p.servers.forEach((s, j) => {
      if (!servers.has(s)) at(`pools[${i}].servers[${j}]`, `unknown home server "${s}"`);
      if (seen.has(s)) at(`pools[${i}].servers[${j}]`, `"${s}" is listed twice`);
      seen.add(s);
    });
    p.key_attributes.forEach((a, j) => {
      if (!attrByName(dict, a) || attrByName(dict, a)!.vendorId !== 0)
        at(`pools[${i}].key_attributes[${j}]`, `unknown standard attribute "${a}"`);
    });
    if (p.strategy === "keyed" && p.key_attributes.length === 0)
      at(`pools[${i}].key_attributes`, "a keyed pool needs at least one attribute");
  });
  const serves = (pool: string, kind: "auth" | "acct") =>
    (pools.get(pool)?.servers ?? []).some((s) => {
      const t = servers.get(s)?.type;
      return t === "both" || t === kind;
    });
  const realmNames = new Set<string>();
  const patterns = new Set<string>();
  cfg.realms.forEach((r, i) => {
    if (realmNames.has(r.name)) at(`realms[${i}].name`, `duplicate realm "${r.name}"`);
    realmNames.add(r.name);
    const pattern = `${r.match}:${(r.pattern ?? r.name).toLowerCase()}`;
    if (patterns.has(pattern)) at(`realms[${i}]`, `duplicate realm match ${pattern}`);
    patterns.add(pattern);
    if (r.match === "regex") {
      try {
        new RegExp(r.pattern ?? r.name, "i");
      } catch (e) {
        at(`realms[${i}].pattern`, `invalid regex: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const special = (RESERVED_POOLS as readonly string[]).includes(r.pool);
    if (!special && !pools.has(r.pool)) at(`realms[${i}].pool`, `unknown pool "${r.pool}"`);
    else if (
      !special &&
      pools.get(r.pool)!.servers.length > 0 &&
      !serves(r.pool, "auth") &&
      !serves(r.pool, "acct")
    )
      at(`realms[${i}].pool`, `pool "${r.pool}" has no usable home server`);
    if (r.acct_pool !== undefined) {
      if (!(RESERVED_POOLS as readonly string[]).includes(r.acct_pool) && !pools.has(r.acct_pool))
        at(`realms[${i}].acct_pool`, `unknown pool "${r.acct_pool}"`);
      else if (pools.has(r.acct_pool) && !serves(r.acct_pool, "acct"))
        at(
          `realms[${i}].acct_pool`,
          `pool "${r.acct_pool}" has no accounting server (type "acct" or "both")`,
        );
    }
  });
  if (cfg.default_realm !== "" && !realmNames.has(cfg.default_realm))
    at("default_realm", `unknown realm "${cfg.default_realm}"`);
  if (cfg.retry.max_timeout < cfg.retry.initial_timeout)
    at("retry.max_timeout", "must not be below retry.initial_timeout");
  return errors;
}
