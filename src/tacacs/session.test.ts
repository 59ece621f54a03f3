// The session machine as data: frames in, Outputs out (send | job | close | note), no socket, no
// policy, no clock. Replies are decoded with the codec to check what a device would read.
import { describe, expect, test } from "bun:test";
import { utf8 } from "../lib/bytes.ts";
import { allow, deny, Reason } from "../policy/decisions.ts";
import { AcctFlag, AcctStatus } from "./codec/accounting.ts";
import { AuthenReplyFlag, AuthenStatus, AuthenType } from "./codec/authentication.ts";
import { Framer, type Frame } from "./codec/framer.ts";
import { HeaderFlag, MinorVersion, PacketType } from "./codec/header.ts";
import {
  decodePacket,
  encodeBody,
  encodePacket,
  type PacketBody,
  type ServerPacket,
} from "./codec/packet.ts";
import { DEFAULT_MAX_SESSIONS, newConnection, onAnswer, onFrame, retire } from "./session.ts";
import type { EngineConfig, Output } from "./types.ts";

const KEY = utf8("unit-key");
const CFG: EngineConfig = {
  singleConnect: true,
  onlyChap: false,
  onlyChapEnable: false,
  maxSessions: DEFAULT_MAX_SESSIONS,
};

function frame(bytes: Uint8Array): Frame {
  const f = new Framer({ maxBodyLength: 1 << 16 });
  f.push(bytes);
  const r = f.next();
  if (!r.ok || r.value === null) throw new Error("test packet did not frame");
  return r.value;
}

const start = (user: string, type: number, data: Uint8Array = new Uint8Array(0)) =>
  ({
    kind: "authen-start",
    body: {
      action: 1,
      privLvl: 1,
      authenType: type,
      authenService: 1,
      user,
      port: "tty1",
      remAddr: "",
      data,
    },
  }) as const;

function packet(
  body: PacketBody,
  o: { type: number; seqNo?: number; sessionId?: number; flags?: number; minor?: number },
  key: Uint8Array | null = KEY,
): Frame {
  return frame(
    encodePacket(
      {
        type: o.type,
        seqNo: o.seqNo ?? 1,
        sessionId: o.sessionId ?? 7,
        flags: o.flags ?? 0,
        minorVersion: o.minor ?? MinorVersion.DEFAULT,
      },
      encodeBody(body),
      key,
    ),
  );
}

const pap = (user: string, pw: string, o: { sessionId?: number; flags?: number } = {}) =>
  packet(start(user, AuthenType.PAP, utf8(pw)), {
    type: PacketType.AUTHEN,
    minor: MinorVersion.ONE,
    ...o,
  });

/** The replies among the outputs, decoded as a device would. */
function replies(out: Output[]): ServerPacket[] {
  return out
    .filter((o) => o.kind === "send")
    .map((o) => {
      const f = frame(o.bytes);
      const r = decodePacket(f.header, f.body, KEY, "server");
      if (!r.ok) throw new Error(r.code);
      return r.value;
    });
}
const kinds = (out: Output[]) =>
  out.map((o) => (o.kind === "note" ? `note:${o.note.what}` : o.kind));

describe("session machine", () => {
  test("PAP: START asks for a password job; the answer becomes PASS at seq 2, then the session and connection end", () => {
    const c = newConnection(KEY, CFG);
    const out: Output[] = [];
    onFrame(c, pap("alice", "pw"), out);
    expect(kinds(out)).toEqual(["note:session-start", "job"]);
    const job = out[1]!;
    if (job.kind !== "job" || job.job.kind !== "password") throw new Error("no password job");
    expect(job.sessionId).toBe(7);
    expect(job.job.username).toBe("alice");
    expect(new TextDecoder().decode(job.job.password)).toBe("pw");

    out.length = 0;
    onAnswer(
      c,
      7,
      {
        kind: "authen",
        authenType: "pap",
        decision: allow(Reason.authenticated),
        username: "alice",
      },
      out,
    );
    expect(kinds(out)).toEqual(["note:authen", "send", "note:session-end", "close"]);
    const [r] = replies(out);
    expect(r!.header.seqNo).toBe(2);
    expect(r!.header.sessionId).toBe(7);
    expect(r!.header.flags & HeaderFlag.SINGLE_CONNECT).toBe(0);
    expect((r!.body as { status: number }).status).toBe(AuthenStatus.PASS);
    expect(out.find((o) => o.kind === "close")).toEqual({ kind: "close", reason: "session_done" });
  });

  test("single-connect: granted in the first reply only, the connection stays open between sessions", () => {
    const c = newConnection(KEY, CFG);
    const out: Output[] = [];
    const answer = (sid: number, ok: boolean) =>
      onAnswer(
        c,
        sid,
        {
          kind: "authen",
          authenType: "pap",
          decision: ok ? allow(Reason.authenticated) : deny(Reason.badPassword),
          username: "alice",
        },
        out,
      );
    onFrame(c, pap("alice", "pw", { sessionId: 1, flags: HeaderFlag.SINGLE_CONNECT }), out);
    answer(1, true);
    onFrame(c, pap("alice", "bad", { sessionId: 2, flags: HeaderFlag.SINGLE_CONNECT }), out);
    answer(2, false);
    const rs = replies(out);
    expect(rs.map((r) => r.header.flags & HeaderFlag.SINGLE_CONNECT)).toEqual([
      HeaderFlag.SINGLE_CONNECT,
      0,
    ]);
    expect(rs.map((r) => (r.body as { status: number }).status)).toEqual([
      AuthenStatus.PASS,
      AuthenStatus.FAIL,
    ]);
    expect(out.some((o) => o.kind === "close")).toBe(false);
  });

  test("a packet for a session whose job is outstanding is out of order: ERROR, bad_seq_no", () => {
    const c = newConnection(KEY, CFG);
    const out: Output[] = [];
    onFrame(c, pap("alice", "pw", { flags: HeaderFlag.SINGLE_CONNECT }), out);
    out.length = 0;
    onFrame(
      c,
      packet(
        {
          kind: "authen-continue",
          body: { userMsg: utf8("x"), data: new Uint8Array(0), flags: 0 },
        },
        { type: PacketType.AUTHEN, seqNo: 3, minor: MinorVersion.ONE },
      ),
      out,
    );
    expect(out[0]).toEqual({ kind: "note", note: { what: "refused", reason: "bad_seq_no" } });
    const [r] = replies(out);
    expect(r!.header.seqNo).toBe(4);
    expect((r!.body as { status: number }).status).toBe(AuthenStatus.ERROR);
  });

  test("a new session starting at seq 3: ERROR at seq 4, closed (no single-connect)", () => {
    const c = newConnection(KEY, CFG);
    const out: Output[] = [];
    onFrame(c, packet(start("a", AuthenType.ASCII), { type: PacketType.AUTHEN, seqNo: 3 }), out);
    expect(kinds(out)).toEqual(["note:refused", "send", "close"]);
    expect(replies(out)[0]!.header.seqNo).toBe(4);
  });

  test("wrong key: ERROR (readable with the right key), then new sessions get nothing", () => {
    const c = newConnection(KEY, CFG);
    const out: Output[] = [];
    const wrong = utf8("other-key");
    onFrame(
      c,
      packet(
        start("alice", AuthenType.PAP, utf8("pw")),
        { type: PacketType.AUTHEN, minor: MinorVersion.ONE, flags: HeaderFlag.SINGLE_CONNECT },
        wrong,
      ),
      out,
    );
    expect(out[1]).toEqual({ kind: "note", note: { what: "refused", reason: "bad_key" } });
    expect((replies(out)[0]!.body as { status: number }).status).toBe(AuthenStatus.ERROR);
    expect(out.at(-1)).toEqual({ kind: "close", reason: "bad_key" });
  });

  test("TAC_PLUS_UNENCRYPTED_FLAG with a key configured: refused, closed, no reply", () => {
    const c = newConnection(KEY, CFG);
    const out: Output[] = [];
    onFrame(c, packet(start("alice", AuthenType.ASCII), { type: PacketType.AUTHEN }, null), out);
    expect(out).toEqual([
      { kind: "note", note: { what: "refused", reason: "unencrypted_refused" } },
      { kind: "close", reason: "unencrypted_refused" },
    ]);
  });

  test("unknown packet type: the header comes back with seq_no + 1 and length 0 (§3.6), closed", () => {
    const c = newConnection(KEY, CFG);
    const out: Output[] = [];
    const raw = encodePacket({ type: 9, seqNo: 1, sessionId: 5 }, new Uint8Array(4), KEY);
    onFrame(c, frame(raw), out);
    expect(kinds(out)).toEqual(["note:refused", "send", "close"]);
    const sent = out[1]!;
    if (sent.kind !== "send") throw new Error("no send");
    const f = frame(sent.bytes);
    expect([f.header.type, f.header.seqNo, f.header.length]).toEqual([9, 2, 0]);
  });

  test("ASCII login: GETUSER, then GETPASS with NOECHO, then a password job with the typed text", () => {
    const c = newConnection(KEY, CFG);
    const out: Output[] = [];
    onFrame(c, packet(start("", AuthenType.ASCII), { type: PacketType.AUTHEN }), out);
    const cont = (seqNo: number, msg: string) =>
      onFrame(
        c,
        packet(
          {
            kind: "authen-continue",
            body: { userMsg: utf8(msg), data: new Uint8Array(0), flags: 0 },
          },
          { type: PacketType.AUTHEN, seqNo },
        ),
        out,
      );
    cont(3, "bob");
    cont(5, "secret");
    const rs = replies(out).map((r) => r.body as { status: number; flags: number });
    expect(rs.map((r) => r.status)).toEqual([AuthenStatus.GETUSER, AuthenStatus.GETPASS]);
    expect(rs[1]!.flags & AuthenReplyFlag.NOECHO).toBe(AuthenReplyFlag.NOECHO);
    const job = out.at(-1)!;
    if (job.kind !== "job" || job.job.kind !== "password") throw new Error("no job");
    expect([job.job.username, job.job.authenType]).toEqual(["bob", "ascii"]);
  });

  test("accounting with invalid flags (START|STOP): ERROR reply, noted as the client's bad-flags", () => {
    const c = newConnection(KEY, CFG);
    const out: Output[] = [];
    onFrame(
      c,
      packet(
        {
          kind: "acct-request",
          body: {
            flags: AcctFlag.START | AcctFlag.STOP,
            authenMethod: 6,
            privLvl: 1,
            authenType: 2,
            authenService: 1,
            user: "alice",
            port: "",
            remAddr: "",
            args: [],
          },
        },
        { type: PacketType.ACCT },
      ),
      out,
    );
    expect(out).toContainEqual({
      kind: "note",
      note: {
        what: "acct",
        recordType: "invalid",
        result: "error",
        reason: "bad-flags",
        username: "alice",
      },
    });
    expect((replies(out)[0]!.body as { status: number }).status).toBe(AcctStatus.ERROR);
  });

  test("retire: an idle single-connect connection closes at once; with a session running, after it", () => {
    const idle = newConnection(KEY, CFG);
    const out: Output[] = [];
    retire(idle, out);
    expect(out).toEqual([
      { kind: "note", note: { what: "refused", reason: "device_changed" } },
      { kind: "close", reason: "device_changed" },
    ]);

    const busy = newConnection(KEY, CFG);
    out.length = 0;
    onFrame(busy, pap("alice", "pw", { sessionId: 3, flags: HeaderFlag.SINGLE_CONNECT }), out);
    retire(busy, out);
    expect(out.some((o) => o.kind === "close")).toBe(false);
    onAnswer(
      busy,
      3,
      {
        kind: "authen",
        authenType: "pap",
        decision: allow(Reason.authenticated),
        username: "alice",
      },
      out,
    );
    expect(out.at(-1)).toEqual({ kind: "close", reason: "device_changed" });
  });

  test("sessions per connection are capped: the one over maxSessions gets ERROR", () => {
    const c = newConnection(KEY, { ...CFG, maxSessions: 2 });
    const out: Output[] = [];
    for (const sid of [1, 2, 3])
      onFrame(c, pap("alice", "pw", { sessionId: sid, flags: HeaderFlag.SINGLE_CONNECT }), out);
    expect(out.filter((o) => o.kind === "job").length).toBe(2);
    expect(out).toContainEqual({
      kind: "note",
      note: { what: "refused", reason: "too_many_sessions" },
    });
    expect(replies(out)[0]!.header.sessionId).toBe(3);
  });
});
