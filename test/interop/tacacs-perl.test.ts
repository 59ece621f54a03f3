// Interop: the Perl client Authen::TacacsPlus (Debian `libauthen-tacacsplus-perl`, a C TACACS+ client
// library with its own MD5 pad) authenticates against the running server with ASCII login, PAP and
// CHAP, good and bad passwords. The CHAP response is computed in Perl (Digest::MD5) from the
// cleartext, so our CHAP check and pad are both tested against independent code.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { peersAvailable } from "../support/peers.ts";
import { KEY, startServer, USERS, type Server } from "../tacacs/harness.ts";

const SCRIPT = String.raw`
use strict; use warnings;
use Authen::TacacsPlus; use Digest::MD5 qw(md5);
my ($host, $port, $key, $type, $user, $pw) = @ARGV;
my $tac = Authen::TacacsPlus->new(Host => $host, Port => $port, Key => $key, Timeout => 5);
if (!$tac) { print "NOCONN " . Authen::TacacsPlus::errmsg() . "\n"; exit 0; }
my %types = (ascii => 1, pap => 2, chap => 3);
my $arg = $pw;
if ($type eq 'chap') { my $id = chr(5); my $ch = "0123456789abcdef"; $arg = $id . $ch . md5($id . $pw . $ch); }
my $ok = $tac->authen($user, $arg, $types{$type});
print(($ok ? "PASS" : "FAIL") . "\n");
$tac->close();
`;

async function perl(port: number, type: string, user: string, password: string): Promise<string> {
  const p = Bun.spawn(
    ["perl", "-e", SCRIPT, "127.0.0.1", String(port), KEY, type, user, password],
    { stdout: "pipe", stderr: "pipe", timeout: 15_000, killSignal: "SIGKILL" },
  );
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  if (code !== 0) throw new Error(`perl exited ${code}: ${err}`);
  return out.trim();
}

describe.skipIf(!peersAvailable("libauthen-tacacsplus-perl"))(
  "Authen::TacacsPlus against the server",
  () => {
    let srv: Server;
    beforeAll(async () => {
      srv = await startServer({ listen: ["127.0.0.1:0"] });
    });
    afterAll(async () => {
      await srv?.stop();
    });

    const count = (type: string, result: string) => {
      const m = srv.registry.get("aaa_tacacs_authentications_total") as unknown as {
        get(l: Record<string, string>): number;
      };
      return ["authenticated", "bad-password", "unknown-user"].reduce(
        (a, reason) => a + m.get({ protocol: "tacacs", type, result, reason }),
        0,
      );
    };

    test("ASCII login: good and bad password", async () => {
      expect(await perl(srv.port4, "ascii", "bob", USERS.bob.password)).toBe("PASS");
      expect(await perl(srv.port4, "ascii", "bob", "wrong")).toBe("FAIL");
      expect([count("ascii", "pass"), count("ascii", "fail")]).toEqual([1, 1]);
    });

    test("PAP: good and bad password, unknown user", async () => {
      expect(await perl(srv.port4, "pap", "alice", USERS.alice.password)).toBe("PASS");
      expect(await perl(srv.port4, "pap", "alice", "wrong")).toBe("FAIL");
      expect(await perl(srv.port4, "pap", "nobody", "x")).toBe("FAIL");
      expect([count("pap", "pass"), count("pap", "fail")]).toEqual([1, 2]);
    });

    test("CHAP: good and bad secret", async () => {
      expect(await perl(srv.port4, "chap", "carol", USERS.carol.chap)).toBe("PASS");
      expect(await perl(srv.port4, "chap", "carol", "wrong")).toBe("FAIL");
      expect([count("chap", "pass"), count("chap", "fail")]).toEqual([1, 1]);
      expect(srv.problems().filter((l) => l.event !== "tacacs_authen_fail")).toEqual([]);
    });
  },
);
