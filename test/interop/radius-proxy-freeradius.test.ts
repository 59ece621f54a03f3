// Interop: aaa-proxy as a RADIUS proxy in front of two real FreeRADIUS 3.2 home servers (Debian
// `freeradius`, each with its own temporary config directory), radclient (Debian `freeradius-utils`)
// as the NAS. radclient verifies the Response Authenticator of every reply it prints as received.
//
// The home servers know "bob" (no realm) only: an Accept for "bob@…" proves the realm was stripped,
// the Reply-Message "hsN user=%{User-Name}" shows which server answered and what it saw, and Accept
// at all proves the password was re-hidden (PAP) or the CHAP challenge carried over (CHAP).
// FreeRADIUS 3.2.1 puts no Message-Authenticator in Access-Accept (that came with 3.2.5, BlastRADIUS),
// so these home servers run with require_message_authenticator = false; one more entry pointing at
// hs1 with the default (true) shows such replies being dropped.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  freeUdpPortPair,
  requireFreeradius,
  startFreeradius,
  THREAD_POOL_SMALL,
  type FreeradiusServer,
} from "../support/freeradius.ts";
import { requireBinary, runPeer } from "../support/peer.ts";
import {
  homeStat,
  NAS_SECRET,
  startProxyFixture,
  type ProxyFixture,
} from "../radius-proxy/fixture.ts";

const RADCLIENT = "/usr/bin/radclient";
const users = (tag: string) =>
  `bob Cleartext-Password := "bob-pw"\n  Reply-Message := "${tag} user=%{User-Name}", Class := "class-bob", Session-Timeout := 1234\n`;

let hs1: FreeradiusServer;
let hs2: FreeradiusServer;
// A home server: one client (all of loopback), the users file above, accounting answered at once.
const startHome = async (secret: string, tag: string) =>
  startFreeradius({
    authPort: await freeUdpPortPair(),
    clients: [{ name: "loopback", ipaddr: "127.0.0.0/8", secret }],
    users: users(tag),
    accounting: "none",
    threadPool: THREAD_POOL_SMALL,
  });
let f: ProxyFixture;

beforeAll(async () => {
  requireBinary(RADCLIENT, "freeradius-utils");
  requireFreeradius();
  hs1 = await startHome("home1-s3cret", "hs1");
  hs2 = await startHome("home2-s3cret", "hs2");
  const toml = `
[radius.proxy]
[radius.proxy.retry]
initial_timeout = "300ms"
max_timeout = "1s"
max_retries = 3
max_duration = "4s"
[radius.proxy.health]
interval = "200ms"
probe_timeout = "200ms"
zombie_period = "300ms"
revive_after = 2
down_after = 2
[[radius.proxy.home_servers]]
name = "hs1"
address = "127.0.0.1:${hs1.authPort}"
type = "both"
secret_env = "HS1_SECRET"
require_message_authenticator = false
[[radius.proxy.home_servers]]
name = "hs2"
address = "127.0.0.1:${hs2.authPort}"
type = "both"
secret = "home2-s3cret"
require_message_authenticator = false
[[radius.proxy.home_servers]]
name = "hs1-strict"
address = "127.0.0.1:${hs1.authPort}"
secret_env = "HS1_SECRET"
status_check = false
[[radius.proxy.pools]]
name = "rr"
strategy = "round-robin"
servers = ["hs1", "hs2"]
[[radius.proxy.pools]]
name = "fo"
strategy = "failover"
servers = ["hs1", "hs2"]
[[radius.proxy.pools]]
name = "strict"
servers = ["hs1-strict"]
[[radius.proxy.realms]]
name = "example.com"
match = "suffix"
pool = "rr"
[[radius.proxy.realms]]
name = "failover.test"
pool = "fo"
[[radius.proxy.realms]]
name = "strict.test"
pool = "strict"
`;
  f = await startProxyFixture(toml, { env: { HS1_SECRET: "home1-s3cret" } });
});

afterAll(async () => {
  await f?.stop();
  for (const h of [hs1, hs2]) await h?.close();
});

async function radclient(kind: "auth" | "acct", attrs: string[], timeoutS = 3) {
  const port = kind === "auth" ? f.auth : f.acct;
  const body = attrs
    .map((a) => (kind === "auth" ? `${a}, Message-Authenticator = 0x00` : a))
    .join("\n\n");
  return runPeer(
    [
      RADCLIENT,
      "-x",
      "-r",
      "1",
      "-t",
      String(timeoutS),
      "-p",
      "16",
      `127.0.0.1:${port}`,
      kind,
      NAS_SECRET,
    ],
    { stdin: body + "\n", timeoutMs: 20_000 },
  );
}
const accepts = (out: string) => (out.match(/Received Access-Accept/g) ?? []).length;

describe("aaa-proxy in front of two FreeRADIUS home servers", () => {
  test("PAP: the realm is stripped, the password re-hidden, the Accept's attributes reach radclient", async () => {
    const r = await radclient("auth", ['User-Name = "bob@example.com", User-Password = "bob-pw"']);
    expect(r.stdout).toContain("Received Access-Accept");
    expect(r.stdout).toMatch(/Reply-Message = "hs[12] user=bob"/);
    expect(r.stdout).toContain("Class = 0x636c6173732d626f62");
    expect(r.stdout).toContain("Session-Timeout = 1234");
    const bad = await radclient("auth", ['User-Name = "bob@example.com", User-Password = "wrong"']);
    expect(bad.stdout).toContain("Received Access-Reject");
  });

  test("CHAP (no CHAP-Challenge from radclient): accepted, so the original authenticator went along", async () => {
    const r = await radclient("auth", ['User-Name = "bob@example.com", CHAP-Password = "bob-pw"']);
    expect(r.stdout).toContain("Received Access-Accept");
    expect(r.stdout).toMatch(/Reply-Message = "hs[12] user=bob"/);
    const bad = await radclient("auth", ['User-Name = "bob@example.com", CHAP-Password = "nope"']);
    expect(bad.stdout).toContain("Received Access-Reject");
  });

  test("accounting is acknowledged by a home server's accounting port", async () => {
    const before =
      homeStat(f.proxy, "hs1", "acct").replies + homeStat(f.proxy, "hs2", "acct").replies;
    const r = await radclient("acct", [
      'User-Name = "bob@example.com", Acct-Status-Type = Start, Acct-Session-Id = "s-1", NAS-Port = 1',
    ]);
    expect(r.stdout).toContain("Received Accounting-Response");
    expect(
      homeStat(f.proxy, "hs1", "acct").replies + homeStat(f.proxy, "hs2", "acct").replies,
    ).toBe(before + 1);
  });

  test("round-robin spreads load across both home servers", async () => {
    const a1 = homeStat(f.proxy, "hs1").replies;
    const a2 = homeStat(f.proxy, "hs2").replies;
    const reqs = Array.from(
      { length: 20 },
      () => 'User-Name = "bob@example.com", User-Password = "bob-pw"',
    );
    const r = await radclient("auth", reqs);
    expect(accepts(r.stdout)).toBe(20);
    const n1 = (r.stdout.match(/"hs1 user=bob"/g) ?? []).length;
    const n2 = (r.stdout.match(/"hs2 user=bob"/g) ?? []).length;
    expect(n1 + n2).toBe(20);
    expect(n1).toBeGreaterThanOrEqual(8);
    expect(n2).toBeGreaterThanOrEqual(8);
    expect(homeStat(f.proxy, "hs1").replies - a1).toBe(n1);
    expect(homeStat(f.proxy, "hs2").replies - a2).toBe(n2);
  });

  test("a home server reply without Message-Authenticator is dropped when it is required", async () => {
    const r = await radclient(
      "auth",
      ['User-Name = "bob@strict.test", User-Password = "bob-pw"'],
      8,
    );
    expect(r.stdout).toContain("Received Access-Reject"); // our own, after the last retry
    expect(r.stdout).not.toContain("Reply-Message");
    expect(f.registry.renderPrometheus()).toMatch(
      /aaa_radius_proxy_home_dropped_replies_total\{home_server="hs1-strict",type="auth",reason="missing-message-authenticator"\} [1-9]/,
    );
  });

  test("failover: stopping the primary loses no request sent afterwards; Status-Server brings it back", async () => {
    const pap = 'User-Name = "bob@failover.test", User-Password = "bob-pw"';
    const first = await radclient("auth", [pap]);
    expect(first.stdout).toContain('Reply-Message = "hs1 user=bob"');

    await hs1.stop();
    // The very first request after the stop: sent to hs1 (still up), times out, retried on hs2.
    const after = await radclient("auth", [pap], 8);
    expect(after.stdout).toContain("Received Access-Accept");
    expect(after.stdout).toContain('Reply-Message = "hs2 user=bob"');
    const more = await radclient(
      "auth",
      Array.from({ length: 5 }, () => pap),
      8,
    );
    expect(accepts(more.stdout)).toBe(5);
    const acct = await radclient("acct", [
      'User-Name = "bob@failover.test", Acct-Status-Type = Stop, Acct-Session-Id = "s-2", Acct-Session-Time = 5',
    ]);
    expect(acct.stdout).toContain("Received Accounting-Response");
    // Unanswered probes take hs1 out of service.
    for (let i = 0; i < 50 && homeStat(f.proxy, "hs1").state !== "down"; i++) await Bun.sleep(100);
    expect(homeStat(f.proxy, "hs1").state).toBe("down");

    await hs1.start();
    for (let i = 0; i < 50 && homeStat(f.proxy, "hs1").state !== "up"; i++) await Bun.sleep(100);
    expect(homeStat(f.proxy, "hs1").state).toBe("up");
    expect(f.registry.renderPrometheus()).toMatch(
      /aaa_radius_proxy_home_probes_total\{home_server="hs1",type="auth",result="answered"\} [1-9]/,
    );
    const back = await radclient("auth", [pap]);
    expect(back.stdout).toContain('Reply-Message = "hs1 user=bob"');
  });
});
