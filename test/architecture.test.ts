// The layering of ../shared/DESIGN.md, enforced on every file under src/ (.ts and .tsx, tests
// beside their file excluded): imports point inward only, adapters never import each other (they
// meet in the root), nothing imports the root, no import cycle, and the Bun runtime API only where
// the outside world is (transport, store). Type-only imports count like any other: a type edge
// is still a dependency a second implementation would have to carry.
//
// STILL_TO_REMOVE lists edges that exist in files other branches are reshaping right now; each
// entry names its owner. The lead deletes entries as those branches land; a stale entry (an edge
// that no longer exists) fails the test, so the list can only shrink.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { runtimeSpecifiers, scanSpecifiers } from "./support/import-scan.ts";

const ROOT = join(import.meta.dir, "..");
const SRC = join(ROOT, "src");

type Layer = "lib" | "codec" | "engine" | "policy" | "service" | "adapter" | "root";

function layerOf(rel: string): Layer {
  if (rel === "main.ts" || rel.startsWith("root/")) return "root";
  if (rel.startsWith("lib/")) return "lib";
  if (rel.startsWith("proxy-protocol/") || rel.includes("/codec/")) return "codec";
  if (rel.startsWith("policy/")) return "policy";
  if (rel.startsWith("tacacs/") || rel.startsWith("radius/")) return "engine";
  if (rel.startsWith("admin/")) return "service";
  if (/^(store|transport|http|config|cli)\//.test(rel)) return "adapter";
  throw new Error(`${rel}: no layer (add its folder to layerOf)`);
}
/** An adapter's own folder: imports inside it are fine, across adapters they are not. */
const adapterOf = (rel: string) => rel.split("/")[0]!;

/** What each layer may import besides itself. */
const ALLOWED: Record<Layer, { layers: Layer[]; packages: RegExp }> = {
  lib: { layers: [], packages: /^(node:(crypto|fs|os|path|util)|ipaddr\.js)$/ },
  codec: { layers: ["lib"], packages: /^node:crypto$/ },
  policy: { layers: ["lib", "codec"], packages: /^node:crypto$/ },
  engine: { layers: ["lib", "codec", "policy"], packages: /^node:crypto$/ },
  service: { layers: ["lib", "codec", "policy"], packages: /^node:crypto$/ },
  adapter: {
    layers: ["lib", "codec", "policy", "engine", "service"],
    packages:
      /^(node:.*|bun:sqlite|bun:ffi|bun|hono(\/.*)?|drizzle-orm(\/.*)?|valibot|ipaddr\.js)$/,
  },
  root: { layers: ["lib", "codec", "policy", "engine", "service", "adapter"], packages: /.*/ },
};

/** Edges in files owned by other branches this round ("from -> to", paths under src/). */
const STILL_TO_REMOVE: Record<string, string> = {};

/** Import cycles that exist in other branches' files (each as found, starting at its first file). */
const CYCLES_TO_REMOVE: Record<string, string> = {};

/**
 * process.env outside src/root/options.ts (readEnvironment), in others' files: each a fallback
 * the root never reaches (it always passes the environment), to become a required argument.
 */
const ENV_READS_TO_REMOVE: Record<string, string> = {};

/** Files outside transport/ and store/ that use the Bun runtime API, and why. */
const BUN_API_EXCEPTIONS: Record<string, string> = {
  "main.ts": "Bun.stdin for admin commands that read a file from standard input",
  "config/load.ts": "Bun.TOML.parse: the TOML parser is the runtime's",
  "tacacs/codec/obfuscation.ts": "Bun.MD5: the RFC 8907 pad is MD5, the runtime's is the fastest",
  "policy/credential-cache.ts": "Bun.CryptoHasher for the keyed cache hash (faults)",
};

function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

const JSX_RUNTIME = /^react(\/jsx-(dev-)?runtime)?$/;
const files = sources(SRC);
const rel = (abs: string) => relative(SRC, abs);
/** Every edge inside src/, type-only ones included: from → to (paths under src/). */
const edges = new Map<string, Set<string>>();
const problems = new Map<string, string[]>();
const usedExceptions = new Set<string>();

for (const file of files) {
  const from = rel(file);
  const layer = layerOf(from);
  const text = readFileSync(file, "utf8");
  const bad: string[] = [];
  const out = new Set<string>();
  edges.set(from, out);
  for (const { path } of scanSpecifiers(text)) {
    if (!path.startsWith(".")) {
      if (!ALLOWED[layer].packages.test(path)) bad.push(`${path} (package)`);
      continue;
    }
    const target = resolve(dirname(file), path);
    if (!target.startsWith(SRC + "/")) {
      if (!(layer === "root" && target.endsWith("package.json")))
        bad.push(`${path} (outside src/)`);
      continue;
    }
    const to = rel(target);
    out.add(to);
    const toLayer = layerOf(to);
    const edge = `${from} -> ${to}`;
    if (edge in STILL_TO_REMOVE) {
      usedExceptions.add(edge);
      continue;
    }
    if (to === "main.ts" || (toLayer === "root" && layer !== "root"))
      bad.push(`${to} (nothing imports the root)`);
    else if (toLayer === layer) {
      if (layer === "adapter" && adapterOf(from) !== adapterOf(to))
        bad.push(`${to} (adapter -> adapter: they meet only in src/root/)`);
    } else if (!ALLOWED[layer].layers.includes(toLayer)) bad.push(`${to} (${layer} -> ${toLayer})`);
  }
  problems.set(from, bad);
}

describe("import scan", () => {
  test("finds type-only, re-exported, dynamic and multi-line imports", () => {
    const found = scanSpecifiers(`
      import type { A } from "./a.ts";
      import { type B, type C } from "./b.ts";
      import D, { type E } from "./d.ts";
      import {
        F,
        G,
      } from "./f.ts";
      export type { H } from "./h.ts";
      export * from "./star.ts";
      import "./side-effect.ts";
      const later = await import("./dynamic.ts");
      // import { I } from "./commented-out.ts";
      const s = "http://example"; /* import { J } from "./block.ts"; */
    `);
    expect(found).toEqual([
      { path: "./a.ts", typeOnly: true },
      { path: "./b.ts", typeOnly: true },
      { path: "./d.ts", typeOnly: false },
      { path: "./f.ts", typeOnly: false },
      { path: "./h.ts", typeOnly: true },
      { path: "./star.ts", typeOnly: false },
      { path: "./side-effect.ts", typeOnly: false },
      { path: "./dynamic.ts", typeOnly: false },
    ]);
  });
  test("sees every runtime import Bun's transpiler sees, as a runtime import", () => {
    const missed: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      const scanned = new Map(scanSpecifiers(text).map((s) => [s.path, s.typeOnly]));
      for (const p of runtimeSpecifiers(text, file.endsWith(".tsx") ? "tsx" : "ts"))
        // The JSX runtime is imported implicitly by the transpiler, never named in the text.
        if (scanned.get(p) !== false && !JSX_RUNTIME.test(p)) missed.push(`${rel(file)}: ${p}`);
    }
    expect(missed).toEqual([]);
  });
});

describe("layering", () => {
  test("there are source files in every layer, .tsx included", () => {
    const seen = new Set(files.map((f) => layerOf(rel(f))));
    for (const l of ["lib", "codec", "engine", "policy", "adapter", "root"] as const)
      expect(seen.has(l)).toBe(true);
    expect(files.some((f) => f.endsWith(".tsx"))).toBe(true);
  });
  for (const file of files) {
    const from = rel(file);
    test(`${from} (${layerOf(from)}) imports only inward`, () => {
      expect(problems.get(from)).toEqual([]);
    });
  }
  test("every still-to-remove exception is an edge that still exists", () => {
    expect(Object.keys(STILL_TO_REMOVE).filter((e) => !usedExceptions.has(e))).toEqual([]);
  });
});

describe("no import cycle in src/", () => {
  test("the import graph (type-only edges included) is acyclic", () => {
    const state = new Map<string, "open" | "done">();
    const cycles: string[] = [];
    const visit = (n: string, path: string[]) => {
      if (state.get(n) === "done") return;
      if (state.get(n) === "open") {
        cycles.push([...path.slice(path.indexOf(n)), n].join(" -> "));
        return;
      }
      state.set(n, "open");
      for (const m of edges.get(n) ?? []) visit(m, [...path, n]);
      state.set(n, "done");
    };
    for (const n of [...edges.keys()].sort()) visit(n, []);
    expect(cycles.filter((c) => !(c in CYCLES_TO_REMOVE))).toEqual([]);
    expect(Object.keys(CYCLES_TO_REMOVE).filter((c) => !cycles.includes(c))).toEqual([]);
  });
});

describe("the Bun runtime API", () => {
  // `Bun.x` as a value (Bun.listen, Bun.password, ...); a type position (`Bun.udp.Socket` after a
  // colon or in a type alias) is not a use of the runtime.
  const USE = /(?<![:<|]\s*)\bBun\.([A-Za-z]+)/g;
  const used = new Map<string, string[]>();
  for (const file of files) {
    const from = rel(file);
    const text = readFileSync(file, "utf8")
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/^\s*\/\/.*$/gm, "")
      .replace(/^\s*type\s+\w+\s*=.*$/gm, "");
    const apis = [...new Set([...text.matchAll(USE)].map((m) => m[1]!))];
    if (apis.length > 0) used.set(from, apis);
  }
  test("is used only in src/transport/ and src/store/, or by a named exception", () => {
    const outside = [...used.keys()].filter(
      (f) => !/^(transport|store)\//.test(f) && !(f in BUN_API_EXCEPTIONS),
    );
    expect(outside.map((f) => `${f}: Bun.${used.get(f)!.join(", Bun.")}`)).toEqual([]);
  });
  test("every exception still uses it", () => {
    expect(Object.keys(BUN_API_EXCEPTIONS).filter((f) => !used.has(f))).toEqual([]);
  });
});

describe("the process environment", () => {
  // Code, not comments: a comment may name process.env to say it is not read.
  const readers = files.map(rel).filter((f) =>
    /\bprocess\.env\b/.test(
      readFileSync(join(SRC, f), "utf8")
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/\/\/.*$/gm, ""),
    ),
  );
  test("is read in one place, src/root/options.ts", () => {
    expect(readers.filter((f) => f !== "root/options.ts" && !(f in ENV_READS_TO_REMOVE))).toEqual(
      [],
    );
  });
  test("every still-to-remove reader still reads it", () => {
    expect(Object.keys(ENV_READS_TO_REMOVE).filter((f) => !readers.includes(f))).toEqual([]);
  });
});

describe("the store's connection", () => {
  // Store.sqlite is the bun:sqlite handle: outside src/store nothing may reach past the
  // repositories to it (a PostgreSQL store has none). Code only, not comments or file names.
  const code = (f: string) =>
    readFileSync(join(SRC, f), "utf8")
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/\/\/.*$/gm, "");
  test("is read only inside src/store/", () => {
    const leaks = files
      .map(rel)
      .filter((f) => !f.startsWith("store/") && /\.sqlite\b(?!["'`])/.test(code(f)));
    expect(leaks).toEqual([]);
  });
});
