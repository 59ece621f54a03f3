// Types shared by the RADIUS engine (server.ts), its helpers and the UDP transport.
import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/log.ts";
import type { Device } from "../policy/devices.ts";
import type { Policy } from "../policy/ports.ts";
import type { Dictionary } from "./codec/dictionary.ts";
import type { RadiusCounters } from "./counters.ts";
import type { RadiusProxyPort } from "./proxy-port.ts";

/** What the engine needs of a resolved device (src/policy/devices.ts): the secret as bytes. */
export type RadiusDevice = Pick<
  Device,
  "deviceName" | "groupId" | "groupName" | "radiusSecret" | "requireMessageAuthenticator"
>;
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
  /**
   * The transport's send, for replies decided after handle() returned (a forwarded request, an
   * accounting COMMIT): handle() then returns LATER and the reply (or null: nothing to send) comes
   * through here. Without it, handle() returns a Promise for such replies. The UDP transport sets
   * it: a proxied request then costs no promise at all, an accounting record one fewer.
   */
  respond?: (bytes: Uint8Array | null, source: RadiusSource) => void;
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

/** handle()'s answer will come through the listener's respond(). */
export const LATER: unique symbol = Symbol("radius-reply-later");

export type HandleResult = Uint8Array | null | Promise<Uint8Array | null> | typeof LATER;
