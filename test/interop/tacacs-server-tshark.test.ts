// Interop: the *server's* replies, as received over a real socket, dissected by tshark (Debian
// `tshark`) with the key. Reply bodies are made to hit 6 (short), 32, 33 and 250 bytes — around the
// 16/32-byte pad-block boundaries where a wrongly chained pad (§4.5) breaks — through user groups
// whose AV pairs size the authorization RESPONSE. A wrong key must hide the arguments.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { utf8 } from "../../src/lib/bytes.ts";
import { AuthenStatus, AuthenType } from "../../src/tacacs/codec/authentication.ts";
import { AuthorStatus } from "../../src/tacacs/codec/authorization.ts";
import { PacketType } from "../../src/tacacs/codec/header.ts";
import { encodeBody, encodePacket, type PacketBody } from "../../src/tacacs/codec/packet.ts";
import { addUserGroup } from "../../src/store/user-groups.ts";
import { addUser } from "../../src/store/users.ts";
import { writePcap, type PcapFrame } from "../support/pcap.ts";
import { peersAvailable } from "../support/peers.ts";
import { TacacsClient } from "../support/tacacs-client.ts";
import { KEY, startServer, USERS, type Server } from "../tacacs/harness.ts";

/** Authorization RESPONSE PASS_ADD with args ["priv-lvl=1", av]: 6 fixed + 2 length bytes + 10 + |av|. */
const AUTHOR_TARGETS = [32, 33, 250] as const;
const avFor = (target: number) => {
  const n = target - 6 - 2 - "priv-lvl=1".length;
  return "x=" + "abcdefghijklmnopqrstuvwxyz0123456789".repeat(8).slice(0, n - 2);
};

interface Exchange {
  request: Uint8Array;
  reply: Uint8Array;
  want: { type: number; length: number; fields: Record<string, string[]> };
}

async function tshark(
  pcap: string,
  key: string,
): Promise<Array<Record<string, string[] | undefined>>> {
  if (Bun.which("tshark") === null)
    throw new Error(
      "tshark not found: install the Debian package `tshark` (apt-get install -y tshark)",
    );
  const fields = [
    "tacplus.type",
    "tacplus.seqno",
    "tacplus.packet_len",
    "_ws.malformed",
    "_ws.expert.message",
    "tacplus.arg_value",
    "tacplus.body_authen_rep.status",
    "tacplus.body_author_rep.auth_status",
  ];
  const args = ["tshark", "-n", "-r", pcap, "-o", `tacplus.key:${key}`, "-T", "json"];
  for (const f of fields) args.push("-e", f);
  const p = Bun.spawn(args, {
    stdout: "pipe",
    stderr: "pipe",
    timeout: 20_000,
    killSignal: "SIGKILL",
  });
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  if (code !== 0) throw new Error(`tshark exited ${code}: ${err}`);
  return (JSON.parse(out) as Array<{ _source: { layers: Record<string, string[]> } }>).map(
    (x) => x._source.layers,
  );
}

describe.skipIf(!peersAvailable("tshark"))("tshark decodes the server's replies", () => {
  let srv: Server;
  let dir = "";
  const exchanges: Exchange[] = [];

  beforeAll(async () => {
    srv = await startServer({ listen: ["127.0.0.1:0"] });
    dir = mkdtempSync(join(tmpdir(), "tacacs-srv-tshark-"));
    for (const t of AUTHOR_TARGETS) {
      const g = await addUserGroup(
        srv.store,
        { name: `len${t}`, privLvl: 1, av: [`service=shell:${avFor(t)}`], deviceGroups: ["core"] },
        "test",
      );
      const u = await addUser(
        srv.store,
        { username: `u${t}`, password: "pw-len", groups: [`len${t}`] },
        "test",
      );
      if (!g.ok || !u.ok) throw new Error("fixture");
    }
    const key = utf8(KEY);
    const run = async (
      body: PacketBody,
      fields: { type: number; minorVersion: number },
      want: Exchange["want"],
    ) => {
      const c = await TacacsClient.connect("127.0.0.1", srv.port4, { key: KEY });
      const request = encodePacket(
        { ...fields, seqNo: 1, sessionId: 0x5a000000 + exchanges.length },
        encodeBody(body),
        key,
      );
      c.writeRaw(request);
      const r = await c.next();
      c.close();
      if (r.kind !== "packet") throw new Error(`no reply: ${r.kind}`);
      exchanges.push({ request, reply: r.raw, want });
    };
    // Short: an authentication PASS with no message (6 bytes).
    await run(
      {
        kind: "authen-start",
        body: {
          action: 1,
          privLvl: 1,
          authenType: AuthenType.PAP,
          authenService: 1,
          user: "alice",
          port: "tty0",
          remAddr: "",
          data: utf8(USERS.alice.password),
        },
      },
      { type: PacketType.AUTHEN, minorVersion: 1 },
      {
        type: PacketType.AUTHEN,
        length: 6,
        fields: { "tacplus.body_authen_rep.status": [String(AuthenStatus.PASS)] },
      },
    );
    for (const t of AUTHOR_TARGETS) {
      await run(
        {
          kind: "author-request",
          body: {
            authenMethod: 6,
            privLvl: 1,
            authenType: 2,
            authenService: 1,
            user: `u${t}`,
            port: "",
            remAddr: "",
            args: ["service=shell", "cmd="],
          },
        },
        { type: PacketType.AUTHOR, minorVersion: 0 },
        {
          type: PacketType.AUTHOR,
          length: t,
          fields: { "tacplus.body_author_rep.auth_status": [String(AuthorStatus.PASS_ADD)] },
        },
      );
    }
    const frames: PcapFrame[] = [];
    exchanges.forEach((e, i) => {
      const client = { ip: "192.0.2.10", port: 41000 + i };
      const server = { ip: "192.0.2.1", port: 49 };
      frames.push({ src: client, dst: server, proto: "tcp", payload: e.request });
      frames.push({ src: server, dst: client, proto: "tcp", payload: e.reply });
    });
    await writePcap(join(dir, "server.pcap"), frames);
  });
  afterAll(async () => {
    await srv?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("with the key: every reply is valid TACACS+ at 6, 32, 33 and 250 bytes, with the arguments we stored", async () => {
    const layers = await tshark(join(dir, "server.pcap"), KEY);
    expect(layers.length).toBe(exchanges.length * 2);
    exchanges.forEach((e, i) => {
      const f = layers[2 * i + 1]!;
      const where = `reply ${i} (${e.want.length} bytes)`;
      expect({
        where,
        type: f["tacplus.type"],
        seq: f["tacplus.seqno"],
        len: f["tacplus.packet_len"],
        malformed: f["_ws.malformed"],
        expert: f["_ws.expert.message"],
      }).toEqual({
        where,
        type: [String(e.want.type)],
        seq: ["2"],
        len: [String(e.want.length)],
        malformed: undefined,
        expert: undefined,
      });
      for (const [name, want] of Object.entries(e.want.fields))
        expect({ where, name, got: f[name]?.map(Number) }).toEqual({
          where,
          name,
          got: want.map(Number),
        });
      if (e.want.type === PacketType.AUTHOR)
        expect(f["tacplus.arg_value"]).toEqual(["priv-lvl=1", avFor(e.want.length)]);
    });
  });

  test("with a wrong key: the stored arguments do not appear", async () => {
    const layers = await tshark(join(dir, "server.pcap"), KEY + "x");
    for (const t of AUTHOR_TARGETS) expect(JSON.stringify(layers)).not.toContain(avFor(t));
    expect(layers.length).toBe(exchanges.length * 2);
  });
});
