// tacacs.only_chap (RFC 8907 §10.5.3: "TACACS+ servers MUST allow the administrator to configure the
// server to only accept challenge/response options for authentication"): PAP and ASCII login and
// ASCII change password are refused with FAIL, CHAP still passes; enable by PAP stays allowed unless
// only_chap_enable is set too. Refusals are counted as authentication failures with reason only-chap.
import { afterEach, describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { utf8 } from "../../src/lib/bytes.ts";
import {
  AuthenAction,
  AuthenService,
  AuthenStatus,
  AuthenType,
} from "../../src/tacacs/codec/authentication.ts";
import type { ServerPacket } from "../../src/tacacs/codec/packet.ts";
import { TacacsClient } from "../support/tacacs-client.ts";
import { KEY, startServer, USERS, type Server } from "./harness.ts";

let srv: Server | undefined;
afterEach(async () => {
  await srv?.stop();
  srv = undefined;
});

const status = (p: ServerPacket) => (p.body as { status: number }).status;
const onlyChapRefusals = (s: Server) => {
  const m = s.registry.get("aaa_tacacs_authentications_total") as unknown as {
    toJSON(): Array<Record<string, unknown>>;
  };
  return m
    .toJSON()
    .filter((x) => x.result === "fail" && x.reason === "only-chap")
    .reduce((a, x) => a + (x.value as number), 0);
};
const chapData = (id: number, secret: string, challenge: Uint8Array) => {
  const resp = createHash("md5")
    .update(Buffer.from([id]))
    .update(secret)
    .update(challenge)
    .digest();
  return new Uint8Array([id, ...challenge, ...resp]);
};

async function start(s: Server, body: Parameters<TacacsClient["authenStart"]>[0]): Promise<number> {
  const c = await TacacsClient.connect("127.0.0.1", s.port4, { key: KEY });
  try {
    return status(await c.authenStart(body));
  } finally {
    c.close();
  }
}

const papLogin = { user: "bob", authenType: AuthenType.PAP, data: utf8(USERS.bob.password) };
const asciiLogin = { user: "bob", authenType: AuthenType.ASCII };
const asciiChpass = { user: "bob", authenType: AuthenType.ASCII, action: AuthenAction.CHPASS };
const chapLogin = () => ({
  user: "carol",
  authenType: AuthenType.CHAP,
  data: chapData(9, USERS.carol.chap, randomBytes(16)),
});
const papEnable = {
  user: "alice",
  authenType: AuthenType.PAP,
  authenService: AuthenService.ENABLE,
  privLvl: 15,
  data: utf8(USERS.alice.enable),
};

describe("only_chap", () => {
  test("off (the default): PAP, ASCII and change password are served", async () => {
    srv = await startServer();
    expect(await start(srv, papLogin)).toBe(AuthenStatus.PASS);
    expect(await start(srv, asciiLogin)).toBe(AuthenStatus.GETPASS);
    expect(await start(srv, asciiChpass)).toBe(AuthenStatus.GETDATA);
  });

  test("on: PAP and ASCII login and ASCII change password get FAIL; CHAP passes; PAP enable is still served", async () => {
    srv = await startServer({ tacacs: { only_chap: true } });
    expect(await start(srv, papLogin)).toBe(AuthenStatus.FAIL);
    expect(await start(srv, asciiLogin)).toBe(AuthenStatus.FAIL);
    expect(await start(srv, asciiChpass)).toBe(AuthenStatus.FAIL);
    expect(await start(srv, chapLogin())).toBe(AuthenStatus.PASS);
    expect(await start(srv, papEnable)).toBe(AuthenStatus.PASS);
    expect(onlyChapRefusals(srv)).toBe(3);
  });

  test("with only_chap_enable: enable by PAP and by ASCII is refused too", async () => {
    srv = await startServer({ tacacs: { only_chap: true, only_chap_enable: true } });
    expect(await start(srv, papEnable)).toBe(AuthenStatus.FAIL);
    expect(
      await start(srv, {
        user: "alice",
        authenType: AuthenType.ASCII,
        authenService: AuthenService.ENABLE,
        privLvl: 15,
      }),
    ).toBe(AuthenStatus.FAIL);
    expect(await start(srv, chapLogin())).toBe(AuthenStatus.PASS);
    expect(onlyChapRefusals(srv)).toBe(2);
  });
});
