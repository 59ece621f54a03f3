// The listener pool (src/transport/listener-pool.ts): a successor on the same address takes the
// socket over (no close, so nothing queued is reset), the predecessor's release/close then do
// nothing, connections already open keep their own state, and only the pool's own services
// share: anyone else still gets EADDRINUSE. Loopback, bounded.
import { afterEach, expect, test } from "bun:test";
import type { Socket } from "bun";
import { ListenerPool, type PooledListener } from "../../src/transport/listener-pool.ts";

const open: PooledListener[] = [];
afterEach(() => {
  for (const l of open.splice(0)) l.close();
});

/** A service that answers every line with its name (its state lives in socket.data). */
function service(pool: ListenerPool, name: string, port: number) {
  const l = pool.listen<{ name: string }>({
    hostname: "127.0.0.1",
    port,
    socket: {
      open(s) {
        s.data = { name };
      },
      data(s, d) {
        s.write(`${s.data.name}:${new TextDecoder().decode(d)}`);
      },
    },
  });
  open.push(l);
  return l;
}

async function client(port: number) {
  let got = "";
  const s: Socket<undefined> = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_s, d) {
        got += new TextDecoder().decode(d);
      },
    },
  });
  return {
    ask: async (m: string) => {
      got = "";
      s.write(m);
      for (let i = 0; i < 100 && got === ""; i++) await Bun.sleep(5);
      return got;
    },
    end: () => s.end(),
  };
}

const freePort = () => {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = s.port;
  s.stop(true);
  return p;
};

test("a successor takes the socket over; the predecessor's connections keep their state", async () => {
  const pool = new ListenerPool();
  const port = freePort();
  const a = service(pool, "A", port);
  const early = await client(port);
  expect(await early.ask("1")).toBe("A:1");
  const b = service(pool, "B", port);
  expect(b.port).toBe(port);
  a.release(); // no-op: B owns the socket now
  const late = await client(port);
  expect(await late.ask("2")).toBe("B:2");
  expect(await early.ask("3")).toBe("A:3");
  a.close(); // still a no-op
  expect(await late.ask("4")).toBe("B:4");
  early.end();
  late.end();
});

test("without a successor, release stops accepting", async () => {
  const pool = new ListenerPool();
  const port = freePort();
  service(pool, "A", port).release();
  expect(
    await client(port).then(
      () => "connected",
      () => "refused",
    ),
  ).toBe("refused");
});

test("only the pool's own services share an address; port 0 is never shared", async () => {
  const port = freePort();
  service(new ListenerPool(), "A", port);
  expect(() => service(new ListenerPool(), "B", port)).toThrow();
  expect(() => Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } })).toThrow();
  const pool = new ListenerPool();
  const x = service(pool, "X", 0);
  const y = service(pool, "Y", 0);
  expect(x.port).not.toBe(y.port);
});
