// RADIUS accounting over UDP: Request Authenticator verified, every Acct-Status-Type stored, the
// Accounting-Response sent only after COMMIT, no response when storage fails — and the NAS's
// retransmission after recovery is answered (the failed request was not cached).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { utf8 } from "../../src/lib/bytes.ts";
import { verifyResponse } from "../../src/radius/codec/authenticator.ts";
import { Code, decodePacket } from "../../src/radius/codec/packet.ts";
import { queryAccounting } from "../../src/store/accounting.ts";
import { acctRequest, radiusClient, type RadiusTestClient } from "../support/radius-client.ts";
import { LEGACY_SECRET, NAS_SECRET, dropped, startFixture, type RadiusFixture } from "./fixture.ts";

let f: RadiusFixture;
let c4: RadiusTestClient;
let c6: RadiusTestClient;

beforeAll(async () => {
  f = await startFixture();
  c4 = await radiusClient({ host: "127.0.0.1", port: f.acctV4 });
  c6 = await radiusClient({ host: "::1", port: f.acctV6 });
});
afterAll(async () => {
  c4?.close();
  c6?.close();
  await f?.stop();
});

function expectResponse(reply: Uint8Array | null, request: Uint8Array, secret: string): void {
  expect(reply).not.toBeNull();
  const d = decodePacket(reply!);
  if (!d.ok) throw new Error(d.code);
  expect(d.value.code).toBe(Code.AccountingResponse);
  expect(d.value.identifier).toBe(request[1]!);
  expect(verifyResponse(reply!, request.subarray(4, 20), utf8(secret))).toBe(true);
}

describe("accounting", () => {
  test("Start, Interim-Update, Stop, Accounting-On and Accounting-Off are stored, then acknowledged (IPv4 and IPv6)", async () => {
    const kinds: Array<[number, string]> = [
      [1, "start"],
      [3, "update"],
      [2, "stop"],
      [7, "on"],
      [8, "off"],
    ];
    for (const [client, secret, session] of [
      [c4, NAS_SECRET, "s-v4"],
      [c6, LEGACY_SECRET, "s-v6"],
    ] as const) {
      for (const [status, type] of kinds) {
        const committedBefore = f.sp.writer.counters.committed;
        const req = acctRequest(secret, "alice", status, `${session}-${type}`, {
          extra: [{ type: 42, value: new Uint8Array([0, 0, 1, 0]) }],
        });
        expectResponse(await client.exchange(req), req, secret);
        // The response implies the commit: the writer counted it before we got here.
        expect(f.sp.writer.counters.committed).toBe(committedBefore + 1);
        const rows = queryAccounting(f.store, { user: "alice" }).filter(
          (r) => r.sessionId === `${session}-${type}`,
        );
        expect(rows.length).toBe(1);
        expect(rows[0]!.recordType as string).toBe(type);
        expect(rows[0]!.protocol).toBe("radius");
        expect(rows[0]!.device).toBe(client === c4 ? "nas1" : "legacy6");
        expect(rows[0]!.attributes["Acct-Input-Octets"]).toBe(256);
        expect(rows[0]!.attributes["NAS-IP-Address"]).toBe("192.0.2.1");
      }
    }
  });

  test("bad Request Authenticator (wrong secret, or a flipped bit): dropped, nothing stored; a good one is still answered", async () => {
    const before = f.sp.writer.counters.committed;
    const d0 = dropped(f.registry, "bad-authenticator");
    expect(await c4.exchange(acctRequest("wrong-secret", "alice", 1, "bad-1"), 300)).toBeNull();
    const flipped = acctRequest(NAS_SECRET, "alice", 1, "bad-2").slice();
    flipped[10]! ^= 0x40;
    expect(await c4.exchange(flipped, 300)).toBeNull();
    expect(dropped(f.registry, "bad-authenticator")).toBe(d0 + 2);
    expect(f.sp.writer.counters.committed).toBe(before);
    const good = acctRequest(NAS_SECRET, "alice", 1, "good-after-bad");
    expectResponse(await c4.exchange(good), good, NAS_SECRET);
  });

  test("storage failure: no Accounting-Response; the retransmission after recovery is stored and answered", async () => {
    const req = acctRequest(NAS_SECRET, "alice", 2, "while-read-only");
    const d0 = dropped(f.registry, "storage-failed");
    f.store.sqlite.exec("PRAGMA query_only = 1");
    try {
      expect(await c4.exchange(req, 500)).toBeNull();
      expect(dropped(f.registry, "storage-failed")).toBe(d0 + 1);
      // Still failing: the NAS's retransmission is processed again (not swallowed as in progress).
      expect(await c4.exchange(req, 500)).toBeNull();
      expect(dropped(f.registry, "storage-failed")).toBe(d0 + 2);
    } finally {
      f.store.sqlite.exec("PRAGMA query_only = 0");
    }
    expect(queryAccounting(f.store, {}).some((r) => r.sessionId === "while-read-only")).toBe(false);
    expectResponse(await c4.exchange(req), req, NAS_SECRET);
    expect(
      queryAccounting(f.store, {}).filter((r) => r.sessionId === "while-read-only").length,
    ).toBe(1);
    // And once more: now it is a duplicate with a cached reply, not a second record.
    expectResponse(await c4.exchange(req), req, NAS_SECRET);
    expect(
      queryAccounting(f.store, {}).filter((r) => r.sessionId === "while-read-only").length,
    ).toBe(1);
  });

  test("an Access-Request on the accounting port and an Accounting-Request on the auth port are dropped", async () => {
    const d0 = dropped(f.registry, "unknown-code");
    const authClient = await radiusClient({
      host: "127.0.0.1",
      port: f.authV4,
    });
    try {
      expect(
        await authClient.exchange(acctRequest(NAS_SECRET, "alice", 1, "wrong-port"), 300),
      ).toBeNull();
    } finally {
      authClient.close();
    }
    expect(dropped(f.registry, "unknown-code")).toBe(d0 + 1);
  });
});

describe("limits and counters", () => {
  test("per-client token bucket: past the burst, requests are dropped as rate-limited; /metrics shows the counters", async () => {
    const g = await startFixture("requests_per_second = 1\nburst = 3");
    const cl = await radiusClient({ host: "127.0.0.1", port: g.acctV4 });
    try {
      const answered: boolean[] = [];
      for (let i = 0; i < 5; i++) {
        const req = acctRequest(NAS_SECRET, "alice", 3, `rl-${i}`);
        answered.push((await cl.exchange(req, 300)) !== null);
      }
      expect(answered).toEqual([true, true, true, false, false]);
      expect(dropped(g.registry, "rate-limited")).toBe(2);
      const text = g.registry.renderPrometheus();
      expect(text).toContain(
        'aaa_radius_dropped_total{device_group="nas",reason="rate-limited"} 2',
      );
      expect(text).toContain('aaa_radius_accounting_total{device_group="nas",type="update"} 3');
      expect(text).toContain('aaa_radius_requests_total{port="acct",device_group="nas"} 5');
      expect(text).toMatch(/aaa_radius_request_duration_seconds_count\{port="acct"\} 3/);
    } finally {
      cl.close();
      await g.stop();
    }
  });
});
