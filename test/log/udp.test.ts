// UDP syslog (RFC 5426): one datagram per message, the exact RFC 5424 bytes, to IPv4 and IPv6
// collectors on loopback; a message before the socket is open waits in the bounded early queue.
import { describe, expect, test } from "bun:test";
import type { LogRecord } from "../../src/lib/log.ts";
import { LogDrops } from "../../src/transport/log-drops.ts";
import { syslogSink } from "../../src/transport/syslog-sinks.ts";

const rec: LogRecord = { time: "2026-12-06T22:15:10.123Z", level: "error", event: "x", a: 1 };

async function collector(hostname: string) {
  const got: string[] = [];
  const sock = await Bun.udpSocket({
    hostname,
    port: 0,
    socket: { data: (_s, d) => void got.push(new TextDecoder().decode(d)) },
  });
  return { got, port: sock.port, close: () => sock.close() };
}

describe("UDP syslog", () => {
  for (const [host, target] of [
    ["127.0.0.1", (p: number) => `udp://127.0.0.1:${p}`],
    ["::1", (p: number) => `udp://[::1]:${p}`],
  ] as const)
    test(`one datagram per message to ${host}`, async () => {
      const c = await collector(host);
      const sink = syslogSink(
        {
          target: target(c.port),
          facility: "auth",
          level: "info",
          format: "json",
          structured_data: false,
        },
        0,
        { hostname: "aaa1", appName: "aaa-proxy", procId: "7" },
        new LogDrops(),
      );
      sink.write(rec, '{"a":1}'); // before the socket is open: queued
      sink.write({ ...rec, event: "y" }, '{"a":2}');
      const end = Date.now() + 5_000;
      while (c.got.length < 2 && Date.now() < end) await Bun.sleep(10);
      expect(c.got).toEqual([
        '<35>1 2026-12-06T22:15:10.123Z aaa1 aaa-proxy 7 x - {"a":1}',
        '<35>1 2026-12-06T22:15:10.123Z aaa1 aaa-proxy 7 y - {"a":2}',
      ]);
      await sink.close();
      c.close();
    });
});
