// Imports point inward only (../shared/DESIGN.md): lib ← codecs ← engines/policy ← adapters ← root.
// Reads every source file's runtime imports (type-only imports are erased and allowed anywhere).
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = join(import.meta.dir, "..");
const SRC = join(ROOT, "src");
const transpiler = new Bun.Transpiler({ loader: "ts" });

type Layer = "lib" | "codec" | "engine" | "policy" | "adapter" | "root";

function layerOf(file: string): Layer {
  const r = relative(SRC, file);
  if (r === "main.ts" || r.startsWith("root/")) return "root";
  if (r.startsWith("lib/")) return "lib";
  if (r.startsWith("proxy-protocol/") || r.includes("/codec/")) return "codec";
  if (r.startsWith("policy/")) return "policy";
  if (r.startsWith("tacacs/") || r.startsWith("radius/")) return "engine";
  return "adapter";
}

/** What each layer may import, besides itself. */
const ALLOWED: Record<Layer, { layers: Layer[]; packages: RegExp }> = {
  lib: { layers: [], packages: /^(node:(crypto|fs|os|path|util)|ipaddr\.js)$/ },
  codec: { layers: ["lib"], packages: /^node:crypto$/ },
  policy: { layers: ["lib", "codec"], packages: /^node:crypto$/ },
  engine: { layers: ["lib", "codec", "policy"], packages: /^node:crypto$/ },
  adapter: {
    layers: ["lib", "codec", "policy", "engine", "adapter"],
    packages: /^(node:.*|bun:sqlite|bun|hono(\/.*)?|drizzle-orm(\/.*)?|valibot|ipaddr\.js)$/,
  },
  root: { layers: ["lib", "codec", "policy", "engine", "adapter"], packages: /.*/ },
};

function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".test.ts"))
    .map((e) => join(e.parentPath, e.name));
}

describe("layering", () => {
  const files = sources(SRC);
  test("there are source files in every layer", () => {
    const seen = new Set(files.map(layerOf));
    for (const l of ["lib", "codec", "policy", "adapter", "root"] as const)
      expect(seen.has(l)).toBe(true);
  });
  for (const file of files) {
    const from = layerOf(file);
    test(`${relative(ROOT, file)} (${from}) imports only inward`, () => {
      const bad: string[] = [];
      for (const imp of transpiler.scanImports(readFileSync(file, "utf8"))) {
        if (imp.path.startsWith(".")) {
          const target = resolve(dirname(file), imp.path);
          if (!target.startsWith(SRC)) {
            if (!target.endsWith("package.json") || from !== "root") bad.push(imp.path);
            continue;
          }
          const to = layerOf(target);
          if (relative(SRC, target) === "main.ts")
            bad.push(`${imp.path} (nothing imports the root)`);
          else if (to !== from && !ALLOWED[from].layers.includes(to))
            bad.push(`${imp.path} (${to})`);
        } else if (!ALLOWED[from].packages.test(imp.path)) bad.push(imp.path);
      }
      expect(bad).toEqual([]);
    });
  }
});
