// The identifier space of one home server: 256 identifiers per upstream socket (RFC 2865 §3: the
// Identifier only has to be unique per source address/port and destination), so S sockets give
// S × 256 requests in flight — radsecproxy's 256 cap is a one-socket artefact.
//
// API
//   new IdSpace<T>(sockets)   alloc(entry) → slot | -1;  get(slot);  release(slot);  size;  capacity
//   slotSocket(slot), slotId(slot)      slot = socket * 256 + identifier
//
// Free identifiers are reused in FIFO order per socket, so an identifier is reused as late as
// possible and a reply that arrives after its request was given up rarely meets a new request with
// the same identifier (it would fail the Response Authenticator check anyway: a different request
// authenticator). Sockets are filled in order: the first socket with a free identifier is used, so a
// moderate load stays on one socket and its datagrams leave in one sendMany() batch (the transport
// batches per socket); more sockets only come into play past 256 requests in flight.
export const IDS_PER_SOCKET = 256;

export const slotSocket = (slot: number): number => slot >>> 8;
export const slotId = (slot: number): number => slot & 0xff;

export class IdSpace<T> {
  private readonly entries: Array<T | undefined>;
  /** Per socket: a ring of free identifiers. */
  private readonly rings: Uint8Array[];
  private readonly heads: Int32Array;
  private readonly counts: Int32Array;
  size = 0;

  constructor(readonly sockets: number) {
    if (!Number.isInteger(sockets) || sockets < 1)
      throw new RangeError(`sockets must be ≥ 1, got ${sockets}`);
    this.entries = new Array(sockets * IDS_PER_SOCKET).fill(undefined);
    this.rings = [];
    for (let s = 0; s < sockets; s++) {
      const r = new Uint8Array(IDS_PER_SOCKET);
      for (let i = 0; i < IDS_PER_SOCKET; i++) r[i] = i;
      this.rings.push(r);
    }
    this.heads = new Int32Array(sockets);
    this.counts = new Int32Array(sockets).fill(IDS_PER_SOCKET);
  }

  get capacity(): number {
    return this.sockets * IDS_PER_SOCKET;
  }

  alloc(entry: T): number {
    for (let s = 0; s < this.sockets; s++) {
      const n = this.counts[s]!;
      if (n === 0) continue;
      const h = this.heads[s]!;
      const id = this.rings[s]![h]!;
      this.heads[s] = (h + 1) % IDS_PER_SOCKET;
      this.counts[s] = n - 1;
      const slot = s * IDS_PER_SOCKET + id;
      this.entries[slot] = entry;
      this.size++;
      return slot;
    }
    return -1;
  }

  get(slot: number): T | undefined {
    return this.entries[slot];
  }

  /** Free a slot; releasing a free slot is a bug and throws (it would hand one identifier out twice). */
  release(slot: number): void {
    if (this.entries[slot] === undefined) throw new Error(`slot ${slot} released twice`);
    this.entries[slot] = undefined;
    const s = slotSocket(slot);
    const tail = (this.heads[s]! + this.counts[s]!) % IDS_PER_SOCKET;
    this.rings[s]![tail] = slotId(slot);
    this.counts[s]!++;
    this.size--;
  }
}
