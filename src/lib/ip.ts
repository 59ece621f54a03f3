// IP and CIDR helpers over ipaddr.js. Every address from a socket or a PROXY header goes through
// normalizeIp first: Bun reports IPv4 peers on dual-stack sockets as `::ffff:a.b.c.d`.
import ipaddr from "ipaddr.js";
import { err, ok, type Result } from "./result.ts";

export type Family = 4 | 6;

export interface Cidr {
  family: Family;
  /** Network address bytes (4 or 16), host bits cleared. */
  bytes: Uint8Array;
  prefix: number;
  /** Canonical text, e.g. `10.0.0.0/8`, `2001:db8::/32`. */
  text: string;
}

export interface ParsedIp {
  family: Family;
  bytes: Uint8Array;
  text: string;
}

/** Parse an address; IPv4-mapped IPv6 becomes IPv4. Zone ids and legacy IPv4 forms are refused. */
export function parseIp(s: string): Result<ParsedIp> {
  if (typeof s !== "string") return err("ip/invalid", String(s));
  const r = fastParseIp(s);
  return r ? ok(r) : err("ip/invalid", s);
}

/** Normalise a socket address to canonical text (v4-mapped → v4). Returns null if unparsable. */
export function normalizeIp(s: string): string | null {
  const r = parseIp(s);
  return r.ok ? r.value.text : null;
}

export function parseCidr(s: string): Result<Cidr> {
  if (typeof s !== "string") return err("cidr/invalid", String(s));
  const slash = s.indexOf("/");
  const addrText = slash < 0 ? s : s.slice(0, slash);
  const parsed = fastParseIp(addrText);
  if (!parsed) return err("cidr/invalid", s);
  const ip = { value: parsed };
  const max = ip.value.family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return err("cidr/invalid", s);
    prefix = Number(p);
    // A v4-mapped v6 CIDR (::ffff:10.0.0.0/104) is converted to v4 by subtracting 96.
    if (ip.value.family === 4 && addrText.includes(":")) prefix -= 96;
    if (prefix < 0 || prefix > max) return err("cidr/invalid", s);
  }
  const bytes = ip.value.bytes.slice();
  for (let bit = prefix; bit < max; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  const addr =
    ip.value.family === 4 ? bytes.join(".") : ipaddr.fromByteArray(Array.from(bytes)).toString();
  const text = `${addr}/${prefix}`;
  return ok({ family: ip.value.family, bytes, prefix, text });
}

export function cidrContains(c: Cidr, ip: ParsedIp): boolean {
  if (c.family !== ip.family) return false;
  const full = c.prefix >> 3;
  for (let i = 0; i < full; i++) if (c.bytes[i] !== ip.bytes[i]) return false;
  const rem = c.prefix & 7;
  if (rem === 0) return true;
  const mask = (0xff << (8 - rem)) & 0xff;
  return (c.bytes[full]! & mask) === (ip.bytes[full]! & mask);
}

export interface HostPort {
  host: string;
  family: Family;
  port: number;
}

/** Parse `a.b.c.d:port` or `[v6]:port`. Hostnames are refused: listeners bind numeric addresses. */
export function parseHostPort(s: string): Result<HostPort> {
  if (typeof s !== "string") return err("hostport/invalid", String(s));
  let host: string;
  let portText: string;
  if (s.startsWith("[")) {
    const close = s.indexOf("]");
    if (close < 0 || s[close + 1] !== ":")
      return err("hostport/invalid", `expected [ipv6]:port, got "${s}"`);
    host = s.slice(1, close);
    portText = s.slice(close + 2);
  } else {
    const colon = s.lastIndexOf(":");
    if (colon < 0) return err("hostport/invalid", `expected address:port, got "${s}"`);
    host = s.slice(0, colon);
    portText = s.slice(colon + 1);
    if (host.includes(":"))
      return err("hostport/invalid", `IPv6 addresses need brackets: "[${host}]:${portText}"`);
  }
  if (!/^\d{1,5}$/.test(portText)) return err("hostport/invalid", `bad port in "${s}"`);
  const port = Number(portText);
  if (port > 65535) return err("hostport/invalid", `port out of range in "${s}"`);
  const ip = parseIp(host);
  if (!ip.ok) return err("hostport/invalid", `"${host}" is not a numeric IP address`);
  return ok({ host: ip.value.text, family: ip.value.family, port });
}

export function formatHostPort(h: { host: string; port: number }): string {
  return h.host.includes(":") ? `[${h.host}]:${h.port}` : `${h.host}:${h.port}`;
}

/** Parse a strict dotted quad (no leading zeros, which some parsers read as octal) by hand. */
function parseQuad(s: string, from: number): Uint8Array | null {
  const out = new Uint8Array(4);
  let part = 0,
    value = 0,
    digits = 0;
  for (let i = from; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46; // a virtual '.' ends the last part
    if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return null; // leading zero
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return null;
    } else if (c === 46) {
      if (digits === 0 || part > 3) return null;
      out[part++] = value;
      value = 0;
      digits = 0;
    } else return null;
  }
  return part === 4 ? out : null;
}

/**
 * A dotted quad (or `::ffff:a.b.c.d`) as an unsigned 32-bit number, or -1. The device index's
 * hot path: no allocation at all (a typed array costs more than the whole parse).
 */
export function parseV4Number(s: string): number {
  let i = 0;
  if (
    s.length > 7 &&
    s.charCodeAt(0) === 58 &&
    s.charCodeAt(1) === 58 &&
    (s.startsWith("::ffff:") || s.startsWith("::FFFF:"))
  )
    i = 7;
  let n = 0,
    part = 0,
    value = 0,
    digits = 0;
  for (; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46;
    if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return -1;
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return -1;
    } else if (c === 46) {
      if (digits === 0 || part > 3) return -1;
      n = n * 256 + value;
      part++;
      value = 0;
      digits = 0;
    } else return -1;
  }
  return part === 4 ? n : -1;
}

/** Parse IPv6 text by hand (RFC 4291 §2.2 forms: groups, one "::", an IPv4 tail). No zone ids. */
function parseV6(s: string): Uint8Array | null {
  if (s.length < 2 || s.length > 45) return null;
  const groups: number[] = [];
  let gap = -1;
  let i = 0;
  if (s.startsWith("::")) {
    gap = 0;
    i = 2;
    if (s.length === 2) return new Uint8Array(16);
  } else if (s.charCodeAt(0) === 58) return null;
  while (i < s.length) {
    let value = 0,
      digits = 0,
      j = i;
    for (; j < s.length; j++) {
      const c = s.charCodeAt(j);
      const d =
        c >= 48 && c <= 57
          ? c - 48
          : c >= 97 && c <= 102
            ? c - 87
            : c >= 65 && c <= 70
              ? c - 55
              : -1;
      if (d < 0) break;
      value = value * 16 + d;
      if (++digits > 4) return null;
    }
    if (j < s.length && s.charCodeAt(j) === 46) {
      // IPv4 tail: takes the last 32 bits.
      const q = parseQuad(s, i);
      if (!q || groups.length > 6) return null;
      groups.push((q[0]! << 8) | q[1]!, (q[2]! << 8) | q[3]!);
      i = s.length;
      break;
    }
    if (digits === 0) return null;
    groups.push(value);
    if (j === s.length) {
      i = j;
      break;
    }
    if (s.charCodeAt(j) !== 58) return null;
    if (s.charCodeAt(j + 1) === 58) {
      if (gap >= 0) return null; // a second "::"
      gap = groups.length;
      i = j + 2;
      if (i === s.length) break;
    } else {
      i = j + 1;
      if (i === s.length) return null; // trailing single ":"
    }
  }
  if (groups.length > 8 || (gap < 0 && groups.length !== 8) || (gap >= 0 && groups.length > 7))
    return null;
  const out = new Uint8Array(16);
  const tail = gap < 0 ? 0 : groups.length - gap;
  for (let g = 0; g < groups.length; g++) {
    const slot = gap >= 0 && g >= gap ? 8 - tail + (g - gap) : g;
    out[slot * 2] = groups[g]! >> 8;
    out[slot * 2 + 1] = groups[g]! & 0xff;
  }
  return out;
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/**
 * Hot-path parse of a socket address: a dotted quad or `::ffff:a.b.c.d` is parsed by hand;
 * anything else goes through parseIp (ipaddr.js).
 */
export function fastParseIp(s: string): ParsedIp | null {
  const c0 = s.charCodeAt(0);
  if (c0 >= 48 && c0 <= 57 && s.length <= 15 && !s.includes(":")) {
    const b = parseQuad(s, 0);
    return b ? { family: 4, bytes: b, text: s } : null;
  }
  if (
    s.length <= 22 &&
    s.length > 7 &&
    (s.startsWith("::ffff:") || s.startsWith("::FFFF:")) &&
    s.includes(".")
  ) {
    const b = parseQuad(s, 7);
    return b ? { family: 4, bytes: b, text: s.slice(7) } : null;
  }
  if (s.includes(":")) {
    const b = parseV6(s);
    if (!b) return null;
    if (isV4Mapped(b)) {
      const v4 = b.slice(12);
      return { family: 4, bytes: v4, text: v4.join(".") };
    }
    // Canonical text (RFC 5952) only matters off the hot path; ipaddr.js formats it.
    return {
      family: 6,
      bytes: b,
      get text() {
        return ipaddr.fromByteArray(Array.from(b)).toString();
      },
    };
  }
  return null;
}
