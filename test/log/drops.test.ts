// A collector that is down costs a bounded queue and counted drops, never an unbounded buffer or
// a silent loss: a TCP syslog target on a closed loopback port takes 10 000 messages, refuses the
// rest as queue_full, and what is still queued when it closes is counted as closed — all in
// aaa_log_dropped_total{destination,reason}, counted before and after the registry is attached.
import { describe, expect, test } from "bun:test";
import { closeSync, constants, openSync } from "node:fs";
import { join } from "node:path";
import { validateConfig } from "../../src/config/load.ts";
import { createLogger } from "../../src/lib/log.ts";
import { Registry } from "../../src/lib/metrics.ts";
import { Logging } from "../../src/root/logging.ts";
import { tempDir } from "../support/tmp.ts";

async function closedPort(): Promise<number> {
  const t = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = t.port;
  t.stop(true);
  return p;
}

describe("log drops", () => {
  test("a down TCP collector: bounded queue, queue_full and closed counted per destination", async () => {
    const port = await closedPort();
    const target = `tcp://127.0.0.1:${port}`;
    const cfg = validateConfig({
      store: { path: "x.sqlite" },
      log: { stdout: false, syslog: [{ target }] },
    });
    if (!cfg.ok) throw new Error(JSON.stringify(cfg.errors));
    const logging = new Logging(cfg.value.log);
    const log = createLogger({ sinks: logging.sinks });
    logging.bind(log);
    for (let i = 0; i < 10_003; i++) log.info("line", { i });
    const registry = new Registry();
    logging.register(registry); // the 3 counted so far carry over
    for (let i = 0; i < 2; i++) log.info("line", { i });
    const dropped = registry.get("aaa_log_dropped_total")!;
    expect(dropped.render()).toContain(
      `aaa_log_dropped_total{destination="${target}",reason="queue_full"} 5`,
    );
    await logging.close();
    expect(dropped.render()).toContain(
      `aaa_log_dropped_total{destination="${target}",reason="closed"} 10000`,
    );
  });

  test("the TCP queue is bounded in bytes too: large lines are refused before 10 000 of them", async () => {
    const port = await closedPort();
    const target = `tcp://127.0.0.1:${port}`;
    const cfg = validateConfig({
      store: { path: "x.sqlite" },
      log: { stdout: false, syslog: [{ target }] },
    });
    if (!cfg.ok) throw new Error("config");
    const logging = new Logging(cfg.value.log);
    const log = createLogger({ sinks: logging.sinks });
    const registry = new Registry();
    logging.register(registry);
    const big = "x".repeat(64 * 1024);
    for (let i = 0; i < 200; i++) log.info("big", { big });
    const dropped = registry.get("aaa_log_dropped_total")!;
    // 8 MiB hold 127 frames of 64 KiB and a header; the other 73 are counted.
    expect(dropped.render()).toContain(`{destination="${target}",reason="queue_full"} 73`);
    await logging.close();
    expect(dropped.render()).toContain(`{destination="${target}",reason="closed"} 127`);
  });

  test("stdout to a reader that takes nothing: bounded at 8 MiB, the rest counted", async () => {
    // A FIFO the test opens and never reads (a Bun.spawn "pipe" is read by the runtime anyway).
    const dir = tempDir("aaa-stdout-");
    const fifo = join(dir.path, "stdout.fifo");
    expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = openSync(fifo, constants.O_WRONLY);
    const child = Bun.spawn(
      [process.execPath, join(import.meta.dir, "fixtures", "stdout-flood.ts")],
      {
        stdout: writer,
        stderr: "pipe",
      },
    );
    closeSync(writer);
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const report = await new Response(child.stderr).text();
    await child.exited;
    clearTimeout(timer);
    closeSync(reader);
    dir.remove();
    const rows = JSON.parse(report) as Array<{
      destination: string;
      reason: string;
      value: number;
    }>;
    const dropped = rows.find((r) => r.destination === "stdout" && r.reason === "queue_full");
    // 20 000 lines of ~1.1 KiB: 8 MiB plus what the pipe took are held, the rest is counted.
    expect(dropped?.value ?? 0).toBeGreaterThan(10_000);
    expect(dropped!.value).toBeLessThan(20_000);
  }, 30_000);

  test("a destination that cannot open stops start-up with its key", () => {
    const cfg = validateConfig({
      store: { path: "x.sqlite" },
      log: { file: { path: "/nonexistent-dir/aaa.log" } },
    });
    if (!cfg.ok) throw new Error("config");
    expect(() => new Logging(cfg.value.log)).toThrow(/^log\.file\.path: cannot open/);
  });

  test("bad [log] values are config errors with the key path", () => {
    const bad = validateConfig({
      store: { path: "x.sqlite" },
      log: {
        format: "xml",
        auth: "some",
        syslog: [{ target: "udp://127.0.0.1" }, { target: "unix:///dev/log", facility: "mail2" }],
      },
    });
    expect(bad.ok).toBe(false);
    expect((bad.errors ?? []).map((e) => e.path).sort()).toEqual([
      "log.auth",
      "log.format",
      "log.syslog[0].target",
      "log.syslog[1].facility",
    ]);
  });
});
