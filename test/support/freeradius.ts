// A real FreeRADIUS 3.2 server (Debian package `freeradius`) for interop tests and benchmarks: a
// minimal private raddb in a temporary directory (nothing under /etc is used or changed), listening on
// loopback auth + acct ports, with the given clients and users, answering Status-Server.
//
//   const fr = await startFreeradius({
//     clients: [{ ipaddr: "127.0.0.1", secret: "s3cret" }],
//     users: [{ name: "alice", password: "pw", reply: { "Session-Timeout": 3600, "Reply-Message": "hi" } }],
//   });
//   fr.authPort, fr.acctPort ... await fr.stop();
//
// Options: fixed ports (default: free ports picked by binding port 0), `address` (127.0.0.1 or ::1),
// `requireMessageAuthenticator` per client, `accounting: "detail" | "none"` (detail writes every record
// to a file before answering, FreeRADIUS's default; "none" answers at once), `taskset` to pin it to a
// CPU (benchmarks), `extraModules` / `extraAuthorize` to splice in more configuration (e.g. a proxy.conf).
// The process is killed in stop(); logs are kept in memory for failure messages (`log()`).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const FREERADIUS_BIN = "/usr/sbin/freeradius";

export interface FreeradiusClient {
  ipaddr: string;
  secret: string;
  name?: string;
  requireMessageAuthenticator?: boolean;
}
export interface FreeradiusUser {
  name: string;
  password: string;
  /** Reply attributes: numbers written bare, strings quoted. */
  reply?: Record<string, string | number>;
}
export interface FreeradiusOptions {
  clients: FreeradiusClient[];
  users: FreeradiusUser[];
  address?: string;
  authPort?: number;
  acctPort?: number;
  accounting?: "detail" | "none";
  /** CPU list for `taskset -c` (benchmarks). */
  taskset?: string;
  /** Inserted into the modules { } section and the authorize { } section verbatim. */
  extraModules?: string;
  extraAuthorize?: string;
  /** Extra top-level configuration (e.g. `proxy_requests = yes` + `$INCLUDE proxy.conf`). */
  extraTopLevel?: string;
  /** Extra files written into the raddb directory, name → content. */
  extraFiles?: Record<string, string>;
  startTimeoutMs?: number;
}
export interface FreeradiusServer {
  authPort: number;
  acctPort: number;
  dir: string;
  pid: number;
  log(): string;
  stop(): Promise<void>;
}

/** A port that was free a moment ago (bind port 0, read it, close). */
export async function freeUdpPort(address = "127.0.0.1"): Promise<number> {
  const s = await Bun.udpSocket({ hostname: address, port: 0 });
  const p = s.port;
  s.close();
  return p;
}

const q = (s: string): string =>
  `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;

function usersFile(users: readonly FreeradiusUser[]): string {
  return users
    .map((u) => {
      const reply = Object.entries(u.reply ?? {}).map(
        ([k, v]) => `\t${k} = ${typeof v === "number" ? v : q(v)}`,
      );
      return `${u.name}\tCleartext-Password := ${q(u.password)}\n${reply.join(",\n")}\n`;
    })
    .join("\n");
}

function clientsFile(clients: readonly FreeradiusClient[]): string {
  return clients
    .map(
      (c, i) => `client ${c.name ?? `c${i}`} {
\tipaddr = ${c.ipaddr}
\tsecret = ${q(c.secret)}
\trequire_message_authenticator = ${c.requireMessageAuthenticator ? "yes" : "no"}
\tnas_type = other
}
`,
    )
    .join("\n");
}

export async function startFreeradius(
  o: FreeradiusOptions,
): Promise<FreeradiusServer> {
  const { existsSync } = await import("node:fs");
  if (!existsSync(FREERADIUS_BIN))
    throw new Error(
      `${FREERADIUS_BIN} not found: install the Debian package freeradius (apt-get install -y freeradius)`,
    );
  const address = o.address ?? "127.0.0.1";
  const authPort = o.authPort ?? (await freeUdpPort(address));
  const acctPort = o.acctPort ?? (await freeUdpPort(address));
  const dir = mkdtempSync(join(tmpdir(), "freeradius-"));
  for (const d of ["log", "run", "radacct", "mods-config/files"])
    mkdirSync(join(dir, d), { recursive: true });
  const detail = o.accounting !== "none";
  writeFileSync(join(dir, "mods-config/files/authorize"), usersFile(o.users));
  writeFileSync(join(dir, "clients.conf"), clientsFile(o.clients));
  for (const [name, text] of Object.entries(o.extraFiles ?? {}))
    writeFileSync(join(dir, name), text);
  const ipKey = address.includes(":") ? "ipv6addr" : "ipaddr";
  writeFileSync(
    join(dir, "radiusd.conf"),
    `prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = ${dir}/log
raddbdir = ${dir}
radacctdir = ${dir}/radacct
name = freeradius
confdir = ${dir}
modconfdir = ${dir}/mods-config
run_dir = ${dir}/run
db_dir = ${dir}
libdir = /usr/lib/freeradius
pidfile = ${dir}/run/freeradius.pid
max_request_time = 30
cleanup_delay = 5
max_requests = 65536
hostname_lookups = no
log {
\tdestination = stdout
\tcolourise = no
\tauth = no
}
security {
\tallow_core_dumps = no
\tmax_attributes = 200
\treject_delay = 0
\tstatus_server = yes
}
thread pool {
\tstart_servers = 5
\tmax_servers = 32
\tmin_spare_servers = 3
\tmax_spare_servers = 10
\tmax_requests_per_server = 0
\tauto_limit_acct = no
}
${o.extraTopLevel ?? ""}
$INCLUDE clients.conf
modules {
\tpap {
\t\tnormalise = yes
\t}
\tchap {
\t}
\tfiles {
\t\tfilename = \${modconfdir}/files/authorize
\t}
\tdetail {
\t\tfilename = \${radacctdir}/detail
\t\tpermissions = 0600
\t\tlocking = no
\t}
${o.extraModules ?? ""}
}
server default {
\tlisten {
\t\ttype = auth
\t\t${ipKey} = ${address}
\t\tport = ${authPort}
\t}
\tlisten {
\t\ttype = acct
\t\t${ipKey} = ${address}
\t\tport = ${acctPort}
\t}
\tauthorize {
\t\tchap
${o.extraAuthorize ?? ""}
\t\tfiles
\t\tpap
\t}
\tauthenticate {
\t\tAuth-Type PAP {
\t\t\tpap
\t\t}
\t\tAuth-Type CHAP {
\t\t\tchap
\t\t}
\t}
\tpreacct {
\t}
\taccounting {
\t\t${detail ? "detail" : "ok"}
\t}
\tpost-auth {
\t}
}
`,
  );
  const cmd = [FREERADIUS_BIN, "-f", "-l", "stdout", "-d", dir];
  const proc = Bun.spawn({
    cmd: o.taskset ? ["taskset", "-c", o.taskset, ...cmd] : cmd,
    stdout: "pipe",
    stderr: "pipe",
  });
  let log = "";
  let ready = false;
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const chunk of stream) {
      if (log.length < 1_000_000) log += dec.decode(chunk);
      if (log.includes("Ready to process requests")) ready = true;
    }
  };
  void collect(proc.stdout);
  void collect(proc.stderr);
  const deadline = Date.now() + (o.startTimeoutMs ?? 10_000);
  while (!ready && proc.exitCode === null && Date.now() < deadline)
    await Bun.sleep(20);
  const stop = async () => {
    if (proc.exitCode === null) {
      proc.kill("SIGTERM");
      const t = setTimeout(() => proc.kill("SIGKILL"), 3_000);
      await proc.exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  if (!ready) {
    const text = log;
    await stop();
    throw new Error(
      `FreeRADIUS did not start (exit ${proc.exitCode}):\n${text.slice(-4000)}`,
    );
  }
  return { authPort, acctPort, dir, pid: proc.pid, log: () => log, stop };
}
