// Change password (TACACS+ CHPASS, ASCII): GETUSER, the old password by GETDATA (RFC 8907 §5.4.2.7:
// GETPASS is only for the new one), new password, confirmation; the
// old password must authenticate like a login; afterwards only the new one works (the credential
// cache forgets the old one), and the change is audited without the passwords.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { utf8 } from "../../src/lib/bytes.ts";
import {
  AuthenAction,
  AuthenReplyFlag,
  AuthenStatus,
  AuthenType,
} from "../../src/tacacs/codec/authentication.ts";
import { PacketType } from "../../src/tacacs/codec/header.ts";
import type { ServerPacket } from "../../src/tacacs/codec/packet.ts";
import { TacacsClient, newSessionId } from "../support/tacacs-client.ts";
import { KEY, startServer, USERS, type Server } from "./harness.ts";

let srv: Server;
beforeEach(async () => {
  srv = await startServer();
});
afterEach(async () => {
  await srv?.stop();
});

const status = (p: ServerPacket) => (p.body as { status: number }).status;
const msg = (p: ServerPacket) => (p.body as { serverMsg: string }).serverMsg;
const flags = (p: ServerPacket) => (p.body as { flags: number }).flags;

async function chpass(user: string, answers: string[]): Promise<ServerPacket[]> {
  const c = await TacacsClient.connect("127.0.0.1", srv.port4, { key: KEY });
  const sid = newSessionId();
  const out = [
    await c.authenStart(
      { user: "", authenType: AuthenType.ASCII, action: AuthenAction.CHPASS },
      { sessionId: sid },
    ),
  ];
  let seq = 3;
  for (const a of [user, ...answers]) {
    const last = out.at(-1)!;
    if (
      status(last) !== AuthenStatus.GETUSER &&
      status(last) !== AuthenStatus.GETPASS &&
      status(last) !== AuthenStatus.GETDATA
    )
      break;
    out.push(
      await c.request(
        { type: PacketType.AUTHEN, seqNo: seq, sessionId: sid },
        { kind: "authen-continue", body: { userMsg: utf8(a), data: new Uint8Array(0), flags: 0 } },
      ),
    );
    seq += 2;
  }
  c.close();
  return out;
}

async function pap(user: string, password: string): Promise<number> {
  const c = await TacacsClient.connect("127.0.0.1", srv.port4, { key: KEY });
  const r = await c.pap(user, password);
  c.close();
  return r.status;
}

describe("CHPASS (ASCII)", () => {
  test("prompts for user, old (GETDATA), new and retyped password (GETPASS), all NOECHO; then only the new password works", async () => {
    expect(await pap("bob", USERS.bob.password)).toBe(AuthenStatus.PASS); // now in the credential cache
    const r = await chpass("bob", [USERS.bob.password, "brand-new-pw-1", "brand-new-pw-1"]);
    expect(r.map(status)).toEqual([
      AuthenStatus.GETUSER,
      AuthenStatus.GETDATA,
      AuthenStatus.GETPASS,
      AuthenStatus.GETPASS,
      AuthenStatus.PASS,
    ]);
    expect(r.slice(1, 4).map(msg)).toEqual([
      "Old password: ",
      "New password: ",
      "Retype new password: ",
    ]);
    for (const p of r.slice(1, 4))
      expect(flags(p) & AuthenReplyFlag.NOECHO).toBe(AuthenReplyFlag.NOECHO);
    expect(await pap("bob", "brand-new-pw-1")).toBe(AuthenStatus.PASS);
    expect(await pap("bob", USERS.bob.password)).toBe(AuthenStatus.FAIL);
    const audit = srv.store.sqlite
      .query<{ actor: string; detail: string }, []>(
        "SELECT actor, detail FROM audit WHERE action = 'user.passwd'",
      )
      .all();
    expect(audit.map((a) => a.actor)).toEqual(["tacacs:chpass"]);
    expect(JSON.stringify(audit)).not.toContain("brand-new-pw-1");
  });

  test("a wrong old password, or a mismatched confirmation, changes nothing", async () => {
    const wrongOld = await chpass("bob", ["not-the-password", "x-new-1", "x-new-1"]);
    expect(status(wrongOld.at(-1)!)).toBe(AuthenStatus.FAIL);
    const mismatch = await chpass("bob", [USERS.bob.password, "x-new-1", "x-new-2"]);
    expect(status(mismatch.at(-1)!)).toBe(AuthenStatus.FAIL);
    expect(await pap("bob", USERS.bob.password)).toBe(AuthenStatus.PASS);
    expect(await pap("bob", "x-new-1")).toBe(AuthenStatus.FAIL);
  });

  test("CHPASS with PAP is refused (only the ASCII dialogue carries a new password)", async () => {
    const c = await TacacsClient.connect("127.0.0.1", srv.port4, { key: KEY });
    const p = await c.authenStart({
      user: "bob",
      authenType: AuthenType.PAP,
      action: AuthenAction.CHPASS,
      data: utf8(USERS.bob.password),
    });
    expect(status(p)).toBe(AuthenStatus.FAIL);
    c.close();
  });
});
