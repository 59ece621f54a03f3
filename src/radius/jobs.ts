// Runs a RADIUS Job against Policy and returns the Answer the engine turns into a reply (the
// TACACS+ shape, src/tacacs/jobs.ts). Synchronous decisions return the Answer itself — a PAP login
// from the credential cache, CHAP, MS-CHAP — so the hot path costs no promise; argon2 on a cache
// miss and the accounting commit return a Promise that never rejects (a failure is an Answer).
//
//   runJob(job, policy) → RadiusAnswer | Promise<RadiusAnswer>
import type { Policy, RadiusReplyAttribute } from "../policy/ports.ts";
import { authenticateAccess, type AccessOutcome } from "./access.ts";
import type { RadiusAnswer, RadiusJob } from "./engine-types.ts";

const NO_REPLY: readonly RadiusReplyAttribute[] = [];
const STORED: RadiusAnswer = { kind: "account", ok: true };

const reasonOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export function runJob(job: RadiusJob, policy: Policy): RadiusAnswer | Promise<RadiusAnswer> {
  if (job.kind === "account") {
    let written: Promise<void>;
    try {
      written = policy.account(job.record);
    } catch (e) {
      return { kind: "account", ok: false, detail: reasonOf(e) };
    }
    return written.then(
      () => STORED,
      (e: unknown): RadiusAnswer => ({ kind: "account", ok: false, detail: reasonOf(e) }),
    );
  }
  const decided = (outcome: AccessOutcome): RadiusAnswer => ({
    kind: "access",
    outcome,
    // The user group's reply attributes, read with the decision from the same policy snapshot.
    reply: outcome.allow ? policy.radiusReply(job.userName) : NO_REPLY,
  });
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
    if (!(out instanceof Promise)) return decided(out);
  } catch (e) {
    return { kind: "failed", detail: reasonOf(e) };
  }
  return out.then(
    (o) => {
      try {
        return decided(o);
      } catch (e) {
        return { kind: "failed", detail: reasonOf(e) };
      }
    },
    (e: unknown): RadiusAnswer => ({ kind: "failed", detail: reasonOf(e) }),
  );
}
