// A long-lived single-connect connection is re-checked against the device store: when its device
// is removed or its group's key changes (written by another process, as the CLI does), the
// running session finishes and the connection closes; new sessions on it are refused.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { utf8 } from "../../src/lib/bytes.ts";
import { AuthenStatus, AuthenType } from "../../src/tacacs/codec/authentication.ts";
import { HeaderFlag, PacketType } from "../../src/tacacs/codec/header.ts";
import { TacacsClient, newSessionId } from "../support/tacacs-client.ts";
import { KEY, startServer, USERS, type Server } from "./harness.ts";

let srv: Server;
beforeEach(async () => {
  srv = await startServer();
});
afterEach(async () => {
  await srv?.stop();
});

/** Another connection to the database, as the admin CLI in another process would write. */
function otherWriter(sql: string, ...params: string[]): void {
  const d = new Database(srv.store.path);
  d.exec("PRAGMA busy_timeout = 5000");
  d.query(sql).run(...params);
  d.close();
}

const SC = HeaderFlag.SINGLE_CONNECT;

async function startAsciiToGetpass(c: TacacsClient, sid: number) {
  const p = await c.authenStart(
    { user: "alice", authenType: AuthenType.ASCII },
    { sessionId: sid, flags: SC },
  );
  expect((p.body as { status: number }).status).toBe(AuthenStatus.GETPASS);
  return p;
}

describe("single-connect re-check", () => {
  test("device removed during a running session: the session finishes, then the connection closes", async () => {
    const c = await TacacsClient.connect("127.0.0.1", srv.port4, { key: KEY });
    // A first session completes: the connection is negotiated single-connect and kept.
    expect((await c.pap("alice", USERS.alice.password, { flags: SC })).status).toBe(
      AuthenStatus.PASS,
    );
    const sid = newSessionId();
    await startAsciiToGetpass(c, sid);
    otherWriter("DELETE FROM devices WHERE name = 'lo4'");
    await Bun.sleep(5); // the next packet arrives in a later event-loop turn, as on a real network
    const p = await c.request(
      { type: PacketType.AUTHEN, seqNo: 3, sessionId: sid },
      {
        kind: "authen-continue",
        body: { userMsg: utf8(USERS.alice.password), data: new Uint8Array(0), flags: 0 },
      },
    );
    expect((p.body as { status: number }).status).toBe(AuthenStatus.PASS);
    expect(await c.waitClosed(2000)).toBe(true);
    expect(srv.refusals("device_changed")).toBe(1);
    // A new connection from the removed device is refused.
    const c2 = await TacacsClient.connect("127.0.0.1", srv.port4, { key: KEY });
    expect(await c2.waitClosed(2000)).toBe(true);
    expect(srv.refusals("unknown_device")).toBeGreaterThanOrEqual(1);
  });

  test("key changed while idle: the next session on the old connection is refused and it closes; a new connection uses the new key", async () => {
    const c = await TacacsClient.connect("127.0.0.1", srv.port4, { key: KEY });
    expect((await c.pap("alice", USERS.alice.password, { flags: SC })).status).toBe(
      AuthenStatus.PASS,
    );
    otherWriter(
      "UPDATE device_groups SET tacacs_secret = ? WHERE name = 'core'",
      "a-brand-new-key",
    );
    await Bun.sleep(5);
    c.send(
      { type: PacketType.AUTHEN, seqNo: 1, sessionId: newSessionId(), minorVersion: 1, flags: SC },
      {
        kind: "authen-start",
        body: {
          action: 1,
          privLvl: 1,
          authenType: AuthenType.PAP,
          authenService: 1,
          user: "alice",
          port: "",
          remAddr: "",
          data: utf8(USERS.alice.password),
        },
      },
    );
    const r = await c.next(2000);
    expect(r.kind).toBe("closed");
    const c2 = await TacacsClient.connect("127.0.0.1", srv.port4, { key: "a-brand-new-key" });
    expect((await c2.pap("alice", USERS.alice.password)).status).toBe(AuthenStatus.PASS);
    c2.close();
  });

  test("with concurrent sessions, a new session after the change gets ERROR; the running one still finishes", async () => {
    const c = await TacacsClient.connect("127.0.0.1", srv.port4, { key: KEY });
    const a = newSessionId();
    const first = await startAsciiToGetpass(c, a);
    expect(first.header.flags & SC).toBe(SC); // granted in the first reply
    otherWriter("UPDATE devices SET enabled = 0 WHERE name = 'lo4'");
    await Bun.sleep(5);
    const b = newSessionId();
    const p = await c.authenStart(
      { user: "bob", authenType: AuthenType.ASCII },
      { sessionId: b, flags: SC },
    );
    expect((p.body as { status: number }).status).toBe(AuthenStatus.ERROR);
    const done = await c.request(
      { type: PacketType.AUTHEN, seqNo: 3, sessionId: a },
      {
        kind: "authen-continue",
        body: { userMsg: utf8(USERS.alice.password), data: new Uint8Array(0), flags: 0 },
      },
    );
    expect((done.body as { status: number }).status).toBe(AuthenStatus.PASS);
    expect(await c.waitClosed(2000)).toBe(true);
  });

  test("nothing changed: the connection stays open across many sessions", async () => {
    const c = await TacacsClient.connect("127.0.0.1", srv.port4, { key: KEY });
    for (let i = 0; i < 5; i++)
      expect((await c.pap("bob", USERS.bob.password, { flags: SC })).status).toBe(
        AuthenStatus.PASS,
      );
    expect(c.isClosed).toBe(false);
    expect(srv.refusals("device_changed")).toBe(0);
    c.close();
  });
});
