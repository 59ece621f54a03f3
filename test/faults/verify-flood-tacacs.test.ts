// Issue 21, defect 1, over TACACS+: unknown-user PAP from one device (127.0.0.1), 64 sessions in
// flight at a time, bounded in count; the excess is answered FAIL at once (reason verify-busy,
// counted), nothing is left queued afterwards, and a known user's uncached login from another
// device (::1) passes while the flood runs.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { AuthenStatus } from "../../src/tacacs/codec/authentication.ts";
import { KEY, USERS, startServer, type Server } from "../tacacs/harness.ts";
import { papOnce } from "../support/tacacs-client.ts";

let s: Server;
beforeAll(async () => {
  s = await startServer();
});
afterAll(async () => {
  await s?.stop();
});

test("a TACACS+ unknown-user flood is refused FAIL verify-busy; another device's login passes", async () => {
  const TOTAL = 600;
  const statuses: number[] = [];
  let next = 0;
  const lane = async () => {
    while (next < TOTAL) {
      const i = next++;
      statuses.push(await papOnce("127.0.0.1", s.port4, KEY, `nouser${i}`, "x"));
    }
  };
  const flood = Promise.all(Array.from({ length: 64 }, lane));
  await Bun.sleep(200);
  const gate = s.policy.policy.verifyGate.counters;
  expect(gate.queued).toBeGreaterThan(0);
  s.policy.policy.cache.clear();
  const t = performance.now();
  expect(await papOnce("::1", s.port6, KEY, "bob", USERS.bob.password)).toBe(AuthenStatus.PASS);
  const loginMs = performance.now() - t;
  await flood;
  expect(statuses.length).toBe(TOTAL);
  expect(statuses.every((x) => x === AuthenStatus.FAIL)).toBe(true);
  expect(gate.refused["client-queue-full"]).toBeGreaterThan(TOTAL / 2);
  expect(s.registry.renderPrometheus()).toMatch(
    /aaa_tacacs_authentications_total\{[^}]*result="fail"[^}]*reason="verify-busy"/,
  );
  const deadline = Date.now() + 5_000;
  while ((gate.queued > 0 || gate.running > 0) && Date.now() < deadline) await Bun.sleep(50);
  expect({ queued: gate.queued, running: gate.running }).toEqual({ queued: 0, running: 0 });
  console.log(
    `tacacs flood ${TOTAL}: refused ${JSON.stringify(gate.refused)}; bob ${loginMs.toFixed(0)} ms`,
  );
}, 60_000);
