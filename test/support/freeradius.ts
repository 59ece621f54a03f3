// A real FreeRADIUS 3.2 server (Debian package `freeradius`) for interop tests and benchmarks: a
// minimal private raddb in a temporary directory (nothing under /etc is used or changed), listening on
// loopback auth + acct ports, with the given clients and users, answering Status-Server (RFC 5997).
// Runs as the current user (no privilege drop), in the foreground, stopped with SIGTERM.
//
//   const fr = await startFreeradius({
//     clients: [{ ipaddr: "127.0.0.1", secret: "s3cret" }],
//     users: [{ name: "alice", password: "pw", reply: { "Session-Timeout": 3600, "Reply-Message": "hi" } }],
//   });
//   fr.authPort, fr.acctPort ... await fr.stop(); await fr.start(); ... await fr.close();
//
// Options: ports (default: free ports picked by binding port 0; acctPort defaults to authPort + 1 when
// authPort is given), `address` (127.0.0.1 or ::1), `requireMessageAuthenticator` per client, `users`
// as a list or as a raw users file, `accounting: "detail" | "none"` (detail writes every record to a
// file before answering, FreeRADIUS's default; "none" answers at once), `proxyTo` (proxy mode: every
// request for realm example.com is proxied there), `threadPool`, `taskset` to pin it to a CPU
// (benchmarks), `flags`, `extraModules` / `extraAuthorize` / `extraTopLevel` / `extraFiles` to splice
// in more configuration. stop() / start() restart it on the same ports and configuration; close()
// stops it and deletes the directory. Logs are kept in memory for failure messages (`log()`).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const FREERADIUS_BIN = "/usr/sbin/freeradius";
/** The configuration the Debian package installs (`stock: true` copies it). */
export const DEBIAN_RADDB = "/etc/freeradius/3.0";

export interface FreeradiusClient {
  /** Address or CIDR, e.g. "127.0.0.1" or "127.0.0.0/8". */
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
export interface FreeradiusThreadPool {
  start: number;
  max: number;
  minSpare: number;
  maxSpare: number;
}
/** The default thread pool: room for benchmark load. */
export const THREAD_POOL_DEFAULT: FreeradiusThreadPool = {
  start: 5,
  max: 32,
  minSpare: 3,
  maxSpare: 10,
};
/** A smaller pool (home servers of the proxy tests, the FreeRADIUS-as-proxy benchmark figures). */
export const THREAD_POOL_SMALL: FreeradiusThreadPool = {
  start: 4,
  max: 8,
  minSpare: 2,
  maxSpare: 8,
};

export interface FreeradiusOptions {
  clients: FreeradiusClient[];
  /** A list, or the body of the users file verbatim (FreeRADIUS "files" syntax). */
  users: FreeradiusUser[] | string;
  address?: string;
  authPort?: number;
  /** Default: authPort + 1 when authPort is given, else a free port. */
  acctPort?: number;
  /** Default "detail". */
  accounting?: "detail" | "none";
  /**
   * Run Debian's shipped configuration instead of the minimal one (benchmarks): a copy of
   * /etc/freeradius/3.0 with only what must differ changed — clients.conf, the users file (ours
   * first, the stock entries after), the default site's listen addresses and ports, the directories
   * (logdir, run_dir, raddbdir inside the copy), no privilege drop, and the inner-tunnel site
   * (EAP only; its fixed port 18120 would collide) disabled. Every stock module and policy stays:
   * preprocess, acct_unique, suffix, files, detail (per client and day), unix (radwtmp), exec,
   * attr_filter for accounting; filter_username … pap for authorization. Only `clients`, `users`,
   * `address`, ports, `taskset` and `flags` apply.
   */
  stock?: boolean;
  /** Proxy mode: requests for realm example.com (suffix, not stripped) go to this home server. */
  proxyTo?: { host: string; port: number; secret: string };
  /** Default THREAD_POOL_DEFAULT. */
  threadPool?: FreeradiusThreadPool;
  /** CPU list for `taskset -c` (benchmarks). */
  taskset?: string;
  /** Extra command-line flags, e.g. ["-X"] while debugging. */
  flags?: string[];
  /** Inserted into the modules { } section and (not in proxy mode) the authorize { } section verbatim. */
  extraModules?: string;
  extraAuthorize?: string;
  /** Extra top-level configuration. */
  extraTopLevel?: string;
  /** Extra files written into the raddb directory, name → content. */
  extraFiles?: Record<string, string>;
  startTimeoutMs?: number;
}
export interface FreeradiusServer {
  authPort: number;
  acctPort: number;
  dir: string;
  /** Of the running process (changes after a restart). */
  readonly pid: number;
  /** Everything it printed since it was last started. */
  log(): string;
  /** Stop the process; the directory stays, so start() can run it again. */
  stop(): Promise<void>;
  /** Start again on the same ports and configuration. */
  start(): Promise<void>;
  /** Stop (if running) and delete the directory. */
  close(): Promise<void>;
}

export function requireFreeradius(): void {
  if (!existsSync(FREERADIUS_BIN))
    throw new Error(
      `${FREERADIUS_BIN} not found: install the Debian package freeradius (apt-get install -y freeradius)`,
    );
}

/** A port that was free a moment ago (bind port 0, read it, close). */
export async function freeUdpPort(address = "127.0.0.1"): Promise<number> {
  const s = await Bun.udpSocket({ hostname: address, port: 0 });
  const p = s.port;
  s.close();
  return p;
}

/** Two consecutive free UDP ports on 127.0.0.1 (auth, acct), found by binding them. */
export async function freeUdpPortPair(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000) * 2;
    try {
      const a = await Bun.udpSocket({ hostname: "127.0.0.1", port: base });
      const b = await Bun.udpSocket({ hostname: "127.0.0.1", port: base + 1 }).catch(() => null);
      a.close();
      if (b) {
        b.close();
        return base;
      }
    } catch {
      // taken: try another
    }
  }
  throw new Error("no free UDP port pair on 127.0.0.1");
}

const q = (s: string): string => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;

function usersFile(users: readonly FreeradiusUser[] | string): string {
  if (typeof users === "string") return users;
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

function proxyConf(to: NonNullable<FreeradiusOptions["proxyTo"]>): string {
  return `proxy server {
\tdefault_fallback = no
}
home_server home {
\ttype = auth+acct
\tipaddr = ${to.host}
\tport = ${to.port}
\tsecret = ${q(to.secret)}
\tresponse_window = 20
\tzombie_period = 40
\tstatus_check = none
\tmax_outstanding = 65536
}
home_server_pool home_pool {
\ttype = fail-over
\thome_server = home
}
realm example.com {
\tauth_pool = home_pool
\tacct_pool = home_pool
\tnostrip
}
`;
}

type Config = FreeradiusOptions & { address: string; authPort: number; acctPort: number };

function radiusdConf(dir: string, o: Config): string {
  const proxying = o.proxyTo !== undefined;
  const detail = o.accounting !== "none";
  const pool = o.threadPool ?? THREAD_POOL_DEFAULT;
  const ipKey = o.address.includes(":") ? "ipv6addr" : "ipaddr";
  return `prefix = /usr
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
\tstart_servers = ${pool.start}
\tmax_servers = ${pool.max}
\tmin_spare_servers = ${pool.minSpare}
\tmax_spare_servers = ${pool.maxSpare}
\tmax_requests_per_server = 0
\tauto_limit_acct = no
}
proxy_requests = ${proxying ? "yes" : "no"}
${proxying ? "$INCLUDE proxy.conf" : ""}
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
\talways ok {
\t\trcode = ok
\t}
\trealm suffix {
\t\tformat = suffix
\t\tdelimiter = "@"
\t}
${o.extraModules ?? ""}
}
server default {
\tlisten {
\t\ttype = auth
\t\t${ipKey} = ${o.address}
\t\tport = ${o.authPort}
\t}
\tlisten {
\t\ttype = acct
\t\t${ipKey} = ${o.address}
\t\tport = ${o.acctPort}
\t}
\tauthorize {
\t\tAutz-Type Status-Server {
\t\t\tok
\t\t}
${proxying ? "\t\tsuffix" : `\t\tchap\n${o.extraAuthorize ?? ""}\n\t\tfiles\n\t\tpap`}
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
\t\t${proxying ? "suffix" : "ok"}
\t}
\taccounting {
\t\t${detail ? "detail" : "ok"}
\t}
\tpost-auth {
\t\tok
\t}
}
`;
}

/** Replace `pattern` (which must match exactly `count` times) in a file of the copied raddb. */
function edit(
  file: string,
  pattern: RegExp,
  replace: (m: string, i: number) => string,
  count: number,
): void {
  let i = 0;
  const text = readFileSync(file, "utf8").replace(pattern, (m) => replace(m, i++));
  if (i !== count)
    throw new Error(
      `${file}: expected ${count} matches of ${pattern}, found ${i} (not Debian's stock raddb?)`,
    );
  writeFileSync(file, text);
}

function writeStockRaddb(dir: string, o: Config): void {
  if (!existsSync(join(DEBIAN_RADDB, "sites-available/default")))
    throw new Error(`${DEBIAN_RADDB} not found: install the Debian package freeradius`);
  // cp -a keeps the relative symlinks of mods-enabled/ and sites-enabled/ pointing into the copy.
  const cp = Bun.spawnSync({ cmd: ["cp", "-a", `${DEBIAN_RADDB}/.`, dir], stderr: "pipe" });
  if (cp.exitCode !== 0) throw new Error(`cp ${DEBIAN_RADDB}: ${cp.stderr.toString()}`);
  for (const d of ["log/radacct", "run"]) mkdirSync(join(dir, d), { recursive: true });
  rmSync(join(dir, "sites-enabled/inner-tunnel"), { force: true });
  const conf = join(dir, "radiusd.conf");
  edit(conf, /^logdir = .*$/m, () => `logdir = ${dir}/log`, 1);
  edit(conf, /^raddbdir = .*$/m, () => `raddbdir = ${dir}`, 1);
  edit(conf, /^run_dir = .*$/m, () => `run_dir = ${dir}/run`, 1);
  edit(conf, /^\s*(user|group) = freerad$/gm, (m) => `#${m}`, 2);
  // The default site listens on auth, acct (IPv4 *) and auth, acct (IPv6 ::), each "port = 0".
  const site = join(dir, "sites-available/default");
  const v6 = o.address.includes(":");
  edit(site, /^\tport = 0$/gm, (_, i) => `\tport = ${i % 2 === 0 ? o.authPort : o.acctPort}`, 4);
  edit(site, /^\tipaddr = \*$/gm, () => `\tipaddr = ${v6 ? "127.0.0.1" : o.address}`, 2);
  edit(
    site,
    /^\tipv6addr = ::\t.*$|^\tipv6addr = ::$/gm,
    () => `\tipv6addr = ${v6 ? o.address : "::1"}`,
    2,
  );
  writeFileSync(join(dir, "clients.conf"), clientsFile(o.clients));
  const users = join(dir, "mods-config/files/authorize");
  writeFileSync(users, `${usersFile(o.users)}\n${readFileSync(users, "utf8")}`);
}

export async function startFreeradius(o: FreeradiusOptions): Promise<FreeradiusServer> {
  requireFreeradius();
  const address = o.address ?? "127.0.0.1";
  const authPort = o.authPort ?? (await freeUdpPort(address));
  const acctPort =
    o.acctPort ?? (o.authPort !== undefined ? o.authPort + 1 : await freeUdpPort(address));
  const dir = mkdtempSync(join(tmpdir(), "freeradius-"));
  if (o.stock) writeStockRaddb(dir, { ...o, address, authPort, acctPort });
  else {
    for (const d of ["log", "run", "radacct", "mods-config/files"])
      mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, "mods-config/files/authorize"), usersFile(o.users));
    writeFileSync(join(dir, "clients.conf"), clientsFile(o.clients));
    if (o.proxyTo) writeFileSync(join(dir, "proxy.conf"), proxyConf(o.proxyTo));
    for (const [name, text] of Object.entries(o.extraFiles ?? {}))
      writeFileSync(join(dir, name), text);
    writeFileSync(
      join(dir, "radiusd.conf"),
      radiusdConf(dir, { ...o, address, authPort, acctPort }),
    );
  }

  const cmd = [FREERADIUS_BIN, "-f", "-l", "stdout", "-d", dir, ...(o.flags ?? [])];
  let proc: ReturnType<typeof Bun.spawn> | null = null;
  let log = "";

  const stop = async () => {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null) return;
    p.kill("SIGTERM");
    const t = setTimeout(() => p.kill("SIGKILL"), 3_000);
    await p.exited;
    clearTimeout(t);
  };
  const start = async () => {
    log = "";
    let ready = false;
    const p = Bun.spawn({
      cmd: o.taskset ? ["taskset", "-c", o.taskset, ...cmd] : cmd,
      stdout: "pipe",
      stderr: "pipe",
    });
    proc = p;
    const collect = async (stream: ReadableStream<Uint8Array>) => {
      const dec = new TextDecoder();
      for await (const chunk of stream) {
        if (log.length < 1_000_000) log += dec.decode(chunk);
        if (log.includes("Ready to process requests")) ready = true;
      }
    };
    void collect(p.stdout as ReadableStream<Uint8Array>);
    void collect(p.stderr as ReadableStream<Uint8Array>);
    const deadline = Date.now() + (o.startTimeoutMs ?? 10_000);
    while (!ready && p.exitCode === null && Date.now() < deadline) await Bun.sleep(20);
    if (!ready) {
      const text = log;
      await stop();
      throw new Error(`FreeRADIUS did not start (exit ${p.exitCode}):\n${text.slice(-4000)}`);
    }
  };
  const close = async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await start();
  } catch (e) {
    await close();
    throw e;
  }
  return {
    authPort,
    acctPort,
    dir,
    get pid() {
      return proc?.pid ?? -1;
    },
    log: () => log,
    stop,
    start,
    close,
  };
}
