// The auth log end to end (issue 14): the real entry point (src/main.ts in a child process) with
// three destinations at once — stdout (JSON), a file (JSON, renamed + SIGUSR1 as logrotate does)
// and a real rsyslog on loopback (RFC 5424 over UDP with the JSON MSG, over TCP with key=value
// text and the SD element) — and independent clients logging in with good and bad passwords:
// Authen::TacacsPlus (Debian libauthen-tacacsplus-perl) for TACACS+, radclient (freeradius-utils)
// for RADIUS, local and through the RADIUS proxy to a home server. Each decision must give
// exactly one auth-log line with the documented fields at every destination, and no secret or
// password the test configured may appear in any of them. Every process is stopped by its PID.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MAIN, ROOT, runMain } from "../support/cli.ts";
import { peersAvailable } from "../support/peers.ts";
import { tempDir } from "../support/tmp.ts";
import { acceptingHomeServer, perlLogin, radclient, Rsyslog } from "./auth-support.ts";

const HAVE_PEERS =
  peersAvailable("rsyslog") &&
  peersAvailable("libauthen-tacacsplus-perl") &&
  peersAvailable("freeradius-utils");
const dir = tempDir("aaa-authlog-");
const cfgPath = join(dir.path, "aaa.toml");
const logPath = join(dir.path, "aaa.log");
const KEY = "tac-key-authlog-7Q",
  RADIUS_SECRET = "rad-secret-authlog-3Z",
  HOME_SECRET = "home-secret-authlog-9W";
const GOOD = "alice-pass-Xy81",
  BAD = "wrong-pass-Kp22";
const SECRETS = [KEY, RADIUS_SECRET, HOME_SECRET, GOOD, BAD];
const FIELDS = [
  "protocol",
  "method",
  "result",
  "reason",
  "user",
  "client",
  "device",
  "group",
  "proxy",
  "realm",
  "home_server",
  "latency_ms",
];

let tacacsPort = 0,
  httpPort = 0,
  authPort = 0,
  acctPort = 0;
let home: Awaited<ReturnType<typeof acceptingHomeServer>> | null = null;
let server: ReturnType<typeof Bun.spawn> | null = null;
let stdout = "";
const rsyslog = new Rsyslog(dir.path);

type Line = Record<string, unknown>;
const jsonLines = (text: string): Line[] =>
  text
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Line);
const read = (p: string) => (existsSync(p) ? readFileSync(p, "utf8") : "");
const authLines = (lines: Line[]) => lines.filter((l) => l.event === "tacacs_authen");
const radiusLines = (lines: Line[]) =>
  lines.filter((l) => l.event === "radius_access" || l.event === "radius_acct");

async function until(ok: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(25);
  }
}

function config(auth = "all"): string {
  return `[log]
level = "info"
auth = "${auth}"
[log.file]
path = "${logPath}"
[[log.syslog]]
target = "udp://127.0.0.1:${rsyslog.udpPort}"
[[log.syslog]]
target = "tcp://127.0.0.1:${rsyslog.tcpPort}"
format = "text"
structured_data = true
[store]
path = "${join(dir.path, "aaa.sqlite")}"
[tacacs]
listen = ["127.0.0.1:${tacacsPort}"]
[http]
listen = "127.0.0.1:${httpPort}"
[radius]
auth_listen = ["127.0.0.1:${authPort}"]
acct_listen = ["127.0.0.1:${acctPort}"]
[[radius.proxy.home_servers]]
name = "home-a"
address = "127.0.0.1:${home!.port}"
type = "auth"
secret = "${HOME_SECRET}"
status_check = false
[[radius.proxy.pools]]
name = "pool-a"
strategy = "failover"
servers = ["home-a"]
[[radius.proxy.realms]]
name = "example.com"
match = "suffix"
pool = "pool-a"
`;
}

/** The fields every TACACS+ authentication line carries for this test's device. */
const expected = (method: string, result: string, reason: string) => ({
  event: "tacacs_authen",
  level: "info",
  protocol: "tacacs",
  method,
  result,
  reason,
  user: "alice",
  client: "127.0.0.1",
  device: "lab-lo",
  group: "lab",
  proxy: null,
  realm: null,
  home_server: null,
});

/** A RADIUS line from this test's device (RADIUS has no PROXY v2: proxy is always null). */
const radiusExpected = (
  event: string,
  method: string,
  result: string,
  reason: string,
  user = "alice",
  via: { realm: string; home_server: string } | null = null,
) => ({
  event,
  level: "info",
  protocol: "radius",
  method,
  result,
  reason,
  user,
  client: "127.0.0.1",
  device: "lab-lo",
  group: "lab",
  proxy: null,
  realm: via?.realm ?? null,
  home_server: via?.home_server ?? null,
});
const MA = "Message-Authenticator = 0x00";
const pap = (user: string, password: string) =>
  radclient(
    authPort,
    "auth",
    RADIUS_SECRET,
    `User-Name = "${user}", User-Password = "${password}", ${MA}`,
  );

describe.skipIf(!HAVE_PEERS)("auth log: one line per decision at every destination", () => {
  beforeAll(async () => {
    const t = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    tacacsPort = t.port;
    t.stop(true);
    const h = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    httpPort = h.port;
    h.stop(true);
    for (const which of ["auth", "acct"] as const) {
      const u = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0 });
      if (which === "auth") authPort = u.port;
      else acctPort = u.port;
      u.close();
    }
    home = await acceptingHomeServer(HOME_SECRET);
    await rsyslog.start();
    writeFileSync(cfgPath, config());
    for (const args of [
      ["group", "add", "lab", "--tacacs-secret", KEY, "--radius-secret", RADIUS_SECRET],
      ["device", "add", "lab-lo", "--network", "127.0.0.0/8", "--group", "lab"],
      ["usergroup", "add", "ops", "--priv-lvl", "15", "--device-group", "lab"],
      ["user", "add", "alice", "--password", GOOD, "--group", "ops"],
    ]) {
      const r = runMain([...args, "--config", cfgPath]);
      if (r.code !== 0) throw new Error(`${args.join(" ")}: ${r.stderr}`);
    }
    server = Bun.spawn([process.execPath, MAIN, "--config", cfgPath], {
      cwd: ROOT,
      stdout: "pipe",
      stderr: "ignore",
    });
    void (async () => {
      const dec = new TextDecoder();
      for await (const chunk of server!.stdout as ReadableStream<Uint8Array>)
        stdout += dec.decode(chunk);
    })();
    await until(() => stdout.includes('"event":"started"'), "started");
  }, 30_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill("SIGKILL");
      await server.exited;
    }
    await rsyslog.stop();
    home?.close();
    dir.remove();
  }, 30_000);

  test("TACACS+ PAP and ASCII, good and bad password: one line each on stdout, in the file, in rsyslog", async () => {
    expect(await perlLogin(tacacsPort, KEY, "pap", "alice", GOOD)).toBe("PASS");
    expect(await perlLogin(tacacsPort, KEY, "pap", "alice", BAD)).toBe("FAIL");
    expect(await perlLogin(tacacsPort, KEY, "ascii", "alice", GOOD)).toBe("PASS");
    expect(await perlLogin(tacacsPort, KEY, "ascii", "alice", BAD)).toBe("FAIL");
    const want = [
      expected("PAP", "accept", "authenticated"),
      expected("PAP", "reject", "bad-password"),
      expected("ASCII", "accept", "authenticated"),
      expected("ASCII", "reject", "bad-password"),
    ];
    await until(() => authLines(jsonLines(stdout)).length === 4, "4 lines on stdout");
    await until(() => authLines(jsonLines(read(logPath))).length === 4, "4 lines in the file");
    await until(
      () => rsyslog.parsed("udp").filter((p) => p.msgid === "tacacs_authen").length === 4,
      "4 lines over UDP",
    );
    await until(
      () => rsyslog.parsed("tcp").filter((p) => p.msgid === "tacacs_authen").length === 4,
      "4 lines over TCP",
    );
    const out = authLines(jsonLines(stdout));
    expect(out).toMatchObject(want);
    for (const l of out) {
      for (const f of FIELDS) expect(Object.keys(l)).toContain(f);
      expect(typeof l.latency_ms).toBe("number");
      expect(l.latency_ms as number).toBeGreaterThanOrEqual(0);
    }
    expect(authLines(jsonLines(read(logPath)))).toMatchObject(want);
    // UDP: the JSON line is the MSG, the event the MSGID, info severity.
    const udp = rsyslog.parsed("udp").filter((p) => p.msgid === "tacacs_authen");
    expect(udp.map((p) => p.severity)).toEqual(["info", "info", "info", "info"]);
    expect(udp.map((p) => JSON.parse(p.msg) as Line)).toMatchObject(want);
    // TCP, text format: key=value MSG and the same fields in the SD element.
    const tcp = rsyslog.parsed("tcp").filter((p) => p.msgid === "tacacs_authen");
    expect(tcp[1]!.msg).toContain("method=PAP result=reject reason=bad-password user=alice");
    expect(tcp[1]!.msg).toContain("client=127.0.0.1 device=lab-lo group=lab");
    expect(tcp[1]!.sd).toContain('result="reject"');
  }, 60_000);

  test("RADIUS PAP good and bad, accounting, a proxied login: one line each at every destination", async () => {
    expect(await pap("alice", GOOD)).toContain("Received Access-Accept");
    expect(await pap("alice", BAD)).toContain("Received Access-Reject");
    const acct = await radclient(
      acctPort,
      "acct",
      RADIUS_SECRET,
      'User-Name = "alice", Acct-Status-Type = Start, Acct-Session-Id = "authlog-1", NAS-IP-Address = 127.0.0.1',
    );
    expect(acct).toContain("Received Accounting-Response");
    expect(await pap("bob@example.com", BAD)).toContain("Received Access-Accept");
    const want = [
      radiusExpected("radius_access", "PAP", "accept", "authenticated"),
      radiusExpected("radius_access", "PAP", "reject", "bad-password"),
      radiusExpected("radius_acct", "acct", "stored", "committed"),
      radiusExpected("radius_access", "PAP", "accept", "proxied", "bob@example.com", {
        realm: "example.com",
        home_server: "home-a",
      }),
    ];
    await until(() => radiusLines(jsonLines(stdout)).length === 4, "4 RADIUS lines on stdout");
    await until(() => radiusLines(jsonLines(read(logPath))).length === 4, "4 in the file");
    const syslogged = (name: "udp" | "tcp") =>
      rsyslog.parsed(name).filter((p) => p.msgid === "radius_access" || p.msgid === "radius_acct");
    await until(() => syslogged("udp").length === 4, "4 RADIUS lines over UDP");
    await until(() => syslogged("tcp").length === 4, "4 RADIUS lines over TCP");
    expect(radiusLines(jsonLines(stdout))).toMatchObject(want);
    expect(radiusLines(jsonLines(read(logPath)))).toMatchObject(want);
    expect(syslogged("udp").map((p) => JSON.parse(p.msg) as Line)).toMatchObject(want);
    expect(syslogged("tcp")[3]!.msg).toContain(
      "user=bob@example.com client=127.0.0.1 device=lab-lo group=lab proxy=null realm=example.com home_server=home-a",
    );
    for (const l of radiusLines(jsonLines(stdout))) expect(typeof l.latency_ms).toBe("number");
  }, 60_000);

  test("after rename + SIGUSR1 the next decisions go to the new file, one line each", async () => {
    const rotated = logPath + ".1";
    renameSync(logPath, rotated);
    server!.kill("SIGUSR1");
    await until(() => existsSync(logPath), "the reopened file");
    expect(await perlLogin(tacacsPort, KEY, "pap", "alice", BAD)).toBe("FAIL");
    expect(await perlLogin(tacacsPort, KEY, "pap", "alice", GOOD)).toBe("PASS");
    expect(await pap("alice", BAD)).toContain("Received Access-Reject");
    await until(() => authLines(jsonLines(read(logPath))).length === 2, "2 lines in the new file");
    await until(() => radiusLines(jsonLines(read(logPath))).length === 1, "the RADIUS line");
    expect(radiusLines(jsonLines(read(logPath)))).toMatchObject([
      radiusExpected("radius_access", "PAP", "reject", "bad-password"),
    ]);
    expect(radiusLines(jsonLines(read(rotated))).length).toBe(4);
    expect(authLines(jsonLines(read(logPath)))).toMatchObject([
      expected("PAP", "reject", "bad-password"),
      expected("PAP", "accept", "authenticated"),
    ]);
    expect(authLines(jsonLines(read(rotated))).length).toBe(4);
    await until(() => authLines(jsonLines(stdout)).length === 6, "6 lines on stdout");
  }, 60_000);

  test('a reload to auth = "failures" leaves accepts out, to "off" everything', async () => {
    const reload = async (auth: string) => {
      const n = stdout.split('"event":"reloaded"').length;
      writeFileSync(cfgPath, config(auth));
      server!.kill("SIGHUP");
      await until(() => stdout.split('"event":"reloaded"').length === n + 1, "the reload");
    };
    await reload("failures");
    const before = authLines(jsonLines(stdout)).length;
    expect(await perlLogin(tacacsPort, KEY, "pap", "alice", GOOD)).toBe("PASS");
    expect(await perlLogin(tacacsPort, KEY, "pap", "alice", BAD)).toBe("FAIL");
    await until(() => authLines(jsonLines(stdout)).length === before + 1, "the reject's line");
    await reload("off");
    expect(await perlLogin(tacacsPort, KEY, "pap", "alice", BAD)).toBe("FAIL");
    await reload("all"); // a line written before this reload would be in stdout by now
    const added = authLines(jsonLines(stdout)).slice(before);
    expect(added).toMatchObject([expected("PAP", "reject", "bad-password")]);
  }, 60_000);

  test("the status page: rejects under recent failures, the client's address and device on top", async () => {
    const page = await (await fetch(`http://127.0.0.1:${httpPort}/`)).text();
    const failures = page.slice(page.indexOf("ecent failures"));
    // TACACS+ 2 + 1 + 2 (the reload test), RADIUS 1 + 1.
    expect(failures.match(/bad-password/g)?.length).toBe(7);
    expect(page).toContain("tacacs 127.0.0.1");
    expect(page).toContain("radius 127.0.0.1");
    expect(page).toContain("lab-lo");
  }, 30_000);

  test("no secret or password the test configured appears at any destination or page", async () => {
    await until(
      () => rsyslog.parsed("udp").filter((p) => p.msgid === "tacacs_authen").length === 7,
      "7 lines over UDP",
    );
    const all = [
      stdout,
      read(logPath),
      read(logPath + ".1"),
      rsyslog.raw("udp"),
      rsyslog.raw("tcp"),
      await (await fetch(`http://127.0.0.1:${httpPort}/`)).text(),
      await (await fetch(`http://127.0.0.1:${httpPort}/api/stats`)).text(),
    ].join("\n");
    expect(all).toContain("tacacs_authen");
    for (const s of SECRETS) expect(all).not.toContain(s);
  }, 30_000);
});
