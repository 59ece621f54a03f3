// Interop: HAProxy (Debian `haproxy`) in front of the server with `send-proxy-v2`, connecting to us
// from 127.0.0.3 (`source`), a registered proxy. The real client is 127.0.0.1. The device for
// 127.0.0.1 *behind proxy 127.0.0.3* lives in group "tenant" (proxy_network 127.0.0.3/32, its own
// secret); a direct 127.0.0.1 would match "lo4" in group "core" instead. So authenticating with the
// tenant secret and seeing device "tenant-dev" proves the server used the PROXY source address.
// Health checks — plain `check` and `check check-send-proxy` (the LOCAL command) — must produce no
// warn/error logs. The listener requires the PROXY header (only the balancer can reach it).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { addUserGroup } from "../../src/store/user-groups.ts";
import { addUser } from "../../src/store/users.ts";
import { AuthenStatus } from "../../src/tacacs/codec/authentication.ts";
import { readFileSync } from "node:fs";
import * as net from "node:net";
import { join } from "node:path";
import { baseConfig, freePort, startHaproxy, type Haproxy } from "../support/haproxy.ts";
import { peersAvailable } from "../support/peers.ts";
import { papOnce } from "../support/tacacs-client.ts";
import { eventually, startServer, type Server } from "../tacacs/harness.ts";

const TENANT_KEY = "tenant-secret-9";

describe.skipIf(!peersAvailable("haproxy"))(
  "HAProxy send-proxy-v2 in front of the TACACS+ server",
  () => {
    let srv: Server;
    let hap: Haproxy | undefined;
    let fe = 0;

    beforeAll(async () => {
      srv = await startServer({
        listen: [{ address: "127.0.0.1:0", require_proxy_protocol: true }],
        tacacs: {
          proxy_protocol: {
            enabled: true,
            validate_sources: true,
            reject_invalid: true,
            first_packet_timeout: "2s",
          },
          // Small enough that a crowd of idle unknown connections could fill it (issue 21, defect 3).
          limits: { max_connections: 64 },
        },
        devices: (d) => {
          d.addProxy({ name: "hap", network: "127.0.0.3/32" });
          d.addGroup({ name: "tenant", tacacsSecret: TENANT_KEY, proxyNetwork: "127.0.0.3/32" });
          d.addDevice({ name: "tenant-dev", network: "127.0.0.1/32", group: "tenant" });
        },
      });
      if (
        !(await addUserGroup(srv.store, { name: "tenant-ops", deviceGroups: ["tenant"] }, "t")).ok
      )
        throw new Error("fixture");
      if (
        !(
          await addUser(
            srv.store,
            { username: "tina", password: "pw-tina", groups: ["tenant-ops"] },
            "t",
          )
        ).ok
      )
        throw new Error("fixture");
      fe = freePort();
      const port = srv.port4;
      hap = await startHaproxy(
        `${baseConfig()}
frontend fe_tacacs
  bind 127.0.0.1:${fe}
  default_backend be_tacacs
backend be_tacacs
  server s1 127.0.0.1:${port} send-proxy-v2 source 127.0.0.3
backend be_checks
  server probe_local 127.0.0.1:${port} source 127.0.0.3 send-proxy-v2 check check-send-proxy inter 100
  server probe_plain 127.0.0.1:${port} source 127.0.0.3 check inter 100
`,
        { waitForListeners: [{ host: "127.0.0.1", port: fe }] },
      );
    });
    afterAll(async () => {
      await hap?.stop();
      await srv?.stop();
    });

    test("the server sees the real client address: tenant device matched, tenant secret used", async () => {
      expect(await papOnce("127.0.0.1", fe, TENANT_KEY, "tina", "pw-tina")).toBe(AuthenStatus.PASS);
      expect(await papOnce("127.0.0.1", fe, TENANT_KEY, "tina", "wrong")).toBe(AuthenStatus.FAIL);
      const stats = srv.svc.stats();
      expect(stats.recent_clients).toContainEqual({
        client: "127.0.0.1",
        proxy: "127.0.0.3",
        device: "tenant-dev",
        group: "tenant",
      });
      expect(srv.registry.get("aaa_tacacs_device_matches_total")?.toJSON()).toContainEqual({
        protocol: "tacacs",
        device_group: "tenant",
        via: "proxied",
        value: 2,
      });
      expect((stats.proxy as Record<string, number>).connections_proxied).toBe(2);
      expect(
        srv.logs.some(
          (l) =>
            l.event === "proxy_v2_accepted" && l.client === "127.0.0.1" && l.proxy === "127.0.0.3",
        ),
      ).toBe(true);
    });

    test("direct connections to the require-PROXY listener are refused", async () => {
      const r = await papOnce("127.0.0.1", srv.port4, "s3cret-core", "alice", "pw-alice").catch(
        (e: Error) => e.message,
      );
      expect(r).toContain("closed");
      expect(srv.refusals("proxy_required")).toBeGreaterThanOrEqual(1);
    });

    test("the documented deploy/haproxy.cfg works as written (addresses substituted)", async () => {
      const doc = readFileSync(join(import.meta.dir, "..", "..", "deploy", "haproxy.cfg"), "utf8");
      const fe2 = freePort();
      const cfg = doc
        .replace("bind 192.0.2.5:49", `bind 127.0.0.1:${fe2}`)
        .replace(
          /server aaa1 192\.0\.2\.11:4950/,
          `server aaa1 127.0.0.1:${srv.port4} source 127.0.0.3`,
        )
        .replace(
          /server aaa2 192\.0\.2\.12:4950/,
          `server aaa2 127.0.0.1:${srv.port4} source 127.0.0.3`,
        )
        .replace("inter 5s", "inter 200ms")
        .replace("inter 5s", "inter 200ms");
      expect(cfg.replace(/#.*$/gm, "")).not.toContain("192.0.2.");
      const hap2 = await startHaproxy(cfg, {
        waitForListeners: [{ host: "127.0.0.1", port: fe2 }],
      });
      try {
        expect(await papOnce("127.0.0.1", fe2, TENANT_KEY, "tina", "pw-tina")).toBe(
          AuthenStatus.PASS,
        );
        expect(srv.svc.stats().recent_clients).toContainEqual({
          client: "127.0.0.1",
          proxy: "127.0.0.3",
          device: "tenant-dev",
          group: "tenant",
        });
        await Bun.sleep(600); // a few health probes
        expect(hap2.output()).not.toMatch(/DOWN|ALERT/);
      } finally {
        await hap2.stop();
      }
    });

    test("check and check-send-proxy health probes: LOCAL counted, no warn or error logs", async () => {
      // Probes reached us: either as LOCAL headers, or reset by HAProxy before we could read the peer.
      const probes = () =>
        srv.proxyCounters.proxy_local.get() + (srv.svc.stats().early_resets as number);
      expect(await eventually(() => probes() >= 4, 3000)).toBe(true);
      console.log(
        `health probes: LOCAL ${srv.proxyCounters.proxy_local.get()}, reset before accept ${String(srv.svc.stats().early_resets)}`,
      );
      await Bun.sleep(300);
      const problems = srv.problems().filter((l) => l.reason !== "proxy_required"); // the direct-connection test above
      expect(problems).toEqual([]);
      expect(
        srv.logs.filter((l) => l.event === "proxy_v2_local").every((l) => l.level === "debug"),
      ).toBe(true);
      expect(hap?.output() ?? "").not.toMatch(/DOWN/);
    });

    // Last: its refusals are warn logs, which the health-probe test above must not see.
    test("idle connections from unknown sources cannot take the balancer's slots", async () => {
      const idle: net.Socket[] = [];
      try {
        // 80 idle connections (more than max_connections) from 127.0.0.4–8: neither proxy nor device.
        for (let i = 0; i < 80; i++) {
          const s = net.connect({
            host: "127.0.0.1",
            port: srv.port4,
            localAddress: `127.0.0.${4 + (i % 5)}`,
          });
          s.on("error", () => {});
          idle.push(s);
          await new Promise((r) => {
            s.once("connect", r);
            s.once("close", r);
          });
        }
        expect(await eventually(() => srv.refusals("limit_unadmitted") > 0)).toBe(true);
        expect(await papOnce("127.0.0.1", fe, TENANT_KEY, "tina", "pw-tina")).toBe(
          AuthenStatus.PASS,
        );
        expect(srv.refusals("limit_total")).toBe(0);
      } finally {
        for (const s of idle) s.destroy();
      }
    });
  },
);
