// Issue 21, defect 1: a flood of PAP requests for unknown users (radclient, an independent peer)
// at 10× the argon2 verify capacity for 10 s. Accounting from another NAS keeps answering fast,
// known users log in (a cache miss from the quiet NAS, a cached login from the flooding one), the
// refusals are counted, and nothing is left queued a few seconds after the flood.
// On main before the fix, the verifies queued without bound on Bun's shared work pool and the
// WAL fdatasync that acknowledges accounting waited behind them (p99 of seconds).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { argon2Hasher, ARGON2_OPTIONS } from "../../src/policy/authenticate.ts";
import { Code } from "../../src/radius/codec/packet.ts";
import { addUser } from "../../src/store/users.ts";
import { ALICE_PASSWORD, NAS_SECRET, startFixture, type RadiusFixture } from "../radius/fixture.ts";
import { requireBinary } from "../support/peer.ts";
import { acctRequest, papRequest, radiusClient } from "../support/radius-client.ts";

const RADCLIENT = "/usr/bin/radclient";
const FLOOD_SECONDS = 10;
const BOB_PASSWORD = "bob-Pa55word!";
let f: RadiusFixture;

beforeAll(async () => {
  requireBinary(RADCLIENT, "freeradius-utils");
  f = await startFixture();
  const r = await addUser(
    f.store,
    { username: "bob", password: BOB_PASSWORD, groups: ["netops"] },
    "test",
  );
  if (!r.ok) throw new Error(r.detail);
});
afterAll(async () => {
  await f?.stop();
});

/** Verifies per second the gate lets run: its concurrency over one verify's time, measured here. */
async function verifyCapacity(): Promise<number> {
  const hash = await Bun.password.hash("x", ARGON2_OPTIONS);
  await argon2Hasher.verify("y", hash);
  const t = performance.now();
  for (let i = 0; i < 5; i++) await argon2Hasher.verify("y", hash);
  const each = (performance.now() - t) / 5;
  return (f.sp.policy.verifyGate.config.concurrency * 1000) / each;
}

function p99(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.99) - 1)]!;
}

test("unknown-user flood at 10x verify capacity: accounting answers, known users log in", async () => {
  const capacity = await verifyCapacity();
  const rate = Math.ceil(capacity * 10);
  const count = rate * FLOOD_SECONDS;
  const file = join(f.store.dir, "flood.txt");
  writeFileSync(
    file,
    Array.from(
      { length: count },
      (_, i) => `User-Name = "nouser${i}", User-Password = "x", Message-Authenticator = 0x00\n`,
    ).join("\n"),
  );
  const acct = await radiusClient({ host: "127.0.0.1", port: f.acctV4 }, "127.0.0.2");
  const auth2 = await radiusClient({ host: "127.0.0.1", port: f.authV4 }, "127.0.0.2");
  const auth1 = await radiusClient({ host: "127.0.0.1", port: f.authV4 }, "127.0.0.1");
  const bobId = f.sp.source.snapshot().usersByName.get("bob")!.id;
  const login = async (c: typeof auth1, user: string, password: string) => {
    const reply = await c.exchange(papRequest(NAS_SECRET, user, password).bytes, 3_000);
    return reply?.[0] ?? null;
  };
  // alice's password is verified once before the flood: later she is a credential-cache hit.
  expect(await login(auth1, "alice", ALICE_PASSWORD)).toBe(Code.AccessAccept);

  // The flood comes from 127.0.0.1 (device nas1); bounded in count (the file) and time (timeout).
  const flood = Bun.spawn({
    cmd: [
      RADCLIENT,
      "-q",
      "-f",
      file,
      "-n",
      String(rate),
      "-p",
      "128",
      "-r",
      "1",
      "-t",
      "2",
      `127.0.0.1:${f.authV4}`,
      "auth",
      NAS_SECRET,
    ],
    stdout: "ignore",
    stderr: "ignore",
    timeout: (FLOOD_SECONDS + 15) * 1000,
  });
  let flooding = true;
  const floodEnd = flood.exited.then(() => {
    flooding = false;
  });
  const acctLatency: number[] = [];
  let acctLost = 0;
  const bob: (number | null)[] = [];
  const alice: (number | null)[] = [];
  const logins = (async () => {
    while (flooding) {
      await Bun.sleep(1_000);
      if (!flooding) break;
      // A cache miss each time: bob's password is verified again, from the quiet NAS.
      f.sp.policy.cache.invalidateUser(bobId);
      const [b, a] = await Promise.all([
        login(auth2, "bob", BOB_PASSWORD),
        login(auth1, "alice", ALICE_PASSWORD),
      ]);
      bob.push(b);
      alice.push(a);
    }
  })();
  for (let i = 0; flooding && i < (FLOOD_SECONDS + 15) * 20; i++) {
    const t = performance.now();
    const reply = await acct.exchange(acctRequest(NAS_SECRET, "carol", 1, `s${i}`), 2_000);
    if (reply?.[0] === Code.AccountingResponse) acctLatency.push(performance.now() - t);
    else acctLost++;
    await Bun.sleep(50);
  }
  await floodEnd;
  await logins;
  const gate = f.sp.policy.verifyGate.counters;
  const refused = Object.values(gate.refused).reduce((a, b) => a + b, 0);
  console.log(
    `capacity ${capacity.toFixed(1)}/s, flood ${count} at ${rate}/s; acct n=${acctLatency.length} ` +
      `lost=${acctLost} p99=${acctLatency.length ? p99(acctLatency).toFixed(1) : "-"} ms; ` +
      `gate admitted=${gate.admitted} refused=${JSON.stringify(gate.refused)}`,
  );
  expect(acctLost).toBe(0);
  expect(acctLatency.length).toBeGreaterThanOrEqual(FLOOD_SECONDS * 10);
  expect(p99(acctLatency)).toBeLessThan(100);
  expect(bob.length).toBeGreaterThanOrEqual(FLOOD_SECONDS - 2);
  expect(bob.every((c) => c === Code.AccessAccept)).toBe(true);
  expect(alice.every((c) => c === Code.AccessAccept)).toBe(true);
  // The excess was refused unverified, and counted (gate and Access-Rejects by reason).
  expect(refused).toBeGreaterThan(count / 2);
  expect(f.registry.renderPrometheus()).toMatch(
    /aaa_radius_rejected_total\{[^}]*reason="verify-busy"/,
  );

  // The backlog is gone within seconds of the flood's end.
  const deadline = Date.now() + 5_000;
  while ((gate.queued > 0 || gate.running > 0) && Date.now() < deadline) await Bun.sleep(50);
  expect({ queued: gate.queued, running: gate.running }).toEqual({ queued: 0, running: 0 });
  f.sp.policy.cache.invalidateUser(bobId);
  expect(await login(auth1, "bob", BOB_PASSWORD)).toBe(Code.AccessAccept);
  acct.close();
  auth1.close();
  auth2.close();
}, 60_000);
