// Operations, end to end through the real entry point (src/main.ts in a child process): the
// status page in headless Chromium with live figures, hot reload (a new realm applied without
// dropping an in-flight request; an invalid file changes nothing), and SIGTERM letting a running
// TACACS+ session finish.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { utf8 } from "../../src/lib/bytes.ts";
import { encodeReply } from "../../src/radius/codec/compose.ts";
import { AttrType, Code, decodePacket, getAll } from "../../src/radius/codec/packet.ts";
import { AuthenStatus, AuthenType } from "../../src/tacacs/codec/authentication.ts";
import { PacketType } from "../../src/tacacs/codec/header.ts";
import { MAIN, ROOT, runMain } from "../support/cli.ts";
import { peersAvailable } from "../support/peers.ts";
import { papRequest, radiusClient } from "../support/radius-client.ts";
import { newSessionId, TacacsClient } from "../support/tacacs-client.ts";
import { tempDir } from "../support/tmp.ts";

const HAVE_CHROMIUM = peersAvailable("chromium");
const dir = tempDir("aaa-ops-");
const cfgPath = join(dir.path, "aaa.toml");
const KEY = "tac-key-1",
  SECRET = "rad-secret-1",
  HOME_SECRET = "home-secret-1";
const TOKEN = "e2e-admin-token-0123456789";

async function freeTcp(): Promise<number> {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = s.port;
  s.stop(true);
  return p;
}
async function freeUdp(): Promise<number> {
  const s = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0 });
  const p = s.port;
  s.close();
  return p;
}

/** A home server that answers Access-Accept after `delayMs`, echoing Proxy-State (RFC 2865 §5.33). */
async function homeServer(name: string, delayMs: number) {
  const seen: string[] = [];
  const sock = await Bun.udpSocket({
    hostname: "127.0.0.1",
    port: 0,
    binaryType: "uint8array",
    socket: {
      data(s, data, port, addr) {
        const p = decodePacket(data);
        if (!p.ok || p.value.code !== Code.AccessRequest) return;
        const req = p.value;
        const user = new TextDecoder().decode(
          getAll(req, AttrType.UserName)[0] ?? new Uint8Array(),
        );
        seen.push(user);
        const attrs = [
          { type: AttrType.ReplyMessage, value: utf8(`from ${name}`) },
          ...getAll(req, AttrType.ProxyState).map((value) => ({
            type: AttrType.ProxyState,
            value,
          })),
        ];
        const reply = encodeReply(
          req,
          { code: Code.AccessAccept, attributes: attrs },
          utf8(HOME_SECRET),
        );
        if (reply.ok) setTimeout(() => s.send(reply.value, port, addr), delayMs);
      },
    },
  });
  return { port: sock.port, seen, close: () => sock.close() };
}

let ports: { tacacs: number; auth: number; acct: number; http: number; auth2: number };
let homeA: Awaited<ReturnType<typeof homeServer>>, homeB: Awaited<ReturnType<typeof homeServer>>;
let proc: ReturnType<typeof Bun.spawn>;
let logText = "";

function config(o: {
  extraAuth?: boolean;
  realmB?: boolean;
  broken?: boolean;
  unsetEnv?: boolean;
}): string {
  const auth = [
    `"127.0.0.1:${ports.auth}"`,
    ...(o.extraAuth ? [`"127.0.0.1:${ports.auth2}"`] : []),
  ].join(", ");
  return `${o.broken ? "[tacacs]\nlisten = 5\n" : ""}
[store]
path = "${join(dir.path, "aaa.sqlite")}"
${o.broken ? "" : `[tacacs]\nlisten = ["127.0.0.1:${ports.tacacs}"]\n`}
[radius]
auth_listen = [${auth}]
acct_listen = ["127.0.0.1:${ports.acct}"]
[radius.proxy.retry]
initial_timeout = "2s"
[[radius.proxy.home_servers]]
name = "home-a"
address = "127.0.0.1:${homeA.port}"
type = "auth"
secret = "${HOME_SECRET}"
status_check = false
[[radius.proxy.home_servers]]
name = "home-b"
address = "127.0.0.1:${homeB.port}"
type = "auth"
secret = "${HOME_SECRET}"
status_check = false
${o.unsetEnv ? `[[radius.proxy.home_servers]]\nname = "home-c"\naddress = "127.0.0.1:9"\ntype = "auth"\nsecret_env = "AAA_E2E_NEVER_SET"\n` : ""}[[radius.proxy.pools]]
name = "pool-a"
strategy = "failover"
servers = ["home-a"]
[[radius.proxy.pools]]
name = "pool-b"
strategy = "failover"
servers = ["home-b"]
[[radius.proxy.realms]]
name = "example.com"
match = "suffix"
pool = "pool-a"
${o.realmB ? `[[radius.proxy.realms]]\nname = "example.org"\nmatch = "exact"\npool = "pool-b"\n` : ""}
[http]
listen = "127.0.0.1:${ports.http}"
`;
}

async function waitLog(event: string, after = 0, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (logText.slice(after).includes(`"event":"${event}"`)) return;
    await Bun.sleep(25);
  }
  throw new Error(`no ${event} in log within ${ms} ms:\n${logText.slice(-2000)}`);
}

async function pap(port: number, user: string, password: string): Promise<number | null> {
  const c = await radiusClient({ host: "127.0.0.1", port });
  try {
    const req = papRequest(SECRET, user, password);
    const reply = await c.exchange(req.bytes, 6000);
    if (!reply) return null;
    const p = decodePacket(reply);
    return p.ok ? p.value.code : null;
  } finally {
    c.close();
  }
}

beforeAll(async () => {
  ports = {
    tacacs: await freeTcp(),
    auth: await freeUdp(),
    acct: await freeUdp(),
    http: await freeTcp(),
    auth2: await freeUdp(),
  };
  homeA = await homeServer("a", 600);
  homeB = await homeServer("b", 0);
  writeFileSync(cfgPath, config({}));
  for (const args of [
    ["group", "add", "lab", "--tacacs-secret", KEY, "--radius-secret", SECRET],
    ["device", "add", "lab-lo", "--network", "127.0.0.0/8", "--group", "lab"],
    ["usergroup", "add", "ops", "--priv-lvl", "15", "--device-group", "lab"],
    ["user", "add", "carol", "--password", "carol-pass-1", "--group", "ops"],
  ]) {
    const r = runMain([...args, "--config", cfgPath]);
    if (r.code !== 0) throw new Error(`${args.join(" ")}: ${r.stderr}`);
  }
  proc = Bun.spawn([process.execPath, MAIN, "--config", cfgPath], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, AAA_ADMIN_TOKEN: TOKEN },
  });
  void (async () => {
    const dec = new TextDecoder();
    for await (const chunk of proc.stdout as ReadableStream<Uint8Array>)
      logText += dec.decode(chunk);
  })();
  await waitLog("started");
}, 30_000);

afterAll(async () => {
  if (proc && proc.exitCode === null) {
    proc.kill("SIGKILL");
    await proc.exited;
  }
  homeA?.close();
  homeB?.close();
  dir.remove();
});

describe("status page", () => {
  test.skipIf(!HAVE_CHROMIUM)(
    "renders in headless Chromium with live figures after traffic; screenshot stored",
    async () => {
      expect(await pap(ports.auth, "carol", "carol-pass-1")).toBe(Code.AccessAccept);
      expect(await pap(ports.auth, "carol", "carol-pass-1")).toBe(Code.AccessAccept);
      expect(await pap(ports.auth, "carol", "wrong")).toBe(Code.AccessReject);
      const profile = join(dir.path, "chromium-profile");
      const flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        `--user-data-dir=${profile}`,
      ];
      const url = `http://127.0.0.1:${ports.http}/`;
      const dom = Bun.spawnSync(["chromium", ...flags, "--dump-dom", url], { timeout: 60_000 });
      const html = dom.stdout.toString();
      expect(html).toContain("aaa-proxy");
      const row =
        /<tr data-protocol="radius">.*?<td class="num pass">(\d+)<\/td><td class="num fail">(\d+)<\/td>/s.exec(
          html,
        );
      expect(row).not.toBeNull();
      expect(Number(row![1])).toBeGreaterThanOrEqual(2);
      expect(Number(row![2])).toBeGreaterThanOrEqual(1);
      expect(html).toContain(`127.0.0.1:${ports.tacacs}`);
      expect(html).toMatch(/home-a/);
      expect(html).toMatch(/<td>radius 127.0.0.1<\/td><td>lab-lo<\/td><td class="num">\d+<\/td>/);
      mkdirSync(join(ROOT, "test-artifacts"), { recursive: true });
      const shot = join(ROOT, "test-artifacts", "status-page.png");
      const s = Bun.spawnSync(
        [
          "chromium",
          ...flags,
          "--hide-scrollbars",
          "--window-size=1100,1000",
          `--screenshot=${shot}`,
          url,
        ],
        { timeout: 60_000 },
      );
      expect(s.exitCode).toBe(0);
      expect(statSync(shot).size).toBeGreaterThan(5_000);
    },
    90_000,
  );
});

describe("metrics", () => {
  test("Prometheus names follow the conventions; process metrics are there", async () => {
    const text = await (await fetch(`http://127.0.0.1:${ports.http}/metrics`)).text();
    const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => ({
      name: m[1]!,
      type: m[2]!,
    }));
    expect(types.length).toBeGreaterThan(20);
    for (const t of types) {
      expect(t.name).toStartWith("aaa_");
      if (t.type === "counter") expect(t.name).toEndWith("_total");
      if (t.type === "histogram") expect(t.name).toEndWith("_seconds");
    }
    for (const name of [
      "aaa_process_resident_memory_bytes",
      "aaa_process_event_loop_lag_seconds",
      "aaa_open_connections",
      "aaa_radius_request_duration_seconds",
    ])
      expect(types.map((t) => t.name)).toContain(name);
    // Bounded cardinality: no user names in labels.
    expect(text).not.toContain("carol");
  });
});

describe("hot reload (SIGHUP)", () => {
  test("an invalid file is refused with reasons and changes nothing", async () => {
    const mark = logText.length;
    writeFileSync(cfgPath, config({ broken: true, extraAuth: true }));
    proc.kill("SIGHUP");
    await waitLog("reload_refused", mark);
    expect(logText.slice(mark)).toContain("tacacs.listen");
    const health = (await (await fetch(`http://127.0.0.1:${ports.http}/api/health`)).json()) as {
      listeners: Array<{ address: string }>;
    };
    expect(health.listeners.map((l) => l.address)).not.toContain(`127.0.0.1:${ports.auth2}`);
    expect(await pap(ports.auth, "carol", "carol-pass-1")).toBe(Code.AccessAccept);
  });

  test("a home server whose secret_env is unset: the reload is refused with the key path, and realm routing stays enforced", async () => {
    const mark = logText.length;
    writeFileSync(cfgPath, config({ unsetEnv: true }));
    proc.kill("SIGHUP");
    await waitLog("reload_refused", mark);
    expect(logText.slice(mark)).toContain(
      "radius.proxy.home_servers[2].secret_env: environment variable AAA_E2E_NEVER_SET is not set",
    );
    // Still proxied to home-a (a fail-open reload would have answered from local policy).
    const before = homeA.seen.length;
    expect(await pap(ports.auth, "frank@example.com", "pw")).toBe(Code.AccessAccept);
    expect(homeA.seen.length).toBe(before + 1);
    // check-config says the same, exit 2.
    const r = runMain(["check-config", "--config", cfgPath]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "radius.proxy.home_servers[2].secret_env: environment variable AAA_E2E_NEVER_SET is not set",
    );
  });

  test("a new realm and a new listener apply without dropping a request in flight", async () => {
    // A request to realm example.com is in flight at home-a (which answers after 600 ms)...
    const inFlight = pap(ports.auth, "dave@example.com", "pw");
    await Bun.sleep(100);
    expect(homeA.seen.some((u) => u.startsWith("dave"))).toBe(true);
    // ...when the new file adds realm example.org → home-b and a second auth listener.
    const mark = logText.length;
    writeFileSync(cfgPath, config({ realmB: true, extraAuth: true }));
    proc.kill("SIGHUP");
    await waitLog("reloaded", mark);
    expect(await inFlight).toBe(Code.AccessAccept);
    expect(await pap(ports.auth, "erin@example.org", "pw")).toBe(Code.AccessAccept);
    expect(homeB.seen.some((u) => u.startsWith("erin"))).toBe(true);
    expect(await pap(ports.auth2, "carol", "carol-pass-1")).toBe(Code.AccessAccept);
  }, 20_000);
});

describe("admin API on the running server", () => {
  test("refuses without the token; with it, lists groups without secrets and reloads", async () => {
    const base = `http://127.0.0.1:${ports.http}/api/admin`;
    expect((await fetch(`${base}/device-groups`)).status).toBe(401);
    expect(
      (
        await fetch(`${base}/device-groups`, {
          headers: { authorization: "Bearer wrong-token-wrong-token" },
        })
      ).status,
    ).toBe(401);
    const res = await fetch(`${base}/device-groups`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('"tacacs_secret_set":true');
    expect(text).not.toContain(KEY);
    expect(text).not.toContain(SECRET);
    const mark = logText.length;
    const reload = await fetch(`${base}/reload`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(reload.status).toBe(200);
    await waitLog("reloaded", mark);
  });
});

describe("graceful shutdown", () => {
  test("SIGTERM lets a running TACACS+ session finish, then the process exits 0", async () => {
    const c = await TacacsClient.connect("127.0.0.1", ports.tacacs, { key: KEY, timeoutMs: 5000 });
    const sid = newSessionId();
    let p = await c.authenStart(
      { user: "carol", authenType: AuthenType.ASCII },
      { sessionId: sid },
    );
    expect((p.body as { status: number }).status).toBe(AuthenStatus.GETPASS);
    const mark = logText.length;
    proc.kill("SIGTERM");
    await waitLog("stopping", mark);
    // New connections are refused while the running session is allowed to finish.
    await expect(TacacsClient.connect("127.0.0.1", ports.tacacs, { key: KEY })).rejects.toThrow();
    p = await c.request(
      { type: PacketType.AUTHEN, seqNo: 3, sessionId: sid },
      {
        kind: "authen-continue",
        body: { userMsg: utf8("carol-pass-1"), data: new Uint8Array(0), flags: 0 },
      },
    );
    expect((p.body as { status: number }).status).toBe(AuthenStatus.PASS);
    c.close();
    expect(await proc.exited).toBe(0);
    await waitLog("stopped", mark);
  }, 20_000);
});
