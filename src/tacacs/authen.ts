// Authentication flows, RFC 8907 §5.4: what to answer to a START or a CONTINUE. Pure: returns either
// a reply (with whether it ends the session) or a Job for policy, plus the flow state to keep.
//
//   LOGIN  ASCII   START(user?) → GETUSER → CONTINUE(user) → GETPASS(NOECHO) → CONTINUE(pass) → job
//          PAP     START(user, data=password) → job                                  (§5.4.2.2)
//          CHAP    data = id(1) ‖ challenge(≥1) ‖ response(16) → job                  (§5.4.2.3)
//          MS-CHAP data = id(1) ‖ challenge(8)  ‖ response(49) → job                  (§5.4.2.4)
//          MS-CHAPv2 data = id(1) ‖ challenge(16) ‖ response(49) → job                (§5.4.2.5)
//   ENABLE (authen_service ENABLE): ASCII (GETPASS dialogue) or PAP, checked against the enable secret
//          with the requested priv_lvl (§5.4.3).
//   CHPASS ASCII   START(user?) → GETUSER → GETDATA(NOECHO) "Old password" → GETPASS "New password" →
//          GETPASS "Retype" → job (§5.4.2.7: GETPASS "MUST only be used when requesting the 'new'
//          password … When requesting the 'old' password, the status value MUST be set to
//          TAC_PLUS_AUTHEN_STATUS_GETDATA"; local users only: policy checks the old password like a
//          login, then stores the new one). CHPASS with PAP/CHAP/MS-CHAP is refused (the RFC
//          deprecates inbound PAP change password; the others carry no new password).
//   only_chap (§10.5.3) refuses PAP and ASCII login and ASCII change password (it carries the old
//          password like a login would); enable too only with only_chap_enable.
//   Anything else (SENDAUTH, ARAP, unknown types) → FAIL: an unimplemented flow is refused,
//   never guessed at.
//
// Retries are bounded: an empty answer to GETUSER / GETPASS re-prompts at most MAX_PROMPTS times in
// all. A wrong password ends the session with FAIL (the device starts a new session to retry, and
// lockout counts each attempt) — the same as tac_plus.
import {
  AuthenAction,
  AuthenContinueFlag,
  AuthenReplyFlag,
  AuthenService,
  AuthenStatus,
  AuthenType,
  type AuthenContinue,
  type AuthenReply,
  type AuthenStart,
} from "./codec/authentication.ts";
import { timingSafeEqual } from "../lib/bytes.ts";
import type { DecisionMethod } from "../policy/decision-record.ts";
import type { EngineConfig, Job } from "./types.ts";

/** Prompts (GETUSER + GETPASS) one ASCII session may send before it gives up. */
export const MAX_PROMPTS = 6;
/** §5.4.2.3: CHAP response is an MD5 digest. */
const CHAP_RESPONSE_LEN = 16;
/** §5.4.2.4 / §5.4.2.5: MS-CHAP challenges are 8 (v1) and 16 (v2) octets, responses 49. */
const MSCHAP1_CHALLENGE_LEN = 8;
const MSCHAP2_CHALLENGE_LEN = 16;
const MSCHAP_RESPONSE_LEN = 49;
/** A password longer than this is refused before it reaches argon2 (the field allows 65535). */
const MAX_PASSWORD_BYTES = 1024;

export interface AsciiFlow {
  purpose: "login" | "enable" | "chpass";
  step: "getuser" | "getpass" | "getnew" | "confirm";
  /** CHPASS: the old password, then the new one, kept until the confirmation arrives. */
  old?: Uint8Array;
  next?: Uint8Array;
  username: string;
  prompts: number;
  privLvl: number;
}

export type AuthenStep =
  | {
      kind: "reply";
      reply: AuthenReply;
      terminal: boolean;
      flow?: AsciiFlow;
      note?: { result: "fail" | "error"; reason: string };
    }
  | { kind: "job"; job: Job }
  /** The session ends without a reply (the client aborted it). */
  | { kind: "end"; note: { result: "fail"; reason: string } };

const EMPTY = new Uint8Array(0);
const reply = (
  status: number,
  serverMsg: string,
  flags = 0,
  data: Uint8Array = EMPTY,
): AuthenReply => ({ status, flags, serverMsg, data });

export function authenTypeName(t: number): string {
  switch (t) {
    case AuthenType.ASCII:
      return "ascii";
    case AuthenType.PAP:
      return "pap";
    case AuthenType.CHAP:
      return "chap";
    case AuthenType.MSCHAP:
      return "mschap";
    case AuthenType.MSCHAPV2:
      return "mschapv2";
    default:
      return "other";
  }
}

/** The auth log's method for a START (decision-record.ts): enable wins over the type (enable
 *  arrives as ASCII or PAP), a change of password is an ASCII dialogue. */
export function authenMethod(s: AuthenStart): DecisionMethod {
  if (s.authenService === AuthenService.ENABLE) return "enable";
  switch (s.authenType) {
    case AuthenType.ASCII:
      return "ASCII";
    case AuthenType.PAP:
      return "PAP";
    case AuthenType.CHAP:
      return "CHAP";
    case AuthenType.MSCHAP:
      return "MS-CHAP";
    case AuthenType.MSCHAPV2:
      return "MS-CHAPv2";
    default:
      return "other";
  }
}

function fail(msg: string, reason: string): AuthenStep {
  return {
    kind: "reply",
    reply: reply(AuthenStatus.FAIL, msg),
    terminal: true,
    note: { result: "fail", reason },
  };
}

function prompt(flow: AsciiFlow): AuthenStep {
  flow.prompts++;
  if (flow.prompts > MAX_PROMPTS) return fail("Too many attempts", "too-many-prompts");
  if (flow.step === "getuser")
    return {
      kind: "reply",
      reply: reply(AuthenStatus.GETUSER, "Username: "),
      terminal: false,
      flow,
    };
  // §5.4.2.7: the old password of a change is asked with GETDATA (still NOECHO), never GETPASS.
  if (flow.purpose === "chpass" && flow.step === "getpass")
    return {
      kind: "reply",
      reply: reply(AuthenStatus.GETDATA, "Old password: ", AuthenReplyFlag.NOECHO),
      terminal: false,
      flow,
    };
  const text =
    flow.step === "getnew"
      ? "New password: "
      : flow.step === "confirm"
        ? "Retype new password: "
        : "Password: ";
  return {
    kind: "reply",
    reply: reply(AuthenStatus.GETPASS, text, AuthenReplyFlag.NOECHO),
    terminal: false,
    flow,
  };
}

export function startAuthen(s: AuthenStart, cfg: EngineConfig): AuthenStep {
  if (s.lossyText) return fail("Authentication failed", "bad-text");
  const enable = s.authenService === AuthenService.ENABLE;
  if (s.action === AuthenAction.CHPASS) {
    if (s.authenType !== AuthenType.ASCII || enable)
      return fail("Change password needs an ASCII login session", "unsupported-chpass");
    if (cfg.onlyChap) return fail("Only CHAP and MS-CHAP are accepted", "only-chap");
    return prompt({
      purpose: "chpass",
      step: s.user === "" ? "getuser" : "getpass",
      username: s.user,
      prompts: 0,
      privLvl: s.privLvl,
    });
  }
  if (s.action !== AuthenAction.LOGIN) return fail("Action not supported", "unsupported-action");
  const purpose = enable ? "enable" : "login";
  const name = authenTypeName(s.authenType);
  if (
    cfg.onlyChap &&
    (!enable || cfg.onlyChapEnable) &&
    (s.authenType === AuthenType.ASCII || s.authenType === AuthenType.PAP)
  ) {
    return fail("Only CHAP and MS-CHAP are accepted", "only-chap");
  }
  switch (s.authenType) {
    case AuthenType.ASCII: {
      const flow: AsciiFlow = {
        purpose,
        step: s.user === "" ? "getuser" : "getpass",
        username: s.user,
        prompts: 0,
        privLvl: s.privLvl,
      };
      return prompt(flow);
    }
    case AuthenType.PAP:
      if (s.user === "" || s.data.length === 0)
        return fail("Authentication failed", "empty-credentials");
      if (s.data.length > MAX_PASSWORD_BYTES)
        return fail("Authentication failed", "password-too-long");
      return {
        kind: "job",
        job: {
          kind: "password",
          purpose,
          authenType: name,
          username: s.user,
          password: s.data,
          privLvl: s.privLvl,
        },
      };
    case AuthenType.CHAP:
    case AuthenType.MSCHAP:
    case AuthenType.MSCHAPV2: {
      if (enable) return fail("Enable needs ASCII or PAP", "unsupported-type");
      if (s.user === "") return fail("Authentication failed", "empty-credentials");
      return challengeJob(s, name);
    }
    default:
      return fail("Authentication type not supported", "unsupported-type");
  }
}

function challengeJob(s: AuthenStart, name: string): AuthenStep {
  const d = s.data;
  const id = d[0] ?? 0;
  if (s.authenType === AuthenType.CHAP) {
    // At least one challenge octet; the field's one-byte length bounds the rest.
    if (d.length < 1 + 1 + CHAP_RESPONSE_LEN) return fail("Authentication failed", "bad-chap-data");
    const challenge = d.subarray(1, d.length - CHAP_RESPONSE_LEN);
    const response = d.subarray(d.length - CHAP_RESPONSE_LEN);
    return { kind: "job", job: { kind: "chap", username: s.user, id, challenge, response } };
  }
  const clen = s.authenType === AuthenType.MSCHAP ? MSCHAP1_CHALLENGE_LEN : MSCHAP2_CHALLENGE_LEN;
  if (d.length !== 1 + clen + MSCHAP_RESPONSE_LEN)
    return fail("Authentication failed", `bad-${name}-data`);
  const challenge = d.subarray(1, 1 + clen);
  const response = d.subarray(1 + clen);
  const kind = s.authenType === AuthenType.MSCHAP ? "mschap1" : "mschap2";
  return { kind: "job", job: { kind, username: s.user, id, challenge, response } };
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

export function continueAuthen(flow: AsciiFlow, c: AuthenContinue): AuthenStep {
  // §5.4.3: the client "may prematurely terminate a session" with the ABORT flag. It waits for
  // nothing more: the session ends without a reply (as tac_plus-ng does), counted as a failure.
  if ((c.flags & AuthenContinueFlag.ABORT) !== 0)
    return { kind: "end", note: { result: "fail", reason: "aborted" } };
  if (c.userMsg.length === 0) return prompt(flow);
  if (flow.step === "getuser") {
    let name: string;
    try {
      name = strictUtf8.decode(c.userMsg);
    } catch {
      return fail("Authentication failed", "bad-text");
    }
    if (name.length > 255) return fail("Authentication failed", "bad-text");
    flow.username = name;
    flow.step = "getpass";
    return prompt(flow);
  }
  if (c.userMsg.length > MAX_PASSWORD_BYTES)
    return fail("Authentication failed", "password-too-long");
  if (flow.purpose === "chpass") {
    if (flow.step === "getpass") {
      flow.old = c.userMsg.slice();
      flow.step = "getnew";
      return prompt(flow);
    }
    if (flow.step === "getnew") {
      flow.next = c.userMsg.slice();
      flow.step = "confirm";
      return prompt(flow);
    }
    const next = flow.next!;
    if (!timingSafeEqual(next, c.userMsg))
      return fail("New passwords do not match", "chpass-mismatch");
    return {
      kind: "job",
      job: { kind: "chpass", username: flow.username, oldPassword: flow.old!, newPassword: next },
    };
  }
  return {
    kind: "job",
    job: {
      kind: "password",
      purpose: flow.purpose,
      authenType: "ascii",
      username: flow.username,
      password: c.userMsg,
      privLvl: flow.privLvl,
    },
  };
}

/** The reply to a finished authentication job. */
export function authenVerdict(allow: boolean, data?: Uint8Array): AuthenReply {
  return allow
    ? reply(AuthenStatus.PASS, "", 0, data ?? EMPTY)
    : reply(AuthenStatus.FAIL, "Authentication failed");
}
