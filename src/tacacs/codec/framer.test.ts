import { describe, expect, test } from "bun:test";
import { concat, hex, utf8 } from "../../lib/bytes.ts";
import { encodeAuthenStart } from "./authentication.ts";
import { DEFAULT_MAX_BODY_LENGTH, Framer, type Frame } from "./framer.ts";
import { PacketType } from "./header.ts";
import { encodePacket } from "./packet.ts";

const key = utf8("s3cret");
const start = (user: string, seqNo = 1, sessionId = 7) =>
  encodePacket(
    { type: PacketType.AUTHEN, seqNo, sessionId, minorVersion: 1 },
    encodeAuthenStart({
      action: 1,
      privLvl: 1,
      authenType: 2,
      authenService: 1,
      user,
      port: "tty1",
      remAddr: "10.0.0.1",
      data: utf8("pw"),
    }),
    key,
  );

function drain(f: Framer): Frame[] {
  const out: Frame[] = [];
  for (let i = 0; i < 10_000; i++) {
    const r = f.next();
    if (!r.ok) throw new Error(r.code);
    if (r.value === null) return out;
    out.push(r.value);
  }
  throw new Error("framer did not stop");
}

describe("Framer", () => {
  const fixtures = [
    start("alice"),
    start("b".repeat(200), 1, 0xffffffff),
    encodePacket({ type: 3, seqNo: 2, sessionId: 1 }, new Uint8Array(0), key),
  ];

  test("every fixture split at every offset yields exactly that packet", () => {
    for (const pkt of fixtures) {
      for (let cut = 0; cut <= pkt.length; cut++) {
        const f = new Framer({ maxBodyLength: DEFAULT_MAX_BODY_LENGTH });
        f.push(pkt.subarray(0, cut));
        const first = drain(f);
        f.push(pkt.subarray(cut));
        const frames = [...first, ...drain(f)];
        expect(frames.length).toBe(1);
        expect(hex(frames[0]!.raw)).toBe(hex(pkt));
        expect(hex(frames[0]!.body)).toBe(hex(pkt.subarray(12)));
        expect(frames[0]!.header.length).toBe(pkt.length - 12);
        expect(f.buffered).toBe(0);
      }
    }
  });

  test("many packets in one chunk, and the same stream one byte at a time", () => {
    const packets = Array.from({ length: 50 }, (_, i) => start(`user${i}`, 1, i));
    const stream = concat(packets);
    const a = new Framer({ maxBodyLength: 1024 });
    a.push(stream);
    expect(drain(a).map((fr) => hex(fr.raw))).toEqual(packets.map(hex));
    const b = new Framer({ maxBodyLength: 1024 });
    const got: Frame[] = [];
    for (let i = 0; i < stream.length; i++) {
      b.push(stream.subarray(i, i + 1));
      got.push(...drain(b));
    }
    expect(got.map((fr) => fr.header.sessionId)).toEqual(packets.map((_, i) => i));
  });

  test("frames stay intact after the buffer is reused for later packets", () => {
    const f = new Framer({ maxBodyLength: 1024 });
    f.push(fixtures[0]!);
    const [first] = drain(f);
    for (let i = 0; i < 200; i++) f.push(start("overwrite" + i));
    drain(f);
    expect(hex(first!.raw)).toBe(hex(fixtures[0]!));
  });

  test("body-too-long is reported from the header, before the body arrives, and is final", () => {
    const pkt = start("x".repeat(100));
    const f = new Framer({ maxBodyLength: 99 });
    f.push(pkt.subarray(0, 12));
    expect(f.next()).toMatchObject({ ok: false, code: "tacacs/body-too-long" });
    f.push(pkt.subarray(12));
    expect(f.next()).toMatchObject({ ok: false, code: "tacacs/body-too-long" });
    expect(f.buffered).toBe(0);
    const g = new Framer({ maxBodyLength: pkt.length - 12 });
    g.push(pkt);
    expect(drain(g).length).toBe(1);
  });

  test("a bad major version is reported from the first byte (e.g. an HTTP client)", () => {
    const f = new Framer({ maxBodyLength: 1024 });
    f.push(utf8("G"));
    expect(f.next()).toMatchObject({
      ok: false,
      code: "tacacs/bad-major-version",
    });
    const g = new Framer({ maxBodyLength: 1024 });
    g.push(concat([start("ok"), utf8("GET / HTTP/1.0\r\n")]));
    expect(g.next().ok).toBe(true);
    expect(g.next()).toMatchObject({
      ok: false,
      code: "tacacs/bad-major-version",
    });
  });

  test("partial header is just 'need more'", () => {
    const f = new Framer({ maxBodyLength: 1024 });
    expect(f.next()).toEqual({ ok: true, value: null });
    f.push(Uint8Array.of(0xc0, 0x01));
    expect(f.next()).toEqual({ ok: true, value: null });
    expect(f.buffered).toBe(2);
  });

  test("rejects a nonsense limit", () => {
    expect(() => new Framer({ maxBodyLength: -1 })).toThrow(RangeError);
  });
});
