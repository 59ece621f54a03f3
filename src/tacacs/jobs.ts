// Runs a Job against Policy and returns the Answer the session machine turns into a reply.
// The protocol math for CHAP and MS-CHAP lives here (reusing the RADIUS codec's RFC 1994 / 2433 /
// 2759 functions); policy owns the decision and only hands the credential to our check callback.
// Synchronous decisions return the Answer directly (no promise, no microtask on the hot path).
import { timingSafeEqual } from "../lib/bytes.ts";
import { Reason, deny, type Decision } from "../policy/decisions.ts";
import type { Policy, PolicyDevice } from "../policy/ports.ts";
import { chapResponse } from "../radius/codec/chap.ts";
import { verifyMsChapV1, verifyMsChapV2 } from "../radius/codec/mschap.ts";
import { acctAttributes, acctSessionId } from "./acct.ts";
import { denyResponse, grantResponse, permitCommand } from "./author.ts";
import type { Answer, Job } from "./types.ts";

export interface JobContext {
  policy: Policy;
  device: PolicyDevice;
  /** The resolved client address (PROXY v2 source when proxied). */
  clientIp: string;
  /** Wall-clock ms for records. */
  wall(): number;
}

const enc = new TextEncoder();

export function runJob(job: Job, ctx: JobContext): Answer | Promise<Answer> {
  switch (job.kind) {
    case "password": {
      const req = {
        username: job.username,
        password: job.password,
        clientIp: ctx.clientIp,
        device: ctx.device,
      };
      const answer = (decision: Decision): Answer => ({
        kind: "authen",
        authenType: job.authenType,
        decision,
        username: job.username,
      });
      let p: Decision | Promise<Decision>;
      try {
        p =
          job.purpose === "enable"
            ? ctx.policy.authenticateEnable({ ...req, privLvl: job.privLvl })
            : ctx.policy.authenticatePassword(req);
      } catch {
        return answer(deny(Reason.badPassword));
      }
      if (!(p instanceof Promise)) return answer(p);
      return p.then(answer, () => answer(deny(Reason.badPassword)));
    }
    case "chpass": {
      const req = {
        username: job.username,
        password: job.oldPassword,
        newPassword: job.newPassword,
        clientIp: ctx.clientIp,
        device: ctx.device,
      };
      return ctx.policy.changePassword(req).then(
        (decision): Answer => ({
          kind: "authen",
          authenType: "ascii",
          decision,
          username: job.username,
        }),
        (): Answer => ({
          kind: "authen",
          authenType: "ascii",
          decision: deny(Reason.changeFailed),
          username: job.username,
        }),
      );
    }
    case "chap": {
      const decision = ctx.policy.authenticateChap(
        { username: job.username, clientIp: ctx.clientIp, device: ctx.device },
        (clear) => timingSafeEqual(chapResponse(job.id, clear, job.challenge), job.response),
      );
      return { kind: "authen", authenType: "chap", decision, username: job.username };
    }
    case "mschap1": {
      // TACACS+ carries the RFC 2433 49-octet response LM(24) ‖ NT(24) ‖ flags(1); the RADIUS
      // helper reads the RFC 2548 form ident(1) ‖ flags(1) ‖ LM(24) ‖ NT(24).
      const response = new Uint8Array(50);
      response[0] = job.id;
      response[1] = job.response[48]!;
      response.set(job.response.subarray(0, 48), 2);
      const decision = ctx.policy.authenticateMsChap(
        { username: job.username, clientIp: ctx.clientIp, device: ctx.device },
        (ntHash) => {
          const r = verifyMsChapV1({ ntHash, challenge: job.challenge, response });
          return r.ok && r.value;
        },
      );
      return { kind: "authen", authenType: "mschap", decision, username: job.username };
    }
    case "mschap2": {
      // RFC 2759 response: peer challenge(16) ‖ reserved(8) ‖ NT-Response(24) ‖ flags(1).
      const response = new Uint8Array(50);
      response[0] = job.id;
      response[1] = job.response[48]!;
      response.set(job.response.subarray(0, 48), 2);
      let success: Uint8Array | undefined;
      const decision = ctx.policy.authenticateMsChap(
        { username: job.username, clientIp: ctx.clientIp, device: ctx.device },
        (ntHash) => {
          const r = verifyMsChapV2({
            userName: enc.encode(job.username),
            ntHash,
            authChallenge: job.challenge,
            response,
          });
          if (!r.ok || r.value === null) return false;
          // "S=<40 hex>" authenticator response (RFC 2759 §5), returned in the REPLY data field.
          success = r.value.success.subarray(1);
          return true;
        },
      );
      const a: Answer = {
        kind: "authen",
        authenType: "mschapv2",
        decision,
        username: job.username,
      };
      if (decision.allow && success !== undefined) a.data = success;
      return a;
    }
    case "author":
      return author(job, ctx);
    case "acct": {
      const { req, tacacsSessionId } = job;
      const record = {
        protocol: "tacacs" as const,
        time: ctx.wall(),
        clientIp: ctx.clientIp,
        device: ctx.device.deviceName,
        deviceGroup: ctx.device.groupName,
        username: req.user,
        sessionId: acctSessionId(req, tacacsSessionId),
        recordType: job.recordType,
        attributes: acctAttributes(req, tacacsSessionId),
      };
      return ctx.policy.account(record).then(
        (): Answer => ({ kind: "acct", ok: true, recordType: job.recordType, username: req.user }),
        (e: unknown): Answer => ({
          kind: "acct",
          ok: false,
          recordType: job.recordType,
          detail: e instanceof Error ? e.message : String(e),
          username: req.user,
        }),
      );
    }
  }
}

function author(job: Job & { kind: "author" }, ctx: JobContext): Answer {
  const username = job.req.user;
  let decision: Decision;
  let body;
  if (job.cmd !== null) {
    decision = ctx.policy.authorizeCommand({
      username,
      device: ctx.device,
      cmd: job.cmd,
      args: job.cmdArgs,
      privLvl: job.req.privLvl,
    });
    body = decision.allow ? permitCommand() : denyResponse("Command not authorized");
  } else {
    const d = ctx.policy.authorizeShell({ username, device: ctx.device, service: job.service });
    decision = d;
    body = d.allow ? grantResponse(job.req, d.av) : denyResponse("Service not authorized");
  }
  return {
    kind: "author",
    reply: { kind: "author-response", body },
    allow: decision.allow,
    // With the rule's name: the auth log shows which rule decided (labels take reasonKind).
    reason: decision.reason,
    username,
  };
}
