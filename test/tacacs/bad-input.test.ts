// Bad input, each case followed by a good client that still authenticates (the server survives and
// keeps serving): TACACS+ header and body faults, wrong key, unencrypted packets, PROXY v2 faults,
// LOCAL, IPv6 through PROXY, and a silent client. The server runs with PROXY v2 enabled, a short
// first-packet deadline and the smallest body limit the config allows.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { concat, utf8 } from "../../src/lib/bytes.ts";
import { encodeProxyV2 } from "../../src/proxy-protocol/encode.ts";
import { AcctFlag, AcctStatus } from "../../src/tacacs/codec/accounting.ts";
import { AuthenStatus, AuthenType } from "../../src/tacacs/codec/authentication.ts";
import { decodeHeader, encodeHeader, PacketType } from "../../src/tacacs/codec/header.ts";
import { decodePacket, encodeBody, encodePacket } from "../../src/tacacs/codec/packet.ts";
import { papOnce, TacacsClient, newSessionId } from "../support/tacacs-client.ts";
import { eventually, KEY, startServer, USERS, type Server } from "./harness.ts";

let srv: Server;
beforeAll(async () => {
  srv = await startServer({
    tacacs: {
      max_body_length: 1024,
      proxy_protocol: {
        enabled: true,
        validate_sources: true,
        reject_invalid: true,
        first_packet_timeout: "300ms",
      },
    },
    devices: (d) => {
      d.addProxy({ name: "lb", network: "127.0.0.1/32" });
      d.addDevice({ name: "claimed4", network: "192.0.2.10/32", group: "core" });
      d.addDevice({ name: "claimed6", network: "2001:db8::10/128", group: "core" });
    },
  });
});
afterAll(async () => {
  await srv?.stop();
});

const good = async (preamble?: Uint8Array) =>
  expect(await papOnce("127.0.0.1", srv.port4, KEY, "alice", USERS.alice.password, preamble)).toBe(
    AuthenStatus.PASS,
  );
const raw = () => TacacsClient.connect("127.0.0.1", srv.port4, { key: KEY, timeoutMs: 2000 });
const papBody = (user: string, pw: string) => ({
  kind: "authen-start" as const,
  body: {
    action: 1,
    privLvl: 1,
    authenType: AuthenType.PAP,
    authenService: 1,
    user,
    port: "",
    remAddr: "",
    data: utf8(pw),
  },
});
const proxyHeader = (src: string, crc32c = false) =>
  encodeProxyV2({
    command: "PROXY",
    family: src.includes(":") ? "TCP6" : "TCP4",
    addresses: {
      source: { ip: src, port: 40000 },
      destination: { ip: src.includes(":") ? "2001:db8::1" : "192.0.2.1", port: 49 },
    },
    crc32c,
  });
const recent = () =>
  srv.svc.stats().recent_clients as Array<{ client: string; proxy: string | null; device: string }>;

describe("TACACS+ faults", () => {
  test("wrong major version: closed, counted", async () => {
    const c = await raw();
    c.writeRaw(
      encodeHeader({
        majorVersion: 0xb,
        minorVersion: 0,
        type: 1,
        seqNo: 1,
        flags: 0,
        sessionId: 1,
        length: 0,
      }),
    );
    expect(await c.waitClosed()).toBe(true);
    expect(await eventually(() => srv.refusals("bad_version") >= 1)).toBe(true);
    await good();
  });

  test("unknown packet type: the header comes back with seq_no + 1 and length 0 (RFC 8907 §3.6), then the connection closes", async () => {
    const before = srv.refusals("bad_type");
    const c = await raw();
    const h = {
      majorVersion: 0xc,
      minorVersion: 0,
      type: 4,
      seqNo: 1,
      flags: 0,
      sessionId: 0x01020304,
      length: 0,
    };
    c.writeRaw(encodeHeader(h));
    const r = await c.next();
    expect(r.kind).toBe("undecodable"); // type 4 is not a reply our codec reads: the bytes are what count
    if (r.kind !== "undecodable") throw new Error(r.kind);
    expect(r.raw).toEqual(encodeHeader({ ...h, seqNo: 2 }));
    expect(await c.waitClosed()).toBe(true);
    expect(srv.refusals("bad_type")).toBe(before + 1);
    await good();
  });

  test("bad seq_no: a new session at seq 3 gets ERROR at seq 4", async () => {
    const c = await raw();
    c.send(
      { type: PacketType.AUTHEN, seqNo: 3, sessionId: newSessionId(), minorVersion: 1 },
      papBody("alice", "x"),
    );
    const r = await c.next();
    expect(r.kind).toBe("packet");
    if (r.kind === "packet") {
      expect(r.packet.header.seqNo).toBe(4);
      expect((r.packet.body as { status: number }).status).toBe(AuthenStatus.ERROR);
    }
    expect(srv.refusals("bad_seq_no")).toBeGreaterThanOrEqual(1);
    c.close();
    await good();
  });

  test("body over the limit: refused from the header, before the body arrives", async () => {
    const c = await raw();
    c.writeRaw(
      encodeHeader({
        majorVersion: 0xc,
        minorVersion: 1,
        type: 1,
        seqNo: 1,
        flags: 0,
        sessionId: 5,
        length: 1025,
      }),
    );
    expect(await c.waitClosed()).toBe(true);
    expect(srv.refusals("body_too_long")).toBeGreaterThanOrEqual(1);
    await good();
  });

  test("truncated body: the connection is closed at the first-packet deadline", async () => {
    const before = srv.refusals("first_packet_timeout");
    const c = await raw();
    c.writeRaw(
      encodeHeader({
        majorVersion: 0xc,
        minorVersion: 1,
        type: 1,
        seqNo: 1,
        flags: 0,
        sessionId: 6,
        length: 100,
      }),
    );
    c.writeRaw(new Uint8Array(50));
    expect(await c.waitClosed(2000)).toBe(true);
    expect(srv.refusals("first_packet_timeout")).toBeGreaterThan(before);
    await good();
  });

  test("garbage (seeded): every connection is closed or answered, never hangs the server", async () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < 20; i++) {
      const c = await raw();
      const junk = new Uint8Array(40 + (i % 7) * 13).map(rnd);
      if (i % 2 === 0) junk[0] = 0xc1; // half of them look like TACACS+ to the framer
      junk[4] = 0; // keep claimed lengths small so the deadline, not the limit, decides
      c.writeRaw(junk);
      expect(await c.waitClosed(2000)).toBe(true);
    }
    await good();
  });

  test("wrong key: ERROR reply (readable with the real key), no new sessions, closed", async () => {
    const c = await TacacsClient.connect("127.0.0.1", srv.port4, { key: "not-the-key" });
    const sid = newSessionId();
    c.send(
      { type: PacketType.AUTHEN, seqNo: 1, sessionId: sid, minorVersion: 1, flags: 4 },
      papBody("alice", USERS.alice.password),
    );
    const r = await c.next();
    expect(r.kind).toBe("undecodable"); // the client cannot read the reply with its wrong key...
    expect(await c.waitClosed()).toBe(true);
    expect(srv.refusals("bad_key")).toBeGreaterThanOrEqual(1);
    await good();
  });

  test("wrong key: the ERROR reply decodes with the real key (it is a valid, keyed reply)", async () => {
    const chunks: Uint8Array[] = [];
    const sock = await Bun.connect({
      hostname: "127.0.0.1",
      port: srv.port4,
      socket: { binaryType: "uint8array", data: (_s, d) => void chunks.push(d) },
    });
    const body = {
      flags: AcctFlag.START,
      authenMethod: 6,
      privLvl: 1,
      authenType: 2,
      authenService: 1,
      user: "a",
      port: "",
      remAddr: "",
      args: ["task_id=1"],
    };
    sock.write(
      encodePacket(
        { type: PacketType.ACCT, seqNo: 1, sessionId: 77 },
        encodeBody({ kind: "acct-request", body }),
        utf8("wrong"),
      ),
    );
    expect(await eventually(() => chunks.reduce((n, c) => n + c.length, 0) >= 12)).toBe(true);
    const all = concat(chunks);
    const h = decodeHeader(all);
    if (!h.ok) throw new Error(h.code);
    expect(h.value.seqNo).toBe(2);
    const p = decodePacket(h.value, all.subarray(12, 12 + h.value.length), utf8(KEY), "server");
    expect(p.ok && p.value.kind === "acct-reply" && p.value.body.status === AcctStatus.ERROR).toBe(
      true,
    );
    sock.end();
    await good();
  });

  test("unencrypted flag refused on authentication, authorization and accounting", async () => {
    const before = srv.refusals("unencrypted_refused");
    const bodies = [
      { t: PacketType.AUTHEN, m: 1, b: papBody("alice", USERS.alice.password) },
      {
        t: PacketType.AUTHOR,
        m: 0,
        b: {
          kind: "author-request" as const,
          body: {
            authenMethod: 6,
            privLvl: 1,
            authenType: 2,
            authenService: 1,
            user: "alice",
            port: "",
            remAddr: "",
            args: ["service=shell", "cmd="],
          },
        },
      },
      {
        t: PacketType.ACCT,
        m: 0,
        b: {
          kind: "acct-request" as const,
          body: {
            flags: AcctFlag.START,
            authenMethod: 6,
            privLvl: 1,
            authenType: 2,
            authenService: 1,
            user: "alice",
            port: "",
            remAddr: "",
            args: ["task_id=9"],
          },
        },
      },
    ];
    for (const x of bodies) {
      const c = await raw();
      c.send({ type: x.t, seqNo: 1, sessionId: newSessionId(), minorVersion: x.m }, x.b, null); // null key: UNENCRYPTED flag
      const r = await c.next();
      expect(r.kind).toBe("closed");
    }
    expect(srv.refusals("unencrypted_refused") - before).toBe(3);
    await good();
  });

  test("a client that connects and sends nothing is closed at the deadline", async () => {
    const before = srv.refusals("first_packet_timeout");
    const t0 = Date.now();
    const c = await raw();
    expect(await c.waitClosed(2000)).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(srv.refusals("first_packet_timeout")).toBe(before + 1);
    await good();
  });
});

describe("PROXY v2 faults and features", () => {
  test("header split byte by byte: the server sees the claimed client", async () => {
    const hdr = proxyHeader("192.0.2.10");
    const c = await raw();
    for (const b of hdr) {
      c.writeRaw(new Uint8Array([b]));
      await Bun.sleep(1);
    }
    expect((await c.pap("alice", USERS.alice.password)).status).toBe(AuthenStatus.PASS);
    c.close();
    expect(
      recent().some(
        (r) => r.client === "192.0.2.10" && r.proxy === "127.0.0.1" && r.device === "claimed4",
      ),
    ).toBe(true);
    await good();
  });

  test("IPv6 client address through PROXY (TCP6)", async () => {
    expect(
      await papOnce(
        "127.0.0.1",
        srv.port4,
        KEY,
        "bob",
        USERS.bob.password,
        proxyHeader("2001:db8::10"),
      ),
    ).toBe(AuthenStatus.PASS);
    expect(recent().some((r) => r.client === "2001:db8::10" && r.device === "claimed6")).toBe(true);
    await good();
  });

  test("truncated header: closed at the first-packet deadline", async () => {
    const before = srv.refusals("first_packet_timeout");
    const c = await raw();
    c.writeRaw(proxyHeader("192.0.2.10").subarray(0, 20));
    expect(await c.waitClosed(2000)).toBe(true);
    expect(srv.refusals("first_packet_timeout")).toBe(before + 1);
    await good();
  });

  test("bad CRC32C: rejected (strict), counted by reason", async () => {
    const hdr = proxyHeader("192.0.2.10", true);
    hdr[hdr.length - 1]! ^= 0xff;
    const c = await raw();
    c.writeRaw(hdr);
    expect(await c.waitClosed()).toBe(true);
    expect(srv.proxyCounters.proxy_header_errors.get({ reason: "proxy/bad-crc32c" })).toBe(1);
    const ok = proxyHeader("192.0.2.10", true);
    expect(await papOnce("127.0.0.1", srv.port4, KEY, "alice", USERS.alice.password, ok)).toBe(
      AuthenStatus.PASS,
    );
    await good();
  });

  test("header from a source that is not a registered proxy ([::1]): rejected and counted", async () => {
    const c = await TacacsClient.connect("::1", srv.port6, {
      key: KEY,
      preamble: proxyHeader("192.0.2.10"),
    });
    expect(await c.waitClosed()).toBe(true);
    expect(srv.proxyCounters.proxy_rejected_unknown.get()).toBe(1);
    // The same client without a header is served (direct, device lo6).
    expect(await papOnce("::1", srv.port6, KEY, "alice", USERS.alice.password)).toBe(
      AuthenStatus.PASS,
    );
    await good();
  });

  test("LOCAL command: real socket addresses, counted, debug log only", async () => {
    const warnsBefore = srv.problems().length;
    const local = encodeProxyV2({ command: "LOCAL", family: "UNSPEC" });
    expect(await papOnce("127.0.0.1", srv.port4, KEY, "alice", USERS.alice.password, local)).toBe(
      AuthenStatus.PASS,
    );
    expect(srv.proxyCounters.proxy_local.get()).toBe(1);
    expect(srv.logs.some((l) => l.event === "proxy_v2_local" && l.level === "debug")).toBe(true);
    expect(srv.problems().length).toBe(warnsBefore);
    await good();
  });
});
