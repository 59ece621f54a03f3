// Issue 21, defect 3: with PROXY v2 enabled a connection holds a slot until its header (or first
// byte) is decided. Sources that are neither a registered proxy nor a device get only a small
// pre-admission budget, so a crowd of idle unknown connections cannot take the slots that devices
// and proxies need. Sources are loopback aliases 127.0.0.2–9 (Linux routes all of 127/8 to lo).
import { afterAll, beforeAll, expect, test } from "bun:test";
import * as net from "node:net";
import { encodeProxyV2 } from "../../src/proxy-protocol/encode.ts";
import { AuthenStatus } from "../../src/tacacs/codec/authentication.ts";
import { papOnce } from "../support/tacacs-client.ts";
import { eventually, KEY, startServer, USERS, type Server } from "./harness.ts";

const MAX_CONNECTIONS = 64;
const SOURCES = 8;
const PER_SOURCE = 12;

let srv: Server;
const held: net.Socket[] = [];
beforeAll(async () => {
  srv = await startServer({
    listen: ["127.0.0.1:0"],
    tacacs: {
      proxy_protocol: { enabled: true, validate_sources: true, first_packet_timeout: "20s" },
      limits: { max_connections: MAX_CONNECTIONS },
    },
    devices: (d) => {
      d.addProxy({ name: "lb", network: "127.0.0.1/32" });
      d.addDevice({ name: "behind-lb", network: "192.0.2.10/32", group: "core" });
    },
  });
});
afterAll(async () => {
  for (const s of held) s.destroy();
  await srv?.stop();
});

/** Opens an idle connection from `local`; resolves once connected or refused (bounded). */
function idleFrom(local: string): Promise<net.Socket> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port: srv.port4, localAddress: local });
    s.on("error", () => {});
    const done = () => resolve(s);
    s.once("connect", done);
    s.once("close", done);
    setTimeout(done, 2000);
  });
}

test("idle connections from unknown sources stay inside their budget; a device and a proxied client are still served", async () => {
  for (let i = 0; i < SOURCES; i++)
    for (let j = 0; j < PER_SOURCE; j++) held.push(await idleFrom(`127.0.0.${2 + i}`));
  // More unknown connections were attempted than there are slots at all.
  expect(SOURCES * PER_SOURCE).toBeGreaterThan(MAX_CONNECTIONS);
  expect(await eventually(() => srv.refusals("limit_unadmitted") > 0)).toBe(true);
  const open = srv.svc.stats().active_connections as number;
  expect(open).toBeLessThanOrEqual(MAX_CONNECTIONS / 8);

  // A device connecting directly...
  expect(await papOnce("127.0.0.1", srv.port4, KEY, "alice", USERS.alice.password)).toBe(
    AuthenStatus.PASS,
  );
  // ...and a client behind the registered proxy.
  const header = encodeProxyV2({
    command: "PROXY",
    family: "TCP4",
    addresses: {
      source: { ip: "192.0.2.10", port: 40000 },
      destination: { ip: "192.0.2.1", port: 49 },
    },
  });
  expect(await papOnce("127.0.0.1", srv.port4, KEY, "alice", USERS.alice.password, header)).toBe(
    AuthenStatus.PASS,
  );
  expect(srv.refusals("limit_total")).toBe(0);
}, 30_000);
