// A real FreeRADIUS 3.2 (Debian package `freeradius`) as a home server, or as a proxy for the
// benchmark, from a minimal configuration written into its own temporary directory: loopback
// listeners on the given ports, one client (127.0.0.0/8) with the given secret, PAP and CHAP from a
// users file, accounting answered, Status-Server answered (RFC 5997). Runs as the current user (no
// privilege drop), in the foreground, stopped with SIGTERM.
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./tmp.ts";

const FREERADIUS = "/usr/sbin/freeradius";

export interface FreeradiusOptions {
  authPort: number;
  /** Default authPort + 1. */
  acctPort?: number;
  /** Secret shared with the clients (aaa-proxy or the load generator). */
  secret: string;
  /** Body of the users file (FreeRADIUS "files" syntax). */
  users: string;
  /** Proxy mode (benchmark): every request is proxied to this home server. */
  proxyTo?: { host: string; port: number; secret: string };
  /** Extra command-line flags, e.g. ["-X"] while debugging. */
  flags?: string[];
}

export interface FreeradiusHome {
  authPort: number;
  acctPort: number;
  dir: string;
  pid: number;
  /** Everything it printed so far. */
  output(): string;
  stop(): Promise<void>;
  /** Start again on the same ports and configuration. */
  start(): Promise<void>;
  remove(): void;
}

export function requireFreeradius(): void {
  if (!Bun.which("freeradius", { PATH: "/usr/sbin:/usr/bin" }))
    throw new Error(
      `${FREERADIUS} not found: install the Debian package freeradius (apt-get install -y freeradius)`,
    );
}

function writeConfig(
  dir: string,
  o: FreeradiusOptions & { acctPort: number },
): void {
  for (const d of ["log", "run", "radacct", "sites"])
    mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(
    join(dir, "dictionary"),
    "$INCLUDE /usr/share/freeradius/dictionary\n",
  );
  writeFileSync(join(dir, "users"), o.users);
  const proxying = o.proxyTo !== undefined;
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
modconfdir = ${dir}
run_dir = ${dir}/run
db_dir = ${dir}
libdir = /usr/lib/freeradius
pidfile = ${dir}/run/freeradius.pid
max_request_time = 30
cleanup_delay = 5
max_requests = 65536
hostname_lookups = no
log {
  destination = stdout
  colourise = no
  auth = no
}
security {
  allow_core_dumps = no
  max_attributes = 200
  reject_delay = 0
  status_server = yes
}
proxy_requests = ${proxying ? "yes" : "no"}
${proxying ? `$INCLUDE ${dir}/proxy.conf` : ""}
client loopback {
  ipaddr = 127.0.0.0/8
  secret = "${o.secret}"
  require_message_authenticator = no
}
thread pool {
  start_servers = 4
  max_servers = 8
  min_spare_servers = 2
  max_spare_servers = 8
  max_requests_per_server = 0
  auto_limit_acct = no
}
modules {
  pap {
    normalise = yes
  }
  chap {
  }
  files {
    filename = ${dir}/users
  }
  always ok {
    rcode = ok
  }
  realm suffix {
    format = suffix
    delimiter = "@"
  }
}
instantiate {
}
policy {
}
$INCLUDE ${dir}/sites/
`,
  );
  writeFileSync(
    join(dir, "sites", "default"),
    `server default {
listen {
  type = auth
  ipaddr = 127.0.0.1
  port = ${o.authPort}
}
listen {
  type = acct
  ipaddr = 127.0.0.1
  port = ${o.acctPort}
}
authorize {
  Autz-Type Status-Server {
    ok
  }
  ${proxying ? "suffix" : "chap\n  files\n  pap"}
}
authenticate {
  Auth-Type PAP {
    pap
  }
  Auth-Type CHAP {
    chap
  }
}
preacct {
  ${proxying ? "suffix" : "ok"}
}
accounting {
  ok
}
post-auth {
  ok
}
}
`,
  );
  if (o.proxyTo) {
    writeFileSync(
      join(dir, "proxy.conf"),
      `proxy server {
  default_fallback = no
}
home_server echo {
  type = auth+acct
  ipaddr = ${o.proxyTo.host}
  port = ${o.proxyTo.port}
  secret = "${o.proxyTo.secret}"
  response_window = 20
  zombie_period = 40
  status_check = none
  max_outstanding = 65536
}
home_server_pool echo_pool {
  type = fail-over
  home_server = echo
}
realm example.com {
  auth_pool = echo_pool
  acct_pool = echo_pool
  nostrip
}
`,
    );
  }
}

export async function startFreeradiusHome(
  o: FreeradiusOptions,
): Promise<FreeradiusHome> {
  requireFreeradius();
  const tmp = tempDir("aaa-freeradius-");
  const acctPort = o.acctPort ?? o.authPort + 1;
  writeConfig(tmp.path, { ...o, acctPort });
  let out = "";
  let proc: ReturnType<typeof Bun.spawn> | null = null;

  const start = async () => {
    out = "";
    const p = Bun.spawn({
      cmd: [
        FREERADIUS,
        "-f",
        "-d",
        tmp.path,
        "-l",
        "stdout",
        ...(o.flags ?? []),
      ],
      stdout: "pipe",
      stderr: "pipe",
    });
    proc = p;
    const pump = async (s: ReadableStream<Uint8Array>) => {
      const dec = new TextDecoder();
      for await (const chunk of s) out += dec.decode(chunk);
    };
    void pump(p.stdout as ReadableStream<Uint8Array>);
    void pump(p.stderr as ReadableStream<Uint8Array>);
    const until = performance.now() + 10_000;
    while (!out.includes("Ready to process requests")) {
      if (p.exitCode !== null || performance.now() > until) {
        p.kill();
        throw new Error(
          `freeradius did not start (exit ${p.exitCode}):\n${out.slice(-3000)}`,
        );
      }
      await Bun.sleep(20);
    }
  };
  await start();
  return {
    authPort: o.authPort,
    acctPort,
    dir: tmp.path,
    get pid() {
      return proc?.pid ?? -1;
    },
    output: () => out,
    async stop() {
      const p = proc;
      proc = null;
      if (!p || p.exitCode !== null) return;
      p.kill("SIGTERM");
      const t = setTimeout(() => p.kill("SIGKILL"), 3_000);
      await p.exited;
      clearTimeout(t);
    },
    start,
    remove: () => tmp.remove(),
  };
}

/** Two consecutive free UDP ports on 127.0.0.1 (auth, acct), found by binding them. */
export async function freeUdpPortPair(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000) * 2;
    try {
      const a = await Bun.udpSocket({ hostname: "127.0.0.1", port: base });
      const b = await Bun.udpSocket({
        hostname: "127.0.0.1",
        port: base + 1,
      }).catch(() => null);
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
