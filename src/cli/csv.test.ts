import { describe, expect, test } from "bun:test";
import { cell, parseCsv, parseCsvTable } from "./csv.ts";

describe("parseCsv (RFC 4180)", () => {
  test("quotes, doubled quotes, commas and newlines inside quotes, CRLF, BOM, blank lines; records keep their first line", () => {
    const r = parseCsv('\uFEFFa,b\r\n"x, y","say ""hi"""\r\n\r\n"multi\nline",z\nlast,\n');
    expect(r).toEqual({
      ok: true,
      value: [
        { line: 1, fields: ["a", "b"] },
        { line: 2, fields: ["x, y", 'say "hi"'] },
        { line: 4, fields: ["multi\nline", "z"] },
        { line: 6, fields: ["last", ""] },
      ],
    });
  });
  test("errors carry the line", () => {
    expect(parseCsv('a\n"open,b\nc\n')).toEqual({
      ok: false,
      line: 2,
      message: "unterminated quoted field",
    });
    expect(parseCsv('a\nb"c\n')).toMatchObject({ ok: false, line: 2 });
    expect(parseCsv('a\n"b"c\n')).toMatchObject({ ok: false, line: 2 });
    expect(parseCsv(`${",".repeat(64)}\n`)).toMatchObject({
      ok: false,
      line: 1,
    });
  });
  test("seeded fuzz: never throws; re-quoting the fields parses back to the same records", () => {
    let seed = 42;
    const rnd = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const alphabet = ['"', ",", "\n", "\r", "a", "b", " ", "é"];
    for (let n = 0; n < 3000; n++) {
      let s = "";
      for (let i = Math.floor(rnd() * 40); i > 0; i--)
        s += alphabet[Math.floor(rnd() * alphabet.length)];
      const r = parseCsv(s);
      if (!r.ok) continue;
      const again = r.value
        .map((rec) => rec.fields.map((f) => `"${f.replace(/"/g, '""')}"`).join(","))
        .join("\n");
      const back = parseCsv(again);
      expect(back.ok).toBe(true);
      if (back.ok) expect(back.value.map((x) => x.fields)).toEqual(r.value.map((x) => x.fields));
    }
  });
});

describe("parseCsvTable", () => {
  test("columns by name in any order, case-insensitive; optional columns may be absent", () => {
    const t = parseCsvTable(
      "Group,NAME,network\ncore,r1,10.0.0.1\n",
      ["name", "network", "group"],
      ["enabled"],
    );
    expect(t.ok).toBe(true);
    if (!t.ok) return;
    const row = t.value.rows[0]!;
    expect([
      cell(t.value, row, "name"),
      cell(t.value, row, "group"),
      cell(t.value, row, "enabled"),
    ]).toEqual(["r1", "core", ""]);
  });
  test("unknown, duplicate or missing columns and short rows are refused with their line", () => {
    expect(parseCsvTable("", ["name"], [])).toMatchObject({
      ok: false,
      line: 1,
    });
    expect(parseCsvTable("name,name\n", ["name"], [])).toMatchObject({
      ok: false,
      line: 1,
      message: 'column "name" appears twice',
    });
    expect(parseCsvTable("name\n", ["name", "network"], [])).toMatchObject({
      ok: false,
      line: 1,
      message: "missing column network",
    });
    expect(parseCsvTable("name,network\na,b\nc\n", ["name", "network"], [])).toMatchObject({
      ok: false,
      line: 3,
    });
  });
});
