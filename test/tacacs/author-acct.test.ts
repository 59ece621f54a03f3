// Authorization (shell start with AV pairs, command permit / deny), accounting (START / STOP committed
// with the resolved client address, invalid flags → ERROR) and single-connect with interleaved
// sessions, over loopback with our own codec client.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { utf8 } from "../../src/lib/bytes.ts";
import { queryAccounting } from "../../src/store/accounting.ts";
import { AcctFlag, AcctStatus } from "../../src/tacacs/codec/accounting.ts";
import { AuthenStatus, AuthenType } from "../../src/tacacs/codec/authentication.ts";
import { AuthorStatus } from "../../src/tacacs/codec/authorization.ts";
import { HeaderFlag, PacketType } from "../../src/tacacs/codec/header.ts";
import type { ServerPacket } from "../../src/tacacs/codec/packet.ts";
import { TacacsClient, newSessionId } from "../support/tacacs-client.ts";
import { KEY, startServer, USERS, type Server } from "./harness.ts";

let srv: Server;
beforeAll(async () => {
  srv = await startServer();
});
afterAll(async () => {
  await srv?.stop();
});

const fields = {
  authenMethod: 6,
  privLvl: 1,
  authenType: AuthenType.PAP,
  authenService: 1,
  port: "tty2",
  remAddr: "198.51.100.7",
};

async function author(user: string, args: string[], privLvl = 1): Promise<ServerPacket> {
  const c = await TacacsClient.connect("127.0.0.1", srv.port4, { key: KEY });
  try {
    return await c.request(
      { type: PacketType.AUTHOR, seqNo: 1, sessionId: newSessionId() },
      { kind: "author-request", body: { ...fields, privLvl, user, args } },
    );
  } finally {
    c.close();
  }
}

describe("authorization", () => {
  test("shell start: PASS_ADD with the group's AV pairs; PASS_REPL when a requested value is replaced", async () => {
    const p = await author("alice", ["service=shell", "cmd="]);
    expect(p.kind).toBe("author-response");
    const b = p.body as { status: number; args: string[] };
    expect(b.status).toBe(AuthorStatus.PASS_ADD);
    expect(b.args).toEqual(["priv-lvl=15", "timeout=30"]);
    const r = await author("alice", ["service=shell", "cmd=", "priv-lvl*1"]);
    const rb = r.body as { status: number; args: string[] };
    expect(rb.status).toBe(AuthorStatus.PASS_REPL);
    expect(rb.args).toEqual(["service=shell", "cmd=", "priv-lvl=15", "timeout=30"]);
  });

  test("command authorization over cmd + cmd-args: permit and deny by rule", async () => {
    const st = (p: ServerPacket) => (p.body as { status: number }).status;
    expect(
      st(
        await author("bob", [
          "service=shell",
          "cmd=show",
          "cmd-arg=running-config",
          "cmd-arg=<cr>",
        ]),
      ),
    ).toBe(AuthorStatus.PASS_ADD);
    expect(
      st(
        await author("bob", ["service=shell", "cmd=configure", "cmd-arg=terminal", "cmd-arg=<cr>"]),
      ),
    ).toBe(AuthorStatus.FAIL);
    expect(st(await author("alice", ["service=shell", "cmd*reload", "cmd-arg=<cr>"]))).toBe(
      AuthorStatus.FAIL,
    );
    expect(
      st(await author("alice", ["service=shell", "cmd=configure", "cmd-arg=terminal"], 15)),
    ).toBe(AuthorStatus.PASS_ADD);
    expect(st(await author("mallory", ["service=shell", "cmd="]))).toBe(AuthorStatus.FAIL);
    expect(st(await author("alice", ["cmd=show"]))).toBe(AuthorStatus.FAIL); // no service
    const m = srv.registry.get("aaa_tacacs_authorizations_total") as unknown as {
      toJSON(): Array<Record<string, unknown>>;
    };
    const deny = m
      .toJSON()
      .filter((s) => s.result === "deny")
      .reduce((a, s) => a + (s.value as number), 0);
    expect(deny).toBeGreaterThanOrEqual(4);
  });
});

describe("accounting", () => {
  test("START and STOP are SUCCESS only once stored, with the resolved client address; invalid flags → ERROR", async () => {
    const task = `task-${Date.now()}`;
    for (const flags of [AcctFlag.START, AcctFlag.STOP]) {
      const c = await TacacsClient.connect("127.0.0.1", srv.port4, { key: KEY });
      const p = await c.request(
        { type: PacketType.ACCT, seqNo: 1, sessionId: newSessionId() },
        {
          kind: "acct-request",
          body: {
            ...fields,
            flags,
            user: "alice",
            args: [`task_id=${task}`, "service=shell", "cmd=show version"],
          },
        },
      );
      expect(p.kind).toBe("acct-reply");
      expect((p.body as { status: number }).status).toBe(AcctStatus.SUCCESS);
      c.close();
    }
    const rows = queryAccounting(srv.store, {}).filter((r) => r.sessionId === task);
    expect(rows.map((r) => r.recordType).sort()).toEqual(["start", "stop"]);
    for (const r of rows) {
      expect(r.clientIp).toBe("127.0.0.1");
      expect(r.device).toBe("lo4");
      expect(r.username).toBe("alice");
    }
    const c = await TacacsClient.connect("127.0.0.1", srv.port4, { key: KEY });
    const bad = await c.request(
      { type: PacketType.ACCT, seqNo: 1, sessionId: newSessionId() },
      {
        kind: "acct-request",
        body: {
          ...fields,
          flags: AcctFlag.START | AcctFlag.STOP,
          user: "alice",
          args: ["task_id=x"],
        },
      },
    );
    expect((bad.body as { status: number }).status).toBe(AcctStatus.ERROR);
    c.close();
  });
});

describe("a failing asynchronous job", () => {
  // An accounting job is answered in a promise reaction. Unhandled, an exception there would be an
  // unhandled rejection: the end of the process and of every other device's service.
  const acct = (c: TacacsClient) =>
    c.request(
      { type: PacketType.ACCT, seqNo: 1, sessionId: newSessionId() },
      {
        kind: "acct-request",
        body: {
          ...fields,
          flags: AcctFlag.START,
          user: "alice",
          args: ["task_id=contained", "service=shell"],
        },
      },
    );
  const failures = () => srv.logs.filter((l) => l.event === "tacacs_job_failed").length;
  const stillServing = async () => {
    const c = await TacacsClient.connect("127.0.0.1", srv.port4, { key: KEY });
    try {
      expect(((await acct(c)).body as { status: number }).status).toBe(AcctStatus.SUCCESS);
    } finally {
      c.close();
    }
  };

  test("a job whose promise rejects: that connection is closed and logged, the next one is served", async () => {
    const policy = srv.policy.policy;
    const account = policy.account;
    // A store rejecting with a value that cannot even be turned into text makes the job's own
    // rejection handler throw, so the job's promise rejects.
    policy.account = () => {
      policy.account = account;
      return Promise.reject({
        toString: () => {
          throw new Error("unprintable storage error");
        },
      });
    };
    const before = failures();
    const c = await TacacsClient.connect("127.0.0.1", srv.port4, { key: KEY });
    c.send(
      { type: PacketType.ACCT, seqNo: 1, sessionId: newSessionId() },
      {
        kind: "acct-request",
        body: {
          ...fields,
          flags: AcctFlag.START,
          user: "alice",
          args: ["task_id=lost", "service=shell"],
        },
      },
    );
    expect((await c.next()).kind).toBe("closed");
    expect(failures()).toBe(before + 1);
    await stillServing();
  });

  test("an exception while answering a resolved job: that connection is closed and logged, the next one is served", async () => {
    const h = srv.registry.get("aaa_tacacs_decision_duration_seconds") as unknown as {
      observe: (...a: unknown[]) => void;
    };
    const observe = h.observe;
    h.observe = () => {
      h.observe = observe;
      throw new Error("bookkeeping bug");
    };
    const before = failures();
    const c = await TacacsClient.connect("127.0.0.1", srv.port4, { key: KEY });
    c.send(
      { type: PacketType.ACCT, seqNo: 1, sessionId: newSessionId() },
      {
        kind: "acct-request",
        body: {
          ...fields,
          flags: AcctFlag.START,
          user: "alice",
          args: ["task_id=lost2", "service=shell"],
        },
      },
    );
    expect((await c.next()).kind).toBe("closed");
    expect(failures()).toBe(before + 1);
    await stillServing();
  });
});

describe("single-connect", () => {
  test("granted in the first reply only; interleaved sessions of all three types on one connection", async () => {
    const c = await TacacsClient.connect("127.0.0.1", srv.port4, { key: KEY });
    const a = newSessionId();
    const b = newSessionId();
    const d = newSessionId();
    const SC = HeaderFlag.SINGLE_CONNECT;
    // Session a: ASCII login started, left waiting at GETUSER while b and d run.
    let p = await c.authenStart(
      { user: "", authenType: AuthenType.ASCII },
      { sessionId: a, flags: SC },
    );
    expect(p.header.flags & SC).toBe(SC);
    expect((p.body as { status: number }).status).toBe(AuthenStatus.GETUSER);
    // b (PAP) and d (authorization) sent back to back before reading either reply.
    c.send(
      { type: PacketType.AUTHEN, seqNo: 1, sessionId: b, minorVersion: 1, flags: SC },
      {
        kind: "authen-start",
        body: {
          action: 1,
          privLvl: 1,
          authenType: AuthenType.PAP,
          authenService: 1,
          user: "bob",
          port: "",
          remAddr: "",
          data: utf8(USERS.bob.password),
        },
      },
    );
    c.send(
      { type: PacketType.AUTHOR, seqNo: 1, sessionId: d, flags: SC },
      {
        kind: "author-request",
        body: { ...fields, user: "alice", args: ["service=shell", "cmd="] },
      },
    );
    const got = new Map<number, ServerPacket>();
    for (let i = 0; i < 2; i++) {
      const r = await c.next();
      if (r.kind !== "packet") throw new Error(r.kind);
      got.set(r.packet.header.sessionId, r.packet);
    }
    expect((got.get(b)!.body as { status: number }).status).toBe(AuthenStatus.PASS);
    expect((got.get(d)!.body as { status: number }).status).toBe(AuthorStatus.PASS_ADD);
    expect(got.get(b)!.header.flags & SC).toBe(0);
    expect(got.get(d)!.header.flags & SC).toBe(0);
    // Back to a.
    p = await c.request(
      { type: PacketType.AUTHEN, seqNo: 3, sessionId: a },
      {
        kind: "authen-continue",
        body: { userMsg: utf8("alice"), data: new Uint8Array(0), flags: 0 },
      },
    );
    expect((p.body as { status: number }).status).toBe(AuthenStatus.GETPASS);
    p = await c.request(
      { type: PacketType.AUTHEN, seqNo: 5, sessionId: a },
      {
        kind: "authen-continue",
        body: { userMsg: utf8(USERS.alice.password), data: new Uint8Array(0), flags: 0 },
      },
    );
    expect((p.body as { status: number }).status).toBe(AuthenStatus.PASS);
    // The connection stays open for more sessions.
    expect((await c.pap("alice", USERS.alice.password)).status).toBe(AuthenStatus.PASS);
    expect(c.isClosed).toBe(false);
    c.close();
  });

  test("not requested → the server closes after the session; a second session on it is refused", async () => {
    const c = await TacacsClient.connect("127.0.0.1", srv.port4, { key: KEY });
    const a = newSessionId();
    await c.authenStart({ user: "", authenType: AuthenType.ASCII }, { sessionId: a });
    const p = await c.pap("bob", USERS.bob.password);
    expect(p.status).toBe(AuthenStatus.ERROR);
    c.close();
    const c2 = await TacacsClient.connect("127.0.0.1", srv.port4, { key: KEY });
    expect((await c2.pap("bob", USERS.bob.password)).status).toBe(AuthenStatus.PASS);
    expect(await c2.waitClosed(1000)).toBe(true);
  });
});

describe("decision latency histogram", () => {
  test("every policy job is observed in aaa_tacacs_decision_duration_seconds, by job", async () => {
    const h = () =>
      (srv.registry.get("aaa_tacacs_decision_duration_seconds")?.toJSON() ?? []) as Array<{
        job: string;
        count: number;
      }>;
    const count = (job: string) => h().find((r) => r.job === job)?.count ?? 0;
    const before = count("password");
    const c = await TacacsClient.connect("127.0.0.1", srv.port4, { key: KEY });
    expect((await c.pap("bob", USERS.bob.password)).status).toBe(AuthenStatus.PASS);
    c.close();
    expect(count("password")).toBe(before + 1);
    expect(srv.registry.renderPrometheus()).toMatch(
      /aaa_tacacs_decision_duration_seconds_bucket\{protocol="tacacs",job="password",le="\+Inf"\} \d+/,
    );
  });
});

describe("accounting AV names (issue 21 defect 8)", () => {
  test("names that are Object.prototype keys are stored as sent: toString, constructor, __proto__", async () => {
    const task = `proto-${Date.now()}`;
    const c = await TacacsClient.connect("127.0.0.1", srv.port4, { key: KEY });
    const p = await c.request(
      { type: PacketType.ACCT, seqNo: 1, sessionId: newSessionId() },
      {
        kind: "acct-request",
        body: {
          ...fields,
          flags: AcctFlag.START,
          user: "alice",
          args: [
            `task_id=${task}`,
            "toString=t1",
            "constructor=c1",
            "__proto__=p1",
            "hasOwnProperty=h1",
            "cmd-arg=a",
            "cmd-arg=b",
          ],
        },
      },
    );
    c.close();
    expect((p.body as { status: number }).status).toBe(AcctStatus.SUCCESS);
    const rows = queryAccounting(srv.store, {}).filter((r) => r.sessionId === task);
    expect(rows.length).toBe(1);
    const a = rows[0]!.attributes;
    expect(Object.getOwnPropertyDescriptor(a, "toString")?.value).toBe("t1");
    expect(Object.getOwnPropertyDescriptor(a, "constructor")?.value).toBe("c1");
    expect(Object.getOwnPropertyDescriptor(a, "__proto__")?.value).toBe("p1");
    expect(Object.getOwnPropertyDescriptor(a, "hasOwnProperty")?.value).toBe("h1");
    expect(Object.getOwnPropertyDescriptor(a, "cmd-arg")?.value).toEqual(["a", "b"]);
  });
});

describe("accounting log levels (issue 21 defect 9)", () => {
  test("a client's invalid flags are logged at warn with the reason, never at error", async () => {
    // Over IPv6: the flood limiter keys by client, and the IPv4 client's invalid flags above were
    // already logged once in this interval.
    const before = srv.logs.length;
    const c = await TacacsClient.connect("::1", srv.port6, { key: KEY });
    const bad = await c.request(
      { type: PacketType.ACCT, seqNo: 1, sessionId: newSessionId() },
      {
        kind: "acct-request",
        body: { ...fields, flags: AcctFlag.START | AcctFlag.STOP, user: "alice", args: [] },
      },
    );
    c.close();
    expect((bad.body as { status: number }).status).toBe(AcctStatus.ERROR);
    const lines = srv.logs.slice(before).filter((l) => l.event === "tacacs_acct_error");
    expect(lines.length).toBe(1);
    expect(lines[0]!.level).toBe("warn");
    expect(lines[0]!.reason).toBe("bad-flags");
  });
});
