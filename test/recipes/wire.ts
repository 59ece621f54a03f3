// The wire half of the recipe tests: log in over TACACS+ and RADIUS against a recipe server while
// tshark captures the loopback interface, then let tshark (an independent dissector) read it.
import { utf8 } from "../../src/lib/bytes.ts";
import { AcctFlag } from "../../src/tacacs/codec/accounting.ts";
import { AuthenType } from "../../src/tacacs/codec/authentication.ts";
import { PacketType } from "../../src/tacacs/codec/header.ts";
import { encodeBody, encodePacket, type PacketBody } from "../../src/tacacs/codec/packet.ts";
import { inCI } from "../support/peers.ts";
import { newSessionId, TacacsClient } from "../support/tacacs-client.ts";
import { SECRET_ENV, type RecipeServer } from "./server.ts";

const NAS = "192.0.2.10"; // rem_addr in the TACACS+ requests (the user's terminal, §5.1)

// Capturing on lo needs root (CI runs as root, .ci/run) or a dumpcap with capture capabilities;
// elsewhere the file is skipped with the reason, as for a missing peer.
export function canCapture(): boolean {
  if (process.getuid?.() === 0) return true;
  const getcap = Bun.which("getcap", { PATH: `${process.env.PATH ?? ""}:/usr/sbin:/sbin` });
  const dumpcap = Bun.which("dumpcap");
  if (getcap !== null && dumpcap !== null) {
    const r = Bun.spawnSync([getcap, dumpcap], { timeout: 5_000 });
    if (/cap_net_raw/.test(r.stdout.toString())) return true;
  }
  const msg = "capturing on lo needs root or a dumpcap with cap_net_raw,cap_net_admin";
  if (inCI()) throw new Error(msg);
  console.warn(`SKIPPED (not in CI): ${msg}`);
  return false;
}

/**
 * A real capture of the loopback interface (tshark -i lo, as root: .ci/run runs the suite so),
 * filtered to the server's ports and a probe port of our own. tshark prints each packet as it
 * writes it (-l -P); a probe datagram showing up there marks every earlier packet as written:
 * start() waits for one before the test's traffic, stop() for one after it, then ends tshark by
 * PID with SIGINT (a plain SIGINT right after the last exchange loses what is still buffered).
 */
export class LoopbackCapture {
  private live = "";
  private constructor(
    readonly path: string,
    private readonly proc: ReturnType<typeof Bun.spawn>,
    private readonly probe: Bun.udp.Socket<"buffer">,
    private readonly errText: Promise<string>,
  ) {
    void (async () => {
      const dec = new TextDecoder();
      for await (const c of proc.stdout as ReadableStream<Uint8Array>) this.live += dec.decode(c);
    })();
  }

  static async start(path: string, tcp: number[], udp: number[]): Promise<LoopbackCapture> {
    const probe = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0 });
    const filter = [
      ...tcp.map((p) => `tcp port ${p}`),
      ...[...udp, probe.port].map((p) => `udp port ${p}`),
    ];
    const proc = Bun.spawn(
      ["tshark", "-n", "-l", "-P", "-i", "lo", "-f", filter.join(" or "), "-w", path],
      { stdout: "pipe", stderr: "pipe", env: { ...process.env } },
    );
    const c = new LoopbackCapture(path, proc, probe, new Response(proc.stderr).text());
    await c.mark();
    return c;
  }

  /** Sends probes until one appears in tshark's output after everything sent before it. */
  private async mark(): Promise<void> {
    const seen = this.live.length;
    const until = Date.now() + 15_000;
    // The summary line reads "… 41234 → 41234 Len=5" (the arrow may be "->" outside UTF-8).
    const probeLine = new RegExp(`\\b${this.probe.port}\\b\\D+\\b${this.probe.port}\\b`);
    while (!probeLine.test(this.live.slice(seen))) {
      if (this.proc.exitCode !== null || Date.now() > until) {
        this.proc.kill("SIGKILL");
        this.probe.close();
        throw new Error(`loopback capture: no probe seen: ${await this.errText}`);
      }
      this.probe.send("probe", this.probe.port, "127.0.0.1");
      await Bun.sleep(100);
    }
  }

  async stop(): Promise<string> {
    if (this.proc.exitCode === null) {
      await this.mark();
      this.proc.kill("SIGINT");
    }
    const t = setTimeout(() => this.proc.kill("SIGKILL"), 10_000);
    await this.proc.exited;
    clearTimeout(t);
    this.probe.close();
    return this.path;
  }
}

async function tacacsExchange(
  srv: RecipeServer,
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

export function tacacsPap(srv: RecipeServer, user: string, password: string) {
  return tacacsExchange(srv, PacketType.AUTHEN, 1, {
    kind: "authen-start",
    body: { ...fields(user), action: 1, authenType: AuthenType.PAP, data: utf8(password) },
  });
}

/** An authorization REQUEST as a device sends it after login (authen_method TACACSPLUS). */
export function tacacsAuthor(srv: RecipeServer, user: string, args: string[]) {
  return tacacsExchange(srv, PacketType.AUTHOR, 0, {
    kind: "author-request",
    body: { ...fields(user), authenMethod: 6, authenType: AuthenType.PAP, args },
  });
}

export function tacacsAcctStart(srv: RecipeServer, user: string, args: string[]) {
  return tacacsExchange(srv, PacketType.ACCT, 0, {
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

/**
 * One request through FreeRADIUS's radclient (Debian freeradius-utils, an independent client that
 * checks the Response Authenticator and prints the reply with its own dictionaries). The
 * Message-Authenticator line makes radclient compute one, as aaa-proxy requires by default.
 */
async function radclient(port: number, kind: "auth" | "acct", attrs: string[]): Promise<string> {
  const p = Bun.spawn(
    [
      "radclient",
      "-x",
      "-r",
      "1",
      "-t",
      "5",
      `127.0.0.1:${port}`,
      kind,
      SECRET_ENV.AAA_RADIUS_SECRET,
    ],
    {
      stdin: new TextEncoder().encode(attrs.join(", ") + "\n"),
      stdout: "pipe",
      stderr: "pipe",
      timeout: 20_000,
      killSignal: "SIGKILL",
    },
  );
  const [out, errText] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  if (!/Received (Access-Accept|Access-Reject|Accounting-Response)/.test(out))
    throw new Error(`radclient ${kind}: no reply: ${out}${errText}`);
  return out;
}

const quoted = (v: string) => `"${v.replace(/["\\]/g, (c) => "\\" + c)}"`;

/** PAP Access-Request; resolves with radclient's printout of the reply. */
export const radiusPap = (srv: RecipeServer, user: string, password: string) =>
  radclient(srv.auth, "auth", [
    `User-Name = ${quoted(user)}`,
    `User-Password = ${quoted(password)}`,
    "NAS-IP-Address = 192.0.2.1",
    "Message-Authenticator = 0x00",
  ]);

export const radiusAcctStart = (srv: RecipeServer, user: string) =>
  radclient(srv.acct, "acct", [
    `User-Name = ${quoted(user)}`,
    "Acct-Status-Type = Start",
    `Acct-Session-Id = "recipe-${user}"`,
    "NAS-IP-Address = 192.0.2.1",
  ]);

export type Layers = Record<string, string[] | undefined>;

/**
 * tshark's dissection of the packets of `pcap` that match the display filter, one layer map per
 * packet. `decodeAs` maps the test's ephemeral ports to dissectors ("tcp.port==N,tacplus").
 * `configDir`, when given, is a Wireshark personal configuration directory
 * (WIRESHARK_CONFIG_DIR) whose radius/dictionary adds vendors the installed Wireshark lacks.
 */
export async function dissect(
  pcap: string,
  o: { decodeAs: string[]; prefs: string[]; filter: string; fields: string[]; configDir?: string },
): Promise<Layers[]> {
  const args = ["tshark", "-n", "-r", pcap, "-Y", o.filter, "-T", "json"];
  for (const d of o.decodeAs) args.push("-d", d);
  for (const p of o.prefs) args.push("-o", p);
  for (const f of o.fields) args.push("-e", f);
  const p = Bun.spawn(args, {
    stdout: "pipe",
    stderr: "pipe",
    timeout: 30_000,
    killSignal: "SIGKILL",
    env: {
      ...process.env,
      ...(o.configDir === undefined ? {} : { WIRESHARK_CONFIG_DIR: o.configDir }),
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
