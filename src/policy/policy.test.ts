import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { ManualClock } from "../lib/clock.ts";
import {
  FakeHasher,
  MemorySource,
  core,
  group,
  lab,
  rule,
  user,
} from "../../test/policy/fixtures.ts";
import { encryptChapSecret, ntHashOf } from "./chap-credential.ts";
import { createPolicy } from "./policy.ts";
import type { AccountingRecord, PolicyRule } from "./ports.ts";

const KEY = new Uint8Array(32).fill(3);
const IP = "198.51.100.7";

function setup(
  rules: PolicyRule[] = [],
  o: {
    defaultCommandAction?: "permit" | "deny";
    chapKey?: Uint8Array | null;
  } = {},
) {
  const clock = new ManualClock();
  const hasher = new FakeHasher();
  const ops = group(1, "ops", {
    privLvl: 15,
    tacacsAv: { shell: ["timeout=30", "priv-lvl=7"], ppp: ["addr=10.0.0.1"] },
    radiusReply: [{ name: "Session-Timeout", value: "3600" }],
  });
  const ro = group(2, "readonly", {
    privLvl: 1,
    tacacsAv: { shell: ["timeout=5", "idletime=10"] },
    deviceGroupIds: [core.groupId, lab.groupId],
    radiusReply: [
      { name: "Session-Timeout", value: "3600" },
      { name: "Class", value: "ro" },
    ],
  });
  const source = new MemorySource(
    [
      user(1, "alice", "pw-a", [1]),
      user(2, "bob", "pw-b", [2], { enableHash: "fake$en-b" }),
      user(3, "carol", "pw-c", [1, 2]),
      user(4, "dave", "pw-d", [1], { enabled: false }),
      user(5, "erin", "pw-e", [1], { expiresAt: clock.wall() + 1000 }),
      user(6, "nogroup", "pw-n", []),
      user(7, "chappy", "pw-x", [1], {
        chapSecretEnc: encryptChapSecret(KEY, "chappy", "chap-pw"),
      }),
      user(8, "nt", "pw-y", [1], {
        ntHash: Buffer.from(ntHashOf("nt-pw")).toString("hex"),
      }),
    ],
    [ops, ro],
    rules,
  );
  const written: AccountingRecord[] = [];
  const policy = createPolicy({
    source,
    sink: { write: async (r) => void written.push(r) },
    defaultCommandAction: o.defaultCommandAction ?? "deny",
    lockout: {
      enabled: true,
      maxFailures: 3,
      window: 60_000,
      cooldown: 60_000,
      maxEntries: 1000,
    },
    credentialCache: { enabled: true, ttl: 10_000, maxEntries: 1000 },
    chapKey: o.chapKey === undefined ? KEY : o.chapKey,
    clock,
    hasher,
  });
  return { policy, clock, hasher, source, written };
}

const pap = (username: string, password: string | Uint8Array, clientIp = IP, device = core) => ({
  username,
  password,
  clientIp,
  device,
});

describe("password authentication", () => {
  test("each reason code", async () => {
    const { policy, clock } = setup();
    expect(await policy.authenticatePassword(pap("alice", "pw-a"))).toMatchObject({
      allow: true,
      reason: "authenticated",
      privLvl: 15,
    });
    expect(
      await policy.authenticatePassword(pap("alice", new TextEncoder().encode("pw-a"))),
    ).toMatchObject({ allow: true });
    expect(await policy.authenticatePassword(pap("alice", "nope"))).toMatchObject({
      allow: false,
      reason: "bad-password",
    });
    expect(await policy.authenticatePassword(pap("zed", "pw"))).toMatchObject({
      allow: false,
      reason: "unknown-user",
    });
    expect(await policy.authenticatePassword(pap("Alice", "pw-a"))).toMatchObject({
      reason: "unknown-user",
    }); // case-preserved, exact
    expect(await policy.authenticatePassword(pap("dave", "pw-d"))).toMatchObject({
      allow: false,
      reason: "disabled",
    });
    expect(await policy.authenticatePassword(pap("erin", "pw-e"))).toMatchObject({ allow: true });
    clock.advance(1000);
    expect(await policy.authenticatePassword(pap("erin", "pw-e"))).toMatchObject({
      allow: false,
      reason: "expired",
    });
    expect(await policy.authenticatePassword(pap("alice", "pw-a", IP, lab))).toMatchObject({
      allow: false,
      reason: "not-allowed-on-device-group",
    });
    expect(await policy.authenticatePassword(pap("bob", "pw-b", IP, lab))).toMatchObject({
      allow: true,
      privLvl: 1,
    });
    expect(await policy.authenticatePassword(pap("nogroup", "pw-n"))).toMatchObject({
      reason: "not-allowed-on-device-group",
    });
  });

  test("disabled state is only revealed with the right password", async () => {
    const { policy } = setup();
    expect(await policy.authenticatePassword(pap("dave", "wrong"))).toMatchObject({
      reason: "bad-password",
    });
  });

  test("unknown user costs one verify, like a bad password", async () => {
    const { policy, hasher } = setup();
    await policy.authenticatePassword(pap("zed", "x"));
    expect(hasher.verifies).toBe(1);
    await policy.authenticatePassword(pap("alice", "x"));
    expect(hasher.verifies).toBe(2);
  });

  test("lockout keys on the resolved client and fails fast", async () => {
    const { policy, hasher, clock } = setup();
    for (let i = 0; i < 3; i++) await policy.authenticatePassword(pap("alice", "bad"));
    const before = hasher.verifies;
    expect(await policy.authenticatePassword(pap("alice", "pw-a"))).toMatchObject({
      allow: false,
      reason: "locked-out",
    });
    expect(hasher.verifies).toBe(before); // nothing verified
    // Another client address for the same user is unaffected.
    expect(await policy.authenticatePassword(pap("alice", "pw-a", "198.51.100.8"))).toMatchObject({
      allow: true,
    });
    // Unknown users lock too (no user enumeration through lockout behaviour).
    for (let i = 0; i < 3; i++) await policy.authenticatePassword(pap("zed", "bad"));
    expect(await policy.authenticatePassword(pap("zed", "bad"))).toMatchObject({
      reason: "locked-out",
    });
    expect(policy.lockout.counters.lockouts).toBe(2);
    clock.advance(60_000);
    expect(await policy.authenticatePassword(pap("alice", "pw-a"))).toMatchObject({ allow: true });
  });

  test("concurrent identical logins share one verify (single flight); different passwords do not", async () => {
    const { policy, hasher } = setup();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => policy.authenticatePassword(pap("alice", "pw-a"))),
    );
    expect(results.every((r) => r.allow)).toBe(true);
    expect(hasher.verifies).toBe(1);
    const bad = await Promise.all([
      policy.authenticatePassword(pap("alice", "x1")),
      policy.authenticatePassword(pap("alice", "x2")),
    ]);
    expect(bad.map((r) => r.reason)).toEqual(["bad-password", "bad-password"]);
    expect(hasher.verifies).toBe(3);
  });

  test("a burst of concurrent guesses is cut at max_failures verifications; the right password in it is refused", async () => {
    const { policy, hasher } = setup(); // max_failures 3
    const guesses = Array.from({ length: 40 }, (_, i) => (i === 30 ? "pw-a" : `guess-${i}`));
    const results = await Promise.all(
      guesses.map((g) => policy.authenticatePassword(pap("alice", g))),
    );
    expect(hasher.verifies).toBe(3);
    expect(results.filter((r) => r.reason === "bad-password").length).toBe(3);
    expect(results.filter((r) => r.reason === "locked-out").length).toBe(37);
    expect(results[30]).toMatchObject({ allow: false, reason: "locked-out" });
    expect(await policy.authenticatePassword(pap("alice", "pw-a"))).toMatchObject({
      reason: "locked-out",
    });
    // The same for a user that does not exist: the burst looks the same.
    const ghost = await Promise.all(
      Array.from({ length: 10 }, (_, i) => policy.authenticatePassword(pap("ghost", `g${i}`))),
    );
    expect(ghost.filter((r) => r.reason === "locked-out").length).toBe(7);
  });

  test("many concurrent logins with the right password are not refused by the in-progress count", async () => {
    const { policy } = setup(); // max_failures 3
    // Two wrong guesses first: one slot left. The right password, 30 times at once, shares one verify.
    for (const g of ["x1", "x2"]) await policy.authenticatePassword(pap("alice", g));
    const results = await Promise.all(
      Array.from({ length: 30 }, () => policy.authenticatePassword(pap("alice", "pw-a"))),
    );
    expect(results.every((r) => r.allow)).toBe(true);
  });

  test("credential cache: hit, expiry, invalidation by version bump, failures never cached", async () => {
    const { policy, hasher, clock, source } = setup();
    expect(await policy.authenticatePassword(pap("alice", "pw-a"))).toMatchObject({
      allow: true,
      cached: false,
    });
    expect(await policy.authenticatePassword(pap("alice", "pw-a"))).toMatchObject({
      allow: true,
      cached: true,
    });
    expect(hasher.verifies).toBe(1);
    // A failure is verified every time and never becomes a hit.
    await policy.authenticatePassword(pap("alice", "bad", "203.0.113.1"));
    await policy.authenticatePassword(pap("alice", "bad", "203.0.113.1"));
    expect(hasher.verifies).toBe(3);
    expect(policy.cache.counters.hits).toBe(1);
    clock.advance(10_000);
    expect(await policy.authenticatePassword(pap("alice", "pw-a"))).toMatchObject({
      allow: true,
      cached: false,
    });
    // passwd: new hash, version bump → the old password no longer hits the cache.
    source.setUser(user(1, "alice", "new", [1], { credentialVersion: 2 }));
    expect(await policy.authenticatePassword(pap("alice", "pw-a"))).toMatchObject({
      allow: false,
      reason: "bad-password",
    });
    expect(await policy.authenticatePassword(pap("alice", "new"))).toMatchObject({
      allow: true,
      cached: false,
    });
    // disable: version bump → no hit, verified, then refused.
    source.setUser(user(1, "alice", "new", [1], { credentialVersion: 3, enabled: false }));
    const n = hasher.verifies;
    expect(await policy.authenticatePassword(pap("alice", "new"))).toMatchObject({
      allow: false,
      reason: "disabled",
    });
    expect(hasher.verifies).toBe(n + 1);
  });

  test("a disabled account with a same-version snapshot is never served from the cache", async () => {
    const { policy, source } = setup();
    await policy.authenticatePassword(pap("alice", "pw-a"));
    source.setUser(user(1, "alice", "pw-a", [1], { enabled: false })); // even without a bump
    expect(await policy.authenticatePassword(pap("alice", "pw-a"))).toMatchObject({
      allow: false,
      reason: "disabled",
    });
  });
});

describe("enable", () => {
  test("enable secret, fallback to login password, priv bound", async () => {
    const { policy } = setup();
    const req = (username: string, password: string, privLvl: number) => ({
      ...pap(username, password),
      privLvl,
    });
    expect(await policy.authenticateEnable(req("bob", "en-b", 1))).toMatchObject({ allow: true });
    expect(await policy.authenticateEnable(req("bob", "pw-b", 1))).toMatchObject({
      reason: "bad-password",
    });
    expect(await policy.authenticateEnable(req("bob", "en-b", 15))).toMatchObject({
      allow: false,
      reason: "priv-lvl-too-high",
    });
    expect(await policy.authenticateEnable(req("alice", "pw-a", 15))).toMatchObject({
      allow: true,
    });
    expect(await policy.authenticateEnable(req("zed", "x", 15))).toMatchObject({
      reason: "unknown-user",
    });
  });
});

describe("CHAP and MS-CHAP gate", () => {
  const chapResponse = (id: number, secret: Uint8Array, challenge: Uint8Array) =>
    createHash("md5").update(Uint8Array.of(id)).update(secret).update(challenge).digest();
  const challenge = new Uint8Array(16).fill(9);
  const idReq = (username: string, device = core) => ({
    username,
    clientIp: IP,
    device,
  });

  test("CHAP (RFC 1994 §4.1) with the opt-in secret", () => {
    const { policy } = setup();
    const good = chapResponse(1, new TextEncoder().encode("chap-pw"), challenge);
    const check = (clear: Uint8Array) => chapResponse(1, clear, challenge).equals(good);
    expect(policy.authenticateChap(idReq("chappy"), check)).toMatchObject({
      allow: true,
      reason: "authenticated",
    });
    expect(policy.authenticateChap(idReq("chappy"), () => false)).toMatchObject({
      reason: "bad-password",
    });
    expect(policy.authenticateChap(idReq("alice"), check)).toMatchObject({
      reason: "no-chap-credential",
    });
    expect(policy.authenticateChap(idReq("zed"), check)).toMatchObject({
      reason: "unknown-user",
    });
    expect(policy.authenticateChap(idReq("chappy", lab), check)).toMatchObject({
      reason: "not-allowed-on-device-group",
    });
  });

  test("CHAP without a key configured is refused", () => {
    const { policy } = setup([], { chapKey: null });
    expect(policy.authenticateChap(idReq("chappy"), () => true)).toMatchObject({
      reason: "no-chap-credential",
    });
  });

  test("MS-CHAP gets the NT hash from the CHAP secret or the stored hash", () => {
    const { policy } = setup();
    const seen: string[] = [];
    const check = (h: Uint8Array) => (seen.push(Buffer.from(h).toString("hex")), true);
    expect(policy.authenticateMsChap(idReq("chappy"), check)).toMatchObject({
      allow: true,
    });
    expect(policy.authenticateMsChap(idReq("nt"), check)).toMatchObject({
      allow: true,
    });
    expect(seen).toEqual([
      Buffer.from(ntHashOf("chap-pw")).toString("hex"),
      Buffer.from(ntHashOf("nt-pw")).toString("hex"),
    ]);
    expect(policy.authenticateChap(idReq("nt"), () => true)).toMatchObject({
      reason: "no-chap-credential",
    }); // NT hash is MS-CHAP only
  });
});

describe("shell authorization and RADIUS reply", () => {
  test("max priv and AV union across groups", () => {
    const { policy } = setup();
    const s = policy.authorizeShell({
      username: "carol",
      device: core,
      service: "shell",
    });
    expect(s).toMatchObject({ allow: true, reason: "permitted", privLvl: 15 });
    expect(s.av).toEqual(["priv-lvl=15", "timeout=30", "idletime=10"]);
    expect(policy.authorizeShell({ username: "bob", device: core, service: "shell" }).av).toEqual([
      "priv-lvl=1",
      "timeout=5",
      "idletime=10",
    ]);
    expect(policy.authorizeShell({ username: "bob", device: core, service: "ppp" })).toMatchObject({
      allow: false,
      reason: "service-not-allowed",
    });
    expect(policy.authorizeShell({ username: "alice", device: core, service: "ppp" }).av).toEqual([
      "addr=10.0.0.1",
    ]);
    expect(
      policy.authorizeShell({
        username: "zed",
        device: core,
        service: "shell",
      }),
    ).toMatchObject({ allow: false, reason: "unknown-user" });
    expect(
      policy.authorizeShell({
        username: "alice",
        device: lab,
        service: "shell",
      }),
    ).toMatchObject({ reason: "not-allowed-on-device-group" });
    expect(
      policy.authorizeShell({
        username: "dave",
        device: core,
        service: "shell",
      }),
    ).toMatchObject({ reason: "disabled" });
  });

  test("radius reply is the union of group attributes", () => {
    const { policy } = setup();
    expect(policy.radiusReply("carol")).toEqual([
      { name: "Session-Timeout", value: "3600" },
      { name: "Class", value: "ro" },
    ]);
    expect(policy.radiusReply("zed")).toEqual([]);
  });
});

describe("command authorization", () => {
  const cmd = (
    username: string,
    cmd: string,
    args: string[],
    o: { device?: typeof core; privLvl?: number } = {},
  ) => ({
    username,
    cmd,
    args,
    device: o.device ?? core,
    privLvl: o.privLvl ?? 15,
  });

  test("first match wins, ordered by position; default deny", () => {
    const { policy } = setup([
      rule(1, "no-reload", "deny", "^reload", { position: 10 }),
      rule(2, "show", "permit", "^show ", { position: 20 }),
      rule(3, "any", "permit", ".*", { position: 30, userGroupIds: [1] }),
      rule(4, "early-deny-run", "deny", "^show running-config", {
        position: 5,
      }),
    ]);
    expect(policy.authorizeCommand(cmd("bob", "show", ["version", "<cr>"]))).toMatchObject({
      allow: true,
      reason: "permitted:show",
      rule: "show",
    });
    expect(policy.authorizeCommand(cmd("bob", "show", ["running-config", "<cr>"]))).toMatchObject({
      allow: false,
      reason: "command-denied:early-deny-run",
    });
    expect(policy.authorizeCommand(cmd("alice", "reload", []))).toMatchObject({
      allow: false,
      reason: "command-denied:no-reload",
    });
    expect(policy.authorizeCommand(cmd("alice", "configure", ["terminal"]))).toMatchObject({
      allow: true,
      reason: "permitted:any",
    });
    expect(policy.authorizeCommand(cmd("bob", "configure", ["terminal"]))).toMatchObject({
      allow: false,
      reason: "default-deny",
    });
    expect(policy.authorizeCommand(cmd("zed", "show", ["version"]))).toMatchObject({
      allow: false,
      reason: "unknown-user",
    });
    expect(policy.authorizeCommand(cmd("dave", "show", ["version"]))).toMatchObject({
      reason: "disabled",
    });
  });

  test("full command line, <cr> dropped", () => {
    const { policy } = setup([rule(1, "exact", "permit", "^show ip route vrf mgmt$")]);
    expect(
      policy.authorizeCommand(cmd("alice", "show", ["ip", "route", "vrf", "mgmt", "<cr>"])),
    ).toMatchObject({ allow: true });
    expect(policy.authorizeCommand(cmd("alice", "show", ["ip", "route"]))).toMatchObject({
      allow: false,
      reason: "default-deny",
    });
  });

  test("scoped rules never match outside their scope, including users with no groups", () => {
    const { policy } = setup([
      rule(1, "ops-only", "permit", ".*", { userGroupIds: [1] }),
      rule(2, "lab-only", "permit", ".*", { deviceGroupIds: [lab.groupId] }),
    ]);
    expect(policy.authorizeCommand(cmd("bob", "show", ["clock"]))).toMatchObject({
      reason: "default-deny",
    });
    expect(policy.authorizeCommand(cmd("bob", "show", ["clock"], { device: lab }))).toMatchObject({
      reason: "permitted:lab-only",
    });
    expect(policy.authorizeCommand(cmd("alice", "show", ["clock"]))).toMatchObject({
      reason: "permitted:ops-only",
    });
    // No groups at all: not allowed on any device, and certainly no scoped rule.
    expect(
      policy.authorizeCommand(cmd("nogroup", "show", ["clock"], { device: lab })),
    ).toMatchObject({ reason: "not-allowed-on-device-group" });
  });

  test("privilege bounds and default permit", () => {
    const { policy } = setup(
      [
        rule(1, "priv15-config", "deny", "^configure", {
          minPriv: 0,
          maxPriv: 14,
        }),
      ],
      { defaultCommandAction: "permit" },
    );
    expect(
      policy.authorizeCommand(cmd("alice", "configure", ["terminal"], { privLvl: 1 })),
    ).toMatchObject({ allow: false, reason: "command-denied:priv15-config" });
    expect(
      policy.authorizeCommand(cmd("alice", "configure", ["terminal"], { privLvl: 15 })),
    ).toMatchObject({ allow: true, reason: "default-permit" });
  });
});

test("account passes the record to the sink and resolves after it", async () => {
  const { policy, written } = setup();
  const rec: AccountingRecord = {
    protocol: "tacacs",
    time: 1,
    clientIp: IP,
    device: "core1",
    deviceGroup: "core",
    username: "alice",
    sessionId: "1",
    recordType: "start",
    attributes: {},
  };
  await policy.account(rec);
  expect(written).toEqual([rec]);
});
