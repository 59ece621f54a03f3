// The log formats, byte for byte, for a fixed record: the JSON line, key=value text, RFC 5424
// (PRI from facility and severity, header fields, SD element escaping), the local /dev/log form,
// RFC 6587 octet counting; the target parser; and the logger routing records by sink level.
import { describe, expect, test } from "bun:test";
import {
  formatJson,
  formatLocal,
  formatRfc5424,
  formatText,
  octetCounted,
  parseSyslogTarget,
  pri,
} from "../../src/lib/log-format.ts";
import { createLogger, type LogRecord, type LogSink } from "../../src/lib/log.ts";

process.env.TZ = "UTC"; // formatLocal writes local time

const rec: LogRecord = {
  time: "2026-12-06T22:15:10.123Z",
  level: "warn",
  event: "radius_access_reject",
  user: "alice smith",
  client: "192.0.2.1",
  reason: 'bad "password"]',
  n: 3,
};
const header = {
  facility: "authpriv" as const,
  hostname: "aaa1",
  appName: "aaa-proxy",
  procId: "4242",
};

describe("formats", () => {
  test("PRI = facility × 8 + severity (RFC 5424 table 1 and 2)", () => {
    expect(pri("authpriv", "warn")).toBe(84);
    expect(pri("authpriv", "error")).toBe(83);
    expect(pri("local7", "debug")).toBe(191);
    expect(pri("kern", "info")).toBe(6);
    expect(pri("auth", "info")).toBe(38);
  });

  test("JSON line and key=value text", () => {
    expect(formatJson(rec)).toBe(
      '{"time":"2026-12-06T22:15:10.123Z","level":"warn","event":"radius_access_reject",' +
        '"user":"alice smith","client":"192.0.2.1","reason":"bad \\"password\\"]","n":3}',
    );
    expect(formatText(rec)).toBe(
      'time=2026-12-06T22:15:10.123Z level=warn event=radius_access_reject user="alice smith" ' +
        'client=192.0.2.1 reason="bad \\"password\\"]" n=3',
    );
    // A newline in a value cannot start a second line.
    expect(formatText({ ...rec, user: "a\nlevel=error" })).toContain('user="a\\nlevel=error"');
  });

  test("RFC 5424, MSG = JSON, SD nil", () => {
    expect(formatRfc5424(rec, { ...header, format: "json", structuredData: false })).toBe(
      "<84>1 2026-12-06T22:15:10.123Z aaa1 aaa-proxy 4242 radius_access_reject - " +
        formatJson(rec),
    );
  });

  test("RFC 5424, MSG = text, an SD element with §6.3.3 escaping", () => {
    expect(formatRfc5424(rec, { ...header, format: "text", structuredData: true })).toBe(
      "<84>1 2026-12-06T22:15:10.123Z aaa1 aaa-proxy 4242 radius_access_reject " +
        '[aaa@32473 user="alice smith" client="192.0.2.1" reason="bad \\"password\\"\\]" n="3"] ' +
        'user="alice smith" client=192.0.2.1 reason="bad \\"password\\"]" n=3',
    );
  });

  test("RFC 5424 header fields: printable ASCII only, bounded, nil when empty", () => {
    const long = { ...rec, event: "e".repeat(40) };
    const m = formatRfc5424(long, {
      ...header,
      hostname: "",
      procId: "4 2",
      format: "json",
      structuredData: false,
    });
    expect(
      m.startsWith(`<84>1 2026-12-06T22:15:10.123Z - aaa-proxy 4_2 ${"e".repeat(32)} - {`),
    ).toBe(true);
  });

  test("local socket: <PRI>Mmm dd hh:mm:ss TAG[PID]: MSG", () => {
    expect(
      formatLocal(rec, {
        facility: "authpriv",
        appName: "aaa-proxy",
        procId: "4242",
        format: "text",
      }),
    ).toBe("<84>Dec  6 22:15:10 aaa-proxy[4242]: " + formatText(rec));
  });

  test("octet counting counts bytes, not characters", () => {
    expect(new TextDecoder().decode(octetCounted("<13>1 - - - - - - é"))).toBe(
      "20 <13>1 - - - - - - é",
    );
  });

  test("targets", () => {
    expect(parseSyslogTarget("udp://127.0.0.1:514")).toEqual({
      kind: "udp",
      host: "127.0.0.1",
      port: 514,
    });
    expect(parseSyslogTarget("tcp://[::1]:6514")).toEqual({ kind: "tcp", host: "::1", port: 6514 });
    expect(parseSyslogTarget("tcp://logs.example.net:601")).toEqual({
      kind: "tcp",
      host: "logs.example.net",
      port: 601,
    });
    expect(parseSyslogTarget("unix:///dev/log")).toEqual({ kind: "unix", path: "/dev/log" });
    for (const bad of [
      "udp://1.2.3.4",
      "udp://1.2.3.4:0",
      "tls://h:1",
      "unix://dev/log",
      `unix:///${"x".repeat(107)}`,
    ])
      expect(parseSyslogTarget(bad)).toBeNull();
  });
});

describe("sinks behind the logger", () => {
  test("each sink gets what its level admits; the gate is the lowest level; setSinks moves it", () => {
    const seen: Record<string, string[]> = { a: [], b: [] };
    const sink = (name: "a" | "b", level: LogSink["level"]): LogSink => ({
      level,
      write: (r, json) => seen[name]!.push(`${r.event}:${JSON.parse(json).event}`),
    });
    const log = createLogger({ sinks: [sink("a", "debug"), sink("b", "warn")] });
    expect(log.level).toBe("debug");
    log.debug("d");
    log.warn("w");
    expect(seen).toEqual({ a: ["d:d", "w:w"], b: ["w:w"] });
    log.setSinks([sink("b", "error")]);
    expect(log.level).toBe("error");
    log.warn("w2");
    log.error("e");
    expect(seen.b).toEqual(["w:w", "e:e"]);
    expect(seen.a).toEqual(["d:d", "w:w"]);
  });

  test("every destination gets the redacted record: a secret-looking field never reaches a sink", () => {
    const got: string[] = [];
    const log = createLogger({
      sinks: [
        {
          level: "info",
          write: (r, json) =>
            got.push(
              json,
              formatText(r),
              formatRfc5424(r, { ...header, format: "text", structuredData: true }),
            ),
        },
      ],
    });
    log.warn("e", {
      radius_secret: "s3cret-r",
      tacacs_key: "s3cret-t",
      password: "pw-1",
      user: "u",
    });
    expect(got.length).toBe(3);
    for (const g of got) {
      expect(g).not.toContain("s3cret");
      expect(g).not.toContain("pw-1");
      expect(g).toContain("[redacted]");
    }
  });
});
