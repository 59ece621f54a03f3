// The authenticator's use of the verify gate: known and unknown users are queued and refused
// alike under the request's client address; a refusal answers verify-busy at once and is not a
// lockout failure; a credential-cache hit never waits; other clients keep their turn.
import { describe, expect, test } from "bun:test";
import { core, group, MemorySource, user } from "../../test/policy/fixtures.ts";
import { ManualClock } from "../lib/clock.ts";
import type { Decision } from "./decisions.ts";
import { createPolicy } from "./policy.ts";
import type { PasswordHasher } from "./ports.ts";

/** A hasher whose verifies finish only when the test releases them. */
class HeldHasher implements PasswordHasher {
  readonly held: Array<() => void> = [];
  async hash(p: string): Promise<string> {
    return `fake$${p}`;
  }
  verify(p: string | Uint8Array, h: string): Promise<boolean> {
    return new Promise((resolve) =>
      this.held.push(() => resolve(h === `fake$${typeof p === "string" ? p : ""}`)),
    );
  }
  async releaseAll(): Promise<void> {
    while (this.held.length > 0) {
      this.held.shift()!();
      for (let i = 0; i < 10; i++) await Promise.resolve();
    }
  }
}

function setup() {
  const hasher = new HeldHasher();
  const source = new MemorySource(
    [user(1, "alice", "pw-a", [1]), user(2, "bob", "pw-b", [1])],
    [group(1, "ops", { privLvl: 15 })],
    [],
  );
  const policy = createPolicy({
    source,
    sink: { write: async () => {} },
    defaultCommandAction: "deny",
    lockout: { enabled: true, maxFailures: 3, window: 60_000, cooldown: 60_000, maxEntries: 100 },
    credentialCache: { enabled: true, ttl: 60_000, maxEntries: 100 },
    chapKey: null,
    clock: new ManualClock(),
    hasher,
    verifyGate: { concurrency: 1, maxQueue: 8, maxQueuePerClient: 2, maxWait: 3_000 },
  });
  const pap = (username: string, password: string, clientIp: string) =>
    Promise.resolve(policy.authenticatePassword({ username, password, clientIp, device: core }));
  return { policy, hasher, pap };
}

const tick = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe("authentication behind the verify gate", () => {
  test("a full client queue refuses known and unknown users alike, at once", async () => {
    const { hasher, pap, policy } = setup();
    // One running and two waiting from 192.0.2.1 fill its share.
    const flood = ["n1", "n2", "n3"].map((n) => pap(n, "x", "192.0.2.1"));
    await tick();
    const unknown = await pap("nobody", "x", "192.0.2.1");
    const known = await pap("alice", "pw-a", "192.0.2.1");
    expect(unknown).toEqual({ allow: false, reason: "verify-busy" });
    expect(known).toEqual({ allow: false, reason: "verify-busy" });
    // Another client is queued, not refused.
    const other = pap("bob", "pw-b", "192.0.2.2");
    await tick();
    await hasher.releaseAll();
    expect((await other).allow).toBe(true);
    expect((await Promise.all(flood)).map((d: Decision) => d.reason)).toEqual([
      "unknown-user",
      "unknown-user",
      "unknown-user",
    ]);
    expect(policy.verifyGate.counters.refused["client-queue-full"]).toBe(2);
  });

  test("a refusal is not a lockout failure; a cached login never waits", async () => {
    const { hasher, pap, policy } = setup();
    const first = pap("alice", "pw-a", "192.0.2.9");
    await tick();
    await hasher.releaseAll();
    expect((await first).allow).toBe(true);
    const flood = ["n1", "n2", "n3"].map((n) => pap(n, "x", "192.0.2.9"));
    await tick();
    for (let i = 0; i < 5; i++)
      expect((await pap("alice", "wrong", "192.0.2.9")).reason).toBe("verify-busy");
    expect(policy.lockout.counters.failures).toBe(0);
    // The cache answers synchronously, gate full or not.
    const cached = policy.authenticatePassword({
      username: "alice",
      password: "pw-a",
      clientIp: "192.0.2.9",
      device: core,
    });
    expect(cached).toMatchObject({ allow: true, cached: true });
    await hasher.releaseAll();
    await Promise.all(flood);
    expect(policy.verifyGate.counters).toMatchObject({ running: 0, queued: 0 });
  });
});
