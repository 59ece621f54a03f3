// The device port: who is this client, and which secret does it share with us? Both protocols
// ask it the same question (TACACS+ once per connection, RADIUS once per datagram); the store's
// DeviceIndex answers it from an in-memory snapshot.
//
// Secrets are bytes here, encoded once when the snapshot is built: a transport never converts a
// secret's text per connection or per request, and no layer keeps its own text → bytes cache. A
// snapshot rebuild hands out new arrays, so code that remembers a device compares secrets by
// value (`sameSecret`), never by identity.
import { timingSafeEqual } from "../lib/bytes.ts";
import type { PolicyDevice } from "./ports.ts";

export interface Device extends PolicyDevice {
  deviceId: number;
  /** The group's TACACS+ key; null: the group has no TACACS+ secret (connections are refused). */
  tacacsKey: Uint8Array | null;
  /** The group's RADIUS shared secret; null: the group has no RADIUS secret (datagrams dropped). */
  radiusSecret: Uint8Array | null;
  requireMessageAuthenticator: boolean;
}

/** Is a socket peer a registered PROXY v2 sender? A store error answers "store-error": fail closed. */
export type ProxyStatus = "registered" | "unknown" | "store-error";

export interface DevicePort {
  /**
   * The device for a client address and the proxy it came through (null: a direct connection).
   * Tier 1 (client in the device's network and proxy in its group's proxy_network) before tier 2
   * (groups without proxy_network); longest prefix first. Null: unknown, or a store error.
   */
  resolve(client: string, proxy: string | null): Device | null;
  /** resolve(), and with `[devices] auto_register` a new device for an unknown client. */
  resolveOrRegister(client: string, proxy: string | null): Device | null;
  proxyStatus(peer: string): ProxyStatus;
}

/** Do two secrets (possibly from different snapshots) hold the same octets? Constant time. */
export function sameSecret(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return timingSafeEqual(a, b);
}
