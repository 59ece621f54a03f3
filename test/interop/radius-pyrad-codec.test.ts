// Interop: our RADIUS codec against pyrad (Debian python3-pyrad, run with /usr/bin/python3).
// (a) pyrad builds an Access-Request (User-Name, hidden User-Password, NAS-IP-Address, Cisco-AVPair);
//     we decode it, find the VSA and unhide the password.
// (b) we encode the Access-Accept (Message-Authenticator first, Reply-Message, Cisco VSA); pyrad's
//     VerifyReply checks our Response Authenticator and decodes the attributes. pyrad 2.1 does not check
//     Message-Authenticator, so the script recomputes it with Python's hmac module.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromHex, fromUtf8, hex, utf8 } from "../../src/lib/bytes.ts";
import { encodeReply } from "../../src/radius/codec/compose.ts";
import { AttrType, Code, decodePacket, getAttr } from "../../src/radius/codec/packet.ts";
import { unhidePassword } from "../../src/radius/codec/user-password.ts";
import { encodeVsa, findVendorAttr } from "../../src/radius/codec/vsa.ts";
import { peersAvailable } from "../support/peers.ts";

const PYTHON = "/usr/bin/python3";
const SECRET = "interop-s3cret";
const PASSWORD = "correct horse battery"; // 21 octets: two cipher blocks

const DICTIONARY = `
ATTRIBUTE	User-Name		1	string
ATTRIBUTE	User-Password		2	string	encrypt=1
ATTRIBUTE	NAS-IP-Address		4	ipaddr
ATTRIBUTE	Reply-Message		18	string
ATTRIBUTE	Vendor-Specific		26	octets
ATTRIBUTE	Session-Timeout		27	integer
ATTRIBUTE	Message-Authenticator	80	octets
VENDOR		Cisco			9
BEGIN-VENDOR	Cisco
ATTRIBUTE	Cisco-AVPair		1	string
END-VENDOR	Cisco
`;

const SCRIPT = `
import sys, json, hmac, hashlib
from pyrad.dictionary import Dictionary
from pyrad import packet
d = Dictionary(sys.argv[2])
secret = sys.argv[3].encode()
if sys.argv[1] == "build":
    req = packet.AuthPacket(code=packet.AccessRequest, id=42, secret=secret, dict=d)
    req["User-Name"] = "alice"
    req["User-Password"] = req.PwCrypt(sys.argv[4])
    req["NAS-IP-Address"] = "192.0.2.7"
    req["Cisco-AVPair"] = "shell:priv-lvl=15"
    print(req.RequestPacket().hex())
else:
    raw_req = bytes.fromhex(sys.argv[4]); raw_rep = bytes.fromhex(sys.argv[5])
    req = packet.AuthPacket(packet=raw_req, secret=secret, dict=d)
    rep = packet.Packet(packet=raw_rep, secret=secret, dict=d)
    def get(name):
        try:
            return rep[name]
        except KeyError:
            return None
    # Independent Message-Authenticator check (RFC 3579 3.2): request authenticator in the header, MA zeroed.
    first_type, first_len = raw_rep[20], raw_rep[21]
    zeroed = raw_rep[0:4] + raw_req[4:20] + raw_rep[20:22] + bytes(16) + raw_rep[38:]
    ma_ok = first_type == 80 and first_len == 18 and hmac.compare_digest(
        hmac.new(secret, zeroed, hashlib.md5).digest(), raw_rep[22:38])
    print(json.dumps({
        "verified": req.VerifyReply(rep, raw_rep),
        "code": rep.code, "id": rep.id,
        "reply_message": get("Reply-Message"),
        "avpair": get("Cisco-AVPair"),
        "timeout": get("Session-Timeout"),
        "ma_first_and_valid": ma_ok,
    }))
`;

let dir = "";
function py(...args: string[]): string {
  const r = Bun.spawnSync({
    cmd: [PYTHON, join(dir, "peer.py"), ...args],
    stdout: "pipe",
    stderr: "pipe",
    timeout: 15_000,
  });
  if (r.exitCode !== 0)
    throw new Error(
      `python exited ${r.exitCode} (signal ${r.signalCode ?? "none"}): ${r.stderr.toString()}`,
    );
  return r.stdout.toString().trim();
}

const HAVE_PEERS = peersAvailable("python3-pyrad");

beforeAll(() => {
  if (!HAVE_PEERS) return;
  if (!existsSync(PYTHON))
    throw new Error(`${PYTHON} not found: install the Debian package python3 (and python3-pyrad)`);
  const check = Bun.spawnSync({
    cmd: [PYTHON, "-c", "import pyrad.packet"],
    stderr: "pipe",
    timeout: 15_000,
  });
  if (check.exitCode !== 0)
    throw new Error(
      "pyrad is missing: install the Debian package python3-pyrad (apt-get install -y python3-pyrad)",
    );
  dir = mkdtempSync(join(tmpdir(), "radius-pyrad-"));
  writeFileSync(join(dir, "dictionary"), DICTIONARY);
  writeFileSync(join(dir, "peer.py"), SCRIPT);
});
afterAll(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!HAVE_PEERS)("pyrad interop", () => {
  test("decode pyrad's Access-Request, unhide its password, and have pyrad verify our Access-Accept", () => {
    const dictPath = join(dir, "dictionary");
    const reqHex = py("build", dictPath, SECRET, PASSWORD);
    const raw = fromHex(reqHex);
    const dec = decodePacket(raw);
    if (!dec.ok) throw new Error(`${dec.code} ${dec.detail}`);
    const req = dec.value;
    expect(req.code).toBe(Code.AccessRequest);
    expect(req.identifier).toBe(42);
    expect(fromUtf8(getAttr(req, AttrType.UserName)!)).toBe("alice");
    expect(hex(getAttr(req, AttrType.NASIPAddress)!)).toBe("c0000207");
    expect(fromUtf8(findVendorAttr(req, 9, 1)!)).toBe("shell:priv-lvl=15");
    const pw = unhidePassword(
      getAttr(req, AttrType.UserPassword)!,
      utf8(SECRET),
      req.authenticator,
    );
    expect(pw.ok && fromUtf8(pw.value)).toBe(PASSWORD);
    // The wrong secret must not yield the password.
    const wrong = unhidePassword(
      getAttr(req, AttrType.UserPassword)!,
      utf8("other"),
      req.authenticator,
    );
    expect(wrong.ok && fromUtf8(wrong.value)).not.toBe(PASSWORD);

    const vsa = encodeVsa(9, [{ vendorType: 1, value: utf8("shell:roles=network-admin") }]);
    if (!vsa.ok) throw new Error(vsa.code);
    const reply = encodeReply(
      req,
      {
        code: Code.AccessAccept,
        attributes: [
          { type: AttrType.ReplyMessage, value: utf8("welcome alice") },
          vsa.value,
          { type: 27, value: new Uint8Array([0, 0, 0x0e, 0x10]) },
        ],
      },
      utf8(SECRET),
    );
    if (!reply.ok) throw new Error(reply.code);
    const out = JSON.parse(py("verify", dictPath, SECRET, reqHex, hex(reply.value)));
    expect(out).toEqual({
      verified: true,
      code: 2,
      id: 42,
      reply_message: ["welcome alice"],
      avpair: ["shell:roles=network-admin"],
      timeout: [3600],
      ma_first_and_valid: true,
    });

    // Negative control: a reply signed with another secret must fail pyrad's check.
    const bad = encodeReply(
      req,
      {
        code: Code.AccessAccept,
        attributes: [{ type: AttrType.ReplyMessage, value: utf8("x") }],
      },
      utf8("not-the-secret"),
    );
    if (!bad.ok) throw new Error(bad.code);
    const badOut = JSON.parse(py("verify", dictPath, SECRET, reqHex, hex(bad.value)));
    expect(badOut).toMatchObject({
      verified: false,
      ma_first_and_valid: false,
      reply_message: ["x"],
    });
  });
});
