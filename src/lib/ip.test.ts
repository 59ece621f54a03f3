import { describe, expect, test } from "bun:test";
import ipaddr from "ipaddr.js";
import {
  cidrContains,
  fastParseIp,
  parseCidr,
  parseHostPort,
  parseIp,
  parseV4Number,
} from "./ip.ts";

describe("fastParseIp agrees with ipaddr.js", () => {
  const good = [
    "0.0.0.0",
    "10.1.2.3",
    "255.255.255.255",
    "::",
    "::1",
    "1::",
    "2001:db8::1",
    "2001:DB8:0:0:1:0:0:1",
    "fe80::1:2:3:4",
    "1:2:3:4:5:6:7:8",
    "::ffff:10.1.2.3",
    "::FFFF:192.0.2.1",
    "64:ff9b::192.0.2.33",
    "1:2:3:4:5:6:1.2.3.4",
  ];
  for (const s of good)
    test(`accepts ${s}`, () => {
      const r = fastParseIp(s);
      const ref = ipaddr.process(s);
      expect(r).not.toBeNull();
      expect(Array.from(r!.bytes)).toEqual(ref.toByteArray());
      expect(r!.text).toBe(ref.toString());
      expect(r!.family).toBe(ref.kind() === "ipv4" ? 4 : 6);
      const n = parseV4Number(s);
      if (r!.family === 4)
        expect(n).toBe(
          ((r!.bytes[0]! << 24) | (r!.bytes[1]! << 16) | (r!.bytes[2]! << 8) | r!.bytes[3]!) >>> 0,
        );
      else expect(n).toBe(-1);
    });
  test("the deprecated IPv4-compatible form stays IPv6 (RFC 4291 §2.5.5.1)", () => {
    expect(fastParseIp("::1.2.3.4")).toMatchObject({ family: 6, text: "::102:304" });
  });
  const bad = [
    "",
    "1.2.3",
    "1.2.3.4.5",
    "256.1.1.1",
    "01.2.3.4",
    "1.2.3.4 ",
    "1..2.3",
    ":::",
    "1:2:3:4:5:6:7:8:9",
    "1::2::3",
    "12345::",
    "1:2:3:4:5:6:7",
    ":1::",
    "1::2:",
    "g::1",
    "::ffff:1.2.3",
    "fe80::1%eth0",
    "1.2.3.4:",
    "10.1",
  ];
  for (const s of bad)
    test(`refuses ${JSON.stringify(s)}`, () => {
      expect(fastParseIp(s)).toBeNull();
      expect(parseV4Number(s)).toBe(-1);
    });

  test("seeded random IPv6 round-trips through ipaddr.js text", () => {
    let seed = 7;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16;
    for (let i = 0; i < 2000; i++) {
      const bytes = Array.from({ length: 16 }, () => (rnd() % 4 === 0 ? 0 : rnd() & 0xff));
      const text = ipaddr.fromByteArray(bytes).toString();
      const r = fastParseIp(text);
      expect(r).not.toBeNull();
      expect(Array.from(r!.bytes)).toEqual(ipaddr.process(text).toByteArray());
    }
  });
});

describe("CIDR", () => {
  test("host bits are cleared and the text is canonical", () => {
    expect(parseCidr("10.1.2.3/8")).toMatchObject({
      ok: true,
      value: { text: "10.0.0.0/8", prefix: 8 },
    });
    expect(parseCidr("2001:db8::1/32")).toMatchObject({
      ok: true,
      value: { text: "2001:db8::/32" },
    });
    expect(parseCidr("10.1.2.3")).toMatchObject({ ok: true, value: { text: "10.1.2.3/32" } });
    expect(parseCidr("::ffff:10.0.0.0/104")).toMatchObject({
      ok: true,
      value: { family: 4, text: "10.0.0.0/8" },
    });
  });
  test("bad CIDRs are refused", () => {
    for (const s of [
      "10.0.0.0/33",
      "10.0.0.0/-1",
      "10.0.0.0/",
      "2001:db8::/129",
      "x/8",
      "10.0.0.0/8/8",
      "10.0.0.0/08x",
    ])
      expect(parseCidr(s).ok).toBe(false);
  });
  test("containment at odd prefix lengths", () => {
    const c = parseCidr("10.0.0.0/9");
    if (!c.ok) throw new Error("parse");
    expect(
      cidrContains(
        c.value,
        parseIp("10.127.255.255").ok ? (parseIp("10.127.255.255") as any).value : null,
      ),
    ).toBe(true);
    expect(cidrContains(c.value, (parseIp("10.128.0.0") as any).value)).toBe(false);
    expect(cidrContains(c.value, (parseIp("::1") as any).value)).toBe(false);
  });
});

describe("listen addresses", () => {
  test("IPv4 and bracketed IPv6", () => {
    expect(parseHostPort("127.0.0.1:49")).toEqual({
      ok: true,
      value: { host: "127.0.0.1", family: 4, port: 49 },
    });
    expect(parseHostPort("[::1]:1812")).toEqual({
      ok: true,
      value: { host: "::1", family: 6, port: 1812 },
    });
  });
  test("refusals", () => {
    for (const s of [
      "127.0.0.1",
      "::1:49",
      "[::1]49",
      "host:49",
      "1.2.3.4:65536",
      "1.2.3.4:-1",
      "[::1]:",
    ])
      expect(parseHostPort(s).ok).toBe(false);
  });
});
