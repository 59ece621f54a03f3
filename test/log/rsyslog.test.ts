// Syslog destinations against a real rsyslog (Debian `rsyslog`), started by the test on loopback
// with its own config: imudp and imtcp on free ports, imuxsock on a socket in a temp dir (no
// system sockets), one omfile per input with a template that prints what rsyslog parsed (PRI,
// facility, severity, timestamp, hostname, APP-NAME, PROCID, MSGID, STRUCTURED-DATA, MSG). The
// server is the real entry point in a child process; every process is stopped by its PID.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { MAIN, ROOT } from "../support/cli.ts";
import { peersAvailable } from "../support/peers.ts";
import { tempDir } from "../support/tmp.ts";

const HAVE_RSYSLOG = peersAvailable("rsyslog");
const dir = tempDir("aaa-rsyslog-");
const out = (name: string) => join(dir.path, `${name}.log`);
const sockPath = join(dir.path, "log.sock");
const cfgPath = join(dir.path, "aaa.toml");
let udpPort = 0,
  tcpPort = 0;
let rsyslog: ReturnType<typeof Bun.spawn> | null = null;
let server: ReturnType<typeof Bun.spawn> | null = null;

interface Parsed {
  pri: number;
  facility: string;
  severity: string;
  time: string;
  host: string;
  app: string;
  procid: string;
  msgid: string;
  sd: string;
  msg: string;
}

function parsed(name: string): Parsed[] {
  if (!existsSync(out(name))) return [];
  return readFileSync(out(name), "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => {
      const f = l.split("|");
      return {
        pri: Number(f[0]),
        facility: f[1]!,
        severity: f[2]!,
        time: f[3]!,
        host: f[4]!,
        app: f[5]!,
        procid: f[6]!,
        msgid: f[7]!,
        sd: f[8]!,
        msg: f.slice(9).join("|"),
      };
    });
}

async function until(ok: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(25);
  }
}

async function freePorts(): Promise<void> {
  const u = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0 });
  udpPort = u.port;
  u.close();
  const t = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  tcpPort = t.port;
  t.stop(true);
}

async function tcpUp(): Promise<boolean> {
  try {
    const s = await Bun.connect({ hostname: "127.0.0.1", port: tcpPort, socket: { data() {} } });
    s.end();
    return true;
  } catch {
    return false;
  }
}

async function startRsyslog(): Promise<void> {
  const conf = join(dir.path, "rsyslog.conf");
  writeFileSync(
    conf,
    `global(workDirectory="${dir.path}" net.enableDNS="off")
module(load="imuxsock" SysSock.Use="off")
module(load="imudp")
module(load="imtcp")
template(name="fields" type="string" string="%pri%|%syslogfacility-text%|%syslogseverity-text%|%timereported:::date-rfc3339%|%hostname%|%app-name%|%procid%|%msgid%|%structured-data%|%msg%\\n")
ruleset(name="udp") { action(type="omfile" file="${out("udp")}" template="fields") }
ruleset(name="tcp") { action(type="omfile" file="${out("tcp")}" template="fields") }
ruleset(name="unix") { action(type="omfile" file="${out("unix")}" template="fields") }
input(type="imudp" address="127.0.0.1" port="${udpPort}" ruleset="udp")
input(type="imtcp" address="127.0.0.1" port="${tcpPort}" ruleset="tcp")
input(type="imuxsock" Socket="${sockPath}" ruleset="unix")
`,
  );
  rsyslog = Bun.spawn(
    ["/usr/sbin/rsyslogd", "-n", "-f", conf, "-i", join(dir.path, "rsyslogd.pid")],
    { stdout: "ignore", stderr: "ignore" },
  );
  const end = Date.now() + 15_000;
  while (!(existsSync(sockPath) && (await tcpUp()))) {
    if (Date.now() > end || rsyslog.exitCode !== null) throw new Error("rsyslogd did not start");
    await Bun.sleep(50);
  }
}

async function stopRsyslog(): Promise<void> {
  if (rsyslog && rsyslog.exitCode === null) {
    rsyslog.kill("SIGTERM");
    await rsyslog.exited;
  }
  rsyslog = null;
}

function config(broken = false): string {
  return `[log]
level = "${broken ? "loud" : "info"}"
stdout = false
[[log.syslog]]
target = "udp://127.0.0.1:${udpPort}"
[[log.syslog]]
target = "tcp://127.0.0.1:${tcpPort}"
facility = "local3"
level = "warn"
format = "text"
structured_data = true
[[log.syslog]]
target = "unix://${sockPath}"
format = "text"
[store]
path = "${join(dir.path, "aaa.sqlite")}"
[radius]
auth_listen = ["127.0.0.1:0"]
`;
}

/** A refused reload: one error line ("reload_refused") on every destination. */
async function refusedReload(n: number): Promise<void> {
  writeFileSync(cfgPath, config(true));
  server!.kill("SIGHUP");
  await until(
    () => parsed("udp").filter((p) => p.msgid === "reload_refused").length === n,
    "reload_refused",
  );
  writeFileSync(cfgPath, config());
}

describe.skipIf(!HAVE_RSYSLOG)("syslog to a real rsyslog", () => {
  beforeAll(async () => {
    await freePorts();
    await startRsyslog();
    writeFileSync(cfgPath, config());
    server = Bun.spawn([process.execPath, MAIN, "--config", cfgPath], {
      cwd: ROOT,
      stdout: "ignore",
      stderr: "ignore",
    });
    await until(() => parsed("udp").some((p) => p.msgid === "started"), "started over UDP");
  }, 30_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill("SIGKILL");
      await server.exited;
    }
    await stopRsyslog();
    dir.remove();
  }, 30_000);

  test("UDP: RFC 5424 header fields and the JSON MSG as rsyslog parsed them", async () => {
    await refusedReload(1);
    const udp = parsed("udp");
    const started = udp.find((p) => p.msgid === "started")!;
    expect(started).toMatchObject({
      pri: 10 * 8 + 6,
      facility: "authpriv",
      severity: "info",
      host: hostname(),
      app: "aaa-proxy",
      procid: String(server!.pid),
      sd: "-",
    });
    expect(started.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|\+00:00)$/);
    expect(JSON.parse(started.msg)).toMatchObject({ event: "started", level: "info" });
    const refused = udp.find((p) => p.msgid === "reload_refused")!;
    expect(refused).toMatchObject({ pri: 83, severity: "err", facility: "authpriv" });
    expect(JSON.parse(refused.msg).errors[0]).toContain("log.level");
  }, 30_000);

  test("TCP: octet-counted frames, its own level (warn) and facility, the SD element", async () => {
    await until(() => parsed("tcp").some((p) => p.msgid === "reload_refused"), "TCP line");
    const tcp = parsed("tcp");
    expect(tcp.every((p) => p.severity === "err" || p.severity === "warning")).toBe(true);
    expect(tcp.some((p) => p.msgid === "started")).toBe(false); // info is below this target's level
    const refused = tcp.find((p) => p.msgid === "reload_refused")!;
    expect(refused).toMatchObject({
      pri: 19 * 8 + 3,
      facility: "local3",
      severity: "err",
      app: "aaa-proxy",
      procid: String(server!.pid),
    });
    expect(refused.sd).toStartWith('[aaa@32473 errors="[\\"log.level:');
    expect(refused.msg).toStartWith('errors=["log.level:');
  }, 30_000);

  test("local socket (imuxsock): PRI, tag and PID parsed, the text MSG", () => {
    const unix = parsed("unix");
    const started = unix.find((p) => p.msg.includes("event=started"))!;
    expect(started).toMatchObject({
      pri: 86,
      facility: "authpriv",
      severity: "info",
      app: "aaa-proxy",
      procid: String(server!.pid),
    });
    expect(started.msg.trim()).toMatch(/^time=\S+ level=info event=started /);
    const refused = unix.find((p) => p.msg.includes("event=reload_refused"))!;
    expect(refused.severity).toBe("err");
  }, 30_000);

  test("TCP collector down: lines queue, the sender reconnects, they arrive in order", async () => {
    const before = parsed("tcp").filter((p) => p.msgid === "reload_refused").length;
    await stopRsyslog();
    // Two error lines while nobody listens (UDP and the local socket lose theirs: no receiver).
    for (let i = 0; i < 2; i++) {
      writeFileSync(cfgPath, config(true));
      server!.kill("SIGHUP");
      await Bun.sleep(300);
    }
    writeFileSync(cfgPath, config());
    await startRsyslog();
    await until(
      () => parsed("tcp").filter((p) => p.msgid === "reload_refused").length === before + 2,
      "the queued TCP lines after the reconnect",
      20_000,
    );
    expect(server!.exitCode).toBeNull();
  }, 30_000);
});
