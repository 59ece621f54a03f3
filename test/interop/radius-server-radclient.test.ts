// Interop: FreeRADIUS's radclient and radtest (Debian freeradius-utils) against our RADIUS server.
// PAP and CHAP Accept / Reject, Accounting Start / Stop, Status-Server on both ports, Message-
// Authenticator required (IPv4 group "nas") and not required (IPv6 group "legacy"). radclient
// verifies the Response Authenticator and any Message-Authenticator in the replies it prints.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { queryAccounting } from "../../src/store/accounting.ts";
import {
  ALICE_PASSWORD,
  LEGACY_SECRET,
  NAS_SECRET,
  dropped,
  startFixture,
  type RadiusFixture,
} from "../radius/fixture.ts";
import { requireBinary, runPeer } from "../support/peer.ts";

const RADCLIENT = "/usr/bin/radclient";
const RADTEST = "/usr/bin/radtest";
let f: RadiusFixture;

beforeAll(async () => {
  requireBinary(RADCLIENT, "freeradius-utils");
  requireBinary(RADTEST, "freeradius-utils");
  f = await startFixture();
});
afterAll(async () => {
  await f?.stop();
});

async function radclient(
  target: string,
  kind: "auth" | "acct" | "status",
  secret: string,
  attrs: string,
  v6 = false,
) {
  const cmd = [RADCLIENT, ...(v6 ? ["-6"] : []), "-x", "-r", "1", "-t", "3", target, kind, secret];
  return runPeer(cmd, { stdin: attrs + "\n" });
}

const MA = "Message-Authenticator = 0x00";

describe("radclient / radtest", () => {
  test("PAP: Access-Accept with reply attributes, and Access-Reject for a wrong password", async () => {
    const ok = await radclient(
      `127.0.0.1:${f.authV4}`,
      "auth",
      NAS_SECRET,
      `User-Name = "alice", User-Password = "${ALICE_PASSWORD}", ${MA}`,
    );
    expect(ok.stdout).toContain("Received Access-Accept");
    expect(ok.stdout).toContain("Session-Timeout = 3600");
    expect(ok.stdout).toContain('Cisco-AVPair = "shell:priv-lvl=15"');
    expect(ok.code).toBe(0);
    const bad = await radclient(
      `127.0.0.1:${f.authV4}`,
      "auth",
      NAS_SECRET,
      `User-Name = "alice", User-Password = "wrong", ${MA}`,
    );
    expect(bad.stdout).toContain("Received Access-Reject");
    expect(bad.stdout).toContain('Reply-Message = "Authentication failed"');
  });

  test("CHAP (radclient computes CHAP-Password from the cleartext): Accept and Reject", async () => {
    const ok = await radclient(
      `127.0.0.1:${f.authV4}`,
      "auth",
      NAS_SECRET,
      `User-Name = "alice", CHAP-Password = "${ALICE_PASSWORD}", ${MA}`,
    );
    expect(ok.stdout).toMatch(/CHAP-Password = 0x[0-9a-f]{34}/);
    expect(ok.stdout).toContain("Received Access-Accept");
    const bad = await radclient(
      `127.0.0.1:${f.authV4}`,
      "auth",
      NAS_SECRET,
      `User-Name = "alice", CHAP-Password = "nope", ${MA}`,
    );
    expect(bad.stdout).toContain("Received Access-Reject");
  });

  test("radtest PAP and CHAP over IPv4 (Message-Authenticator required) and IPv6 (group without the requirement)", async () => {
    for (const [flag, target, secret, nas] of [
      ["-4", `127.0.0.1:${f.authV4}`, NAS_SECRET, "127.0.0.1"],
      ["-6", `[::1]:${f.authV6}`, LEGACY_SECRET, "::1"],
    ] as const) {
      for (const t of ["pap", "chap"]) {
        const ok = await runPeer([
          RADTEST,
          flag,
          "-t",
          t,
          "alice",
          ALICE_PASSWORD,
          target,
          "0",
          secret,
          "0",
          nas,
        ]);
        expect(ok.stdout).toContain("Received Access-Accept");
        const bad = await runPeer([
          RADTEST,
          flag,
          "-t",
          t,
          "alice",
          "wrong-one",
          target,
          "0",
          secret,
          "0",
          nas,
        ]);
        expect(bad.stdout).toContain("Received Access-Reject");
      }
    }
  });

  test("Message-Authenticator: without it the IPv4 group drops (counted); the IPv6 legacy group answers", async () => {
    const before = dropped(f.registry, "missing-message-authenticator");
    const none = await runPeer(
      [RADCLIENT, "-r", "1", "-t", "1", `127.0.0.1:${f.authV4}`, "auth", NAS_SECRET],
      { stdin: `User-Name = "alice", User-Password = "${ALICE_PASSWORD}"\n` },
    );
    expect(none.stdout).toContain("Sent Access-Request");
    expect(none.stdout).not.toContain("Received");
    expect(none.code).not.toBe(0);
    expect(dropped(f.registry, "missing-message-authenticator")).toBe(before + 1);
    const legacy = await radclient(
      `[::1]:${f.authV6}`,
      "auth",
      LEGACY_SECRET,
      `User-Name = "alice", User-Password = "${ALICE_PASSWORD}"`,
      true,
    );
    expect(legacy.stdout).toContain("Received Access-Accept");
    expect(legacy.stdout).toContain("Message-Authenticator = 0x");
  });

  test("Accounting Start and Stop: Accounting-Response, records stored", async () => {
    for (const [target, secret, v6] of [
      [`127.0.0.1:${f.acctV4}`, NAS_SECRET, false],
      [`[::1]:${f.acctV6}`, LEGACY_SECRET, true],
    ] as const) {
      const sid = `radclient-${v6 ? 6 : 4}`;
      for (const type of ["Start", "Stop"]) {
        const r = await radclient(
          target,
          "acct",
          secret,
          `User-Name = "alice", Acct-Status-Type = ${type}, Acct-Session-Id = "${sid}", NAS-Port = 3, Acct-Session-Time = 42`,
          v6,
        );
        expect(r.stdout).toContain("Received Accounting-Response");
      }
      const rows = queryAccounting(f.store, {}).filter((x) => x.sessionId === sid);
      expect(rows.map((x) => x.recordType).sort()).toEqual(["start", "stop"]);
      expect(rows[0]!.attributes["Acct-Session-Time"]).toBe(42);
    }
  });

  test("Status-Server on the auth and the accounting port", async () => {
    const auth = await radclient(`127.0.0.1:${f.authV4}`, "status", NAS_SECRET, MA);
    expect(auth.stdout).toContain("Received Access-Accept");
    const acct = await radclient(`127.0.0.1:${f.acctV4}`, "status", NAS_SECRET, MA);
    expect(acct.stdout).toContain("Received Accounting-Response");
    const v6 = await radclient(`[::1]:${f.authV6}`, "status", LEGACY_SECRET, MA, true);
    expect(v6.stdout).toContain("Received Access-Accept");
  });
});
