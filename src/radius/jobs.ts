// Runs a RADIUS Job against Policy and gives the Answer the engine turns into a reply (the TACACS+
// shape, src/tacacs/jobs.ts). Synchronous decisions are returned — a PAP login from the credential
// cache, CHAP, MS-CHAP — so the hot path costs no promise; argon2 on a cache miss and the
// accounting commit answer through `later`, exactly once, from the one promise reaction policy's
// own promise needs (no second promise on top: an accounting record costs one reaction, as before).
// A failure is an Answer too; nothing is thrown or rejected from here.
//
//   runJob(job, policy, later) → RadiusAnswer (now) | null (later(answer) will be called)
import type { Policy, RadiusReplyAttribute } from "../policy/ports.ts";
import { authenticateAccess, type AccessOutcome } from "./access.ts";
import type { RadiusAnswer, RadiusJob } from "./engine-types.ts";

const NO_REPLY: readonly RadiusReplyAttribute[] = [];
const STORED: RadiusAnswer = { kind: "account", ok: true };

const reasonOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export function runJob(
  job: RadiusJob,
  policy: Policy,
  later: (a: RadiusAnswer) => void,
): RadiusAnswer | null {
  if (job.kind === "account") {
    let written: Promise<void>;
    try {
      written = policy.account(job.record);
    } catch (e) {
      return { kind: "account", ok: false, detail: reasonOf(e) };
    }
    written.then(
      () => later(STORED),
      (e: unknown) => later({ kind: "account", ok: false, detail: reasonOf(e) }),
    );
    return null;
  }
  const decided = (outcome: AccessOutcome): RadiusAnswer => {
    try {
      // The user group's reply attributes, read with the decision from the same policy snapshot.
      return {
        kind: "access",
        outcome,
        reply: outcome.allow ? policy.radiusReply(job.userName) : NO_REPLY,
      };
    } catch (e) {
      return { kind: "failed", detail: reasonOf(e) };
    }
  };
  let out: AccessOutcome | Promise<AccessOutcome>;
  try {
    out = authenticateAccess({
      packet: job.packet,
      secret: job.secret,
      userName: job.userName,
      clientIp: job.clientIp,
      device: job.device,
      policy,
      salts: job.salts,
    });
  } catch (e) {
    return { kind: "failed", detail: reasonOf(e) };
  }
  if (!(out instanceof Promise)) return decided(out);
  out.then(
    (o) => later(decided(o)),
    (e: unknown) => later({ kind: "failed", detail: reasonOf(e) }),
  );
  return null;
}
