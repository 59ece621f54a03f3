// What the proxy engine runs on: home server entries with their secrets as bytes, retry and health
// parameters in milliseconds. The root maps [radius.proxy] to these (src/root/radius-options.ts);
// secrets are only ever held as bytes here; nothing in this file logs.
import type { RealmRule } from "./realm.ts";
import type { RetryPolicy } from "./retry.ts";

export interface HomeServer {
  name: string;
  /** Which port of the server this entry is: Access-Requests or Accounting-Requests. */
  kind: "auth" | "acct";
  host: string;
  port: number;
  /** "host:port" for display. */
  address: string;
  secret: Uint8Array;
  /** IRT for attempts on this server, ms; undefined: retry.initialTimeout. */
  responseTimeout: number | undefined;
  maxOutstanding: number;
  /** Upstream sockets: ceil(maxOutstanding / 256) identifier spaces. */
  sockets: number;
  requireMa: boolean;
  statusCheck: boolean;
}

export interface ProxySettings {
  pools: Array<{
    name: string;
    strategy: string;
    servers: string[];
    key_attributes: string[];
  }>;
  realms: RealmRule[];
  defaultRealm: string;
  maxProxyStates: number;
  maxPending: number;
  retry: RetryPolicy;
  health: {
    interval: number;
    probeTimeout: number;
    zombiePeriod: number;
    reviveAfter: number;
    downAfter: number;
    reviveInterval: number;
  };
}
