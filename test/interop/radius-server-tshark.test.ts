// Interop: tshark (Debian tshark), an independent RADIUS dissector, decodes the replies our server
// actually sent — PAP Accept/Reject, CHAP, MS-CHAPv2 with MPPE keys, EAP reject, Status-Server on both
// ports, Accounting Start/Stop, Proxy-State echo — without malformed-packet or error-level expert
// warnings, and with the shared secret it validates every reply's Response Authenticator. The
// exchanges run over real UDP; the request/reply bytes are written to a pcap (test/support/pcap.ts)
// on the standard ports so the dissector picks them up.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { utf8 } from "../../src/lib/bytes.ts";
import { randomAuthenticator } from "../../src/radius/codec/authenticator.ts";
import { chapResponse } from "../../src/radius/codec/chap.ts";
import { encodeRequest } from "../../src/radius/codec/compose.ts";
import {
  MS_VENDOR_ID,
  MsAttr,
  generateNtResponse,
  ntPasswordHash,
} from "../../src/radius/codec/mschap.ts";
import { AttrType, Code } from "../../src/radius/codec/packet.ts";
import { encodeVsa } from "../../src/radius/codec/vsa.ts";
import { ALICE_PASSWORD, NAS_SECRET, startFixture, type RadiusFixture } from "../radius/fixture.ts";
import { writePcap, type PcapFrame } from "../support/pcap.ts";
import { runPeer } from "../support/peer.ts";
import { acctRequest, freshId, papRequest, radiusClient } from "../support/radius-client.ts";

let f: RadiusFixture;
let dir = "";
const frames: PcapFrame[] = [];
const expectedCodes: number[] = [];
const statusServer = [5, 6];

function req(code: number, attrs: { type: number; value: Uint8Array }[]): Uint8Array {
  const r = encodeRequest(
    {
      code,
      identifier: freshId(),
      authenticator: randomAuthenticator(),
      attributes: attrs,
    },
    utf8(NAS_SECRET),
  );
  if (!r.ok) throw new Error(r.code);
  return r.value;
}

beforeAll(async () => {
  if (Bun.which("tshark") === null)
    throw new Error(
      "tshark not found: install the Debian package tshark (apt-get install -y tshark)",
    );
  dir = mkdtempSync(join(tmpdir(), "radius-server-tshark-"));
  f = await startFixture();
  const user = { type: AttrType.UserName, value: utf8("alice") };
  const chal = crypto.getRandomValues(new Uint8Array(16));
  const peer = crypto.getRandomValues(new Uint8Array(16));
  const ms = new Uint8Array(50);
  ms[0] = 3;
  ms.set(peer, 2);
  ms.set(generateNtResponse(chal, peer, utf8("alice"), ntPasswordHash(ALICE_PASSWORD)), 26);
  const msVsa = encodeVsa(MS_VENDOR_ID, [
    { vendorType: MsAttr.MSCHAPChallenge, value: chal },
    { vendorType: MsAttr.MSCHAP2Response, value: ms },
  ]);
  if (!msVsa.ok) throw new Error(msVsa.code);
  const chapAuth = randomAuthenticator();
  const chap = encodeRequest(
    {
      code: Code.AccessRequest,
      identifier: freshId(),
      authenticator: chapAuth,
      attributes: [
        user,
        {
          type: AttrType.CHAPPassword,
          value: new Uint8Array([1, ...chapResponse(1, utf8(ALICE_PASSWORD), chapAuth)]),
        },
      ],
    },
    utf8(NAS_SECRET),
  );
  if (!chap.ok) throw new Error(chap.code);
  const exchanges: Array<[Uint8Array, "auth" | "acct", number]> = [
    [
      papRequest(NAS_SECRET, "alice", ALICE_PASSWORD, {
        extra: [{ type: AttrType.ProxyState, value: utf8("proxy-state-1") }],
      }).bytes,
      "auth",
      Code.AccessAccept,
    ],
    [papRequest(NAS_SECRET, "alice", "wrong").bytes, "auth", Code.AccessReject],
    [chap.value, "auth", Code.AccessAccept],
    [req(Code.AccessRequest, [user, msVsa.value]), "auth", Code.AccessAccept],
    [
      req(Code.AccessRequest, [
        user,
        {
          type: AttrType.EAPMessage,
          value: new Uint8Array([2, 0, 0, 10, 1, 97, 108, 105, 99, 101]),
        },
      ]),
      "auth",
      Code.AccessReject,
    ],
    [req(Code.StatusServer, []), "auth", Code.AccessAccept],
    [req(Code.StatusServer, []), "acct", Code.AccountingResponse],
    [acctRequest(NAS_SECRET, "alice", 1, "tshark-1"), "acct", Code.AccountingResponse],
    [acctRequest(NAS_SECRET, "alice", 2, "tshark-1"), "acct", Code.AccountingResponse],
  ];
  for (const [i, [bytes, kind, code]] of exchanges.entries()) {
    const cl = await radiusClient({
      host: "127.0.0.1",
      port: kind === "auth" ? f.authV4 : f.acctV4,
    });
    try {
      const reply = await cl.exchange(bytes, 3_000);
      if (reply === null) throw new Error(`no reply to exchange ${i}`);
      const nas = { ip: "192.0.2.10", port: 40_000 + i };
      const srv = { ip: "192.0.2.1", port: kind === "auth" ? 1812 : 1813 };
      frames.push(
        { src: nas, dst: srv, proto: "udp", payload: bytes },
        { src: srv, dst: nas, proto: "udp", payload: reply },
      );
      expectedCodes.push(code);
    } finally {
      cl.close();
    }
  }
  await writePcap(join(dir, "radius.pcap"), frames);
});
afterAll(async () => {
  await f?.stop();
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

async function tshark(secret: string, extra: string[]): Promise<string> {
  const r = await runPeer(
    [
      "tshark",
      "-n",
      "-r",
      join(dir, "radius.pcap"),
      "-o",
      `radius.shared_secret:${secret}`,
      "-o",
      "radius.validate_authenticator:TRUE",
      ...extra,
    ],
    { timeoutMs: 30_000 },
  );
  if (r.code !== 0) throw new Error(`tshark exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

describe("tshark decodes our replies", () => {
  test("no malformed packets or error-level expert info; every reply's authenticator is valid; codes as sent", async () => {
    const verbose = await tshark(NAS_SECRET, ["-V"]);
    expect(verbose).not.toContain("Malformed");
    expect(verbose).not.toMatch(/Expert Info \(Error/);
    expect(verbose).toContain("MS-CHAP2-Success");
    expect(verbose).toContain("MS-MPPE-Send-Key");
    expect(verbose).toContain("Proxy-State");
    const lines = (
      await tshark(NAS_SECRET, [
        "-T",
        "fields",
        "-E",
        "separator=|",
        "-e",
        "radius.code",
        "-e",
        "radius.authenticator.valid",
        "-e",
        "radius.Message_Authenticator",
        "-e",
        "_ws.malformed",
      ])
    )
      .trim()
      .split("\n");
    expect(lines.length).toBe(frames.length);
    const replies = lines.filter((_, i) => i % 2 === 1).map((l) => l.split("|"));
    expect(replies.map((r) => Number(r[0]))).toEqual(expectedCodes);
    for (const [i, r] of replies.entries()) {
      // tshark validates reply authenticators only against Access- and Accounting-Requests, not
      // Status-Server (exchanges 5 and 6; pyrad and radclient verify those).
      if (!statusServer.includes(i)) expect({ i, valid: r[1] }).toEqual({ i, valid: "1" });
      expect(r[3]).toBe("");
      // Access-Accept/Reject and both Status-Server replies carry a Message-Authenticator.
      expect({ i, ma: /^[0-9a-f]{32}$/.test(r[2]!) }).toEqual({ i, ma: i < 7 });
    }
  });

  test("negative control: with another secret tshark marks the authenticators invalid", async () => {
    const lines = (
      await tshark("not-the-secret", ["-T", "fields", "-e", "radius.authenticator.invalid"])
    )
      .split("\n")
      .slice(0, frames.length);
    const replies = lines.filter((_, i) => i % 2 === 1);
    expect(replies.filter((_, i) => !statusServer.includes(i))).toEqual(
      Array(replies.length - statusServer.length).fill("1"),
    );
  });
});
