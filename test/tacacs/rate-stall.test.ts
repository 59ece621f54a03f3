// Issue 21, defect 6: the per-client token bucket is charged when packets are read. When the server's
// own event loop stalls, a client inside its limit finds its packets waiting in the socket buffer and
// would pay for all of them at once: cut as rate_limited for the server's fault. The bucket tolerates
// the stall the server reports (stream/lag.ts); a client that really bursts is still cut.
// The client runs in its own process (test/support/paced-sender.ts) so it keeps sending while this
// process, which runs the server, is blocked.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { utf8 } from "../../src/lib/bytes.ts";
import { HeaderFlag, PacketType } from "../../src/tacacs/codec/header.ts";
import { encodeBody, encodePacket } from "../../src/tacacs/codec/packet.ts";
import { tempDir } from "../support/tmp.ts";
import { eventually, KEY, startServer, type Server } from "./harness.ts";

const RATE = 100;
const BURST = 20;

let srv: Server;
let dir: { path: string; remove(): void };
beforeAll(async () => {
  srv = await startServer({ tacacs: { limits: { packets_per_second: RATE, burst: BURST } } });
  dir = tempDir();
});
afterAll(async () => {
  await srv?.stop();
  dir?.remove();
});

/** `n` single-connect AUTHOR requests (answered synchronously), one session each, as hex lines. */
function packets(n: number, first: number): string {
  const key = utf8(KEY);
  const lines: string[] = [];
  for (let i = 0; i < n; i++)
    lines.push(
      Buffer.from(
        encodePacket(
          {
            type: PacketType.AUTHOR,
            seqNo: 1,
            sessionId: first + i,
            flags: HeaderFlag.SINGLE_CONNECT,
          },
          encodeBody({
            kind: "author-request",
            body: {
              authenMethod: 6,
              privLvl: 1,
              authenType: 2,
              authenService: 1,
              user: "alice",
              port: "tty1",
              remAddr: "198.51.100.7",
              args: ["service=shell", "cmd="],
            },
          }),
          key,
        ),
      ).toString("hex"),
    );
  return lines.join("\n") + "\n";
}

function sender(host: string, port: number, file: string, intervalMs: number) {
  const p = Bun.spawn(
    [
      process.execPath,
      join(import.meta.dir, "../support/paced-sender.ts"),
      host,
      String(port),
      file,
      String(intervalMs),
    ],
    { stdout: "pipe", stderr: "inherit" },
  );
  return {
    async result(): Promise<{ replies: number; closed: boolean }> {
      const out = await new Response(p.stdout).text();
      await p.exited;
      return JSON.parse(out.trim()) as { replies: number; closed: boolean };
    },
    kill: () => p.kill(),
  };
}

test("a client bursting past its bucket on a healthy server is still cut as rate_limited", async () => {
  const file = join(dir.path, "burst.hex");
  writeFileSync(file, packets(3 * BURST, 0x100000));
  // Interval 0: three times the bucket in one write.
  const s = sender("::1", srv.port6, file, 0);
  try {
    const r = await s.result();
    expect(r.closed).toBe(true);
    expect(r.replies).toBeLessThan(3 * BURST);
    expect(srv.refusals("rate_limited")).toBe(1);
  } finally {
    s.kill();
  }
}, 30_000);

test("a client inside its limit is not cut when the server stalls and its packets queue up", async () => {
  const N = 150;
  const file = join(dir.path, "paced.hex");
  writeFileSync(file, packets(N, 0x200000));
  const before = srv.refusals("rate_limited");
  // 50 packets/s, half the limit; the 1.5 s stall below queues ~75 of them, well over the burst.
  const s = sender("127.0.0.1", srv.port4, file, 20);
  try {
    // Block only once the client is connected and sending (its start-up time varies with load).
    expect(await eventually(() => (srv.svc.stats().active_connections as number) > 0, 10_000)).toBe(
      true,
    );
    await Bun.sleep(200);
    const until = performance.now() + 1500;
    while (performance.now() < until) {
      // the server's event loop is blocked: the client keeps sending into the socket buffer
    }
    const r = await s.result();
    expect(srv.refusals("rate_limited")).toBe(before);
    expect(r).toEqual({ replies: N, closed: false });
  } finally {
    s.kill();
  }
}, 30_000);
