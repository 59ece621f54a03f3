// bun run build → dist/aaa-proxy (one executable, Drizzle migrations embedded, no .env/bunfig
// autoload) and dist/rootfs/ (the binary plus exactly the shared libraries it needs, for a
// FROM scratch image; see Dockerfile).
import { $ } from "bun";
import { chmodSync, copyFileSync, mkdirSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";

const root = import.meta.dir;
const dist = join(root, "dist");
const outfile = join(dist, "aaa-proxy");
const rootfs = join(dist, "rootfs");

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

const result = await Bun.build({
  entrypoints: [join(root, "src/main.ts")],
  compile: {
    outfile,
    // The migrations ride along as embedded files at /$bunfs/root/drizzle/... (src/store/open.ts).
    assets: ["./drizzle"],
    autoloadDotenv: false,
    autoloadBunfig: false,
    autoloadTsconfig: false,
    autoloadPackageJson: false,
  },
  minify: true,
  sourcemap: "none",
  root,
} as Parameters<typeof Bun.build>[0]);
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
chmodSync(outfile, 0o755);

// rootfs: the binary plus what the dynamic loader needs (ldd), at the same paths.
mkdirSync(rootfs, { recursive: true });
copyFileSync(outfile, join(rootfs, "aaa-proxy"));
chmodSync(join(rootfs, "aaa-proxy"), 0o755);
const ldd = await $`ldd ${outfile}`.quiet().nothrow().text();
const libs = new Set<string>();
for (const line of ldd.split("\n")) {
  const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
  if (m?.[1]) libs.add(m[1]);
}
if (libs.size === 0) throw new Error(`ldd found no libraries for ${outfile}:\n${ldd}`);
for (const lib of libs) {
  const target = join(rootfs, lib);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(lib, target); // copyFileSync follows symlinks: the real file lands under the link's name
}
for (const d of ["data", "tmp", "etc"]) mkdirSync(join(rootfs, d), { recursive: true });
chmodSync(join(rootfs, "tmp"), 0o1777);

const mb = (p: string) => (statSync(p).size / 1e6).toFixed(1);
console.log(
  `built ${outfile} (${mb(outfile)} MB), rootfs with ${libs.size} libraries: ${[...libs].join(" ")}`,
);
