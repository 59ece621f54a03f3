// A small TACACS+ client over the project's codec, for integration tests and the benchmark server's
// smoke check. Raw bytes can be sent too (bad-input tests). Every wait is bounded.
//
//   const c = await TacacsClient.connect("127.0.0.1", port, { key: "k" });
//   const r = await c.pap("alice", "pw");      // AuthenReply
//   c.close();
import type { Socket } from "bun";
import { utf8 } from "../../src/lib/bytes.ts";
import {
  AuthenAction,
  AuthenService,
  AuthenType,
  type AuthenReply,
  type AuthenStart,
} from "../../src/tacacs/codec/authentication.ts";
import { Framer } from "../../src/tacacs/codec/framer.ts";
import { HeaderFlag, MinorVersion, PacketType } from "../../src/tacacs/codec/header.ts";
import {
  decodePacket,
  encodeBody,
  encodePacket,
  type PacketBody,
  type ServerPacket,
} from "../../src/tacacs/codec/packet.ts";

export interface ClientOptions {
  key: string;
  /** Bytes sent first (a PROXY v2 header). */
  preamble?: Uint8Array;
  timeoutMs?: number;
}

export type Received =
  | { kind: "packet"; packet: ServerPacket; raw: Uint8Array }
  | { kind: "closed" }
  | { kind: "timeout" }
  | { kind: "undecodable"; code: string; raw?: Uint8Array };

let nextId = 0x1000 + Math.floor(Math.random() * 0x10000);
export const newSessionId = (): number => (nextId = (nextId * 1103515245 + 12345) >>> 0) || 1;

export class TacacsClient {
  private framer = new Framer({ maxBodyLength: 1 << 20 });
  private inbox: Received[] = [];
  private waiters: Array<(r: Received) => void> = [];
  isClosed = false;
  readonly key: Uint8Array;
  singleConnect = false;

  private constructor(
    private socket: Socket<undefined> | null,
    key: string,
    private readonly timeoutMs: number,
  ) {
    this.key = utf8(key);
  }

  static async connect(host: string, port: number, o: ClientOptions): Promise<TacacsClient> {
    let c: TacacsClient | null = null;
    const socket = await Bun.connect({
      hostname: host,
      port,
      socket: {
        binaryType: "uint8array",
        data: (_s, d) => c!.onData(d),
        close: () => c!.onClose(),
        error: () => c!.onClose(),
      },
    });
    c = new TacacsClient(socket, o.key, o.timeoutMs ?? 3000);
    if (o.preamble) socket.write(o.preamble);
    return c;
  }

  private onData(d: Uint8Array): void {
    this.framer.push(d);
    for (;;) {
      const r = this.framer.next();
      if (!r.ok) return this.deliver({ kind: "undecodable", code: r.code });
      if (r.value === null) return;
      const p = decodePacket(r.value.header, r.value.body, this.key, "server");
      this.deliver(
        p.ok
          ? { kind: "packet", packet: p.value, raw: r.value.raw }
          : { kind: "undecodable", code: p.code, raw: r.value.raw },
      );
    }
  }

  private onClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.deliver({ kind: "closed" });
  }

  private deliver(r: Received): void {
    const w = this.waiters.shift();
    if (w) w(r);
    else this.inbox.push(r);
  }

  /** The next packet, or closed / timeout. A "closed" result stays available to later calls. */
  next(timeoutMs = this.timeoutMs): Promise<Received> {
    const r = this.inbox.shift();
    if (r) {
      if (r.kind === "closed") this.inbox.unshift(r);
      return Promise.resolve(r);
    }
    if (this.isClosed) return Promise.resolve({ kind: "closed" });
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve({ kind: "timeout" });
      }, timeoutMs);
      const done = (x: Received) => {
        clearTimeout(t);
        if (x.kind === "closed") this.inbox.unshift(x);
        resolve(x);
      };
      this.waiters.push(done);
    });
  }

  /** Waits until the server closes (true) or the timeout passes (false), discarding packets. */
  async waitClosed(timeoutMs = this.timeoutMs): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const left = until - Date.now();
      if (left <= 0) return false;
      const r = await this.next(left);
      if (r.kind === "closed") return true;
      if (r.kind === "timeout") return false;
    }
  }

  writeRaw(b: Uint8Array): void {
    this.socket?.write(b);
  }

  send(
    fields: {
      type: number;
      seqNo: number;
      sessionId: number;
      minorVersion?: number;
      flags?: number;
    },
    body: PacketBody,
    key: Uint8Array | null = this.key,
  ): void {
    this.writeRaw(encodePacket(fields, encodeBody(body), key));
  }

  /** Sends and waits for the reply packet; throws with a readable message on anything else. */
  async request(
    fields: {
      type: number;
      seqNo: number;
      sessionId: number;
      minorVersion?: number;
      flags?: number;
    },
    body: PacketBody,
  ): Promise<ServerPacket> {
    this.send(fields, body);
    const r = await this.next();
    if (r.kind !== "packet")
      throw new Error(
        `expected a reply, got ${r.kind}${r.kind === "undecodable" ? " " + r.code : ""}`,
      );
    if ((r.packet.header.flags & HeaderFlag.SINGLE_CONNECT) !== 0) this.singleConnect = true;
    return r.packet;
  }

  async authenStart(
    start: Partial<AuthenStart> & { user: string },
    o: { sessionId?: number; flags?: number; minorVersion?: number } = {},
  ): Promise<ServerPacket> {
    const body: AuthenStart = {
      action: AuthenAction.LOGIN,
      privLvl: 1,
      authenType: AuthenType.PAP,
      authenService: AuthenService.LOGIN,
      port: "tty1",
      remAddr: "192.0.2.200",
      data: new Uint8Array(0),
      ...start,
    };
    const minor =
      o.minorVersion ??
      (body.authenType === AuthenType.ASCII ? MinorVersion.DEFAULT : MinorVersion.ONE);
    return this.request(
      {
        type: PacketType.AUTHEN,
        seqNo: 1,
        sessionId: o.sessionId ?? newSessionId(),
        minorVersion: minor,
        flags: o.flags ?? 0,
      },
      { kind: "authen-start", body },
    );
  }

  async pap(
    user: string,
    password: string,
    o: { sessionId?: number; flags?: number } = {},
  ): Promise<AuthenReply> {
    const p = await this.authenStart({ user, authenType: AuthenType.PAP, data: utf8(password) }, o);
    if (p.kind !== "authen-reply") throw new Error(`unexpected ${p.kind}`);
    return p.body;
  }

  close(): void {
    this.socket?.end();
    this.socket = null;
  }
}

/** Connect, PAP once, close: true when the server said PASS. The "a good client still authenticates" check. */
export async function papOnce(
  host: string,
  port: number,
  key: string,
  user: string,
  password: string,
  preamble?: Uint8Array,
): Promise<number> {
  const c = await TacacsClient.connect(host, port, preamble ? { key, preamble } : { key });
  try {
    const r = await c.pap(user, password);
    return r.status;
  } finally {
    c.close();
  }
}
