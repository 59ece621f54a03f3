// The flood limiter: per key one line per interval with the count suppressed in between; per event
// a line budget across keys (a flood from many source addresses); bounded memory; secrets redacted.
import { describe, expect, test } from "bun:test";
import { createLogger } from "./log.ts";

function setup(o: { maxKeys?: number; maxLinesPerEvent?: number } = {}) {
  let t = 0;
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    level: "info",
    now: () => t,
    intervalMs: 10_000,
    write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>),
    ...o,
  });
  return { log, lines, advance: (ms: number) => (t += ms) };
}

describe("limited()", () => {
  test("one line per key per interval; the next one carries how many were suppressed", () => {
    const { log, lines, advance } = setup();
    for (let i = 0; i < 5; i++) log.limited("warn", "k:192.0.2.1", "bad_thing", { i });
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatchObject({ event: "bad_thing", level: "warn", i: 0 });
    expect(lines[0]!.suppressed).toBeUndefined();
    advance(10_000);
    log.limited("warn", "k:192.0.2.1", "bad_thing", { i: 5 });
    expect(lines[1]).toMatchObject({ i: 5, suppressed: 4 });
  });

  test("a flood from many keys is capped per event; the cap's count is reported on the next line", () => {
    const { log, lines, advance } = setup({ maxLinesPerEvent: 10 });
    for (let i = 0; i < 1_000; i++)
      log.limited("info", `unknown:10.0.${i >> 8}.${i & 255}`, "radius_unknown_client", { i });
    log.limited("info", "other-key", "another_event");
    expect(lines.filter((l) => l.event === "radius_unknown_client").length).toBe(10);
    expect(lines.filter((l) => l.event === "another_event").length).toBe(1); // budgets are per event
    advance(10_000);
    log.limited("info", "unknown:198.51.100.1", "radius_unknown_client");
    expect(lines.at(-1)).toMatchObject({
      event: "radius_unknown_client",
      suppressed_other: 990,
    });
  });

  test("remembered keys stay bounded; past the bound a key may log again, within the event budget", () => {
    const { log, lines } = setup({ maxKeys: 100, maxLinesPerEvent: 1_000_000 });
    for (let i = 0; i < 250; i++) log.limited("info", `k${i}`, "e");
    expect(lines.length).toBe(250);
    log.limited("info", "k249", "e"); // still remembered (the table was cleared at k200)
    expect(lines.length).toBe(250);
    log.limited("info", "k0", "e"); // forgotten: logs again
    expect(lines.length).toBe(251);
  });

  test("below the level nothing is written or counted; secret-looking fields are redacted", () => {
    const { log, lines } = setup();
    log.level = "warn";
    log.limited("info", "k", "quiet");
    expect(lines.length).toBe(0);
    log.limited("warn", "k", "loud", {
      radius_secret: "s3cret",
      token: "t",
      client_ip: "192.0.2.1",
    });
    expect(lines[0]).toMatchObject({
      radius_secret: "[redacted]",
      token: "[redacted]",
      client_ip: "192.0.2.1",
    });
  });
});
