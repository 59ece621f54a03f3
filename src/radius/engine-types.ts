// Types shared by the RADIUS engine (server.ts), its helpers and the UDP transport.
import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/log.ts";
import type { Policy } from "../policy/ports.ts";
import type { Dictionary } from "./codec/dictionary.ts";
import type { RadiusCounters } from "./counters.ts";
import type { RadiusProxyPort } from "./proxy-port.ts";

/** What the engine needs of a resolved device; the store's ResolvedDevice fits. */
export interface RadiusDevice {
  deviceName: string;
  groupId: number;
  groupName: string;
  radiusSecret: string | null;
  requireMessageAuthenticator: boolean;
}
export interface DeviceResolver {
  resolve(clientIp: string, proxyIp: null): RadiusDevice | null;
}

export interface RadiusSource {
  address: string;
  port: number;
}
export interface RadiusListenerRef {
  /** Distinct per socket: part of the duplicate key (RFC 5080 §2.2.2 "receiving socket"). */
  id: number;
  kind: "auth" | "acct";
}

export interface RadiusServerDeps {
  devices: DeviceResolver;
  policy: Policy;
  counters: RadiusCounters;
  log: Logger;
  clock: Clock;
  dictionary: Dictionary;
  duplicates: { lifetimeMs: number; maxEntries: number };
  /** Per-client token bucket; false = over the limit. Absent: no limit. */
  admit?: (clientKey: string, now: number) => boolean;
  proxy?: RadiusProxyPort;
}

export type HandleResult = Uint8Array | null | Promise<Uint8Array | null>;
