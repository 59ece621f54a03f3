import { describe, expect, test } from "bun:test";
import { parseClientsConf } from "./freeradius-clients.ts";

describe("parseClientsConf", () => {
  test("clients with comments, both quote styles, escapes, nested sections skipped, clients{} wrapper", () => {
    const r = parseClientsConf(`# header
client a {  # trailing comment
  ipaddr = 10.0.0.1
  secret = "x \\"y\\" # z"
  limit { max_connections = 16  nested { deeper = 1 } }
}
clients tenant {
  client "b c" {
    ipv6addr = ::1
    secret = 'lit\\eral'
  }
}
`);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(
      r.clients.map((c) => [
        c.name,
        c.line,
        Object.fromEntries([...c.attrs].map(([k, v]) => [k, `${v.value}@${v.line}`])),
      ]),
    ).toEqual([
      ["a", 2, { ipaddr: "10.0.0.1@3", secret: 'x "y" # z@4' }],
      ["b c", 8, { ipv6addr: "::1@9", secret: "lit\\eral@10" }],
    ]);
  });
  test("an empty file or one with only comments has no clients", () => {
    expect(parseClientsConf("")).toEqual({ ok: true, clients: [] });
    expect(parseClientsConf("# nothing\n\n")).toEqual({
      ok: true,
      clients: [],
    });
  });
  test("seeded fuzz: never throws, errors name a line inside the text", () => {
    let seed = 7;
    const rnd = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const parts = [
      "client",
      "clients",
      " ",
      "\n",
      "{",
      "}",
      "=",
      "a",
      "10.0.0.1",
      '"',
      "'",
      "\\",
      "#",
      "secret",
      "$INCLUDE",
      "`",
    ];
    for (let n = 0; n < 3000; n++) {
      let s = "";
      for (let i = Math.floor(rnd() * 30); i > 0; i--) s += parts[Math.floor(rnd() * parts.length)];
      const r = parseClientsConf(s);
      if (!r.ok) {
        expect(r.line).toBeGreaterThanOrEqual(1);
        expect(r.line).toBeLessThanOrEqual(s.split("\n").length);
      }
    }
  });
});
