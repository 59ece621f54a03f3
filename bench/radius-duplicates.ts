// RSS of the RADIUS server with its duplicate cache full (a script, not a test):
//   bun bench/radius-duplicates.ts [entries=200000]
// Issue 21, defect 7: at the default bound of 200,000 entries the server's RSS reached 346 MB. This
// starts bench/radius-server.ts (temporary store, one device, PAP with a credential-cache hit;
// duplicate_lifetime 30 s so nothing expires meanwhile), sends `entries` distinct PAP requests —
// ceil(entries / 256) client sockets, each using all 256 Identifiers, so every request is a new
// (source port, Identifier) key — and reads the server's VmRSS before and after. The RSS after
// minus before, per answered request (each one an entry: nothing expires meanwhile), is
// what a host needs per duplicate-cache entry at that reply size (an Access-Accept of ~60 octets
// here). Bounded: every wave waits at most 1 s for its replies; the server is stopped by PID.
//
// 2026-12-06, 200,192 entries, the machine shared: before the compact cache +84 to +117 MiB
// (437-610 octets per entry, three runs), after +29 to +44 MiB (151-228 octets, four runs); the cache
// itself holds ~80 octets + the reply per entry (src/radius/duplicates.test.ts), the rest is the
// heap's headroom for the garbage of processing the requests.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { papRequest } from "../test/support/radius-client.ts";

const SECRET = "dup-bench-s3cret";
const entries = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 200_000);
const SOCKETS_AT_ONCE = 4;
const WAVE = 16;

const rssMiB = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? 0) / 1024;
};

const server = Bun.spawn({
  cmd: [
    process.execPath,
    join(import.meta.dir, "radius-server.ts"),
    SECRET,
    "alice",
    "alice-pass",
    "0ms",
    "30s",
  ],
  stdout: "pipe",
  stderr: "inherit",
});
try {
  const reader = server.stdout.getReader();
  let text = "";
  const deadline = Date.now() + 20_000;
  while (!text.includes("\n") && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const info = JSON.parse(text.split("\n")[0]!) as { auth: number; pid: number };

  /** 256 PAP requests from one new socket, in waves of WAVE: a small datagram takes ~1-2 KB of the
   *  server's receive buffer (208 KB by default), so more than ~100 in flight are dropped. */
  const burst = async (): Promise<number> => {
    let got = 0;
    let wave = 0;
    let done: () => void = () => {};
    const s = await Bun.udpSocket({
      hostname: "127.0.0.1",
      socket: {
        data() {
          got++;
          if (--wave === 0) done();
        },
      },
    });
    for (let first = 0; first < 256; first += WAVE) {
      const q: (Uint8Array | number | string)[] = [];
      for (let id = first; id < first + WAVE; id++) {
        const req = papRequest(SECRET, "alice", "alice-pass", { id, messageAuthenticator: true });
        q.push(req.bytes, info.auth, "127.0.0.1");
      }
      wave = WAVE;
      const answered = new Promise<void>((r) => (done = r));
      s.sendMany(q);
      await Promise.race([answered, Bun.sleep(1_000)]);
    }
    s.close();
    return got;
  };

  await burst(); // the first login runs argon2; the credential cache answers the rest
  await Bun.sleep(200);
  const before = rssMiB(info.pid);
  let replies = 0;
  const started = performance.now();
  for (let n = 0; n < Math.ceil(entries / 256); n += SOCKETS_AT_ONCE) {
    const k = Math.min(SOCKETS_AT_ONCE, Math.ceil(entries / 256) - n);
    const got = await Promise.all(Array.from({ length: k }, burst));
    replies += got.reduce((a, b) => a + b, 0);
  }
  const seconds = (performance.now() - started) / 1000;
  await Bun.sleep(500);
  const full = rssMiB(info.pid);
  console.log(
    JSON.stringify({
      entries_sent: Math.ceil(entries / 256) * 256,
      replies,
      seconds: Number(seconds.toFixed(1)),
      rss_mib_before: Number(before.toFixed(1)),
      rss_mib_full: Number(full.toFixed(1)),
      rss_bytes_per_entry: Math.round(((full - before) * 1024 * 1024) / replies),
    }),
  );
} finally {
  server.kill("SIGTERM");
  await Promise.race([server.exited, Bun.sleep(5_000)]);
  if (server.exitCode === null) server.kill("SIGKILL");
}
