// The reusable FreeRADIUS helper (test/support/freeradius.ts) works: a private raddb on free loopback
// ports answers PAP with the configured reply attributes, rejects a wrong password, answers
// Accounting-Request and Status-Server on both ports, and enforces require_message_authenticator.
// `stock: true` (Debian's shipped configuration, the benchmark's main baseline) answers PAP and
// writes accounting through its stock modules (detail per client and day, radwtmp).
// (The benchmark and the RADIUS proxy's tests build on it.)
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFreeradius, type FreeradiusServer } from "../support/freeradius.ts";
import { requireBinary, runPeer } from "../support/peer.ts";

let fr: FreeradiusServer;
const SECRET = "helper-s3cret";

beforeAll(async () => {
  requireBinary("/usr/bin/radclient", "freeradius-utils");
  fr = await startFreeradius({
    clients: [
      {
        ipaddr: "127.0.0.1",
        secret: SECRET,
        requireMessageAuthenticator: true,
      },
    ],
    users: [
      {
        name: "bob",
        password: "bob-pw",
        reply: { "Session-Timeout": 120, "Reply-Message": "hello bob" },
      },
    ],
  });
});
afterAll(async () => {
  await fr?.close();
});

const rc = (port: number, kind: string, attrs: string) =>
  runPeer(["/usr/bin/radclient", "-x", "-r", "1", "-t", "2", `127.0.0.1:${port}`, kind, SECRET], {
    stdin: attrs + "\n",
  });

describe("startFreeradius", () => {
  test("PAP accept with reply attributes, reject, accounting, Status-Server on both ports, Message-Authenticator required", async () => {
    const ok = await rc(
      fr.authPort,
      "auth",
      'User-Name = "bob", User-Password = "bob-pw", Message-Authenticator = 0x00',
    );
    expect(ok.stdout).toContain("Received Access-Accept");
    expect(ok.stdout).toContain("Session-Timeout = 120");
    expect(ok.stdout).toContain('Reply-Message = "hello bob"');
    const bad = await rc(
      fr.authPort,
      "auth",
      'User-Name = "bob", User-Password = "nope", Message-Authenticator = 0x00',
    );
    expect(bad.stdout).toContain("Received Access-Reject");
    const noMa = await runPeer(
      ["/usr/bin/radclient", "-r", "1", "-t", "1", `127.0.0.1:${fr.authPort}`, "auth", SECRET],
      { stdin: 'User-Name = "bob", User-Password = "bob-pw"\n' },
    );
    expect(noMa.stdout).not.toContain("Received");
    const acct = await rc(
      fr.acctPort,
      "acct",
      'User-Name = "bob", Acct-Status-Type = Start, Acct-Session-Id = "h1"',
    );
    expect(acct.stdout).toContain("Received Accounting-Response");
    for (const port of [fr.authPort, fr.acctPort]) {
      const st = await rc(port, "status", "Message-Authenticator = 0x00");
      expect(st.stdout).toMatch(/Received (Access-Accept|Accounting-Response)/);
    }
  });
});

describe("startFreeradius({ stock: true })", () => {
  test("Debian's configuration with our client and user: PAP accept and reject, accounting written by the stock detail and unix modules", async () => {
    const stock = await startFreeradius({
      stock: true,
      clients: [{ ipaddr: "127.0.0.1", secret: SECRET, requireMessageAuthenticator: true }],
      users: [{ name: "bob", password: "bob-pw" }],
    });
    try {
      const ok = await rc(
        stock.authPort,
        "auth",
        'User-Name = "bob", User-Password = "bob-pw", Message-Authenticator = 0x00',
      );
      expect(ok.stdout).toContain("Received Access-Accept");
      const bad = await rc(
        stock.authPort,
        "auth",
        'User-Name = "bob", User-Password = "nope", Message-Authenticator = 0x00',
      );
      expect(bad.stdout).toContain("Received Access-Reject");
      const acct = await rc(
        stock.acctPort,
        "acct",
        'User-Name = "bob", Acct-Status-Type = Start, Acct-Session-Id = "stock-1", NAS-Port = 7',
      );
      expect(acct.stdout).toContain("Received Accounting-Response");
      // The stock detail module: ${radacctdir}/<client address>/detail-YYYYMMDD; unix: radwtmp.
      const dir = join(stock.dir, "log/radacct/127.0.0.1");
      const files = readdirSync(dir);
      expect(files.some((f) => f.startsWith("detail-"))).toBe(true);
      expect(readFileSync(join(dir, files[0]!), "utf8")).toContain('Acct-Session-Id = "stock-1"');
      expect(existsSync(join(stock.dir, "log/radwtmp"))).toBe(true);
    } finally {
      await stock.close();
    }
  });
});
