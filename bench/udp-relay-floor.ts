// The floor under the RADIUS proxy benchmark (a script, not a test): `bun bench/udp-relay-floor.ts [seconds]`.
// A bare Bun UDP relay — NAS socket → connected upstream socket → back, datagrams forwarded untouched
// (the NAS and the home server share one secret, identifiers pass through), replies batched with one
// sendMany per socket per turn like the real transports — in the set-up of bench/radius-proxy.ts:
// `aaaload radius-echo` as the home server and the relay on CPU 1, the load generator on CPU 0.
// No crypto, no state, no policy: whatever it costs per request, the proxy costs at least as much.
// Child mode (`--serve HOME_PORT`) is the relay itself, so that it can be pinned. Every run is
// bounded (aaaload --duration and --max-time; the relay exits after 60 s); every process is stopped.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { freeUdpPortPair } from "../test/support/freeradius.ts";

const AALOAD = "/tmp/aaaload";
const SECRET = "floor-s3cret";

async function serve(homePort: number) {
  const nasOf = new Map<number, [number, string]>(); // identifier → NAS port, address
  const toHome: Uint8Array[] = [];
  const toNas: (Uint8Array | number | string)[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (toHome.length > 0) up.sendMany(toHome);
    if (toNas.length > 0) nas.sendMany(toNas);
    toHome.length = 0;
    toNas.length = 0;
  };
  const later = () => {
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  const nas = await Bun.udpSocket({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(_s, buf, port, addr) {
        nasOf.set(buf[1]!, [port, addr]);
        toHome.push(buf);
        later();
      },
    },
  });
  const up = await Bun.udpSocket({
    hostname: "127.0.0.1",
    port: 0,
    connect: { hostname: "127.0.0.1", port: homePort },
    socket: {
      data(_s, buf) {
        const to = nasOf.get(buf[1]!);
        if (to === undefined) return;
        toNas.push(buf, to[0], to[1]);
        later();
      },
    },
  });
  process.stdout.write(JSON.stringify({ auth: nas.port }) + "\n");
  setTimeout(() => process.exit(0), 60_000);
}

async function load(port: number, window: number, seconds: number): Promise<string> {
  const p = Bun.spawn({
    cmd: [
      AALOAD,
      "radius-auth",
      "-t",
      `127.0.0.1:${port}`,
      "-s",
      SECRET,
      "-u",
      "bob",
      "-p",
      "bob-pw",
      "-w",
      String(window),
      "--msg-auth",
      "--cpu",
      "0",
      "-q",
      "-d",
      String(seconds),
      "--warmup",
      "1",
      "--max-time",
      "120",
    ],
    stdout: "pipe",
  });
  const out = await new Response(p.stdout).text();
  await p.exited;
  return (out.match(/(rps|p50_us|p99_us|timeout)=\S+/g) ?? []).join(" ");
}

async function main() {
  const seconds = Number(process.argv[2] ?? 5);
  if (!existsSync(AALOAD)) {
    const src = join(import.meta.dir, "..", "..", "shared", "tools", "aaaload");
    const cc = Bun.spawnSync(["sh", "-c", `cc -O2 -std=gnu11 -o ${AALOAD} ${src}/*.c`]);
    if (cc.exitCode !== 0) throw new Error(`building aaaload failed: ${cc.stderr}`);
  }
  const homePort = await freeUdpPortPair();
  const echo = Bun.spawn({
    cmd: [
      AALOAD,
      "radius-echo",
      "-t",
      `127.0.0.1:${homePort}`,
      "-s",
      SECRET,
      "-p",
      "bob-pw",
      "--cpu",
      "1",
      "--max-time",
      "120",
    ],
    stdout: "ignore",
    stderr: "ignore",
  });
  const relay = Bun.spawn({
    cmd: ["taskset", "-c", "1", process.execPath, import.meta.path, "--serve", String(homePort)],
    stdout: "pipe",
  });
  try {
    const reader = relay.stdout.getReader();
    const { auth } = JSON.parse(
      new TextDecoder().decode((await reader.read()).value).split("\n")[0]!,
    ) as {
      auth: number;
    };
    for (const w of [16, 64]) {
      console.log(`direct      W=${w} ${await load(homePort, w, seconds)}`);
      console.log(`bare relay  W=${w} ${await load(auth, w, seconds)}`);
    }
  } finally {
    relay.kill("SIGTERM");
    echo.kill("SIGTERM");
    await Promise.all([relay.exited, echo.exited]);
  }
}

if (process.argv[2] === "--serve") await serve(Number(process.argv[3]));
else await main();
