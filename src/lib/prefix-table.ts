// Longest-prefix lookup whose cost grows with the number of *distinct prefix lengths* present
// (at most 33 for IPv4, 129 for IPv6), never with the number of entries: one hash lookup per
// prefix length, longest first. 100,000 devices in /32, /24 and /16 cost three Map lookups.
import { readU32 } from "./bytes.ts";
import type { Cidr, Family } from "./ip.ts";

type Key = number | string;

interface Level<T> {
  prefix: number;
  /** IPv4 only: the netmask as an unsigned number. */
  mask: number;
  entries: Map<Key, T[]>;
}

/** IPv4 bytes → unsigned 32-bit number. */
export function v4ToNumber(b: Uint8Array): number {
  return readU32(b, 0);
}

function v4Mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** IPv6: the masked address as a hex string of the bytes the prefix covers. */
function v6Key(b: Uint8Array, prefix: number): string {
  const full = prefix >> 3;
  let s = "";
  for (let i = 0; i < full; i++) s += HEX[b[i]!];
  const rem = prefix & 7;
  if (rem !== 0) s += HEX[b[full]! & ((0xff << (8 - rem)) & 0xff)];
  return s;
}
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export class PrefixTable<T> {
  private v4: Level<T>[] = [];
  private v6: Level<T>[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  insert(cidr: Cidr, value: T): void {
    const levels = cidr.family === 4 ? this.v4 : this.v6;
    let level = levels.find((l) => l.prefix === cidr.prefix);
    if (!level) {
      level = {
        prefix: cidr.prefix,
        mask: cidr.family === 4 ? v4Mask(cidr.prefix) : 0,
        entries: new Map(),
      };
      levels.push(level);
      levels.sort((a, b) => b.prefix - a.prefix);
    }
    const key: Key =
      cidr.family === 4
        ? (v4ToNumber(cidr.bytes) & v4Mask(cidr.prefix)) >>> 0
        : v6Key(cidr.bytes, cidr.prefix);
    const list = level.entries.get(key);
    if (list) list.push(value);
    else level.entries.set(key, [value]);
    this.count++;
  }

  /**
   * Fills `out` with the entry lists of every matching prefix, longest prefix first, and returns
   * how many it wrote. The hot path: no closures, no allocation (the caller reuses `out`).
   */
  collect(family: Family, bytes: Uint8Array, out: T[][]): number {
    if (family === 4) return this.collectV4(v4ToNumber(bytes), out);
    let n = 0;
    for (const level of this.v6) {
      const list = level.entries.get(v6Key(bytes, level.prefix));
      if (list) out[n++] = list;
    }
    return n;
  }

  /** collect() for an IPv4 address given as an unsigned 32-bit number. */
  collectV4(ip: number, out: T[][]): number {
    let n = 0;
    for (const level of this.v4) {
      const list = level.entries.get((ip & level.mask) >>> 0);
      if (list) out[n++] = list;
    }
    return n;
  }

  /**
   * Calls `visit` with the entries of each matching prefix, longest prefix first, until it
   * returns something other than undefined, and returns that.
   */
  find<R>(
    family: Family,
    bytes: Uint8Array,
    visit: (entries: T[], prefix: number) => R | undefined,
  ): R | undefined {
    if (family === 4) {
      const n = v4ToNumber(bytes);
      for (const level of this.v4) {
        const list = level.entries.get((n & level.mask) >>> 0);
        if (list) {
          const r = visit(list, level.prefix);
          if (r !== undefined) return r;
        }
      }
      return undefined;
    }
    for (const level of this.v6) {
      const list = level.entries.get(v6Key(bytes, level.prefix));
      if (list) {
        const r = visit(list, level.prefix);
        if (r !== undefined) return r;
      }
    }
    return undefined;
  }
}
