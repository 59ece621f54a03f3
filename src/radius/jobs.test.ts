// runJob: synchronous policy answers stay synchronous (no promise on the hot path); later ones come
// through the callback exactly once; failures are Answers, never throws or rejections.
import { describe, expect, test } from "bun:test";
import { utf8 } from "../lib/bytes.ts";
import { allow, Reason } from "../policy/decisions.ts";
import type { AccountingRecord, Policy } from "../policy/ports.ts";
import { randomAuthenticator } from "./codec/authenticator.ts";
import { encodeRequest } from "./codec/compose.ts";
import { AttrType, Code, decodePacket } from "./codec/packet.ts";
import { hidePassword, PacketSalts } from "./codec/user-password.ts";
import type { RadiusAnswer, RadiusJob } from "./engine-types.ts";
import { runJob } from "./jobs.ts";

const secret = utf8("jobs-secret");
const device = {
  deviceName: "nas1",
  groupId: 1,
  groupName: "nas",
  radiusSecret: secret,
  requireMessageAuthenticator: true,
};

function papJob(): RadiusJob {
  const auth = randomAuthenticator();
  const pw = hidePassword(utf8("pw"), secret, auth);
  if (!pw.ok) throw new Error(pw.code);
  const r = encodeRequest(
    {
      code: Code.AccessRequest,
      identifier: 1,
      authenticator: auth,
      attributes: [
        { type: AttrType.UserName, value: utf8("alice") },
        { type: AttrType.UserPassword, value: pw.value },
      ],
    },
    secret,
  );
  if (!r.ok) throw new Error(r.code);
  const p = decodePacket(r.value);
  if (!p.ok) throw new Error(p.code);
  return {
    kind: "access",
    packet: p.value,
    secret,
    userName: "alice",
    clientIp: "192.0.2.1",
    device,
    salts: new PacketSalts(),
  };
}

const record = { recordType: "start" } as unknown as AccountingRecord;

/** runJob, with a later answer awaited: the answer returned now, or the one given to `later`. */
function run(job: RadiusJob, policy: Policy): RadiusAnswer | Promise<RadiusAnswer> {
  let calls = 0;
  let resolve: (a: RadiusAnswer) => void = () => {};
  const p = new Promise<RadiusAnswer>((r) => (resolve = r));
  const now = runJob(job, policy, (a) => {
    calls++;
    expect(calls).toBe(1);
    resolve(a);
  });
  return now ?? p;
}

describe("runJob", () => {
  test("a synchronous decision (a credential-cache hit) is answered without a promise, with the reply attributes", () => {
    const policy = {
      authenticatePassword: () => allow(Reason.authenticated),
      radiusReply: () => [{ name: "Session-Timeout", value: "60" }],
    } as unknown as Policy;
    const a = runJob(papJob(), policy, () => {
      throw new Error("not later");
    });
    expect(a).not.toBeNull();
    expect(a).toMatchObject({
      kind: "access",
      outcome: { allow: true },
      reply: [{ name: "Session-Timeout", value: "60" }],
    });
  });

  test("a policy that throws, or rejects, is an Answer of kind failed", async () => {
    const throwing = {
      authenticatePassword: () => {
        throw new Error("snapshot gone");
      },
    } as unknown as Policy;
    expect(run(papJob(), throwing)).toEqual({ kind: "failed", detail: "snapshot gone" });
    const rejecting = {
      authenticatePassword: () => Promise.reject(new Error("worker died")),
    } as unknown as Policy;
    expect(await run(papJob(), rejecting)).toEqual({ kind: "failed", detail: "worker died" });
  });

  test("accounting: committed → ok; a failed or throwing commit → not ok with the reason", async () => {
    const job: RadiusJob = { kind: "account", record };
    const ok = { account: () => Promise.resolve() } as unknown as Policy;
    expect(await run(job, ok)).toEqual({ kind: "account", ok: true });
    const full = { account: () => Promise.reject(new Error("disk full")) } as unknown as Policy;
    expect(await run(job, full)).toEqual({ kind: "account", ok: false, detail: "disk full" });
    const bug = {
      account: () => {
        throw new Error("bug");
      },
    } as unknown as Policy;
    expect(await run(job, bug)).toEqual({ kind: "account", ok: false, detail: "bug" });
  });
});
