// The wire half of the recipe tests: log in over TACACS+ and RADIUS against a recipe server, keep
// the exact bytes each socket carried, and hand them to tshark (an independent dissector) as a pcap.
import { join } from "node:path";
import { utf8 } from "../../src/lib/bytes.ts";
import { AcctFlag } from "../../src/tacacs/codec/accounting.ts";
import { AuthenType } from "../../src/tacacs/codec/authentication.ts";
import { PacketType } from "../../src/tacacs/codec/header.ts";
import { encodeBody, encodePacket, type PacketBody } from "../../src/tacacs/codec/packet.ts";
import { writePcap, type PcapFrame } from "../support/pcap.ts";
import { acctRequest, papRequest, radiusClient } from "../support/radius-client.ts";
import { newSessionId, TacacsClient } from "../support/tacacs-client.ts";
import { SECRET_ENV, type RecipeServer } from "./server.ts";

const NAS = "192.0.2.10";
const SERVER = "192.0.2.1";

/** Request and reply bytes as they crossed the loopback socket, in order. */
export class Capture {
  readonly tacacs: PcapFrame[] = [];
  readonly radius: PcapFrame[] = [];
  private n = 0;

  add(kind: "tacacs" | "auth" | "acct", request: Uint8Array, reply: Uint8Array): void {
    const nas = { ip: NAS, port: 40_000 + this.n++ };
    const srv = { ip: SERVER, port: kind === "tacacs" ? 49 : kind === "auth" ? 1812 : 1813 };
    const proto = kind === "tacacs" ? "tcp" : "udp";
    const list = kind === "tacacs" ? this.tacacs : this.radius;
    list.push(
      { src: nas, dst: srv, proto, payload: request },
      { src: srv, dst: nas, proto, payload: reply },
    );
  }
}

async function tacacsExchange(
  srv: RecipeServer,
  cap: Capture,
  type: number,
  minorVersion: number,
  body: PacketBody,
): Promise<void> {
  const c = await TacacsClient.connect("127.0.0.1", srv.tacacs, {
    key: SECRET_ENV.AAA_TACACS_KEY,
  });
  try {
    const request = encodePacket(
      { type, minorVersion, seqNo: 1, sessionId: newSessionId(), flags: 0 },
      encodeBody(body),
      utf8(SECRET_ENV.AAA_TACACS_KEY),
    );
    c.writeRaw(request);
    const r = await c.next(5_000);
    if (r.kind !== "packet") throw new Error(`TACACS+: no reply (${r.kind})`);
    cap.add("tacacs", request, r.raw);
  } finally {
    c.close();
  }
}

const fields = (user: string) => ({
  privLvl: 1,
  authenService: 1,
  user,
  port: "tty1",
  remAddr: NAS,
});

export function tacacsPap(srv: RecipeServer, cap: Capture, user: string, password: string) {
  return tacacsExchange(srv, cap, PacketType.AUTHEN, 1, {
    kind: "authen-start",
    body: { ...fields(user), action: 1, authenType: AuthenType.PAP, data: utf8(password) },
  });
}

/** An authorization REQUEST as a device sends it after login (authen_method TACACSPLUS). */
export function tacacsAuthor(srv: RecipeServer, cap: Capture, user: string, args: string[]) {
  return tacacsExchange(srv, cap, PacketType.AUTHOR, 0, {
    kind: "author-request",
    body: { ...fields(user), authenMethod: 6, authenType: AuthenType.PAP, args },
  });
}

export function tacacsAcctStart(srv: RecipeServer, cap: Capture, user: string, args: string[]) {
  return tacacsExchange(srv, cap, PacketType.ACCT, 0, {
    kind: "acct-request",
    body: {
      ...fields(user),
      flags: AcctFlag.START,
      authenMethod: 6,
      authenType: AuthenType.PAP,
      args,
    },
  });
}

async function radiusExchange(
  port: number,
  kind: "auth" | "acct",
  cap: Capture,
  request: Uint8Array,
): Promise<void> {
  const c = await radiusClient({ host: "127.0.0.1", port });
  try {
    const reply = await c.exchange(request, 5_000);
    if (reply === null) throw new Error(`RADIUS ${kind}: no reply`);
    cap.add(kind, request, reply);
  } finally {
    c.close();
  }
}

export const radiusPap = (srv: RecipeServer, cap: Capture, user: string, password: string) =>
  radiusExchange(
    srv.auth,
    "auth",
    cap,
    papRequest(SECRET_ENV.AAA_RADIUS_SECRET, user, password).bytes,
  );

export const radiusAcctStart = (srv: RecipeServer, cap: Capture, user: string) =>
  radiusExchange(
    srv.acct,
    "acct",
    cap,
    acctRequest(SECRET_ENV.AAA_RADIUS_SECRET, user, 1, `recipe-${user}`),
  );

export type Layers = Record<string, string[] | undefined>;

/**
 * tshark's dissection of `frames`, one layer map per packet. `configDir`, when given, is a
 * Wireshark personal configuration directory (WIRESHARK_CONFIG_DIR) whose radius/dictionary adds
 * vendors the installed Wireshark lacks (Arista).
 */
export async function dissect(
  dir: string,
  name: string,
  frames: readonly PcapFrame[],
  prefs: string[],
  wanted: string[],
  configDir?: string,
): Promise<Layers[]> {
  const pcap = join(dir, name);
  await writePcap(pcap, frames);
  const args = ["tshark", "-n", "-r", pcap, "-T", "json"];
  for (const p of prefs) args.push("-o", p);
  for (const f of wanted) args.push("-e", f);
  const p = Bun.spawn(args, {
    stdout: "pipe",
    stderr: "pipe",
    timeout: 30_000,
    killSignal: "SIGKILL",
    env: {
      ...process.env,
      ...(configDir === undefined ? {} : { WIRESHARK_CONFIG_DIR: configDir }),
    },
  });
  const [out, errText, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  if (code !== 0) throw new Error(`tshark exited ${code}: ${errText}`);
  return (JSON.parse(out) as Array<{ _source: { layers: Layers } }>).map((x) => x._source.layers);
}
