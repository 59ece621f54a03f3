import { describe, expect, test } from "bun:test";
import { createLogger, type LogRecord } from "../lib/log.ts";
import { Ring } from "../lib/recent.ts";
import { AuthLog, failureFeed, TopClients, type FailureRow } from "./auth-log.ts";
import { DecisionStream, isFailure, type DecisionRecord } from "./decision-record.ts";

const rec = (over: Partial<DecisionRecord> = {}): DecisionRecord => ({
  event: "tacacs_authen",
  protocol: "tacacs",
  method: "PAP",
  result: "accept",
  reason: "ok",
  user: "alice",
  client: "192.0.2.10",
  device: "sw1",
  group: "core",
  proxy: null,
  realm: null,
  home_server: null,
  latency_ms: 1.5,
  ...over,
});

function capture() {
  const lines: LogRecord[] = [];
  const log = createLogger({
    now: () => 0,
    sinks: [{ level: "info", write: (r) => lines.push(r) }],
  });
  return { log, lines };
}

describe("auth-log line", () => {
  test("one line per decision: the event and every documented field, as recorded", () => {
    const { log, lines } = capture();
    const a = new AuthLog(log, "all");
    a.consume(rec({ proxy: "10.0.0.1", latency_ms: 12.3 }));
    expect(lines).toEqual([
      {
        time: "1970-01-01T00:00:00.000Z",
        level: "info",
        event: "tacacs_authen",
        protocol: "tacacs",
        method: "PAP",
        result: "accept",
        reason: "ok",
        user: "alice",
        client: "192.0.2.10",
        device: "sw1",
        group: "core",
        proxy: "10.0.0.1",
        realm: null,
        home_server: null,
        latency_ms: 12.3,
      },
    ]);
  });

  test('auth = "failures" writes rejects, denies, failed and error results only', () => {
    const { log, lines } = capture();
    const a = new AuthLog(log, "failures");
    const results = [
      "accept",
      "reject",
      "challenge",
      "permit",
      "deny",
      "stored",
      "failed",
      "error",
    ] as const;
    for (const result of results) a.consume(rec({ result }));
    expect(lines.map((l) => l.result)).toEqual(["reject", "deny", "failed", "error"]);
    expect(results.filter(isFailure)).toEqual(["reject", "deny", "failed", "error"]);
  });

  test('auth = "off" writes nothing; the mode can change in place (a reload)', () => {
    const { log, lines } = capture();
    const a = new AuthLog(log, "off");
    a.consume(rec({ result: "reject" }));
    expect(lines).toEqual([]);
    a.mode = "all";
    a.consume(rec());
    expect(lines.length).toBe(1);
  });

  test("below the destinations' level (warn) the lines are not written", () => {
    const lines: LogRecord[] = [];
    const log = createLogger({ sinks: [{ level: "warn", write: (r) => lines.push(r) }] });
    new AuthLog(log, "all").consume(rec({ result: "reject" }));
    expect(lines).toEqual([]);
  });
});

describe("decision stream", () => {
  test("inactive without subscribers; subscribers see the same record; unsubscribe", () => {
    const s = new DecisionStream();
    expect(s.active).toBe(false);
    const seen: DecisionRecord[] = [];
    const off = s.subscribe((r) => seen.push(r));
    const seen2: DecisionRecord[] = [];
    s.subscribe((r) => seen2.push(r));
    expect(s.active).toBe(true);
    const r = rec();
    s.emit(r);
    off();
    s.emit(rec());
    expect(seen).toEqual([r]);
    expect(seen[0]).toBe(r);
    expect(seen2.length).toBe(2);
  });

  test("a subscriber added during an emit does not see that record", () => {
    const s = new DecisionStream();
    const late: DecisionRecord[] = [];
    s.subscribe(() => {
      s.subscribe((r) => late.push(r));
    });
    s.emit(rec());
    expect(late).toEqual([]);
  });
});

describe("status page feeds", () => {
  test("recent failures: both protocols, failures only, user left out when empty", () => {
    const ring = new Ring<FailureRow>(10);
    const feed = failureFeed(ring, () => 0);
    feed(rec());
    feed(rec({ result: "reject", reason: "bad-password" }));
    feed(
      rec({
        event: "radius_access",
        protocol: "radius",
        result: "reject",
        user: "",
        client: "198.51.100.7",
        reason: "unknown-user",
      }),
    );
    expect(ring.toArray()).toEqual([
      {
        time: "1970-01-01T00:00:00.000Z",
        protocol: "tacacs",
        client: "192.0.2.10",
        reason: "bad-password",
        user: "alice",
      },
      {
        time: "1970-01-01T00:00:00.000Z",
        protocol: "radius",
        client: "198.51.100.7",
        reason: "unknown-user",
      },
    ]);
  });

  test("top clients: per address and protocol with the device name, busiest first", () => {
    const t = new TopClients(8);
    for (let i = 0; i < 3; i++) t.consume(rec({ client: "192.0.2.1", device: "sw1" }));
    t.consume(rec({ client: "192.0.2.2", device: "sw2" }));
    t.consume(rec({ client: "192.0.2.1", protocol: "radius", device: "sw1" }));
    expect(t.top(10)).toEqual([
      { client: "192.0.2.1", device: "sw1", protocol: "tacacs", requests: 3 },
      { client: "192.0.2.2", device: "sw2", protocol: "tacacs", requests: 1 },
      { client: "192.0.2.1", device: "sw1", protocol: "radius", requests: 1 },
    ]);
  });

  test("top clients stay bounded: a new address replaces the least busy one", () => {
    const t = new TopClients(3);
    for (let i = 0; i < 1000; i++) {
      t.consume(rec({ client: "192.0.2.1" }));
      t.consume(rec({ client: `10.0.${i >> 8}.${i & 255}` }));
    }
    const top = t.top(10);
    expect(top.length).toBe(3);
    expect(top[0]).toEqual({
      client: "192.0.2.1",
      device: "sw1",
      protocol: "tacacs",
      requests: 1000,
    });
    expect(top.map((c) => c.client)).toContain("10.0.3.231");
  });
});
