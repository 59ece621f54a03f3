// Interop: a pyrad client (Debian python3-pyrad, /usr/bin/python3) against our RADIUS server over UDP.
// pyrad builds the requests (PAP with its own User-Password hiding, CHAP, Accounting Start/Stop with its
// own Request Authenticator, Status-Server) and verifies every reply's Response Authenticator with
// VerifyReply. pyrad 2.1 knows nothing of Message-Authenticator, so the script adds one to the requests
// (HMAC-MD5, RFC 3579 §3.2) and this test recomputes the replies' one independently in Python's hmac.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { queryAccounting } from "../../src/store/accounting.ts";
import { ALICE_PASSWORD, NAS_SECRET, startFixture, type RadiusFixture } from "../radius/fixture.ts";
import { requireBinary, runPeer } from "../support/peer.ts";

const PYTHON = "/usr/bin/python3";

const DICTIONARY = `
ATTRIBUTE	User-Name		1	string
ATTRIBUTE	User-Password		2	string	encrypt=1
ATTRIBUTE	CHAP-Password		3	octets
ATTRIBUTE	NAS-IP-Address		4	ipaddr
ATTRIBUTE	Reply-Message		18	string
ATTRIBUTE	Class			25	octets
ATTRIBUTE	Vendor-Specific		26	octets
ATTRIBUTE	Session-Timeout		27	integer
ATTRIBUTE	Acct-Status-Type	40	integer
ATTRIBUTE	Acct-Session-Id		44	string
ATTRIBUTE	Message-Authenticator	80	octets
VENDOR		Cisco			9
BEGIN-VENDOR	Cisco
ATTRIBUTE	Cisco-AVPair		1	string
END-VENDOR	Cisco
`;

const SCRIPT = `
import sys, json, hmac, hashlib, socket, struct
from pyrad.dictionary import Dictionary
from pyrad import packet
d = Dictionary(sys.argv[1]); secret = sys.argv[2].encode(); auth_port = int(sys.argv[3]); acct_port = int(sys.argv[4])
password = sys.argv[5]

def with_ma(raw):
    # Append Message-Authenticator (zeros), fix Length, sign: RFC 3579 3.2 over the request as sent.
    raw = raw + bytes([80, 18]) + bytes(16)
    raw = raw[:2] + struct.pack("!H", len(raw)) + raw[4:]
    mac = hmac.new(secret, raw, hashlib.md5).digest()
    return raw[:-16] + mac

def exchange(raw, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
    s.sendto(raw, ("127.0.0.1", port))
    try:
        rep, _ = s.recvfrom(4096)
    finally:
        s.close()
    return rep

def check_ma(raw_req, raw_rep):
    if len(raw_rep) < 38 or raw_rep[20] != 80 or raw_rep[21] != 18:
        return {"ma_first": False, "ma_ok": False}
    zeroed = raw_rep[0:4] + raw_req[4:20] + raw_rep[20:22] + bytes(16) + raw_rep[38:]
    return {"ma_first": True, "ma_ok": hmac.compare_digest(hmac.new(secret, zeroed, hashlib.md5).digest(), raw_rep[22:38])}

out = []
def run(name, req, raw, port):
    rep_raw = exchange(raw, port)
    rep = packet.Packet(packet=rep_raw, secret=secret, dict=d)
    r = {"name": name, "code": rep.code, "id_ok": rep.id == raw[1], "verified": req.VerifyReply(rep, rep_raw)}
    r.update(check_ma(raw, rep_raw))
    # Negative control: the same check with another secret must fail.
    req.secret = b"other"; r["verified_other_secret"] = req.VerifyReply(rep, rep_raw); req.secret = secret
    for a in ("Reply-Message", "Session-Timeout", "Cisco-AVPair"):
        if a in rep: r[a] = rep[a]
    out.append(r)

for name, pw in (("pap-accept", password), ("pap-reject", "wrong-" + password)):
    req = packet.AuthPacket(code=packet.AccessRequest, secret=secret, dict=d)
    req["User-Name"] = "alice"; req["User-Password"] = req.PwCrypt(pw); req["NAS-IP-Address"] = "192.0.2.9"
    run(name, req, with_ma(req.RequestPacket()), auth_port)

for name, pw in (("chap-accept", password), ("chap-reject", "nope")):
    req = packet.AuthPacket(code=packet.AccessRequest, secret=secret, dict=d)
    chap_id = 5
    req.authenticator = packet.Packet.CreateAuthenticator()
    req["User-Name"] = "alice"
    req["CHAP-Password"] = bytes([chap_id]) + hashlib.md5(bytes([chap_id]) + pw.encode() + req.authenticator).digest()
    run(name, req, with_ma(req.RequestPacket()), auth_port)

for kind, status in (("acct-start", 1), ("acct-stop", 2)):
    req = packet.AcctPacket(secret=secret, dict=d)
    req["User-Name"] = "alice"; req["Acct-Status-Type"] = status; req["Acct-Session-Id"] = "pyrad-1"
    run(kind, req, req.RequestPacket(), acct_port)

for name, port in (("status-auth", auth_port), ("status-acct", acct_port)):
    req = packet.AuthPacket(code=packet.StatusServer, secret=secret, dict=d)
    run(name, req, with_ma(req.RequestPacket()), port)

print(json.dumps(out))
`;

let f: RadiusFixture;
let dir = "";

beforeAll(async () => {
  requireBinary(PYTHON, "python3");
  const check = await runPeer([PYTHON, "-c", "import pyrad.packet"]);
  if (check.code !== 0)
    throw new Error(
      "pyrad is missing: install the Debian package python3-pyrad (apt-get install -y python3-pyrad)",
    );
  dir = mkdtempSync(join(tmpdir(), "radius-server-pyrad-"));
  writeFileSync(join(dir, "dictionary"), DICTIONARY);
  writeFileSync(join(dir, "client.py"), SCRIPT);
  f = await startFixture();
});
afterAll(async () => {
  await f?.stop();
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

describe("pyrad client", () => {
  test("every reply verifies (Response Authenticator by pyrad, Message-Authenticator first and valid by hmac)", async () => {
    const r = await runPeer(
      [
        PYTHON,
        join(dir, "client.py"),
        join(dir, "dictionary"),
        NAS_SECRET,
        String(f.authV4),
        String(f.acctV4),
        ALICE_PASSWORD,
      ],
      { timeoutMs: 30_000 },
    );
    if (r.code !== 0) throw new Error(`pyrad client exited ${r.code}: ${r.stderr}`);
    const out = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    const byName = Object.fromEntries(out.map((o) => [o.name, o]));
    for (const o of out) {
      expect(o.verified).toBe(true);
      expect(o.verified_other_secret).toBe(false);
      expect(o.id_ok).toBe(true);
    }
    const accessLike = [
      "pap-accept",
      "pap-reject",
      "chap-accept",
      "chap-reject",
      "status-auth",
      "status-acct",
    ];
    for (const n of accessLike)
      expect({ n, first: byName[n]!.ma_first, ok: byName[n]!.ma_ok }).toEqual({
        n,
        first: true,
        ok: true,
      });
    expect(byName["pap-accept"]).toMatchObject({
      code: 2,
      "Session-Timeout": [3600],
      "Cisco-AVPair": ["shell:priv-lvl=15"],
    });
    expect(byName["pap-reject"]).toMatchObject({
      code: 3,
      "Reply-Message": ["Authentication failed"],
    });
    expect(byName["chap-accept"]!.code).toBe(2);
    expect(byName["chap-reject"]!.code).toBe(3);
    expect(byName["acct-start"]!.code).toBe(5);
    expect(byName["acct-stop"]!.code).toBe(5);
    expect(byName["status-auth"]!.code).toBe(2);
    expect(byName["status-acct"]!.code).toBe(5);
    expect(queryAccounting(f.store, {}).filter((x) => x.sessionId === "pyrad-1").length).toBe(2);
  });
});
