// The plain option objects the RADIUS transports take (camelCase, milliseconds, secrets as bytes).
// The root maps the validated [radius] and [radius.proxy] tables to these
// (src/root/radius-options.ts); engines and transports never read the configuration or the
// environment themselves.
import type { HomeServer, ProxySettings } from "./proxy/settings.ts";

/** [radius]: listeners, the per-client token bucket, the RFC 5080 §2.2.2 duplicate cache. */
export interface RadiusOptions {
  authListen: readonly string[];
  acctListen: readonly string[];
  requestsPerSecond: number;
  burst: number;
  /** Reply lifetime in the duplicate cache, ms. */
  duplicateLifetimeMs: number;
  duplicateMaxEntries: number;
}

/** [radius.proxy]: realms, pools, retries and health; home-server secrets already bytes. */
export interface RadiusProxyOptions {
  settings: ProxySettings;
  homeServers: HomeServer[];
}
