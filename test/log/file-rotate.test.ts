// The log file destination through the real entry point (src/main.ts in a child process):
// logrotate's rename + `kill -USR1` moves the writes to a new file at the path with no line lost
// or doubled, and a reload (SIGHUP) that changes [log] applies the new destination. Each SIGHUP
// writes one `reloaded` line, which is what the test counts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MAIN, ROOT } from "../support/cli.ts";
import { tempDir } from "../support/tmp.ts";

const dir = tempDir("aaa-logfile-");
const cfgPath = join(dir.path, "aaa.toml");
const logPath = join(dir.path, "aaa.log");
const secondPath = join(dir.path, "second.log");
let proc: ReturnType<typeof Bun.spawn>;

function config(file: { path: string; format: "json" | "text"; level?: string }): string {
  return `[log]
level = "${file.level ?? "info"}"
stdout = false
[log.file]
path = "${file.path}"
format = "${file.format}"
[store]
path = "${join(dir.path, "aaa.sqlite")}"
[radius]
auth_listen = ["127.0.0.1:0"]
`;
}

const read = (p: string) => (existsSync(p) ? readFileSync(p, "utf8") : "");
const lines = (p: string) =>
  read(p)
    .split("\n")
    .filter((l) => l !== "");
const count = (text: string, event: string) =>
  text.split("\n").filter((l) => l.includes(`event=${event}`) || l.includes(`"event":"${event}"`))
    .length;

/** Poll (bounded) until `ok()` holds. */
async function until(ok: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

beforeAll(async () => {
  writeFileSync(cfgPath, config({ path: logPath, format: "text" }));
  proc = Bun.spawn([process.execPath, MAIN, "--config", cfgPath], {
    cwd: ROOT,
    stdout: "ignore",
    stderr: "ignore",
  });
  await until(() => count(read(logPath), "started") === 1, "started");
}, 20_000);

afterAll(async () => {
  if (proc.exitCode === null) {
    proc.kill("SIGKILL");
    await proc.exited;
  }
  dir.remove();
}, 20_000);

describe("log file", () => {
  test("rename + SIGUSR1: old lines stay in the renamed file, new ones go to the path, none lost", async () => {
    const rotated = logPath + ".1";
    const reloads = 20;
    for (let i = 0; i < reloads; i++) {
      if (i === reloads / 2) {
        // What logrotate does: rename, then postrotate `kill -USR1` — and the next line at once.
        renameSync(logPath, rotated);
        proc.kill("SIGUSR1");
        await until(() => existsSync(logPath), "the reopened file");
      }
      proc.kill("SIGHUP");
      await until(
        () => count(read(rotated) + read(logPath), "reloaded") === i + 1,
        `reload ${i + 1}`,
      );
    }
    const before = read(rotated),
      after = read(logPath);
    expect(count(before, "started")).toBe(1);
    expect(count(before, "reloaded")).toBe(reloads / 2);
    expect(count(after, "reloaded")).toBe(reloads / 2);
    expect(count(after, "started")).toBe(0);
    // text format: key=value, time first.
    expect(lines(logPath)[0]).toMatch(/^time=\S+Z level=info event=reloaded /);
  }, 20_000);

  test("a reload that changes levels only keeps the open file and applies the level", async () => {
    // Renamed without SIGUSR1: a destination reopened by the reload would create the path anew.
    const kept = logPath + ".2";
    renameSync(logPath, kept);
    const before = read(kept);
    writeFileSync(cfgPath, config({ path: logPath, format: "text", level: "warn" }));
    proc.kill("SIGHUP");
    await Bun.sleep(300); // its own "reloaded" line is info: not written any more
    writeFileSync(cfgPath, config({ path: logPath, format: "text", level: "loud" }));
    proc.kill("SIGHUP");
    await until(() => count(read(kept), "reload_refused") === 1, "the refused reload");
    const added = read(kept).slice(before.length);
    expect(count(added, "reloaded")).toBe(0);
    expect(added).toMatch(/^time=\S+ level=error event=reload_refused /);
    expect(existsSync(logPath)).toBe(false);
  }, 20_000);

  test("a reload that changes [log] switches to the new destination and format", async () => {
    writeFileSync(cfgPath, config({ path: secondPath, format: "json" }));
    proc.kill("SIGHUP");
    await until(() => count(read(secondPath), "reloaded") === 1, "the reload in the new file");
    const first = lines(secondPath).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(first.map((r) => r.event)).toContain("log_destinations_changed");
    const changed = first.find((r) => r.event === "log_destinations_changed")!;
    expect(changed.destinations).toEqual(["file"]);
    const oldCount = count(read(logPath), "reloaded");
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    // Shutdown lines were drained into the new file before exit; the old one got nothing more.
    expect(count(read(secondPath), "stopped")).toBe(1);
    expect(count(read(logPath), "reloaded")).toBe(oldCount);
    expect(count(read(logPath), "stopped")).toBe(0);
  }, 20_000);
});
