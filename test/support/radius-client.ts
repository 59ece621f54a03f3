// A tiny RADIUS client for tests: sends raw datagrams (well-formed or deliberately broken) from a
// chosen local address and waits, bounded, for the reply to each. Built on the codec, so tests can
// craft exactly the bytes they want; interop tests use independent peers (radclient, pyrad) instead.
import { utf8 } from "../../src/lib/bytes.ts";
import { encodeRequest } from "../../src/radius/codec/compose.ts";
import { AttrType, Code, type Attribute } from "../../src/radius/codec/packet.ts";
import { hidePassword } from "../../src/radius/codec/user-password.ts";
import { randomAuthenticator } from "../../src/radius/codec/authenticator.ts";

export interface RadiusTestClient {
  port: number;
  /** Sends bytes and resolves with the first datagram received within `timeoutMs`, or null. */
  exchange(bytes: Uint8Array, timeoutMs?: number): Promise<Uint8Array | null>;
  close(): void;
}

export async function radiusClient(
  server: { host: string; port: number },
  localHost = server.host.includes(":") ? "::1" : "127.0.0.1",
): Promise<RadiusTestClient> {
  let waiter: ((b: Uint8Array) => void) | null = null;
  const queue: Uint8Array[] = [];
  const sock = await Bun.udpSocket({
    hostname: localHost,
    port: 0,
    binaryType: "uint8array",
    socket: {
      data(_s, data) {
        if (waiter !== null) {
          const w = waiter;
          waiter = null;
          w(data);
        } else queue.push(data);
      },
    },
  });
  return {
    port: sock.port,
    async exchange(bytes, timeoutMs = 3_000) {
      queue.length = 0;
      sock.send(bytes, server.port, server.host);
      return new Promise<Uint8Array | null>((resolve) => {
        const t = setTimeout(() => {
          waiter = null;
          resolve(null);
        }, timeoutMs);
        waiter = (b) => {
          clearTimeout(t);
          resolve(b);
        };
      });
    },
    close: () => sock.close(),
  };
}

let nextId = 0;
export const freshId = (): number => (nextId = (nextId + 1) & 0xff);

/** Access-Request with PAP; Message-Authenticator first unless `messageAuthenticator: false`. */
export function papRequest(
  secret: string,
  user: string,
  password: string,
  o: {
    id?: number;
    messageAuthenticator?: boolean;
    extra?: Attribute[];
    authenticator?: Uint8Array;
  } = {},
): { bytes: Uint8Array; authenticator: Uint8Array; id: number } {
  const authenticator = o.authenticator ?? randomAuthenticator();
  const hidden = hidePassword(utf8(password), utf8(secret), authenticator);
  if (!hidden.ok) throw new Error(hidden.code);
  const id = o.id ?? freshId();
  const r = encodeRequest(
    {
      code: Code.AccessRequest,
      identifier: id,
      authenticator,
      attributes: [
        { type: AttrType.UserName, value: utf8(user) },
        { type: AttrType.UserPassword, value: hidden.value },
        { type: AttrType.NASIPAddress, value: new Uint8Array([192, 0, 2, 1]) },
        ...(o.extra ?? []),
      ],
    },
    utf8(secret),
    o.messageAuthenticator === undefined
      ? undefined
      : { messageAuthenticator: o.messageAuthenticator },
  );
  if (!r.ok) throw new Error(r.code);
  return { bytes: r.value, authenticator, id };
}

/** Accounting-Request with Acct-Status-Type and Acct-Session-Id. */
export function acctRequest(
  secret: string,
  user: string,
  statusType: number,
  session: string,
  o: { id?: number; extra?: Attribute[] } = {},
): Uint8Array {
  const u32 = (n: number) =>
    new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
  const r = encodeRequest(
    {
      code: Code.AccountingRequest,
      identifier: o.id ?? freshId(),
      attributes: [
        { type: AttrType.UserName, value: utf8(user) },
        { type: 40, value: u32(statusType) },
        { type: 44, value: utf8(session) },
        { type: AttrType.NASIPAddress, value: new Uint8Array([192, 0, 2, 1]) },
        ...(o.extra ?? []),
      ],
    },
    utf8(secret),
  );
  if (!r.ok) throw new Error(r.code);
  return r.value;
}
