// The status page model reads the services' counter objects (src/root/status.ts), not metric
// names: pass/fail per protocol and the busiest clients, socket-free.
import { expect, test } from "bun:test";
import { Registry } from "../../src/lib/metrics.ts";
import { createRadiusCounters } from "../../src/radius/counters.ts";
import { protocolTotals, statusModel } from "../../src/root/status.ts";
import { createTacacsCounters } from "../../src/transport/tacacs-metrics.ts";

function counters() {
  const r = new Registry();
  const tacacs = createTacacsCounters(r, { connections: () => 0, sessions: () => 0 });
  const radius = createRadiusCounters(r);
  tacacs.authen.inc({ protocol: "tacacs", type: "pap", result: "pass", reason: "ok" }, 3);
  tacacs.authen.inc({ protocol: "tacacs", type: "pap", result: "fail", reason: "bad" });
  tacacs.author.inc({ protocol: "tacacs", result: "permit", reason: "ok" }, 2);
  tacacs.acct.inc({ protocol: "tacacs", type: "start", result: "success" });
  tacacs.acct.inc({ protocol: "tacacs", type: "stop", result: "error" }, 4);
  tacacs.deviceMatches.inc({ protocol: "tacacs", device_group: "core", via: "direct" }, 7);
  radius.accepted.inc({ device_group: "core" }, 5);
  radius.accounting.inc({ port: "acct", device_group: "core" }, 2);
  radius.rejected.inc({ device_group: "core", reason: "bad-password" });
  radius.dropped.inc({ device_group: "", reason: "unknown-client" }, 3);
  return { tacacs, radius };
}

test("pass/fail per running protocol come from the counter objects", () => {
  const c = counters();
  expect(protocolTotals(c)).toEqual({
    "tacacs pass": 6,
    "tacacs fail": 5,
    "radius pass": 7,
    "radius fail": 4,
  });
  // A protocol that is not running shows no row.
  expect(protocolTotals({ tacacs: null, radius: c.radius })).toEqual({
    "radius pass": 7,
    "radius fail": 4,
  });
});

test("the model ranks RADIUS devices and TACACS+ device groups together", () => {
  const c = counters();
  const m = statusModel({
    ...c,
    version: "t",
    startedAt: Date.now(),
    listeners: [],
    rates: [],
    rateIntervalS: 10,
    radiusClients: [{ device: "nas-1", requests: 9 }],
    homeServers: [{ name: "h1", state: "up", outstanding: 0 }],
    pools: [{ name: "p", servers: ["h1"] }],
    recentFailures: [],
  });
  expect(m.protocols).toEqual([
    { protocol: "tacacs", pass: 6, fail: 5 },
    { protocol: "radius", pass: 7, fail: 4 },
  ]);
  expect(m.topClients).toEqual([
    { client: "radius nas-1", device: "nas-1", requests: 9 },
    { client: "tacacs group core", device: null, requests: 7 },
  ]);
  expect(m.homeServers).toEqual([{ name: "h1", pool: "p", state: "up", outstanding: 0 }]);
});
