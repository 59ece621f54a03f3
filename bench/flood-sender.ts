// Unknown-user PAP flood for bench/flood.ts (a separate process, so it can be pinned with taskset):
//   bun bench/flood-sender.ts PORT SECRET RATE SECONDS   → prints {"sent","answered","rejects","late"}
// Access-Requests with Message-Authenticator for users nouser0, nouser1, … (a distinct name each:
// one name would be locked out after a few failures and answered without any verify), sent at RATE
// per second for SECONDS over 16 sockets, never retransmitted; replies are counted until 3 s after
// the last request. Bounded: RATE × SECONDS requests, SECONDS + 3 s.
import { papRequest } from "../test/support/radius-client.ts";

const [port = "1812", secret = "testing123", rate = "500", seconds = "10"] = process.argv.slice(2);
const R = Number(rate);
const total = Math.round(R * Number(seconds));
let answered = 0;
let rejects = 0;
const socks = await Promise.all(
  Array.from({ length: 16 }, () =>
    Bun.udpSocket({
      // Another address than the accounting and login clients (127.0.0.1): the same device
      // (127.0.0.0/8) but its own client key at the verify gate.
      hostname: "127.0.0.3",
      port: 0,
      binaryType: "uint8array",
      socket: {
        data(_s, data) {
          answered++;
          if (data[0] === 3) rejects++;
        },
      },
    }),
  ),
);
const start = performance.now();
for (let i = 0; i < total; i++) {
  const due = start + (i * 1000) / R;
  const wait = due - performance.now();
  if (wait > 1) await Bun.sleep(wait);
  const req = papRequest(secret, `nouser${i}`, "x", {
    id: (i >> 4) & 0xff,
    messageAuthenticator: true,
  });
  socks[i % 16]!.send(req.bytes, Number(port), "127.0.0.1");
}
const sentIn = (performance.now() - start) / 1000;
await Bun.sleep(3_000);
for (const s of socks) s.close();
console.log(JSON.stringify({ sent: total, seconds: Number(sentIn.toFixed(2)), answered, rejects }));
