// Peers for the auth-log tests: a real rsyslog on loopback (its own config: imudp and imtcp on
// free ports, one omfile per input with a template of what rsyslog parsed), the Perl TACACS+
// client Authen::TacacsPlus and FreeRADIUS's radclient — child processes stopped by their PID —
// and a minimal home server for the RADIUS proxy (answers Access-Accept).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { utf8 } from "../../src/lib/bytes.ts";
import { encodeReply } from "../../src/radius/codec/compose.ts";
import { AttrType, Code, decodePacket, getAll } from "../../src/radius/codec/packet.ts";

export interface Parsed {
  pri: number;
  severity: string;
  app: string;
  msgid: string;
  sd: string;
  msg: string;
}

async function tcpUp(port: number): Promise<boolean> {
  try {
    const s = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
    s.end();
    return true;
  } catch {
    return false;
  }
}

export class Rsyslog {
  udpPort = 0;
  tcpPort = 0;
  private proc: ReturnType<typeof Bun.spawn> | null = null;
  constructor(private readonly dir: string) {}

  private out(name: string): string {
    return join(this.dir, `rsyslog-${name}.log`);
  }

  async start(): Promise<void> {
    const u = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0 });
    this.udpPort = u.port;
    u.close();
    const t = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    this.tcpPort = t.port;
    t.stop(true);
    const conf = join(this.dir, "rsyslog.conf");
    writeFileSync(
      conf,
      `global(workDirectory="${this.dir}" net.enableDNS="off")
module(load="imudp")
module(load="imtcp")
template(name="fields" type="string" string="%pri%|%syslogseverity-text%|%app-name%|%msgid%|%structured-data%|%msg%\\n")
ruleset(name="udp") { action(type="omfile" file="${this.out("udp")}" template="fields") }
ruleset(name="tcp") { action(type="omfile" file="${this.out("tcp")}" template="fields") }
input(type="imudp" address="127.0.0.1" port="${this.udpPort}" ruleset="udp")
input(type="imtcp" address="127.0.0.1" port="${this.tcpPort}" ruleset="tcp")
`,
    );
    this.proc = Bun.spawn(
      ["/usr/sbin/rsyslogd", "-n", "-f", conf, "-i", join(this.dir, "rsyslogd.pid")],
      { stdout: "ignore", stderr: "ignore" },
    );
    const end = Date.now() + 15_000;
    while (!(await tcpUp(this.tcpPort))) {
      if (Date.now() > end || this.proc.exitCode !== null)
        throw new Error("rsyslogd did not start");
      await Bun.sleep(50);
    }
  }

  async stop(): Promise<void> {
    if (this.proc && this.proc.exitCode === null) {
      this.proc.kill("SIGTERM");
      await this.proc.exited;
    }
    this.proc = null;
  }

  raw(name: "udp" | "tcp"): string {
    return existsSync(this.out(name)) ? readFileSync(this.out(name), "utf8") : "";
  }

  parsed(name: "udp" | "tcp"): Parsed[] {
    return this.raw(name)
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => {
        const f = l.split("|");
        return {
          pri: Number(f[0]),
          severity: f[1]!,
          app: f[2]!,
          msgid: f[3]!,
          sd: f[4]!,
          msg: f.slice(5).join("|").trim(),
        };
      });
  }
}

const PERL = String.raw`
use strict; use warnings;
use Authen::TacacsPlus;
my ($host, $port, $key, $type, $user, $pw) = @ARGV;
my $tac = Authen::TacacsPlus->new(Host => $host, Port => $port, Key => $key, Timeout => 5);
if (!$tac) { print "NOCONN " . Authen::TacacsPlus::errmsg() . "\n"; exit 0; }
my %types = (ascii => 1, pap => 2);
my $ok = $tac->authen($user, $pw, $types{$type});
print(($ok ? "PASS" : "FAIL") . "\n");
$tac->close();
`;

/** One TACACS+ login through Authen::TacacsPlus: "PASS", "FAIL" or "NOCONN ...". */
export async function perlLogin(
  port: number,
  key: string,
  type: "ascii" | "pap",
  user: string,
  password: string,
): Promise<string> {
  const p = Bun.spawn(["perl", "-e", PERL, "127.0.0.1", String(port), key, type, user, password], {
    stdout: "pipe",
    stderr: "pipe",
    timeout: 15_000,
    killSignal: "SIGKILL",
  });
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  if (code !== 0) throw new Error(`perl exited ${code}: ${err}`);
  return out.trim();
}

/** One radclient exchange (Debian freeradius-utils): its stdout says what came back. */
export async function radclient(
  port: number,
  kind: "auth" | "acct",
  secret: string,
  attrs: string,
): Promise<string> {
  const p = Bun.spawn(
    ["/usr/bin/radclient", "-r", "1", "-t", "3", `127.0.0.1:${port}`, kind, secret],
    {
      stdin: new TextEncoder().encode(attrs + "\n"),
      stdout: "pipe",
      stderr: "pipe",
      timeout: 15_000,
      killSignal: "SIGKILL",
    },
  );
  const [out, err] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return out + err;
}

/** A home server that answers every Access-Request with Access-Accept (Proxy-State echoed). */
export async function acceptingHomeServer(secret: string) {
  const sock = await Bun.udpSocket({
    hostname: "127.0.0.1",
    port: 0,
    binaryType: "uint8array",
    socket: {
      data(s, data, port, addr) {
        const p = decodePacket(data);
        if (!p.ok || p.value.code !== Code.AccessRequest) return;
        const attrs = getAll(p.value, AttrType.ProxyState).map((value) => ({
          type: AttrType.ProxyState,
          value,
        }));
        const reply = encodeReply(
          p.value,
          { code: Code.AccessAccept, attributes: attrs },
          utf8(secret),
        );
        if (reply.ok) s.send(reply.value, port, addr);
      },
    },
  });
  return { port: sock.port, close: () => sock.close() };
}
