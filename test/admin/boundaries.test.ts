// The admin service's seams (issue 22): CLI and HTTP reach the store only through src/admin (no
// import of src/store at all, type-only included, .tsx included); src/admin is a service layer that
// imports only lib, codecs, policy and itself; SQLite (bun:sqlite, SQL text) stays inside src/store;
// the files of this area read no process.env; and src/store has no import cycle.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = join(import.meta.dir, "..", "..", "src");
const ts = new Bun.Transpiler({ loader: "ts" });
const tsx = new Bun.Transpiler({ loader: "tsx" });

function files(dir: string): string[] {
  return readdirSync(join(SRC, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name) && !e.name.endsWith(".test.ts"))
    .map((e) => join(e.parentPath, e.name));
}
const text = (f: string) => readFileSync(f, "utf8");
/** Every import, type-only ones too (scanImports drops those, so the text is read as well). */
function imports(f: string): string[] {
  const found = (f.endsWith(".tsx") ? tsx : ts).scanImports(text(f)).map((i) => i.path);
  for (const m of text(f).matchAll(/\bfrom\s+"([^"]+)"/g)) found.push(m[1]!);
  return [...new Set(found)];
}
/** The text without comments (which may name SQL, e.g. PRAGMA data_version). */
const code = (f: string) =>
  text(f)
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "");
const target = (f: string, p: string) => relative(SRC, resolve(dirname(f), p));

describe("admin seams", () => {
  test("src/cli and src/http import nothing from src/store (the lead's grep for `from \"../store/`)", () => {
    const bad = [...files("cli"), ...files("http")].flatMap((f) =>
      imports(f)
        .filter((p) => p.startsWith(".") && target(f, p).startsWith("store/"))
        .map((p) => `${relative(SRC, f)} → ${p}`),
    );
    expect(bad).toEqual([]);
    for (const f of [...files("cli"), ...files("http")])
      expect(text(f)).not.toContain('from "../store/');
  });

  test("src/admin imports only lib, codecs, policy and itself; no package but node:*", () => {
    const allowed = /^(lib|policy|proxy-protocol|admin)\/|^(tacacs|radius)\/codec\//;
    const bad = files("admin").flatMap((f) =>
      imports(f)
        .filter((p) => (p.startsWith(".") ? !allowed.test(target(f, p)) : !p.startsWith("node:")))
        .map((p) => `${relative(SRC, f)} → ${p}`),
    );
    expect(bad).toEqual([]);
  });

  test("no bun:sqlite and no SQL text outside src/store in admin, CLI and HTTP", () => {
    const SQL = /\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|PRAGMA)\b/;
    const bad = [...files("admin"), ...files("cli"), ...files("http")].filter(
      (f) => imports(f).includes("bun:sqlite") || SQL.test(code(f)),
    );
    expect(bad.map((f) => relative(SRC, f))).toEqual([]);
  });

  test("process.env is read by the composition root only, never in admin, CLI, HTTP or these store files", () => {
    const mine = [...files("admin"), ...files("cli"), ...files("http"), ...files("store")].filter(
      (f) => !/store\/(accounting|open|device-index)\.ts$/.test(f),
    );
    expect(mine.filter((f) => /process\.env/.test(text(f))).map((f) => relative(SRC, f))).toEqual(
      [],
    );
  });

  test("src/store has no import cycle (users ↔ policy-source was one)", () => {
    const graph = new Map<string, string[]>();
    for (const f of files("store"))
      graph.set(
        relative(SRC, f),
        imports(f)
          .filter((p) => p.startsWith("."))
          .map((p) => target(f, p))
          .filter((t) => t.startsWith("store/")),
      );
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (n: string, path: string[]) => {
      if (state.get(n) === "done") return;
      if (state.get(n) === "open") return void cycles.push([...path, n].join(" → "));
      state.set(n, "open");
      for (const m of graph.get(n) ?? []) visit(m, [...path, n]);
      state.set(n, "done");
    };
    for (const n of graph.keys()) visit(n, []);
    expect(cycles).toEqual([]);
  });
});
