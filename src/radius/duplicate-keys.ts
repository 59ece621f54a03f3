// The duplicate cache's key table (duplicates.ts): (receiving socket, source address, source port,
// Identifier) → slot number, without a string or an object per entry (issue 21, defect 7).
//
//   duplicateKey(socket, address, port, identifier) → DuplicateKey   a value the caller may drop
//   const t = new KeyTable();  t.grow(capacity, liveSlots)
//   t.find(key) → slot | -1;  t.add(key, slot);  t.remove(slot);  t.clear()
//
// Source addresses are interned: address text → a small number, counted by the entries using it,
// released with the last. Only authenticated requests enter the cache, so these are known
// devices' addresses, far fewer than entries. The table is open addressing with linear probing,
// at most half full, and removal shifts later cells back (no tombstones: probes stay short however
// long the cache churns).

/** What names a request (RFC 5080 §2.2.2): never a field the client wrote beyond the Identifier. */
export interface DuplicateKey {
  readonly socket: number;
  readonly address: string;
  /** port << 8 | identifier. */
  readonly tag: number;
}

export function duplicateKey(
  socketId: number,
  address: string,
  port: number,
  identifier: number,
): DuplicateKey {
  return { socket: socketId, address, tag: ((port & 0xffff) << 8) | (identifier & 0xff) };
}

const NONE = -1;

export class KeyTable {
  private readonly addrIds = new Map<string, number>();
  private addrNames: (string | undefined)[] = [];
  private addrUses: number[] = [];
  private readonly addrFree: number[] = [];
  /** slot + 1 per cell, 0 = empty. */
  private table = new Int32Array(0);
  private mask = 0;
  // Per slot.
  private sock = new Int32Array(0);
  private addr = new Int32Array(0);
  private tag = new Int32Array(0);

  find(k: DuplicateKey): number {
    const a = this.addrIds.get(k.address);
    if (a === undefined) return NONE;
    const t = this.table;
    for (let i = this.home(k.socket, a, k.tag); ; i = (i + 1) & this.mask) {
      const cell = t[i]!;
      if (cell === 0) return NONE;
      const e = cell - 1;
      if (this.tag[e] === k.tag && this.addr[e] === a && this.sock[e] === k.socket) return e;
    }
  }

  /** `slot` must be below the capacity given to grow() and not in the table. */
  add(k: DuplicateKey, slot: number): void {
    let a = this.addrIds.get(k.address);
    if (a === undefined) {
      a = this.addrFree.pop() ?? this.addrNames.length;
      this.addrIds.set(k.address, a);
      this.addrNames[a] = k.address;
      this.addrUses[a] = 0;
    }
    this.addrUses[a]!++;
    this.sock[slot] = k.socket;
    this.addr[slot] = a;
    this.tag[slot] = k.tag;
    this.place(slot);
  }

  remove(slot: number): void {
    const t = this.table;
    const m = this.mask;
    let i = this.homeOf(slot);
    while (t[i] !== slot + 1) i = (i + 1) & m;
    for (let j = i; ;) {
      j = (j + 1) & m;
      const cell = t[j]!;
      if (cell === 0) break;
      // The cell at j moves back into the hole at i unless its home lies cyclically in (i, j].
      const h = this.homeOf(cell - 1);
      if (i <= j ? h <= i || h > j : h <= i && h > j) {
        t[i] = cell;
        i = j;
      }
    }
    t[i] = 0;
    const a = this.addr[slot]!;
    if (--this.addrUses[a]! === 0) {
      this.addrIds.delete(this.addrNames[a]!);
      this.addrNames[a] = undefined;
      this.addrFree.push(a);
    }
  }

  /** Room for `capacity` slots; `live` lists the slots in the table now (they are re-placed). */
  grow(capacity: number, live: Iterable<number>): void {
    const widen = (old: Int32Array): Int32Array<ArrayBuffer> => {
      const a = new Int32Array(capacity);
      a.set(old);
      return a;
    };
    this.sock = widen(this.sock);
    this.addr = widen(this.addr);
    this.tag = widen(this.tag);
    let size = 1;
    while (size < capacity * 2) size <<= 1;
    this.table = new Int32Array(size);
    this.mask = size - 1;
    for (const e of live) this.place(e);
  }

  clear(): void {
    this.addrIds.clear();
    this.addrNames = [];
    this.addrUses = [];
    this.addrFree.length = 0;
    this.table.fill(0);
  }

  private place(slot: number): void {
    const t = this.table;
    let i = this.homeOf(slot);
    while (t[i] !== 0) i = (i + 1) & this.mask;
    t[i] = slot + 1;
  }

  private homeOf(slot: number): number {
    return this.home(this.sock[slot]!, this.addr[slot]!, this.tag[slot]!);
  }

  private home(socket: number, addr: number, tag: number): number {
    const h = Math.imul(addr ^ Math.imul(socket, 0x9e3779b1), 0x85ebca6b);
    return (h ^ Math.imul(tag, 0xc2b2ae35)) & this.mask;
  }
}
