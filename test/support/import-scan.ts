// Every module specifier a TypeScript source file names, type-only ones included. Bun's
// transpiler (scanImports) drops type-only imports, so the layering guard reads the text as well:
// `import type`, `import { type X }`, `export type { X } from`, `export * from`, side-effect
// imports, dynamic `import()` and `require()`. The two are cross-checked: a runtime import the
// transpiler sees and the text scan misses fails the scan itself (test/architecture.test.ts).

export interface Specifier {
  path: string;
  /** Only types cross this edge (erased at runtime). */
  typeOnly: boolean;
}

// One per loader: `<T>x` casts are valid .ts and invalid .tsx.
const transpilers = {
  ts: new Bun.Transpiler({ loader: "ts" }),
  tsx: new Bun.Transpiler({ loader: "tsx" }),
};

/** Block and line comments out, string contents kept (a specifier is a string). */
function stripComments(src: string): string {
  let out = "";
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    const n = src[i + 1];
    if (c === '"' || c === "'" || c === "`") {
      // Copy the literal whole, escapes included.
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === "\\" ? 2 : 1;
      out += src.slice(i, j + 1);
      i = j + 1;
    } else if (c === "/" && n === "/") {
      while (i < src.length && src[i] !== "\n") i++;
    } else if (c === "/" && n === "*") {
      const end = src.indexOf("*/", i + 2);
      i = end < 0 ? src.length : end + 2;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

// At the start of a line (statements: the formatter puts each on its own line, and a string
// that happens to contain "import" is not one): `import ... from "x"` / `export ... from "x"`
// (any clause, across lines), `import "x"`. Anywhere: `import("x")`, `require("x")`.
const STATIC = /^\s*(import|export)\s+(type\s+)?([^;"'`=()]*?)\s*\bfrom\s*["']([^"']+)["']/gm;
const BARE = /^\s*import\s*["']([^"']+)["']/gm;
const DYNAMIC = /\b(?:import|require)\s*\(\s*["']([^"']+)["']\s*\)/g;

/** Is every name of an import/export clause `{ type A, type B }` a type? */
function allTypes(clause: string): boolean {
  const m = /^\{([\s\S]*)\}$/.exec(clause.trim());
  if (!m) return false;
  const names = m[1]!
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  return names.length > 0 && names.every((s) => s.startsWith("type "));
}

export function scanSpecifiers(source: string): Specifier[] {
  const text = stripComments(source);
  const found = new Map<string, boolean>();
  const add = (path: string, typeOnly: boolean) =>
    found.set(path, (found.get(path) ?? true) && typeOnly);
  for (const m of text.matchAll(STATIC)) add(m[4]!, m[2] !== undefined || allTypes(m[3]!));
  for (const m of text.matchAll(BARE)) add(m[1]!, false);
  for (const m of text.matchAll(DYNAMIC)) add(m[1]!, false);
  return [...found].map(([path, typeOnly]) => ({ path, typeOnly }));
}

/** What Bun itself loads at runtime (type-only imports erased). */
export function runtimeSpecifiers(source: string, loader: "ts" | "tsx"): string[] {
  return [...new Set(transpilers[loader].scanImports(source).map((i) => i.path))];
}
