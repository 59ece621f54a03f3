import { describe, expect, test } from "bun:test";
import { MAX_BATCH, UdpOutbox } from "./udp-outbox.ts";

const turn = () => new Promise<void>((r) => setImmediate(r));
const dg = (n: number) => new Uint8Array([n]);

describe("UdpOutbox", () => {
  test("a turn's datagrams leave together at its end; a full batch leaves at once", async () => {
    const calls: number[] = [];
    const out = new UdpOutbox({
      stride: 3,
      transmit: (q, count) => {
        expect(q.length).toBe(count * 3);
        calls.push(count);
        return count;
      },
      lost: () => {
        throw new Error("nothing is lost here");
      },
    });
    for (let i = 0; i < 5; i++) out.push(dg(i), 1812, "127.0.0.1");
    expect(calls).toEqual([]);
    expect(out.size).toBe(5);
    await turn();
    expect(calls).toEqual([5]);
    for (let i = 0; i < 2 * MAX_BATCH + 3; i++) out.push(dg(i), 1812, "::1");
    expect(calls).toEqual([5, MAX_BATCH, MAX_BATCH]);
    await turn();
    expect(calls).toEqual([5, MAX_BATCH, MAX_BATCH, 3]);
    expect(out.size).toBe(0);
  });

  test("what the kernel refuses or a throwing send loses is reported, and the next batch goes", async () => {
    const lost: [number, unknown][] = [];
    let mode: "short" | "throw" | "ok" = "short";
    const sent: number[] = [];
    const out = new UdpOutbox({
      stride: 1,
      maxBatch: 4,
      transmit: (q, count) => {
        if (mode === "throw") throw new Error("ECONNREFUSED");
        sent.push(...q.map((b) => (b as Uint8Array)[0]!));
        return mode === "short" ? count - 1 : count;
      },
      lost: (n, why) => lost.push([n, why]),
    });
    for (let i = 0; i < 4; i++) out.push(dg(i));
    expect(lost).toEqual([[1, undefined]]);
    mode = "throw";
    out.push(dg(9));
    await turn();
    expect(lost.length).toBe(2);
    expect(lost[1]![0]).toBe(1);
    expect((lost[1]![1] as Error).message).toBe("ECONNREFUSED");
    mode = "ok";
    out.push(dg(7));
    out.flush();
    expect(sent).toEqual([0, 1, 2, 3, 7]);
    expect(lost.length).toBe(2);
  });

  test("over a real socket every queued datagram arrives, in order", async () => {
    const got: number[] = [];
    const { promise: all, resolve } = Promise.withResolvers<void>();
    const N = 3 * MAX_BATCH + 5;
    const rx = await Bun.udpSocket({
      hostname: "127.0.0.1",
      port: 0,
      binaryType: "uint8array",
      socket: {
        data(_s, d) {
          got.push(d[0]! | (d[1]! << 8));
          if (got.length === N) resolve();
        },
      },
    });
    const tx = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0 });
    try {
      const out = new UdpOutbox({
        stride: 3,
        transmit: (q, count) =>
          count > 1
            ? tx.sendMany(q)
            : Number(tx.send(q[0] as Uint8Array, q[1] as number, q[2] as string)),
        lost: (n) => {
          throw new Error(`${n} lost on loopback`);
        },
      });
      for (let i = 0; i < N; i++) out.push(new Uint8Array([i & 255, i >> 8]), rx.port, "127.0.0.1");
      await Promise.race([all, Bun.sleep(5_000)]);
      expect(got).toEqual(Array.from({ length: N }, (_, i) => i));
    } finally {
      rx.close();
      tx.close();
    }
  });
});
