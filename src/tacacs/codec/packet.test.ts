import { describe, expect, test } from "bun:test";
import { concat, fromHex, hex, utf8 } from "../../lib/bytes.ts";
import { AcctFlag } from "./accounting.ts";
import { AuthenStatus } from "./authentication.ts";
import { AuthorStatus } from "./authorization.ts";
import { Framer } from "./framer.ts";
import { decodeHeader, HeaderFlag, PacketType, type Header } from "./header.ts";
import { decodePacket, encodeBody, encodePacket } from "./packet.ts";

// A real pam_tacplus session (tacc, key "testing123"), published with FreeRADIUS as
// src/tests/unit/protocols/tacacs/base.txt (from tacacs+_auth-authorize-acct_secret-testing123.pcap).
const KEY = utf8("testing123");
const CAPTURE = {
  authenStart:
    "c1010100b70fc80e0000002279d29a6667fefe8704af617ecb7920bbca61cf8b25ab709e68af9fd5aedec55d5e73",
  authenReply: "c1010200b70fc80e00000006395139 56eff4",
  authorRequest:
    "c0020100e16678e6000000354bc5ea6213cccaa66a033c8e3fc05aaa46da12cdee486269679ab8b4db709830b7fcf69309d43f2ca9589e3c6a0ed55020e6a53946",
  authorResponse: "c0020200e16678e600000013 0259f9903881e1bb9da61393fc867e4a141c24",
  acctRequest:
    "c0030100079b35d90000005b7c8a99d688f9323cec346d23897172dd894675df9c00a5962805fc5788020c11a3609a058b716d27ca83b0ab2f0027c8da58d31af13f07178df635c57be207be2986d49316990401ef036c1c2bad3afb5b110661dcd9091d6a081e",
  acctReply: "c0030200079b35d90000000549d8e54a73",
};

function split(wireHex: string): {
  header: Header;
  body: Uint8Array;
  wire: Uint8Array;
} {
  const wire = fromHex(wireHex);
  const h = decodeHeader(wire);
  if (!h.ok) throw new Error(h.code);
  return { header: h.value, body: wire.subarray(12), wire };
}

describe("decodePacket / encodePacket on a published capture", () => {
  test("each packet decodes with the key and re-encodes to the identical wire bytes", () => {
    const c = (k: keyof typeof CAPTURE) => split(CAPTURE[k]);
    const checks = [
      { p: c("authenStart"), from: "client" as const, kind: "authen-start" },
      { p: c("authenReply"), from: "server" as const, kind: "authen-reply" },
      {
        p: c("authorRequest"),
        from: "client" as const,
        kind: "author-request",
      },
      {
        p: c("authorResponse"),
        from: "server" as const,
        kind: "author-response",
      },
      { p: c("acctRequest"), from: "client" as const, kind: "acct-request" },
      { p: c("acctReply"), from: "server" as const, kind: "acct-reply" },
    ];
    for (const { p, from, kind } of checks) {
      const r =
        from === "client"
          ? decodePacket(p.header, p.body, KEY, "client")
          : decodePacket(p.header, p.body, KEY, "server");
      if (!r.ok) throw new Error(`${kind}: ${r.code}`);
      expect(r.value.kind as string).toBe(kind);
      expect(r.value.unencrypted).toBe(false);
      const again = encodePacket(p.header, encodeBody(r.value), KEY);
      expect(hex(again)).toBe(hex(p.wire));
    }
  });

  test("the decoded values are the ones tacc sent", () => {
    const s = split(CAPTURE.authenStart);
    const start = decodePacket(s.header, s.body, KEY, "client");
    expect(start).toMatchObject({
      ok: true,
      value: {
        kind: "authen-start",
        body: { user: "bob", port: "tapioca/0", remAddr: "localhost" },
      },
    });
    const a = split(CAPTURE.acctRequest);
    const acct = decodePacket(a.header, a.body, KEY, "client");
    if (!acct.ok || acct.value.kind !== "acct-request") throw new Error("acct");
    expect(acct.value.body.flags).toBe(AcctFlag.START);
    expect(acct.value.body.user).toBe("bob");
    expect(acct.value.body.args).toContain("task_id=17558");
    expect(acct.value.body.args).toContain("service=ppp");
    expect(acct.value.body.args).toContain("protocol=ip");
    const ar = split(CAPTURE.authorResponse);
    expect(decodePacket(ar.header, ar.body, KEY, "server")).toMatchObject({
      ok: true,
      value: {
        body: { status: AuthorStatus.PASS_ADD, args: ["addr=1.2.3.4"] },
      },
    });
    const rp = split(CAPTURE.authenReply);
    expect(decodePacket(rp.header, rp.body, KEY, "server")).toMatchObject({
      ok: true,
      value: { body: { status: AuthenStatus.PASS } },
    });
  });

  test("the whole capture as one TCP stream frames into the same six packets", () => {
    const f = new Framer({ maxBodyLength: 65536 });
    f.push(concat(Object.values(CAPTURE).map(fromHex)));
    const kinds: number[] = [];
    for (let r = f.next(); r.ok && r.value !== null; r = f.next()) kinds.push(r.value.header.type);
    expect(kinds).toEqual([1, 1, 2, 2, 3, 3]);
  });

  test("a wrong key shows as length-mismatch (§4.5), on every packet of the capture", () => {
    for (const [k, w] of Object.entries(CAPTURE)) {
      const p = split(w);
      const from = k.endsWith("Request") || k === "authenStart" ? "client" : "server";
      const r =
        from === "client"
          ? decodePacket(p.header, p.body, utf8("testing124"), "client")
          : decodePacket(p.header, p.body, utf8("testing124"), "server");
      expect(r.ok ? `${k} accepted` : r.code).toMatch(/^tacacs\/(length-mismatch|short-body)$/);
    }
  });
});

describe("packet rules", () => {
  const body = encodeBody({
    kind: "acct-reply",
    body: { status: 1, serverMsg: "ok", data: new Uint8Array(0) },
  });
  const fields = {
    type: PacketType.ACCT,
    seqNo: 2,
    sessionId: 99,
    flags: HeaderFlag.SINGLE_CONNECT,
  };

  test("no key: UNENCRYPTED is set and the body is plain; a key clears the flag and obfuscates", () => {
    const plain = encodePacket({ ...fields, flags: fields.flags }, body, null);
    expect(plain[3]).toBe(HeaderFlag.SINGLE_CONNECT | HeaderFlag.UNENCRYPTED);
    expect(hex(plain.subarray(12))).toBe(hex(body));
    const keyed = encodePacket(
      { ...fields, flags: HeaderFlag.UNENCRYPTED | HeaderFlag.SINGLE_CONNECT },
      body,
      utf8("k"),
    );
    expect(keyed[3]).toBe(HeaderFlag.SINGLE_CONNECT);
    expect(hex(keyed.subarray(12))).not.toBe(hex(body));
    expect(hex(encodePacket(fields, body, new Uint8Array(0)))).toBe(hex(plain));
  });

  test("an UNENCRYPTED packet decodes as plain text and says so, even when a key is given", () => {
    const p = split(hex(encodePacket(fields, body, null)));
    expect(decodePacket(p.header, p.body, utf8("k"), "server")).toMatchObject({
      ok: true,
      value: { unencrypted: true, body: { serverMsg: "ok" } },
    });
    expect(decodePacket(p.header, p.body, null, "server")).toMatchObject({
      ok: true,
      value: { unencrypted: true },
    });
  });

  test("an obfuscated packet without a key is refused", () => {
    const p = split(hex(encodePacket(fields, body, utf8("k"))));
    expect(decodePacket(p.header, p.body, null, "server")).toMatchObject({
      ok: false,
      code: "tacacs/no-key",
    });
  });

  test("header checks: type, minor version, seq_no parity, length", () => {
    const p = split(hex(encodePacket(fields, body, utf8("k"))));
    const k = utf8("k");
    expect(decodePacket({ ...p.header, type: 4 }, p.body, k, "server")).toMatchObject({
      ok: false,
      code: "tacacs/bad-type",
    });
    expect(decodePacket({ ...p.header, minorVersion: 2 }, p.body, k, "server")).toMatchObject({
      ok: false,
      code: "tacacs/bad-minor-version",
    });
    expect(decodePacket(p.header, p.body, k, "client")).toMatchObject({
      ok: false,
      code: "tacacs/bad-seq-no",
    });
    expect(decodePacket({ ...p.header, seqNo: 0 }, p.body, k, "server")).toMatchObject({
      ok: false,
      code: "tacacs/bad-seq-no",
    });
    expect(decodePacket(p.header, p.body.subarray(1), k, "server")).toMatchObject({
      ok: false,
      code: "tacacs/bad-length",
    });
    expect(decodePacket(p.header, p.body, k, "server")).toMatchObject({
      ok: true,
    });
  });

  test("from the client, authentication seq_no 1 is START and seq_no 3 is CONTINUE", () => {
    const cont = encodeBody({
      kind: "authen-continue",
      body: { userMsg: utf8("pw"), data: new Uint8Array(0), flags: 0 },
    });
    const p = split(
      hex(encodePacket({ type: PacketType.AUTHEN, seqNo: 3, sessionId: 5 }, cont, utf8("k"))),
    );
    const r = decodePacket(p.header, p.body, utf8("k"), "client");
    expect(r.ok && r.value.kind).toBe("authen-continue");
  });
});
