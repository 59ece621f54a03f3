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

/** Parse an address; IPv4-mapped IPv6 becomes IPv4. Zone ids are refused. */
export function parseIp(s: string): Result<ParsedIp> {
  if (typeof s !== "string" || s.length === 0 || s.length > 64 || s.includes("%")) return err("ip/invalid", s);
  if (!ipaddr.isValid(s)) return err("ip/invalid", s);
  // ipaddr.isValid accepts legacy forms like "10.1" or "0x0a.0.0.1"; require a dotted quad for IPv4.
  if (!s.includes(":") && !ipaddr.IPv4.isValidFourPartDecimal(s)) return err("ip/invalid", s);
  const a = ipaddr.process(s);
  const bytes = Uint8Array.from(a.toByteArray());
  return ok({ family: a.kind() === "ipv4" ? 4 : 6, bytes, text: a.toString() });
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
  const ip = parseIp(addrText);
  if (!ip.ok) return err("cidr/invalid", s);
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
  const text = `${ipaddr.fromByteArray(Array.from(bytes)).toString()}/${prefix}`;
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
    if (close < 0 || s[close + 1] !== ":") return err("hostport/invalid", `expected [ipv6]:port, got "${s}"`);
    host = s.slice(1, close);
    portText = s.slice(close + 2);
  } else {
    const colon = s.lastIndexOf(":");
    if (colon < 0) return err("hostport/invalid", `expected address:port, got "${s}"`);
    host = s.slice(0, colon);
    portText = s.slice(colon + 1);
    if (host.includes(":")) return err("hostport/invalid", `IPv6 addresses need brackets: "[${host}]:${portText}"`);
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

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * Hot-path parse of a socket address: a dotted quad or `::ffff:a.b.c.d` is parsed by hand
 * (no allocation beyond the 4 bytes); anything else goes through parseIp.
 */
export function fastParseIp(s: string): ParsedIp | null {
  const quad = s.startsWith("::ffff:") ? s.slice(7) : s;
  const m = DOTTED_QUAD.exec(quad);
  if (m) {
    const a = Number(m[1]), b = Number(m[2]), c = Number(m[3]), d = Number(m[4]);
    if (a > 255 || b > 255 || c > 255 || d > 255) return null;
    // Leading zeros ("010.0.0.1") are ambiguous (octal in some parsers): refuse them.
    if (/(^|\.)0\d/.test(quad)) return null;
    return { family: 4, bytes: Uint8Array.of(a, b, c, d), text: quad };
  }
  const r = parseIp(s);
  return r.ok ? r.value : null;
}
