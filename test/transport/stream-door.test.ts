// The stream front door is protocol-neutral: a second plug (an echo protocol, keyed by the device's
// RADIUS secret, as RADIUS/TCP would be) gets the same PROXY v2 handling, device admission and
// deadlines as TACACS+, and a wrapping plug — the shape TLS takes (after the clear PROXY v2 header,
// before the protocol) — transforms both directions without the door or the inner plug knowing.
// Loopback, port 0, a fake DevicePort (no store).
import { afterEach, describe, expect, test } from "bun:test";
import * as net from "node:net";
import { systemClock } from "../../src/lib/clock.ts";
import { createLogger } from "../../src/lib/log.ts";
import { Registry } from "../../src/lib/metrics.ts";
import type { Device, DevicePort } from "../../src/policy/devices.ts";
import { encodeProxyV2 } from "../../src/proxy-protocol/encode.ts";
import { createProxyCounters } from "../../src/transport/metrics.ts";
import { openDoor, type StreamDoor } from "../../src/transport/stream/door.ts";
import type {
  Admission,
  DoorRefusal,
  StreamLink,
  StreamPlug,
  StreamSession,
} from "../../src/transport/stream/plug.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

const device = (name: string): Device => ({
  deviceId: 1,
  deviceName: name,
  groupId: 1,
  groupName: "core",
  tacacsKey: null,
  radiusSecret: enc.encode("echo-secret"),
  requireMessageAuthenticator: false,
});

/** 127.0.0.1 is a registered proxy and a device; 192.0.2.10 is a device behind it. */
const devices: DevicePort = {
  resolve: (client) =>
    client === "127.0.0.1" ? device("lo") : client === "192.0.2.10" ? device("tenant") : null,
  resolveOrRegister: (client, proxy) => devices.resolve(client, proxy),
  proxyStatus: (peer) => (peer === "127.0.0.1" ? "registered" : "unknown"),
};

/** Echo: answers each chunk with "<device>:<secret>:<bytes>"; "bye" closes. */
class EchoPlug implements StreamPlug {
  refusals: DoorRefusal[] = [];
  secretOf(d: Device): Uint8Array | null {
    return d.radiusSecret;
  }
  open(a: Admission, link: StreamLink): StreamSession {
    const prefix = `${a.device.deviceName}:${dec.decode(a.secret)}:`;
    return {
      data(chunk) {
        link.touch(performance.now());
        const text = dec.decode(chunk);
        link.send(enc.encode(prefix + text));
        if (text === "bye") link.close();
      },
      busy: () => 0,
      waiting: () => false,
      closed() {},
    };
  }
  refused(reason: DoorRefusal): void {
    this.refusals.push(reason);
  }
}

/** A layer in the shape TLS will take: wraps any plug, transforming bytes in both directions. */
function xorLayer(inner: StreamPlug, mask: number): StreamPlug {
  const xor = (b: Uint8Array) => b.map((x) => x ^ mask);
  return {
    secretOf: (d) => inner.secretOf(d),
    refused: (r, c, f) => inner.refused(r, c, f),
    open(a, link) {
      // Delegation is explicit: links and sessions are class instances (methods on prototypes).
      const session = inner.open(a, {
        send: (bytes) => link.send(xor(bytes)),
        close: () => link.close(),
        destroy: () => link.destroy(),
        touch: (now) => link.touch(now),
        stallMs: (now) => link.stallMs(now),
        resolveAgain: () => link.resolveAgain(),
      });
      return {
        data: (chunk) => session.data(xor(chunk)),
        busy: () => session.busy(),
        waiting: () => session.waiting(),
        closed: () => session.closed(),
      };
    },
  };
}

let door: StreamDoor | null = null;
afterEach(async () => {
  await door?.stop(100);
  door = null;
});

function start(
  plug: StreamPlug,
  proxy: boolean,
  o: { validateSources?: boolean; maxUnadmitted?: number } = {},
): StreamDoor {
  const registry = new Registry();
  door = openDoor({
    options: {
      protocol: "echo",
      listen: [{ address: "127.0.0.1:0", requireProxyProtocol: false }],
      proxyProtocol: {
        enabled: proxy,
        validateSources: o.validateSources ?? true,
        rejectInvalid: true,
      },
      firstPacketTimeoutMs: 2000,
      idleTimeoutMs: 2000,
      limits: {
        maxConnections: 16,
        maxConnectionsPerClient: 4,
        maxConnectionsPerProxy: 8,
        ...(o.maxUnadmitted === undefined
          ? {}
          : { maxUnadmitted: o.maxUnadmitted, maxUnadmittedPerSource: o.maxUnadmitted }),
      },
    },
    devices,
    plug,
    proxyCounters: createProxyCounters(registry),
    log: createLogger({ level: "error", write: () => {} }),
    clock: systemClock,
  });
  return door;
}

/** Sends each part (one write each), collects what comes back until the server closes (bounded). */
async function exchange(port: number, parts: Uint8Array[]): Promise<string> {
  let got = "";
  let closed!: () => void;
  const done = new Promise<void>((r) => (closed = r));
  const s = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_s, d) {
        got += dec.decode(d);
      },
      close: () => closed(),
      error: () => closed(),
    },
  });
  for (const p of parts) {
    s.write(p);
    await Bun.sleep(20);
  }
  await Promise.race([done, Bun.sleep(3000)]);
  s.end();
  return got;
}

const header = encodeProxyV2({
  command: "PROXY",
  family: "TCP4",
  addresses: {
    source: { ip: "192.0.2.10", port: 40000 },
    destination: { ip: "192.0.2.1", port: 2083 },
  },
});

describe("stream front door with another protocol", () => {
  test("direct: the device's RADIUS secret reaches the plug; the plug closes after flushing", async () => {
    const d = start(new EchoPlug(), false);
    expect(await exchange(d.ports[0]!, [enc.encode("hi"), enc.encode("bye")])).toBe(
      "lo:echo-secret:hilo:echo-secret:bye",
    );
  });

  test("PROXY v2 from a registered proxy: the plug is opened for the claimed client's device", async () => {
    const d = start(new EchoPlug(), true);
    expect(await exchange(d.ports[0]!, [header, enc.encode("bye")])).toBe("tenant:echo-secret:bye");
  });

  test("a device without the plug's secret is refused by the door (no_secret), nothing echoed", async () => {
    const plug = new EchoPlug();
    plug.secretOf = () => null;
    const d = start(plug, false);
    expect(await exchange(d.ports[0]!, [enc.encode("bye")])).toBe("");
    expect(plug.refusals).toEqual(["no_secret"]);
  });

  test("a wrapping layer after the clear PROXY v2 header transforms both directions", async () => {
    const d = start(xorLayer(new EchoPlug(), 0x5a), true);
    const masked = enc.encode("bye").map((x) => x ^ 0x5a);
    const got = await exchange(d.ports[0]!, [header, masked]);
    expect(dec.decode(enc.encode(got).map((x) => x ^ 0x5a))).toBe("tenant:echo-secret:bye");
  });

  test("an unknown source's budget slot is returned once its header admits a device, not at close", async () => {
    // validate_sources off: any source may be a balancer. 127.0.0.5 is neither proxy nor device,
    // so it waits inside a budget of one; its header names a device, and the slot is free again
    // while that first connection stays open.
    const plug = new EchoPlug();
    const d = start(plug, true, { validateSources: false, maxUnadmitted: 1 });
    const open = async () => {
      const s = net.connect({ host: "127.0.0.1", port: d.ports[0]!, localAddress: "127.0.0.5" });
      s.on("error", () => {});
      let got = "";
      s.on("data", (b: Buffer) => (got += b.toString()));
      await new Promise((r) => s.once("connect", r));
      s.write(header);
      s.write("hi");
      for (let i = 0; i < 100 && got === ""; i++) await Bun.sleep(10);
      return { s, got };
    };
    const first = await open();
    const second = await open();
    try {
      expect([first.got, second.got]).toEqual(["tenant:echo-secret:hi", "tenant:echo-secret:hi"]);
      expect(plug.refusals).toEqual([]);
      // Two undecided connections from it at once: the second is over the budget.
      const idle = [0, 1].map(() => {
        const s = net.connect({ host: "127.0.0.1", port: d.ports[0]!, localAddress: "127.0.0.5" });
        s.on("error", () => {});
        return s;
      });
      for (let i = 0; i < 100 && plug.refusals.length === 0; i++) await Bun.sleep(10);
      expect(plug.refusals).toEqual(["limit_unadmitted"]);
      for (const s of idle) s.destroy();
    } finally {
      first.s.destroy();
      second.s.destroy();
    }
  });
});
