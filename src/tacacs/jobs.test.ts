// runJob as data: a Job and a recording fake Policy in, an Answer out (synchronous when policy is).
import { describe, expect, test } from "bun:test";
import { utf8 } from "../lib/bytes.ts";
import { allow, deny, Reason, type Decision } from "../policy/decisions.ts";
import type { AccountingRecord, Policy } from "../policy/ports.ts";
import { chapResponse } from "../radius/codec/chap.ts";
import { AcctFlag } from "./codec/accounting.ts";
import { AuthorStatus } from "./codec/authorization.ts";
import { runJob, type JobContext } from "./jobs.ts";
import type { Answer, Job } from "./types.ts";

function fakePolicy(o: Partial<Policy> = {}): Policy & { records: AccountingRecord[] } {
  const records: AccountingRecord[] = [];
  return {
    records,
    authenticatePassword: () => allow(Reason.authenticated),
    authenticateEnable: () => allow(Reason.authenticated),
    changePassword: async () => allow(Reason.passwordChanged),
    authenticateChap: () => deny(Reason.noChapCredential),
    authenticateMsChap: () => deny(Reason.noChapCredential),
    authorizeShell: () => ({ ...allow(Reason.permitted), av: ["priv-lvl=15"] }),
    authorizeCommand: () => deny("command-denied:no-reload"),
    radiusReply: () => [],
    account: async (r) => {
      records.push(r);
    },
    ...o,
  };
}

const ctx = (policy: Policy): JobContext => ({
  policy,
  device: { deviceName: "sw1", groupId: 1, groupName: "core" },
  clientIp: "192.0.2.10",
  wall: () => 1_700_000_000_000,
});

const password = (purpose: "login" | "enable" = "login"): Job => ({
  kind: "password",
  purpose,
  authenType: "pap",
  username: "alice",
  password: utf8("pw"),
  privLvl: 15,
});

const fields = {
  authenMethod: 6,
  privLvl: 1,
  authenType: 2,
  authenService: 1,
  user: "alice",
  port: "tty1",
  remAddr: "198.51.100.7",
};

describe("runJob", () => {
  test("password: a synchronous decision gives a synchronous Answer with the client address passed on", () => {
    let seen: unknown;
    const p = fakePolicy({
      authenticatePassword: (req) => {
        seen = req;
        return allow(Reason.authenticated, { cached: true });
      },
    });
    const a = runJob(password(), ctx(p));
    expect(a instanceof Promise).toBe(false);
    expect(a).toMatchObject({ kind: "authen", authenType: "pap", decision: { allow: true } });
    expect(seen).toMatchObject({ username: "alice", clientIp: "192.0.2.10" });
  });

  test("password: a pending decision gives a Promise; a throwing or rejecting policy denies", async () => {
    const later = fakePolicy({
      authenticatePassword: () => Promise.resolve(deny(Reason.badPassword)),
    });
    const a = runJob(password(), ctx(later));
    expect(a instanceof Promise).toBe(true);
    expect(((await a) as Answer & { kind: "authen" }).decision.allow).toBe(false);
    const throwing = fakePolicy({
      authenticatePassword: () => {
        throw new Error("boom");
      },
    });
    expect(runJob(password(), ctx(throwing))).toMatchObject({
      decision: { allow: false, reason: Reason.badPassword },
    });
    const rejecting = fakePolicy({
      authenticateEnable: () => Promise.reject(new Error("boom")),
    });
    expect(await runJob(password("enable"), ctx(rejecting))).toMatchObject({
      decision: { allow: false, reason: Reason.badPassword },
    });
  });

  test("CHAP: policy's check callback verifies the RFC 1994 response against the cleartext", () => {
    const challenge = new Uint8Array(16).fill(9);
    const response = chapResponse(3, utf8("chap-secret"), challenge);
    let verdicts: boolean[] = [];
    const p = fakePolicy({
      authenticateChap: (_req, check): Decision => {
        verdicts = [check(utf8("chap-secret")), check(utf8("wrong"))];
        return verdicts[0] ? allow(Reason.authenticated) : deny(Reason.badPassword);
      },
    });
    const a = runJob({ kind: "chap", username: "carol", id: 3, challenge, response }, ctx(p));
    expect(verdicts).toEqual([true, false]);
    expect(a).toMatchObject({ kind: "authen", authenType: "chap", decision: { allow: true } });
  });

  test("author: shell start merges the granted AV pairs; a denied command carries the rule's name (the counter cuts it to the kind)", () => {
    const p = fakePolicy();
    const shell = runJob(
      {
        kind: "author",
        req: { ...fields, args: ["service=shell", "cmd="] },
        service: "shell",
        cmd: null,
        cmdArgs: [],
      },
      ctx(p),
    );
    expect(shell).toMatchObject({
      kind: "author",
      allow: true,
      reply: { body: { status: AuthorStatus.PASS_ADD, args: ["priv-lvl=15"] } },
    });
    const cmd = runJob(
      {
        kind: "author",
        req: { ...fields, args: ["service=shell", "cmd=reload"] },
        service: "shell",
        cmd: "reload",
        cmdArgs: [],
      },
      ctx(p),
    );
    expect(cmd).toMatchObject({
      allow: false,
      reason: "command-denied:no-reload",
      reply: { body: { status: AuthorStatus.FAIL } },
    });
  });

  test("acct: the record carries device, client and AV pairs; a failed write answers ok:false", async () => {
    const p = fakePolicy();
    const job: Job = {
      kind: "acct",
      req: { ...fields, flags: AcctFlag.START, args: ["task_id=42", "service=shell"] },
      recordType: "start",
      tacacsSessionId: 0x1234,
    };
    expect(await runJob(job, ctx(p))).toEqual({
      kind: "acct",
      ok: true,
      recordType: "start",
      username: "alice",
    });
    expect(p.records[0]).toMatchObject({
      protocol: "tacacs",
      clientIp: "192.0.2.10",
      device: "sw1",
      deviceGroup: "core",
      sessionId: "42",
      recordType: "start",
      attributes: { task_id: "42", service: "shell", tacacs_session_id: 0x1234 },
    });
    const failing = fakePolicy({ account: () => Promise.reject(new Error("disk full")) });
    expect(await runJob(job, ctx(failing))).toMatchObject({ ok: false, detail: "disk full" });
  });
});
