// Authentication over loopback with our own codec client: PAP, ASCII login, enable, CHAP,
// MS-CHAPv1/v2 (good and bad), IPv4 and IPv6, single-connect flag handling.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { utf8 } from "../../src/lib/bytes.ts";
import {
  generateAuthenticatorResponse,
  generateNtResponse,
  challengeResponse,
  ntPasswordHash,
} from "../../src/radius/codec/mschap.ts";
import {
  AuthenContinueFlag,
  AuthenReplyFlag,
  AuthenService,
  AuthenStatus,
  AuthenType,
} from "../../src/tacacs/codec/authentication.ts";
import { HeaderFlag, PacketType } from "../../src/tacacs/codec/header.ts";
import { TacacsClient, newSessionId } from "../support/tacacs-client.ts";
import { startServer, USERS, type Server } from "./harness.ts";

let srv: Server;
beforeAll(async () => {
  srv = await startServer();
});
afterAll(async () => {
  await srv?.stop();
});

const connect4 = () => TacacsClient.connect("127.0.0.1", srv.port4, { key: "s3cret-core" });

function authenCount(type: string, result: string): number {
  const m = srv.registry.get("aaa_tacacs_authentications_total") as unknown as {
    toJSON(): Array<Record<string, unknown>>;
  };
  return m
    .toJSON()
    .filter((s) => s.type === type && s.result === result)
    .reduce((a, s) => a + (s.value as number), 0);
}

describe("PAP", () => {
  test("good and bad password, reply seq 2, same session id, minor version 1, connection closed after", async () => {
    const c = await connect4();
    const sid = newSessionId();
    const p = await c.authenStart(
      { user: "alice", authenType: AuthenType.PAP, data: utf8(USERS.alice.password) },
      { sessionId: sid },
    );
    expect(p.kind).toBe("authen-reply");
    expect(p.header.seqNo).toBe(2);
    expect(p.header.sessionId).toBe(sid);
    expect(p.header.minorVersion).toBe(1);
    expect(p.header.flags & HeaderFlag.SINGLE_CONNECT).toBe(0);
    expect((p.body as { status: number }).status).toBe(AuthenStatus.PASS);
    expect(await c.waitClosed(1000)).toBe(true);

    const c2 = await connect4();
    expect((await c2.pap("alice", "wrong")).status).toBe(AuthenStatus.FAIL);
    c2.close();
    expect(authenCount("pap", "fail")).toBeGreaterThanOrEqual(1);
  });

  test("IPv6 client ([::1]) authenticates and is matched to its /128 device", async () => {
    const c = await TacacsClient.connect("::1", srv.port6, { key: "s3cret-core" });
    expect((await c.pap("bob", USERS.bob.password)).status).toBe(AuthenStatus.PASS);
    c.close();
    const recent = srv.svc.stats().recent_clients as Array<{ client: string; device: string }>;
    expect(recent.some((r) => r.client === "::1" && r.device === "lo6")).toBe(true);
  });
});

describe("ASCII login", () => {
  test("GETUSER, GETPASS with NOECHO, PASS; a wrong password gives FAIL", async () => {
    for (const [password, want] of [
      [USERS.bob.password, AuthenStatus.PASS],
      ["nope", AuthenStatus.FAIL],
    ] as const) {
      const c = await connect4();
      const sid = newSessionId();
      let p = await c.authenStart({ user: "", authenType: AuthenType.ASCII }, { sessionId: sid });
      expect(p.header.minorVersion).toBe(0);
      expect((p.body as { status: number }).status).toBe(AuthenStatus.GETUSER);
      p = await c.request(
        { type: PacketType.AUTHEN, seqNo: 3, sessionId: sid },
        {
          kind: "authen-continue",
          body: { userMsg: utf8("bob"), data: new Uint8Array(0), flags: 0 },
        },
      );
      const b = p.body as { status: number; flags: number };
      expect(b.status).toBe(AuthenStatus.GETPASS);
      expect(b.flags & AuthenReplyFlag.NOECHO).toBe(AuthenReplyFlag.NOECHO);
      expect(p.header.seqNo).toBe(4);
      p = await c.request(
        { type: PacketType.AUTHEN, seqNo: 5, sessionId: sid },
        {
          kind: "authen-continue",
          body: { userMsg: utf8(password), data: new Uint8Array(0), flags: 0 },
        },
      );
      expect((p.body as { status: number }).status).toBe(want);
      expect(p.header.seqNo).toBe(6);
      c.close();
    }
  });

  test("empty answers re-prompt a bounded number of times; CONTINUE abort ends the session", async () => {
    const c = await connect4();
    const sid = newSessionId();
    let p = await c.authenStart({ user: "", authenType: AuthenType.ASCII }, { sessionId: sid });
    let seq = 3;
    let prompts = 1;
    for (; prompts < 20; prompts++) {
      p = await c.request(
        { type: PacketType.AUTHEN, seqNo: seq, sessionId: sid },
        {
          kind: "authen-continue",
          body: { userMsg: new Uint8Array(0), data: new Uint8Array(0), flags: 0 },
        },
      );
      seq += 2;
      if ((p.body as { status: number }).status !== AuthenStatus.GETUSER) break;
    }
    expect((p.body as { status: number }).status).toBe(AuthenStatus.FAIL);
    expect(prompts).toBeLessThan(10);
    c.close();

    const c2 = await connect4();
    const sid2 = newSessionId();
    await c2.authenStart({ user: "bob", authenType: AuthenType.ASCII }, { sessionId: sid2 });
    // §5.4.3 ABORT: the session ends without a reply, and (no single-connect) the connection closes.
    c2.send(
      { type: PacketType.AUTHEN, seqNo: 3, sessionId: sid2 },
      {
        kind: "authen-continue",
        body: {
          userMsg: new Uint8Array(0),
          data: utf8("user hit ^C"),
          flags: AuthenContinueFlag.ABORT,
        },
      },
    );
    expect((await c2.next(1000)).kind).toBe("closed");
  });

  test("ABORT on a single-connect connection: no reply, the connection stays and serves the next session", async () => {
    const c = await connect4();
    const sid = newSessionId();
    const SC = HeaderFlag.SINGLE_CONNECT;
    const p = await c.authenStart(
      { user: "bob", authenType: AuthenType.ASCII },
      { sessionId: sid, flags: SC },
    );
    expect((p.body as { status: number }).status).toBe(AuthenStatus.GETPASS);
    c.send(
      { type: PacketType.AUTHEN, seqNo: 3, sessionId: sid, flags: SC },
      {
        kind: "authen-continue",
        body: {
          userMsg: new Uint8Array(0),
          data: new Uint8Array(0),
          flags: AuthenContinueFlag.ABORT,
        },
      },
    );
    const next = await c.authenStart(
      { user: "bob", authenType: AuthenType.PAP, data: utf8(USERS.bob.password) },
      { flags: SC },
    );
    expect(next.header.sessionId).not.toBe(sid); // nothing came back for the aborted session
    expect((next.body as { status: number }).status).toBe(AuthenStatus.PASS);
    c.close();
  });
});

describe("enable", () => {
  test("enable secret with requested priv-lvl; the login password is not the enable secret; priv above the user's max fails", async () => {
    const cases = [
      ["alice", USERS.alice.enable, 15, AuthenStatus.PASS],
      ["alice", USERS.alice.password, 15, AuthenStatus.FAIL],
      ["bob", USERS.bob.password, 15, AuthenStatus.FAIL],
      ["bob", USERS.bob.password, 1, AuthenStatus.PASS],
    ] as const;
    for (const [user, pw, priv, want] of cases) {
      const c = await connect4();
      const p = await c.authenStart({
        user,
        authenType: AuthenType.PAP,
        authenService: AuthenService.ENABLE,
        privLvl: priv,
        data: utf8(pw),
      });
      expect([user, priv, (p.body as { status: number }).status]).toEqual([user, priv, want]);
      c.close();
    }
    // ASCII enable: GETPASS, then the secret.
    const c = await connect4();
    const sid = newSessionId();
    let p = await c.authenStart(
      {
        user: "alice",
        authenType: AuthenType.ASCII,
        authenService: AuthenService.ENABLE,
        privLvl: 15,
      },
      { sessionId: sid },
    );
    expect((p.body as { status: number }).status).toBe(AuthenStatus.GETPASS);
    p = await c.request(
      { type: PacketType.AUTHEN, seqNo: 3, sessionId: sid },
      {
        kind: "authen-continue",
        body: { userMsg: utf8(USERS.alice.enable), data: new Uint8Array(0), flags: 0 },
      },
    );
    expect((p.body as { status: number }).status).toBe(AuthenStatus.PASS);
    c.close();
  });
});

describe("CHAP and MS-CHAP", () => {
  const chapData = (id: number, secret: string, challenge: Uint8Array) => {
    const resp = createHash("md5")
      .update(Buffer.from([id]))
      .update(secret)
      .update(challenge)
      .digest();
    return new Uint8Array([id, ...challenge, ...resp]);
  };

  test("CHAP good/bad; a short data field fails", async () => {
    const ch = randomBytes(16);
    for (const [secret, want] of [
      [USERS.carol.chap, AuthenStatus.PASS],
      ["wrong", AuthenStatus.FAIL],
    ] as const) {
      const c = await connect4();
      const p = await c.authenStart({
        user: "carol",
        authenType: AuthenType.CHAP,
        data: chapData(7, secret, ch),
      });
      expect((p.body as { status: number }).status).toBe(want);
      c.close();
    }
    const c = await connect4();
    const p = await c.authenStart({
      user: "carol",
      authenType: AuthenType.CHAP,
      data: new Uint8Array(17),
    });
    expect((p.body as { status: number }).status).toBe(AuthenStatus.FAIL);
    c.close();
  });

  test("MS-CHAPv1: id + 8-octet challenge + 49-octet response; wrong challenge length fails", async () => {
    const nt = ntPasswordHash(USERS.dave.password);
    for (const [hash, len, want] of [
      [nt, 8, AuthenStatus.PASS],
      [ntPasswordHash("wrong"), 8, AuthenStatus.FAIL],
      [nt, 16, AuthenStatus.FAIL],
    ] as const) {
      const ch = randomBytes(len);
      const ntResp = challengeResponse(new Uint8Array(ch.subarray(0, 8)), hash);
      const response = new Uint8Array(49);
      response.set(ntResp, 24);
      response[48] = 1; // use NT response
      const c = await connect4();
      const p = await c.authenStart({
        user: "dave",
        authenType: AuthenType.MSCHAP,
        data: new Uint8Array([3, ...ch, ...response]),
      });
      expect([len, (p.body as { status: number }).status]).toEqual([len, want]);
      c.close();
    }
  });

  test("MS-CHAPv2: PASS carries the authenticator response S=...; wrong password fails", async () => {
    const nt = ntPasswordHash(USERS.dave.password);
    for (const [hash, want] of [
      [nt, AuthenStatus.PASS],
      [ntPasswordHash("bad"), AuthenStatus.FAIL],
    ] as const) {
      const auth = new Uint8Array(randomBytes(16));
      const peer = new Uint8Array(randomBytes(16));
      const ntResp = generateNtResponse(auth, peer, utf8("dave"), hash);
      const response = new Uint8Array(49);
      response.set(peer, 0);
      response.set(ntResp, 24);
      const c = await connect4();
      const p = await c.authenStart({
        user: "dave",
        authenType: AuthenType.MSCHAPV2,
        data: new Uint8Array([9, ...auth, ...response]),
      });
      const body = p.body as { status: number; data: Uint8Array };
      expect(body.status).toBe(want);
      if (want === AuthenStatus.PASS) {
        expect(new TextDecoder().decode(body.data)).toBe(
          generateAuthenticatorResponse(nt, ntResp, peer, auth, utf8("dave")),
        );
      }
      c.close();
    }
    expect(authenCount("mschapv2", "pass")).toBe(1);
  });
});
