// Seeded fuzzing of every TACACS+ decoder (DESIGN.md rule 9): random bytes and mutations of valid
// bodies must never throw; whatever a decoder accepts must re-encode to the same bytes (or, when a
// text field was not valid UTF-8 and is flagged lossyText, re-decode to the same values).
import { describe, expect, test } from "bun:test";
import { hex, utf8 } from "../../lib/bytes.ts";
import type { Result } from "../../lib/result.ts";
import * as acct from "./accounting.ts";
import * as authen from "./authentication.ts";
import * as author from "./authorization.ts";
import { parseArg, formatArg } from "./av.ts";
import { Framer } from "./framer.ts";
import { decodeHeader, encodeHeader } from "./header.ts";
import { decodePacket, encodeBody, encodePacket } from "./packet.ts";
import { mulberry32 } from "../../../test/support/prng.ts";

const rng = mulberry32(0x7ac5);
const int = (n: number) => Math.floor(rng() * n);
const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
const text = (max: number) => {
  const alphabet = ["a", "Z", "0", "=", "*", " ", "/", "é", "€", "\u0000"];
  let s = "";
  const n = int(max);
  for (let i = 0; i < n; i++) s += alphabet[int(alphabet.length)];
  return utf8(s).length <= max ? s : "";
};
const args = () =>
  Array.from({ length: int(6) }, () => `${text(8) || "x"}=${text(20)}`.replace(/^[=*]/, "a"));

type Codec = {
  name: string;
  decode: (b: Uint8Array) => Result<any>;
  encode: (v: any) => Uint8Array;
  sample: () => Uint8Array;
};
const req = () => ({
  authenMethod: int(256),
  privLvl: int(16),
  authenType: int(7),
  authenService: int(10),
  user: text(40),
  port: text(20),
  remAddr: text(20),
  args: args(),
});
const codecs: Codec[] = [
  {
    name: "authen START",
    decode: authen.decodeAuthenStart,
    encode: authen.encodeAuthenStart,
    sample: () =>
      authen.encodeAuthenStart({
        action: int(5),
        privLvl: int(16),
        authenType: int(7),
        authenService: int(10),
        user: text(30),
        port: text(20),
        remAddr: text(20),
        data: bytes(int(40)),
      }),
  },
  {
    name: "authen REPLY",
    decode: authen.decodeAuthenReply,
    encode: authen.encodeAuthenReply,
    sample: () =>
      authen.encodeAuthenReply({
        status: int(8),
        flags: int(2),
        serverMsg: text(60),
        data: bytes(int(20)),
      }),
  },
  {
    name: "authen CONTINUE",
    decode: authen.decodeAuthenContinue,
    encode: authen.encodeAuthenContinue,
    sample: () =>
      authen.encodeAuthenContinue({
        userMsg: bytes(int(30)),
        data: bytes(int(10)),
        flags: int(2),
      }),
  },
  {
    name: "author REQUEST",
    decode: author.decodeAuthorRequest,
    encode: author.encodeAuthorRequest,
    sample: () => author.encodeAuthorRequest(req()),
  },
  {
    name: "author RESPONSE",
    decode: author.decodeAuthorResponse,
    encode: author.encodeAuthorResponse,
    sample: () =>
      author.encodeAuthorResponse({
        status: int(0x22),
        args: args(),
        serverMsg: text(40),
        data: bytes(int(10)),
      }),
  },
  {
    name: "acct REQUEST",
    decode: acct.decodeAcctRequest,
    encode: acct.encodeAcctRequest,
    sample: () => acct.encodeAcctRequest({ flags: int(16), ...req() }),
  },
  {
    name: "acct REPLY",
    decode: acct.decodeAcctReply,
    encode: acct.encodeAcctReply,
    sample: () =>
      acct.encodeAcctReply({
        status: int(3),
        serverMsg: text(40),
        data: bytes(int(10)),
      }),
  },
];

function mutate(b: Uint8Array): Uint8Array {
  const out = b.slice();
  switch (int(4)) {
    case 0: // flip a few bytes (often a length field: the body is short)
      for (let i = int(3) + 1; i > 0 && out.length > 0; i--) out[int(out.length)] = int(256);
      return out;
    case 1:
      return out.subarray(0, int(out.length + 1));
    case 2: {
      const longer = new Uint8Array(out.length + 1 + int(8));
      longer.set(out);
      return longer;
    }
    default: // invalid UTF-8 inside text without touching lengths
      if (out.length > 10) out[out.length - 1 - int(4)] = 0xff;
      return out;
  }
}

const strip = (v: any) => {
  const { lossyText: _, ...rest } = v;
  return rest;
};

describe("fuzz: body decoders", () => {
  for (const c of codecs) {
    test(`${c.name}: never throws; accepted input re-encodes`, () => {
      let accepted = 0;
      for (let i = 0; i < 3000; i++) {
        const input = i % 3 === 0 ? bytes(int(300)) : i % 3 === 1 ? c.sample() : mutate(c.sample());
        let r: Result<any>;
        try {
          r = c.decode(input);
        } catch (e) {
          throw new Error(`${c.name} threw on ${hex(input)}: ${e}`);
        }
        if (!r.ok) {
          expect(r.code).toMatch(/^tacacs\/(short-body|length-mismatch)$/);
          continue;
        }
        accepted++;
        const again = c.encode(r.value);
        if (r.value.lossyText) {
          const back = c.decode(again);
          expect(back.ok && strip(back.value)).toEqual(strip(r.value));
        } else {
          expect(hex(again)).toBe(hex(input));
        }
      }
      expect(accepted).toBeGreaterThan(1000); // the samples and some mutations must get through
    });
  }
});

describe("fuzz: header, packet, framer, args", () => {
  test("decodeHeader / decodePacket never throw; accepted packets re-encode to the same wire bytes", () => {
    const key = utf8("fuzzkey");
    let accepted = 0;
    for (let i = 0; i < 3000; i++) {
      const c = codecs[int(codecs.length)]!;
      const type = c.name.startsWith("authen") ? 1 : c.name.startsWith("author") ? 2 : 3;
      const fromClient = /START|CONTINUE|REQUEST/.test(c.name);
      const seqNo = fromClient ? (c.name.includes("CONTINUE") ? 3 : 1) : 2;
      const wire = encodePacket(
        {
          type,
          seqNo,
          sessionId: int(2 ** 32),
          minorVersion: int(2),
          flags: int(2) * 4,
        },
        c.sample(),
        int(4) === 0 ? null : key,
      );
      const input = int(2) === 0 ? wire : mutate(wire);
      const h = decodeHeader(input);
      if (!h.ok) continue;
      expect(hex(encodeHeader(h.value))).toBe(hex(input.subarray(0, 12)));
      const body = input.subarray(12);
      const r = fromClient
        ? decodePacket(h.value, body, key, "client")
        : decodePacket(h.value, body, key, "server");
      if (!r.ok || (r.value.body as { lossyText?: boolean }).lossyText) continue;
      accepted++;
      expect(
        hex(encodePacket(h.value, encodeBody(r.value), r.value.unencrypted ? null : key)),
      ).toBe(hex(input));
    }
    expect(accepted).toBeGreaterThan(1000);
  });

  test("Framer never throws on random streams and never returns more bytes than it was given", () => {
    for (let i = 0; i < 500; i++) {
      const f = new Framer({ maxBodyLength: int(400) });
      let given = 0,
        taken = 0;
      for (let j = 0; j < 20; j++) {
        const chunk =
          int(3) === 0
            ? bytes(int(50))
            : encodePacket({ type: 1, seqNo: 1, sessionId: 1 }, bytes(int(300)), null);
        f.push(chunk);
        given += chunk.length;
        for (let k = 0; k < 100; k++) {
          const r = f.next();
          if (!r.ok || r.value === null) break;
          taken += r.value.raw.length;
          expect(r.value.body.length).toBe(r.value.header.length);
        }
      }
      expect(taken).toBeLessThanOrEqual(given);
    }
  });

  test("parseArg accepts exactly the strings with a non-empty name before the separator and round-trips them", () => {
    for (let i = 0; i < 3000; i++) {
      const s = text(30);
      const r = parseArg(s);
      const sep = s.search(/[=*]/);
      expect(r.ok).toBe(sep > 0);
      if (r.ok) expect(formatArg(r.value)).toBe(s);
    }
  });
});
