// Interop: TACACS+ packets from our codec, obfuscated with our pad (RFC 8907 §4.5), written to a
// pcap and dissected by tshark (Debian package `tshark`), an independent implementation. tshark must
// decrypt every packet with the key and show exactly the names, messages and arguments we encoded,
// at body lengths that cross the 16/32-byte pad-block boundaries, with no malformed or warning
// expert info. A run with a wrong key must NOT show them (so the check depends on the pad).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { utf8 } from "../../src/lib/bytes.ts";
import { AcctFlag } from "../../src/tacacs/codec/accounting.ts";
import {
  AuthenStatus,
  AuthenType,
  expectedMinorVersion,
  type AuthenStart,
} from "../../src/tacacs/codec/authentication.ts";
import { AuthorStatus } from "../../src/tacacs/codec/authorization.ts";
import { PacketType } from "../../src/tacacs/codec/header.ts";
import { encodeBody, encodePacket, type PacketBody } from "../../src/tacacs/codec/packet.ts";
import { writePcap, type PcapFrame } from "../support/pcap.ts";
import { peersAvailable } from "../support/peers.ts";

const KEY = "interop-K3y!";
const LENGTHS = [24, 32, 33, 250] as const; // short (two pad blocks), exactly two, just past, many
const TSHARK_TIMEOUT_MS = 20_000;

const filler = (prefix: string, n: number) => {
  const abc = "abcdefghijklmnopqrstuvwxyz0123456789";
  let s = prefix;
  for (let i = 0; s.length < n; i++) s += abc[i % abc.length];
  return s.slice(0, n);
};

/** Builds a body of exactly `target` bytes by growing the field tshark will show us. */
function sized(
  make: (fill: string) => PacketBody,
  target: number,
  prefix: string,
): { body: PacketBody; shown: string } {
  const base = encodeBody(make("")).length;
  const shown = filler(prefix, target - base);
  const body = make(shown);
  expect(encodeBody(body).length).toBe(target);
  return { body, shown };
}

interface Expect {
  frame: PcapFrame;
  type: number;
  seqNo: number;
  length: number;
  /** tshark field → values; numbers are compared numerically (tshark prints some in hex). */
  fields: Record<string, (string | number)[]>;
}

function scenario(): Expect[] {
  const out: Expect[] = [];
  let sessionId = 0x51000000;
  LENGTHS.forEach((len, i) => {
    const v6 = i % 2 === 1;
    const client = { ip: v6 ? "2001:db8::10" : "192.0.2.10", port: 40000 + i };
    const server = { ip: v6 ? "2001:db8::1" : "192.0.2.1", port: 49 };
    const add = (
      type: number,
      seqNo: number,
      minor: number,
      from: "c" | "s",
      sid: number,
      b: { body: PacketBody; shown: string },
      fields: (s: string) => Expect["fields"],
    ) => {
      const plain = encodeBody(b.body);
      const payload = encodePacket(
        { type, seqNo, sessionId: sid, minorVersion: minor },
        plain,
        utf8(KEY),
      );
      const [src, dst] = from === "c" ? [client, server] : [server, client];
      out.push({
        frame: { src, dst, proto: "tcp", payload },
        type,
        seqNo,
        length: len,
        fields: fields(b.shown),
      });
    };
    // Authentication: PAP START (minor 1) and its REPLY.
    const start = (user: string): AuthenStart => ({
      action: 1,
      privLvl: 1,
      authenType: AuthenType.PAP,
      authenService: 1,
      user,
      port: "t7",
      remAddr: "r",
      data: utf8("pw"),
    });
    const minor = expectedMinorVersion(start(""))!;
    let sid = sessionId++;
    add(
      PacketType.AUTHEN,
      1,
      minor,
      "c",
      sid,
      sized((f) => ({ kind: "authen-start", body: start(f) }), len, `user${len}-`),
      (s) => ({
        "tacplus.user": [s],
        "tacplus.port": ["t7"],
        "tacplus.remote_address": ["r"],
        "tacplus.auth_password": ["pw"],
      }),
    );
    add(
      PacketType.AUTHEN,
      2,
      minor,
      "s",
      sid,
      sized(
        (f) => ({
          kind: "authen-reply",
          body: {
            status: AuthenStatus.PASS,
            flags: 0,
            serverMsg: f,
            data: new Uint8Array(0),
          },
        }),
        len,
        `hello${len}-`,
      ),
      (s) => ({
        "tacplus.body_authen_rep.server_msg": [s],
        "tacplus.body_authen_rep.status": [AuthenStatus.PASS],
      }),
    );
    // Authorization REQUEST / RESPONSE.
    sid = sessionId++;
    add(
      PacketType.AUTHOR,
      1,
      0,
      "c",
      sid,
      sized(
        (f) => ({
          kind: "author-request",
          body: {
            authenMethod: 6,
            privLvl: 1,
            authenType: 1,
            authenService: 1,
            user: "ann",
            port: "",
            remAddr: "",
            args: [`cmd=${f}`],
          },
        }),
        len,
        "x",
      ),
      (s) => ({ "tacplus.user": ["ann"], "tacplus.arg_value": [`cmd=${s}`] }),
    );
    add(
      PacketType.AUTHOR,
      2,
      0,
      "s",
      sid,
      sized(
        (f) => ({
          kind: "author-response",
          body: {
            status: AuthorStatus.PASS_ADD,
            args: [`priv-lvl=${f}`],
            serverMsg: "ok",
            data: new Uint8Array(0),
          },
        }),
        len,
        "1",
      ),
      (s) => ({
        "tacplus.arg_value": [`priv-lvl=${s}`],
        "tacplus.body_author_rep.auth_status": [AuthorStatus.PASS_ADD],
        "tacplus.body_author_rep_server.msg_len": [2],
      }),
    );
    // Accounting REQUEST / REPLY.
    sid = sessionId++;
    add(
      PacketType.ACCT,
      1,
      0,
      "c",
      sid,
      sized(
        (f) => ({
          kind: "acct-request",
          body: {
            flags: AcctFlag.START,
            authenMethod: 6,
            privLvl: 1,
            authenType: 1,
            authenService: 1,
            user: "eve",
            port: "",
            remAddr: "",
            args: [`task_id=${f}`],
          },
        }),
        len,
        "t",
      ),
      (s) => ({
        "tacplus.user": ["eve"],
        "tacplus.arg_value": [`task_id=${s}`],
        "tacplus.acct.flags.start": [1],
      }),
    );
    add(
      PacketType.ACCT,
      2,
      0,
      "s",
      sid,
      sized(
        (f) => ({
          kind: "acct-reply",
          body: { status: 1, serverMsg: f, data: new Uint8Array(0) },
        }),
        len,
        `rec${len}-`,
      ),
      (s) => ({
        "tacplus.body_acct.server_msg": [s],
        "tacplus.body_acct.status": [1],
      }),
    );
  });
  return out;
}

const FIELDS = [
  "frame.number",
  "tacplus.type",
  "tacplus.seqno",
  "tacplus.packet_len",
  "ip.checksum.status",
  "tcp.checksum.status",
  "_ws.malformed",
  "_ws.expert.severity",
  "_ws.expert.message",
  "tacplus.user",
  "tacplus.port",
  "tacplus.remote_address",
  "tacplus.auth_password",
  "tacplus.arg_value",
  "tacplus.body_authen_rep.server_msg",
  "tacplus.body_authen_rep.status",
  "tacplus.body_author_rep.auth_status",
  "tacplus.body_author_rep_server.msg_len",
  "tacplus.body_acct.server_msg",
  "tacplus.body_acct.status",
  "tacplus.acct.flags.start",
];
type Layers = Record<string, string[] | undefined>;

async function tshark(pcap: string, key: string): Promise<Layers[]> {
  if (Bun.which("tshark") === null) {
    throw new Error(
      "tshark not found: install the Debian package `tshark` (apt-get install -y tshark)",
    );
  }
  const args = [
    "tshark",
    "-n",
    "-r",
    pcap,
    "-o",
    `tacplus.key:${key}`,
    "-o",
    "ip.check_checksum:TRUE",
    "-o",
    "tcp.check_checksum:TRUE",
    "-T",
    "json",
  ];
  for (const f of FIELDS) args.push("-e", f);
  const proc = Bun.spawn(args, {
    stdout: "pipe",
    stderr: "pipe",
    timeout: TSHARK_TIMEOUT_MS,
    killSignal: "SIGKILL",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0) throw new Error(`tshark exited ${code} (signal ${proc.signalCode}): ${stderr}`);
  const json = JSON.parse(stdout) as { _source: { layers: Layers } }[];
  return json.map((p) => p._source.layers);
}

describe.skipIf(!peersAvailable("tshark"))("tshark decodes our TACACS+ packets", () => {
  let dir = "";
  const expected = scenario();
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tacacs-tshark-"));
    await writePcap(
      join(dir, "tacacs.pcap"),
      expected.map((e) => e.frame),
    );
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("with the key: every packet decrypts to exactly what we encoded", async () => {
    const frames = await tshark(join(dir, "tacacs.pcap"), KEY);
    expect(frames.length).toBe(expected.length);
    expect(expected.length).toBe(LENGTHS.length * 6);
    expected.forEach((e, i) => {
      const f = frames[i]!;
      const where = `frame ${i + 1} (type ${e.type}, seq ${e.seqNo}, body ${e.length})`;
      expect({
        where,
        type: f["tacplus.type"],
        seq: f["tacplus.seqno"],
        len: f["tacplus.packet_len"],
      }).toEqual({
        where,
        type: [String(e.type)],
        seq: [String(e.seqNo)],
        len: [String(e.length)],
      });
      // Checksum status 1 = good (our pcap writer is right too). IPv6 has no header checksum.
      const v6 = e.frame.src.ip.includes(":");
      expect({
        where,
        ip: f["ip.checksum.status"],
        tcp: f["tcp.checksum.status"],
      }).toEqual({ where, ip: v6 ? undefined : ["1"], tcp: ["1"] });
      expect({
        where,
        malformed: f["_ws.malformed"],
        expert: f["_ws.expert.message"],
      }).toEqual({ where, malformed: undefined, expert: undefined });
      for (const [name, want] of Object.entries(e.fields)) {
        const got = f[name]?.map((v, j) => (typeof want[j] === "number" ? Number(v) : v));
        expect({ where, name, got }).toEqual({ where, name, got: want });
      }
    });
  });

  test("with a wrong key: none of the encoded names or messages appear", async () => {
    const frames = await tshark(join(dir, "tacacs.pcap"), KEY + "x");
    expect(frames.length).toBe(expected.length);
    let hidden = 0;
    expected.forEach((e, i) => {
      for (const [name, value] of Object.entries(e.fields)) {
        if (!/user|server_msg|arg_value/.test(name)) continue;
        expect(frames[i]![name]).not.toEqual(value);
        hidden++;
      }
    });
    expect(hidden).toBe(LENGTHS.length * 8); // 8 text fields per round of six packets
  });
});
