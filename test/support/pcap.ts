// A minimal classic-libpcap writer for interop tests: hand a dissector (tshark) the exact bytes we
// would put on the wire, without sockets or capture privileges.
//
//   await writePcap(path, [{ src: { ip: "192.0.2.1", port: 40000 }, dst: { ip: "192.0.2.2", port: 49 },
//                            proto: "tcp", payload }]);
//
// Link type LINKTYPE_RAW (101): each record is a bare IPv4 or IPv6 packet (family from the address).
// IPv4 header, TCP and UDP checksums are computed, so dissectors show no checksum complaints.
// TCP segments carry PSH|ACK with no handshake; unless `seq` is given, sequence numbers continue
// per direction (src→dst) and ack numbers follow the opposite direction, so the stream is gapless.
import { parseIp } from "../../src/lib/ip.ts";

export interface Endpoint {
  ip: string;
  port: number;
}

export interface PcapFrame {
  src: Endpoint;
  dst: Endpoint;
  proto: "tcp" | "udp";
  payload: Uint8Array;
  /** TCP sequence number of this segment (default: continue the flow). */
  seq?: number;
  /** Capture time in ms since the epoch (default: 1.7e12 + 1 ms per frame). */
  timeMs?: number;
}

const LINKTYPE_RAW = 101;
const SNAPLEN = 262144;

function addr(ip: string): Uint8Array {
  const r = parseIp(ip);
  if (!r.ok) throw new Error(`pcap: bad address ${ip}`);
  return r.value.bytes;
}

/** RFC 1071 ones-complement sum over the concatenated parts. */
function checksum(parts: Uint8Array[]): number {
  let sum = 0;
  let odd: number | null = null;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) {
      if (odd === null) odd = p[i]!;
      else {
        sum += (odd << 8) | p[i]!;
        odd = null;
      }
    }
  }
  if (odd !== null) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function transport(
  f: PcapFrame,
  seq: number,
  ack: number,
  src: Uint8Array,
  dst: Uint8Array,
): Uint8Array {
  const isTcp = f.proto === "tcp";
  const hlen = isTcp ? 20 : 8;
  const seg = new Uint8Array(hlen + f.payload.length);
  const v = new DataView(seg.buffer);
  v.setUint16(0, f.src.port);
  v.setUint16(2, f.dst.port);
  if (isTcp) {
    v.setUint32(4, seq >>> 0);
    v.setUint32(8, ack >>> 0);
    seg[12] = 5 << 4; // data offset: 5 words
    seg[13] = 0x18; // PSH|ACK
    v.setUint16(14, 65535); // window
  } else {
    v.setUint16(4, seg.length);
  }
  seg.set(f.payload, hlen);
  const proto = isTcp ? 6 : 17;
  const pseudo =
    src.length === 4
      ? Uint8Array.of(...src, ...dst, 0, proto, seg.length >>> 8, seg.length & 0xff)
      : Uint8Array.of(...src, ...dst, 0, 0, seg.length >>> 8, seg.length & 0xff, 0, 0, 0, proto);
  let sum = checksum([pseudo, seg]);
  if (!isTcp && sum === 0) sum = 0xffff; // UDP: 0 means "no checksum"
  v.setUint16(isTcp ? 16 : 6, sum);
  return seg;
}

function ipPacket(
  f: PcapFrame,
  seg: Uint8Array,
  src: Uint8Array,
  dst: Uint8Array,
  id: number,
): Uint8Array {
  const proto = f.proto === "tcp" ? 6 : 17;
  if (src.length !== dst.length) throw new Error("pcap: src and dst must be the same IP family");
  if (src.length === 4) {
    const p = new Uint8Array(20 + seg.length);
    const v = new DataView(p.buffer);
    p[0] = 0x45;
    v.setUint16(2, p.length);
    v.setUint16(4, id & 0xffff);
    v.setUint16(6, 0x4000); // DF
    p[8] = 64;
    p[9] = proto;
    p.set(src, 12);
    p.set(dst, 16);
    v.setUint16(10, checksum([p.subarray(0, 20)]));
    p.set(seg, 20);
    return p;
  }
  const p = new Uint8Array(40 + seg.length);
  const v = new DataView(p.buffer);
  p[0] = 0x60;
  v.setUint16(4, seg.length);
  p[6] = proto;
  p[7] = 64;
  p.set(src, 8);
  p.set(dst, 24);
  p.set(seg, 40);
  return p;
}

/** The pcap file as bytes. */
export function pcapBytes(frames: readonly PcapFrame[]): Uint8Array {
  const next = new Map<string, number>(); // "src>dst" → next sequence number
  const key = (a: Endpoint, b: Endpoint) => `${a.ip}|${a.port}>${b.ip}|${b.port}`;
  const records: Uint8Array[] = [];
  const global = new Uint8Array(24);
  const g = new DataView(global.buffer);
  g.setUint32(0, 0xa1b2c3d4, true); // microsecond resolution, written little-endian
  g.setUint16(4, 2, true);
  g.setUint16(6, 4, true);
  g.setUint32(16, SNAPLEN, true);
  g.setUint32(20, LINKTYPE_RAW, true);
  records.push(global);
  frames.forEach((f, i) => {
    const src = addr(f.src.ip);
    const dst = addr(f.dst.ip);
    const fwd = key(f.src, f.dst);
    const seq = f.seq ?? next.get(fwd) ?? 1000;
    next.set(fwd, (seq + f.payload.length) >>> 0);
    const ack = next.get(key(f.dst, f.src)) ?? 1000;
    const pkt = ipPacket(f, transport(f, seq, ack, src, dst), src, dst, i + 1);
    const t = f.timeMs ?? 1.7e12 + i;
    const rec = new Uint8Array(16 + pkt.length);
    const r = new DataView(rec.buffer);
    r.setUint32(0, Math.floor(t / 1000), true);
    r.setUint32(4, Math.round((t % 1000) * 1000), true);
    r.setUint32(8, pkt.length, true);
    r.setUint32(12, pkt.length, true);
    rec.set(pkt, 16);
    records.push(rec);
  });
  let n = 0;
  for (const r of records) n += r.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const r of records) {
    out.set(r, o);
    o += r.length;
  }
  return out;
}

export async function writePcap(path: string, frames: readonly PcapFrame[]): Promise<void> {
  await Bun.write(path, pcapBytes(frames));
}
