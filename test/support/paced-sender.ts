// A TACACS+ client in its own process, so it keeps sending while the test blocks the server's event
// loop: connects, writes one pre-encoded packet (hex lines in a file) every intervalMs (0: all in one write), counts the
// reply headers it reads, and prints {"replies":n,"closed":bool} once all replies arrived, the
// server closed, or 3 s after the last packet (bounded).
//   bun test/support/paced-sender.ts HOST PORT FILE INTERVAL_MS
import { readFileSync } from "node:fs";
import * as net from "node:net";

const [host, port, file, interval] = process.argv.slice(2) as [string, string, string, string];
const packets = readFileSync(file, "utf8")
  .split("\n")
  .filter((l) => l !== "")
  .map((l) => Buffer.from(l, "hex"));
let replies = 0;
let closed = false;
let pending = Buffer.alloc(0);
const s = net.connect({ host, port: Number(port) });
const finish = () => {
  process.stdout.write(JSON.stringify({ replies, closed }) + "\n");
  s.destroy();
  process.exit(0);
};
s.on("data", (d: Buffer) => {
  pending = Buffer.concat([pending, d]);
  // TACACS+ header: 12 octets, body length in the last four (RFC 8907 §4.1).
  while (pending.length >= 12) {
    const len = pending.readUInt32BE(8);
    if (pending.length < 12 + len) break;
    pending = pending.subarray(12 + len);
    replies++;
  }
  if (replies === packets.length) finish();
});
s.on("close", () => {
  closed = true;
  finish();
});
s.on("error", () => {});
s.once("connect", () => {
  if (Number(interval) === 0) {
    // All at once, in one write.
    s.write(Buffer.concat(packets));
    setTimeout(finish, 3000);
    return;
  }
  let i = 0;
  const t = setInterval(() => {
    if (i < packets.length) s.write(packets[i++]!);
    else {
      clearInterval(t);
      setTimeout(finish, 3000);
    }
  }, Number(interval));
});
setTimeout(finish, 60_000);
