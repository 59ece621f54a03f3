// A single-connect client that keeps sending and never reads its replies: the server's unread
// replies are bounded (MAX_WRITE_BACKLOG), the connection is dropped and counted as write_backlog,
// and the next client is served. Without the bound the queue grew by every reply (each request
// also pushed the idle deadline back), ~200 MB in 4 s in the review that found it.
import { afterAll, beforeAll, expect, test } from "bun:test";
import * as net from "node:net";
import { utf8 } from "../../src/lib/bytes.ts";
import { addUserGroup } from "../../src/store/user-groups.ts";
import { addUser } from "../../src/store/users.ts";
import { AuthenStatus } from "../../src/tacacs/codec/authentication.ts";
import { HeaderFlag, PacketType } from "../../src/tacacs/codec/header.ts";
import { encodeBody, encodePacket } from "../../src/tacacs/codec/packet.ts";
import { papOnce } from "../support/tacacs-client.ts";
import { eventually, KEY, startServer, USERS, type Server } from "./harness.ts";

let srv: Server;
beforeAll(async () => {
  srv = await startServer({ listen: ["127.0.0.1:0"] });
  // ~40 KiB per AUTHOR RESPONSE: a few hundred replies fill the kernel's buffers and then the queue.
  const av = Array.from({ length: 200 }, (_, i) => `service=shell:x${i}=${"v".repeat(190)}`);
  const g = await addUserGroup(srv.store, { name: "fat", av, deviceGroups: ["core"] }, "test");
  const u = await addUser(
    srv.store,
    { username: "fatty", password: "pw-fatty", groups: ["fat"] },
    "test",
  );
  if (!g.ok || !u.ok) throw new Error("fixture");
});
afterAll(async () => {
  await srv?.stop();
});

test("unread replies past the backlog bound: the connection is dropped, counted write_backlog; the next client is served", async () => {
  const sock = net.connect({ host: "127.0.0.1", port: srv.port4 });
  await new Promise((r) => sock.once("connect", r));
  sock.pause(); // never read
  let closed = false;
  sock.on("close", () => (closed = true));
  sock.on("error", () => (closed = true));
  const fields = {
    authenMethod: 6,
    privLvl: 1,
    authenType: 2,
    authenService: 1,
    port: "tty2",
    remAddr: "198.51.100.7",
  };
  let sid = 1000;
  for (let batch = 0; batch < 20 && !closed; batch++) {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < 200; i++)
      parts.push(
        encodePacket(
          { type: PacketType.AUTHOR, seqNo: 1, sessionId: sid++, flags: HeaderFlag.SINGLE_CONNECT },
          encodeBody({
            kind: "author-request",
            body: { ...fields, user: "fatty", args: ["service=shell", "cmd="] },
          }),
          utf8(KEY),
        ),
      );
    sock.write(Buffer.concat(parts));
    await Bun.sleep(100);
  }
  expect(await eventually(() => srv.refusals("write_backlog") === 1, 5_000)).toBe(true);
  sock.destroy();
  expect(await papOnce("127.0.0.1", srv.port4, KEY, "alice", USERS.alice.password)).toBe(
    AuthenStatus.PASS,
  );
}, 30_000);
