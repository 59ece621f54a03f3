// Calling the RADIUS proxy through its seam (proxy-port.ts) and turning the callback contract into a
// value: the proxy may call `reply` before handle() returns (an answer from its own cache or an
// immediate give-up) or later (the home server answered); either way exactly once.
//
//   consultProxy(proxy, packet, device, secret, source, listener, late?) → ProxyOutcome
//
// A reply that comes later goes to `late` when given (outcome reply: LATER), else it settles the
// Promise in the outcome. An early one is always in the outcome itself.
import type { Packet } from "./codec/packet.ts";
import {
  LATER,
  type RadiusDevice,
  type RadiusListenerRef,
  type RadiusSource,
} from "./engine-types.ts";
import type { ProxyDecision, RadiusProxyPort } from "./proxy-port.ts";

export type ProxyOutcome =
  | { kind: "local"; userName: string | undefined }
  | { kind: "reject"; reason: string }
  | { kind: "drop"; reason: string }
  | { kind: "error"; error: string }
  /** The bytes to send (already signed for the NAS), or null when the proxy gave up. */
  | {
      kind: "forwarded";
      reply: Uint8Array | null | Promise<Uint8Array | null> | typeof LATER;
    };

export function consultProxy(
  proxy: RadiusProxyPort,
  packet: Packet,
  device: RadiusDevice,
  secret: Uint8Array,
  source: RadiusSource,
  listener: RadiusListenerRef,
  late?: (bytes: Uint8Array | null) => void,
): ProxyOutcome {
  let settle: ((b: Uint8Array | null) => void) | null = null;
  let early: { bytes: Uint8Array | null } | null = null;
  let decision: ProxyDecision;
  try {
    decision = proxy.handle(
      packet,
      {
        clientIp: source.address,
        clientPort: source.port,
        deviceName: device.deviceName,
        deviceGroup: device.groupName,
        nasSecret: secret,
        port: listener.kind,
      },
      (bytes) => {
        if (settle !== null) settle(bytes);
        else early ??= { bytes };
      },
    );
  } catch (e) {
    return { kind: "error", error: e instanceof Error ? e.message : String(e) };
  }
  switch (decision.kind) {
    case "local":
      return { kind: "local", userName: decision.userName };
    case "reject":
      return { kind: "reject", reason: decision.reason };
    case "drop":
      return { kind: "drop", reason: decision.reason };
    case "forwarded": {
      const e = early as { bytes: Uint8Array | null } | null;
      if (e !== null) return { kind: "forwarded", reply: e.bytes };
      if (late !== undefined) {
        settle = late;
        return { kind: "forwarded", reply: LATER };
      }
      return {
        kind: "forwarded",
        reply: new Promise<Uint8Array | null>((resolve) => {
          settle = resolve;
        }),
      };
    }
  }
}
