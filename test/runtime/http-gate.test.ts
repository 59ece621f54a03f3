// Issue 21, defect 4: the HTTP listener refuses peers outside http.allow at accept and caps open
// connections per client and in all, so idle sockets cannot take the descriptors the AAA
// listeners need. Idle clients here are raw TCP sockets that never send a byte (bounded: at most
// 200, each test under a few seconds); admitted traffic still works, large bodies both ways.
import { afterEach, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { createConnection } from "node:net";
import { Hono } from "hono";
import { silentLogger } from "../../src/lib/log.ts";
import { startHttp, type HttpListener } from "../../src/transport/http.ts";

const app = new Hono();
app.get("/ping", (c) => c.text("pong"));
app.get("/big", (c) => c.body(new Uint8Array(4 * 1024 * 1024).fill(7)));
app.post("/echo", async (c) => c.body(new Uint8Array(await c.req.arrayBuffer())));
app.get("/who", (c) => c.json((c.env as { requestIP(): unknown }).requestIP()));

const started: HttpListener[] = [];
const sockets: Array<{ destroy(): void }> = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const h of started.splice(0)) await h.stop();
});

function listen(o: { allow?: string[]; total?: number; perClient?: number } = {}): HttpListener {
  const h = startHttp({
    listen: "127.0.0.1:0",
    allow: o.allow ?? ["127.0.0.0/8"],
    ...(o.total === undefined ? {} : { maxConnections: o.total }),
    ...(o.perClient === undefined ? {} : { maxConnectionsPerClient: o.perClient }),
    app,
    log: silentLogger,
  });
  started.push(h);
  return h;
}

/** An idle client from `from` (any 127/8 address is local on Linux): resolves when it closes. */
async function idle(port: number, from = "127.0.0.1") {
  let closed = false;
  let onClose = () => {};
  const gone = new Promise<void>((r) => (onClose = r));
  const s = createConnection({ host: "127.0.0.1", port, localAddress: from });
  s.on("error", () => {});
  s.on("close", () => {
    closed = true;
    onClose();
  });
  await new Promise<void>((r) => {
    s.once("connect", () => r());
    s.once("close", () => r());
  });
  sockets.push(s);
  return { closed: () => closed, gone };
}

const settle = () => Bun.sleep(150);
const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p.then(() => true), Bun.sleep(ms).then(() => false)]);

test("a peer outside http.allow is closed at accept, before it sends a byte", async () => {
  const h = listen({ allow: ["10.0.0.0/8"] });
  const c = await idle(h.port);
  // Bun.serve alone would keep it open for its 10 s idle timeout.
  expect(await within(c.gone, 2_000)).toBe(true);
  expect(h.refusals.denied).toBe(1);
  expect(h.open()).toBe(0);
});

test("open connections are capped per client address and in all", async () => {
  const h = listen({ total: 5, perClient: 3 });
  const a = await Promise.all(Array.from({ length: 6 }, () => idle(h.port, "127.0.0.1")));
  await settle();
  expect(a.filter((c) => !c.closed()).length).toBe(3);
  const b = await Promise.all(Array.from({ length: 4 }, () => idle(h.port, "127.0.0.2")));
  await settle();
  expect(b.filter((c) => !c.closed()).length).toBe(2); // the total (5) is reached
  expect(h.open()).toBe(5);
  expect(h.refusals).toEqual({ denied: 0, limitClient: 3, limitTotal: 2 });
  // Slots come back when clients leave.
  for (const s of sockets.splice(0)) s.destroy();
  await settle();
  expect(h.open()).toBe(0);
  expect((await fetch(`http://127.0.0.1:${h.port}/ping`)).status).toBe(200);
});

test("200 idle connections from one host hold at most the per-client cap of descriptors", async () => {
  const fds = () => readdirSync("/proc/self/fd").length;
  const h = listen({ perClient: 32 });
  const before = fds();
  const conns = [];
  for (let i = 0; i < 200; i++) conns.push(await idle(h.port));
  await settle();
  expect(conns.filter((c) => !c.closed()).length).toBe(32);
  expect(h.open()).toBe(32);
  // Each admitted connection costs 3 descriptors here (client, gate→server, server side) and the
  // test's own client end 1; refused ones cost nothing once closed.
  expect(fds() - before).toBeLessThanOrEqual(32 * 4 + 16);
  // Another host is still served: the cap is per client.
  const other = await idle(h.port, "127.0.0.3");
  await settle();
  expect(other.closed()).toBe(false);
});

test("admitted traffic passes the gate whole: 4 MiB down, 1 MiB up, the client address seen by the app", async () => {
  const h = listen();
  const big = await fetch(`http://127.0.0.1:${h.port}/big`);
  const body = new Uint8Array(await big.arrayBuffer());
  expect(body.length).toBe(4 * 1024 * 1024);
  expect(body.every((b) => b === 7)).toBe(true);
  const up = new Uint8Array(1024 * 1024).map((_, i) => i & 0xff);
  const echo = new Uint8Array(
    await (
      await fetch(`http://127.0.0.1:${h.port}/echo`, { method: "POST", body: up })
    ).arrayBuffer(),
  );
  expect(echo).toEqual(up);
  const who = (await (await fetch(`http://127.0.0.1:${h.port}/who`)).json()) as {
    address: string;
    port: number;
  };
  expect(who.address).toBe("127.0.0.1");
  expect(who.port).toBeGreaterThan(0);
});

test("a client that half-closes after its request (nc -N, health checkers) still gets the answer", async () => {
  const h = listen();
  const answer = await new Promise<string>((done) => {
    let got = "";
    const c = createConnection({ host: "127.0.0.1", port: h.port, allowHalfOpen: true }, () =>
      c.end("GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    );
    c.on("data", (d) => (got += d.toString()));
    c.on("close", () => done(got));
    c.on("error", () => done("error"));
  });
  expect(answer.startsWith("HTTP/1.1 200")).toBe(true);
  expect(answer.endsWith("pong")).toBe(true);
  await settle();
  expect(h.open()).toBe(0);
});

test("refusals count into the root's object, which outlives each listener (reload)", async () => {
  const refusals = { denied: 0, limitTotal: 0, limitClient: 0 };
  for (let i = 0; i < 2; i++) {
    const h = startHttp({
      listen: "127.0.0.1:0",
      allow: ["10.0.0.0/8"],
      app,
      log: silentLogger,
      refusals,
    });
    started.push(h);
    expect(await within((await idle(h.port)).gone, 2_000)).toBe(true);
    await h.stop();
  }
  expect(refusals).toEqual({ denied: 2, limitTotal: 0, limitClient: 0 });
});

test("an IPv6 listener admits ::1 by http.allow and refuses it without", async () => {
  const v6 = (allow: string[]) => {
    const h = startHttp({ listen: "[::1]:0", allow, app, log: silentLogger });
    started.push(h);
    return h;
  };
  const open6 = v6(["::1/128"]);
  const who = (await (await fetch(`http://[::1]:${open6.port}/who`)).json()) as { address: string };
  expect(who.address).toBe("::1");
  const closed6 = v6(["127.0.0.0/8"]);
  const r = await fetch(`http://[::1]:${closed6.port}/ping`).then(
    (res) => res.status,
    () => "closed",
  );
  expect(r).toBe("closed");
  expect(closed6.refusals.denied).toBe(1);
});
