// Authentication flows as data: START / CONTINUE bodies in, a reply or a Job out (RFC 8907 §5.4).
import { describe, expect, test } from "bun:test";
import { utf8 } from "../lib/bytes.ts";
import {
  AuthenAction,
  AuthenContinueFlag,
  AuthenReplyFlag,
  AuthenService,
  AuthenStatus,
  AuthenType,
  type AuthenStart,
} from "./codec/authentication.ts";
import {
  continueAuthen,
  MAX_PROMPTS,
  startAuthen,
  type AsciiFlow,
  type AuthenStep,
} from "./authen.ts";
import type { EngineConfig } from "./types.ts";

const CFG: EngineConfig = {
  singleConnect: true,
  onlyChap: false,
  onlyChapEnable: false,
  maxSessions: 64,
};
const ONLY_CHAP: EngineConfig = { ...CFG, onlyChap: true };

const s = (o: Partial<AuthenStart>): AuthenStart => ({
  action: AuthenAction.LOGIN,
  privLvl: 1,
  authenType: AuthenType.PAP,
  authenService: AuthenService.LOGIN,
  user: "alice",
  port: "",
  remAddr: "",
  data: new Uint8Array(0),
  ...o,
});
const answer = (text: string, flags = 0) => ({
  userMsg: utf8(text),
  data: new Uint8Array(0),
  flags,
});
const status = (st: AuthenStep) => (st.kind === "reply" ? st.reply.status : st.kind);
const flowOf = (st: AuthenStep): AsciiFlow => {
  if (st.kind !== "reply" || st.flow === undefined) throw new Error("no flow");
  return st.flow;
};

describe("startAuthen", () => {
  test("PAP: a password job with the user's bytes; empty credentials fail without a job", () => {
    const st = startAuthen(s({ data: utf8("pw") }), CFG);
    expect(st).toEqual({
      kind: "job",
      job: {
        kind: "password",
        purpose: "login",
        authenType: "pap",
        username: "alice",
        password: utf8("pw"),
        privLvl: 1,
      },
    });
    expect(startAuthen(s({}), CFG)).toMatchObject({
      kind: "reply",
      terminal: true,
      note: { result: "fail", reason: "empty-credentials" },
    });
  });

  test("PAP enable: purpose enable with the requested priv_lvl", () => {
    const st = startAuthen(
      s({ authenService: AuthenService.ENABLE, privLvl: 15, data: utf8("en") }),
      CFG,
    );
    expect(st).toMatchObject({ kind: "job", job: { purpose: "enable", privLvl: 15 } });
  });

  test("only_chap refuses PAP and ASCII login but not PAP enable (unless only_chap_enable)", () => {
    expect(startAuthen(s({ data: utf8("pw") }), ONLY_CHAP)).toMatchObject({
      note: { reason: "only-chap" },
    });
    expect(startAuthen(s({ authenType: AuthenType.ASCII }), ONLY_CHAP)).toMatchObject({
      note: { reason: "only-chap" },
    });
    const enable = s({ authenService: AuthenService.ENABLE, data: utf8("en") });
    expect(startAuthen(enable, ONLY_CHAP).kind).toBe("job");
    expect(startAuthen(enable, { ...ONLY_CHAP, onlyChapEnable: true })).toMatchObject({
      note: { reason: "only-chap" },
    });
  });

  test("CHAP data = id ‖ challenge ‖ 16-octet response; shorter fails", () => {
    const data = new Uint8Array([5, ...new Array(8).fill(1), ...new Array(16).fill(2)]);
    const st = startAuthen(s({ authenType: AuthenType.CHAP, data }), CFG);
    if (st.kind !== "job" || st.job.kind !== "chap") throw new Error("no chap job");
    expect(st.job.id).toBe(5);
    expect([...st.job.challenge]).toEqual(new Array(8).fill(1));
    expect([...st.job.response]).toEqual(new Array(16).fill(2));
    expect(
      startAuthen(s({ authenType: AuthenType.CHAP, data: new Uint8Array(17) }), CFG),
    ).toMatchObject({ note: { reason: "bad-chap-data" } });
  });

  test("MS-CHAP v1 / v2: exact lengths (1 + 8 + 49, 1 + 16 + 49), else FAIL", () => {
    const v1 = startAuthen(s({ authenType: AuthenType.MSCHAP, data: new Uint8Array(58) }), CFG);
    const v2 = startAuthen(s({ authenType: AuthenType.MSCHAPV2, data: new Uint8Array(66) }), CFG);
    expect([v1.kind === "job" && v1.job.kind, v2.kind === "job" && v2.job.kind]).toEqual([
      "mschap1",
      "mschap2",
    ]);
    expect(
      startAuthen(s({ authenType: AuthenType.MSCHAP, data: new Uint8Array(66) }), CFG),
    ).toMatchObject({ note: { reason: "bad-mschap-data" } });
  });

  test("unsupported types and actions fail, never guessed at", () => {
    expect(startAuthen(s({ authenType: 0x04 }), CFG)).toMatchObject({
      note: { reason: "unsupported-type" },
    });
    expect(startAuthen(s({ action: AuthenAction.SENDAUTH }), CFG)).toMatchObject({
      note: { reason: "unsupported-action" },
    });
  });
});

describe("ASCII dialogue", () => {
  test("login without a user: GETUSER, then GETPASS (NOECHO), then a job with what was typed", () => {
    const a = startAuthen(s({ authenType: AuthenType.ASCII, user: "" }), CFG);
    expect(status(a)).toBe(AuthenStatus.GETUSER);
    const b = continueAuthen(flowOf(a), answer("bob"));
    expect(status(b)).toBe(AuthenStatus.GETPASS);
    expect(b.kind === "reply" && b.reply.flags & AuthenReplyFlag.NOECHO).toBe(
      AuthenReplyFlag.NOECHO,
    );
    const c = continueAuthen(flowOf(b), answer("pw-bob"));
    expect(c).toMatchObject({
      kind: "job",
      job: { kind: "password", username: "bob", authenType: "ascii" },
    });
  });

  test(`empty answers re-prompt at most ${MAX_PROMPTS} times in all, then FAIL`, () => {
    let st = startAuthen(s({ authenType: AuthenType.ASCII, user: "" }), CFG);
    let prompts = 1;
    while (st.kind === "reply" && !st.terminal) {
      st = continueAuthen(flowOf(st), answer(""));
      if (st.kind === "reply" && !st.terminal) prompts++;
    }
    expect(prompts).toBe(MAX_PROMPTS);
    expect(st).toMatchObject({ note: { reason: "too-many-prompts" } });
  });

  test("ABORT ends the session without a reply", () => {
    const a = startAuthen(s({ authenType: AuthenType.ASCII }), CFG);
    expect(continueAuthen(flowOf(a), answer("", AuthenContinueFlag.ABORT))).toEqual({
      kind: "end",
      note: { result: "fail", reason: "aborted" },
    });
  });

  test("change password: old with GETDATA, new and retyped with GETPASS; a mismatch fails", () => {
    const a = startAuthen(s({ action: AuthenAction.CHPASS, authenType: AuthenType.ASCII }), CFG);
    expect(status(a)).toBe(AuthenStatus.GETDATA);
    const b = continueAuthen(flowOf(a), answer("old"));
    expect(status(b)).toBe(AuthenStatus.GETPASS);
    const c = continueAuthen(flowOf(b), answer("new"));
    expect(status(c)).toBe(AuthenStatus.GETPASS);
    const flow = flowOf(c);
    expect(continueAuthen({ ...flow }, answer("new"))).toMatchObject({
      kind: "job",
      job: {
        kind: "chpass",
        username: "alice",
        oldPassword: utf8("old"),
        newPassword: utf8("new"),
      },
    });
    expect(continueAuthen({ ...flow }, answer("other"))).toMatchObject({
      note: { reason: "chpass-mismatch" },
    });
  });

  test("change password over PAP is refused", () => {
    expect(startAuthen(s({ action: AuthenAction.CHPASS, data: utf8("x") }), CFG)).toMatchObject({
      note: { reason: "unsupported-chpass" },
    });
  });
});
