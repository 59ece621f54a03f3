// TACACS+ decision records over loopback with our own codec client: one record per
// authentication START…REPLY, authorization and accounting request, with the method taken from
// the START (enable wins over PAP), the result and reason, the device and group the door
// resolved, the PROXY v2 sender's address, and the latency of the policy job (0 when the engine
// decided alone).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { utf8 } from "../../src/lib/bytes.ts";
import type { DecisionRecord } from "../../src/policy/decision-record.ts";
import { DecisionStream } from "../../src/policy/decision-record.ts";
import { encodeProxyV2 } from "../../src/proxy-protocol/encode.ts";
import { AcctFlag, AcctStatus } from "../../src/tacacs/codec/accounting.ts";
import { AuthenService, AuthenStatus, AuthenType } from "../../src/tacacs/codec/authentication.ts";
import { AuthorStatus } from "../../src/tacacs/codec/authorization.ts";
import { PacketType } from "../../src/tacacs/codec/header.ts";
import { newSessionId, TacacsClient } from "../support/tacacs-client.ts";
import { KEY, startServer, USERS, type Server } from "../tacacs/harness.ts";

let srv: Server;
const decisions = new DecisionStream();
const seen: DecisionRecord[] = [];
decisions.subscribe((r) => seen.push(r));

beforeAll(async () => {
  srv = await startServer({
    // 127.0.0.1 is a device (lo4) and a PROXY v2 sender: a header makes the claimed source count.
    listen: ["127.0.0.1:0"],
    decisions,
    tacacs: { proxy_protocol: { enabled: true, validate_sources: true } },
    devices: (d) => {
      d.addProxy({ name: "lb", network: "127.0.0.1/32" });
      d.addDevice({ name: "claimed4", network: "192.0.2.10/32", group: "core" });
    },
  });
});
afterAll(async () => {
  await srv?.stop();
});

const LO = { client: "127.0.0.1", device: "lo4", group: "core", proxy: null };
const fields = {
  authenMethod: 6,
  privLvl: 1,
  authenType: AuthenType.PAP,
  authenService: 1,
  port: "tty2",
  remAddr: "198.51.100.7",
};
const status = (p: { body: unknown }) => (p.body as { status: number }).status;

/** Runs one exchange on a new connection and returns the records it produced. */
async function records(
  f: (c: TacacsClient) => Promise<void>,
  preamble?: Uint8Array,
): Promise<DecisionRecord[]> {
  const before = seen.length;
  const c = await TacacsClient.connect(
    "127.0.0.1",
    srv.port4,
    preamble ? { key: KEY, preamble } : { key: KEY },
  );
  try {
    await f(c);
  } finally {
    c.close();
  }
  return seen.slice(before);
}

describe("TACACS+ decision records", () => {
  test("PAP accept and a reject the engine decides alone (empty password: latency 0)", async () => {
    const ok = await records(async (c) => {
      expect((await c.pap("alice", USERS.alice.password)).status).toBe(AuthenStatus.PASS);
    });
    expect(ok).toEqual([
      {
        event: "tacacs_authen",
        protocol: "tacacs",
        method: "PAP",
        result: "accept",
        reason: "authenticated",
        user: "alice",
        ...LO,
        realm: null,
        home_server: null,
        latency_ms: expect.any(Number),
      },
    ]);
    const empty = await records(async (c) => {
      expect((await c.pap("alice", "")).status).toBe(AuthenStatus.FAIL);
    });
    expect(empty).toMatchObject([
      { method: "PAP", result: "reject", reason: "empty-credentials", latency_ms: 0, ...LO },
    ]);
  });

  test("enable over PAP is method enable; CHAP with a wrong secret is a CHAP reject", async () => {
    const en = await records(async (c) => {
      const p = await c.authenStart({
        user: "alice",
        authenType: AuthenType.PAP,
        authenService: AuthenService.ENABLE,
        privLvl: 15,
        data: utf8(USERS.alice.enable),
      });
      expect(status(p)).toBe(AuthenStatus.PASS);
    });
    expect(en).toMatchObject([{ event: "tacacs_authen", method: "enable", result: "accept" }]);
    const challenge = randomBytes(16);
    const resp = createHash("md5")
      .update(Buffer.from([7]))
      .update("wrong")
      .update(challenge)
      .digest();
    const chap = await records(async (c) => {
      const p = await c.authenStart({
        user: "carol",
        authenType: AuthenType.CHAP,
        data: new Uint8Array([7, ...challenge, ...resp]),
      });
      expect(status(p)).toBe(AuthenStatus.FAIL);
    });
    expect(chap).toMatchObject([
      { method: "CHAP", result: "reject", reason: "bad-password", user: "carol", ...LO },
    ]);
  });

  test("authorization permit and deny, one record each", async () => {
    const ask = (args: string[], user = "bob") =>
      records(async (c) => {
        const p = await c.request(
          { type: PacketType.AUTHOR, seqNo: 1, sessionId: newSessionId() },
          { kind: "author-request", body: { ...fields, user, args } },
        );
        expect([AuthorStatus.PASS_ADD, AuthorStatus.FAIL] as number[]).toContain(status(p));
      });
    const permit = await ask(["service=shell", "cmd=show", "cmd-arg=version", "cmd-arg=<cr>"]);
    const deny = await ask(["service=shell", "cmd=configure", "cmd-arg=terminal", "cmd-arg=<cr>"]);
    expect(permit).toMatchObject([
      { event: "tacacs_author", method: "author", result: "permit", user: "bob", ...LO },
    ]);
    expect(deny).toMatchObject([
      { event: "tacacs_author", method: "author", result: "deny", user: "bob", ...LO },
    ]);
    expect(deny[0]!.reason).not.toBe("");
    // A rule's decision names the rule.
    expect(await ask(["service=shell", "cmd=reload", "cmd-arg=<cr>"], "alice")).toMatchObject([
      { result: "deny", reason: "command-denied:no-reload", user: "alice" },
    ]);
  });

  test("accounting stored, and an invalid request failed with its reason", async () => {
    const acct = (flags: number) =>
      records(async (c) => {
        const p = await c.request(
          { type: PacketType.ACCT, seqNo: 1, sessionId: newSessionId() },
          {
            kind: "acct-request",
            body: { ...fields, flags, user: "alice", args: ["task_id=al-1", "service=shell"] },
          },
        );
        expect([AcctStatus.SUCCESS, AcctStatus.ERROR] as number[]).toContain(status(p));
      });
    expect(await acct(AcctFlag.START)).toMatchObject([
      { event: "tacacs_acct", method: "acct", result: "stored", reason: "committed", ...LO },
    ]);
    expect(await acct(AcctFlag.START | AcctFlag.STOP)).toMatchObject([
      { event: "tacacs_acct", method: "acct", result: "failed", reason: "bad-flags", ...LO },
    ]);
  });

  test("behind PROXY v2: the claimed client, its device, and the proxy's address", async () => {
    const hdr = encodeProxyV2({
      command: "PROXY",
      family: "TCP4",
      addresses: {
        source: { ip: "192.0.2.10", port: 40000 },
        destination: { ip: "192.0.2.1", port: 49 },
      },
    });
    const r = await records(async (c) => {
      expect((await c.pap("alice", "wrong")).status).toBe(AuthenStatus.FAIL);
    }, hdr);
    expect(r).toMatchObject([
      {
        method: "PAP",
        result: "reject",
        reason: "bad-password",
        client: "192.0.2.10",
        device: "claimed4",
        group: "core",
        proxy: "127.0.0.1",
      },
    ]);
  });
});
