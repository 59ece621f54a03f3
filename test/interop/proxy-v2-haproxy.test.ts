// Interop: a real HAProxy (Debian package `haproxy`) sends PROXY v2 headers to Bun servers that
// record the raw bytes; our decoder must read them. Covers `send-proxy-v2` over IPv4 and IPv6
// frontends, `proxy-v2-options crc32c,unique-id` (a real CRC32C and a real TLV), and health checks
// with `check-send-proxy`, which send the LOCAL command.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Socket, TCPSocketListener } from "bun";
import { concat, fromUtf8, utf8 } from "../../src/lib/bytes.ts";
import { decodeProxyV2 } from "../../src/proxy-protocol/decode.ts";
import { PP2_TYPE, type DecodeResult } from "../../src/proxy-protocol/types.ts";
import {
  baseConfig,
  freePort,
  haproxyVersion,
  startHaproxy,
  type Haproxy,
} from "../support/haproxy.ts";
import { peersAvailable } from "../support/peers.ts";

interface Recorded {
  bytes: Uint8Array;
}

/** A Bun TCP server on 127.0.0.1:0 that keeps every byte of every connection. */
function recorder(): { server: TCPSocketListener<{ rec: Recorded }>; conns: Recorded[] } {
  const conns: Recorded[] = [];
  const server = Bun.listen<{ rec: Recorded }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        s.data = { rec: { bytes: new Uint8Array(0) } };
        conns.push(s.data.rec);
      },
      data(s, d) {
        s.data.rec.bytes = concat([s.data.rec.bytes, d]);
      },
    },
  });
  return { server, conns };
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}\nhaproxy output:\n${hap?.output() ?? ""}`);
    await Bun.sleep(10);
  }
}

function header(r: DecodeResult) {
  if (r.kind !== "header") throw new Error(`expected a PROXY v2 header, got ${JSON.stringify(r)}`);
  return r;
}

const plain = recorder();
const crc = recorder();
const checks = recorder();
const clients: Socket<undefined>[] = [];
let hap: Haproxy | undefined;
const fe4 = freePort("127.0.0.1");
const fe6 = freePort("::1");
const feCrc = freePort("127.0.0.1");

const HAVE_PEERS = peersAvailable("haproxy");

beforeAll(async () => {
  if (!HAVE_PEERS) return;
  const cfg = `${baseConfig()}
frontend fe4
  bind 127.0.0.1:${fe4}
  default_backend be_plain
frontend fe6
  bind [::1]:${fe6}
  default_backend be_plain
frontend fe_crc
  bind 127.0.0.1:${feCrc}
  unique-id-format %ci:%cp
  default_backend be_crc
backend be_plain
  server s1 127.0.0.1:${plain.server.port} send-proxy-v2
backend be_crc
  server s1 127.0.0.1:${crc.server.port} send-proxy-v2 proxy-v2-options crc32c,unique-id
backend be_check
  server s1 127.0.0.1:${checks.server.port} send-proxy-v2 proxy-v2-options crc32c check check-send-proxy inter 200
`;
  hap = await startHaproxy(cfg, {
    waitForListeners: [
      { host: "127.0.0.1", port: fe4 },
      { host: "::1", port: fe6 },
      { host: "127.0.0.1", port: feCrc },
    ],
  });
});

afterAll(async () => {
  for (const c of clients) c.end();
  await hap?.stop();
  for (const r of [plain, crc, checks]) r.server.stop(true);
});

/** Connect through a frontend, send `payload`, return what the backend recorder saw plus the client socket. */
async function through(
  host: string,
  port: number,
  rec: ReturnType<typeof recorder>,
  payload: Uint8Array,
) {
  const before = rec.conns.length;
  const client = await Bun.connect({ hostname: host, port, socket: { data() {} } });
  clients.push(client);
  expect(client.write(payload)).toBe(payload.length);
  const seen = await waitFor(
    `${payload.length} payload bytes behind a PROXY header at the backend`,
    () => {
      const c = rec.conns[before];
      if (!c) return undefined;
      const r = decodeProxyV2(c.bytes);
      return r.kind === "header" && c.bytes.length >= r.consumed + payload.length ? c : undefined;
    },
  );
  return { bytes: seen.bytes, client };
}

describe.skipIf(!HAVE_PEERS)(
  `HAProxy interop (${HAVE_PEERS ? haproxyVersion() : "haproxy missing"})`,
  () => {
    test("send-proxy-v2 over IPv4: PROXY TCP4 with the client's real address and port, payload intact", async () => {
      const payload = utf8("\xc1\x01\x01\x00tacacs-bytes");
      const { bytes, client } = await through("127.0.0.1", fe4, plain, payload);
      const r = header(decodeProxyV2(bytes));
      expect(r.header).toMatchObject({ version: 2, command: "PROXY", family: "TCP4" });
      expect(r.header.addresses).toEqual({
        source: { ip: "127.0.0.1", port: client.localPort },
        destination: { ip: "127.0.0.1", port: fe4 },
      });
      expect(bytes.subarray(r.consumed)).toEqual(payload);
      // The same real bytes arriving one at a time.
      for (let i = 0; i < r.consumed; i++)
        expect(decodeProxyV2(bytes.subarray(0, i)).kind).toBe("need-more");
    });

    test("send-proxy-v2 from an IPv6 frontend: PROXY TCP6 with the source port", async () => {
      const payload = utf8("v6-payload");
      const { bytes, client } = await through("::1", fe6, plain, payload);
      const r = header(decodeProxyV2(bytes));
      expect(r.header.family).toBe("TCP6");
      expect(r.header.addresses).toEqual({
        source: { ip: "::1", port: client.localPort },
        destination: { ip: "::1", port: fe6 },
      });
      expect(bytes.subarray(r.consumed)).toEqual(payload);
    });

    test("proxy-v2-options crc32c,unique-id: the CRC32C verifies, the UNIQUE_ID TLV is read, tampering is caught", async () => {
      const payload = utf8("crc-payload");
      const { bytes, client } = await through("127.0.0.1", feCrc, crc, payload);
      const r = header(decodeProxyV2(bytes));
      expect(r.header.crc32cVerified).toBe(true);
      expect(r.header.tlvs.map((t) => t.type)).toContain(PP2_TYPE.CRC32C);
      expect(r.header.uniqueId && fromUtf8(r.header.uniqueId)).toBe(
        `127.0.0.1:${client.localPort}`,
      );
      expect(r.header.addresses?.source).toEqual({ ip: "127.0.0.1", port: client.localPort });
      expect(bytes.subarray(r.consumed)).toEqual(payload);
      const tampered = bytes.slice(0, r.consumed);
      tampered[17] = tampered[17]! ^ 0x01; // inside the source address
      expect(decodeProxyV2(tampered)).toMatchObject({ kind: "error", code: "proxy/bad-crc32c" });
    });

    test("health checks with check-send-proxy send the LOCAL command", async () => {
      const conn = await waitFor("a health-check connection carrying a PROXY header", () =>
        checks.conns.find((c) => decodeProxyV2(c.bytes).kind === "header"),
      );
      const r = header(decodeProxyV2(conn.bytes));
      expect(r.header.command).toBe("LOCAL");
      expect(r.header.addresses).toBeNull();
      expect(r.header.crc32cVerified).toBe(true);
    });
  },
);
