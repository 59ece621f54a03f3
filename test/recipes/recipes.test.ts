// Device recipes (docs/devices/*.md), executed as written: each page's `aaa-proxy` commands build
// the store of a real aaa-proxy on loopback (src/main.ts in a child process), then every user the
// page adds logs in the way that platform does — TACACS+ PAP, the authorization REQUEST for the
// service the platform asks for, command authorization for each `policy test --command` the page
// shows, TACACS+ and RADIUS accounting, RADIUS PAP through radclient (Debian freeradius-utils) —
// with the right and a wrong password, while tshark (Debian `tshark`, an independent dissector)
// captures the loopback interface. Its dissection must show the TACACS+ replies, decrypted with the key, carrying the AV pairs the page
// configures, and every Access-Accept the reply attributes and vendor VSAs by their dictionary
// names (radius.Cisco-AVPair, …). The page's `policy test` commands run through the real CLI and
// must print what the page shows.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../support/cli.ts";
import { peersAvailable } from "../support/peers.ts";
import { tempDir } from "../support/tmp.ts";
import { expectedAv, expectedReply, plan, PLATFORMS } from "./plan.ts";
import { flagValues, readRecipe } from "./recipe-doc.ts";
import { passwordOf, SECRET_ENV, startRecipeServer, type RecipeServer } from "./server.ts";
import * as wire from "./wire.ts";

const TAC = { PASS: 1, FAIL: 2, PASS_ADD: 1, AUTHOR_FAIL: 0x10, ACCT_SUCCESS: 1 } as const;
const RAD = { ACCEPT: 2, REJECT: 3, ACCT_RESPONSE: 5 } as const;

/** tshark's JSON field name for a RADIUS attribute: radius.<dictionary name, - as _>. */
const radiusField = (name: string) => `radius.${name.replace(/-/g, "_")}`;

// freeradius-common: its Arista dictionary fills a gap in Wireshark's (see the RADIUS test).
const HAVE_PEERS =
  peersAvailable("tshark", "freeradius-common", "freeradius-utils") && wire.canCapture();

test("every page under docs/devices/ is a tested recipe", () => {
  const pages = readdirSync(join(ROOT, "docs", "devices")).filter(
    (f) => f.endsWith(".md") && f !== "README.md",
  );
  expect(pages.sort()).toEqual(PLATFORMS.map((p) => p.doc).sort());
});

for (const platform of PLATFORMS) {
  describe.skipIf(!HAVE_PEERS)(`docs/devices/${platform.doc}`, () => {
    const recipe = readRecipe(join(ROOT, "docs", "devices", platform.doc));
    const p = plan(recipe);
    let dir: ReturnType<typeof tempDir> | undefined;
    let cap: wire.LoopbackCapture;
    let pcap = "";
    let srv: RecipeServer;
    /** What each TACACS+ exchange should be answered with, in capture order. */
    const tacacsWant: Array<{ what: string; status: number; args?: string[] }> = [];
    const radiusWant: Array<{
      what: string;
      code: number;
      reply: { name: string; value: string }[];
      /** radclient's printout of the reply. */
      printed: string;
    }> = [];

    beforeAll(async () => {
      // The page's devices sit on documentation addresses; the test's NAS is 127.0.0.1, so one
      // more device in the page's first group stands for it.
      srv = await startRecipeServer([
        ...recipe.setup,
        ["device", "add", "recipe-loopback", "--network", "127.0.0.1/32", "--group", p.deviceGroup],
      ]);
      dir = tempDir("aaa-recipe-wire-");
      cap = await wire.LoopbackCapture.start(
        join(dir.path, "lo.pcap"),
        [srv.tacacs],
        [srv.auth, srv.acct],
      );
      for (const u of p.users) {
        const pw = passwordOf(u.name);
        await wire.tacacsPap(srv, u.name, pw);
        tacacsWant.push({ what: `${u.name} PAP`, status: TAC.PASS });
        await wire.tacacsPap(srv, u.name, pw + "-wrong");
        tacacsWant.push({ what: `${u.name} PAP wrong password`, status: TAC.FAIL });
        const args =
          platform.service === "shell"
            ? ["service=shell", "cmd="]
            : [`service=${platform.service}`];
        await wire.tacacsAuthor(srv, u.name, args);
        tacacsWant.push({
          what: `${u.name} ${platform.service} authorization`,
          status: TAC.PASS_ADD,
          args: expectedAv(p, u, platform.service),
        });
        await wire.tacacsAcctStart(srv, u.name, [
          `service=${platform.service}`,
          "task_id=1",
          "start_time=1",
        ]);
        tacacsWant.push({ what: `${u.name} accounting START`, status: TAC.ACCT_SUCCESS });
        radiusWant.push({
          what: `${u.name} PAP`,
          code: RAD.ACCEPT,
          reply: expectedReply(p, u),
          printed: await wire.radiusPap(srv, u.name, pw),
        });
        radiusWant.push({
          what: `${u.name} PAP wrong password`,
          code: RAD.REJECT,
          reply: [],
          printed: await wire.radiusPap(srv, u.name, pw + "-wrong"),
        });
        radiusWant.push({
          what: `${u.name} Accounting-Request`,
          code: RAD.ACCT_RESPONSE,
          reply: [],
          printed: await wire.radiusAcctStart(srv, u.name),
        });
      }
      for (const t of recipe.policyTests) {
        const command = flagValues(t.argv, "--command")[0];
        const user = flagValues(t.argv, "--user")[0]!;
        if (command === undefined) continue;
        const [cmd, ...rest] = command.trim().split(/\s+/);
        await wire.tacacsAuthor(srv, user, [
          "service=shell",
          `cmd=${cmd}`,
          ...rest.map((a) => `cmd-arg=${a}`),
          "cmd-arg=<cr>",
        ]);
        const permit = t.expected.includes("result: PERMIT");
        tacacsWant.push({
          what: `${user} command "${command}"`,
          status: permit ? TAC.PASS_ADD : TAC.AUTHOR_FAIL,
        });
      }
      pcap = await cap.stop();
    }, 90_000);

    afterAll(async () => {
      await cap?.stop();
      await srv?.stop();
      dir?.remove();
    });

    test("the page configures what the platform needs", () => {
      const replies = [...p.usergroups.values()].flatMap((g) =>
        g.reply.map((r) => r.split("=")[0]),
      );
      for (const name of platform.radius)
        expect({ name, configured: replies.includes(name) }).toEqual({ name, configured: true });
      const avs = [...p.usergroups.values()].flatMap((g) => g.av);
      for (const name of platform.tacacs) {
        const found =
          name === "priv-lvl" ||
          avs.some((a) => a.replace(/^service=/, "").startsWith(`${platform.service}:${name}`));
        expect({ name, found }).toEqual({ name, found: true });
      }
      expect(p.users.length).toBeGreaterThan(0);
    });

    test("TACACS+: tshark, decrypting with the key, sees the statuses and the AV pairs", async () => {
      const layers = await wire.dissect(pcap, {
        decodeAs: [`tcp.port==${srv.tacacs},tacplus`],
        prefs: [`tacplus.key:${SECRET_ENV.AAA_TACACS_KEY}`],
        filter: "tacplus",
        fields: [
          "tacplus.type",
          "_ws.malformed",
          "tacplus.body_authen_rep.status",
          "tacplus.body_author_rep.auth_status",
          "tacplus.body_acct.status",
          "tacplus.arg_value",
        ],
      });
      expect(layers.length).toBe(tacacsWant.length * 2);
      tacacsWant.forEach((want, i) => {
        const f = layers[2 * i + 1]!;
        const status =
          f["tacplus.body_authen_rep.status"] ??
          f["tacplus.body_author_rep.auth_status"] ??
          f["tacplus.body_acct.status"];
        expect({
          what: want.what,
          malformed: f["_ws.malformed"],
          status: status?.map(Number),
        }).toEqual({
          what: want.what,
          malformed: undefined,
          status: [want.status],
        });
        if (want.args !== undefined)
          expect({ what: want.what, args: f["tacplus.arg_value"] }).toEqual({
            what: want.what,
            args: want.args,
          });
      });
    });

    test("RADIUS: tshark sees each Access-Accept's reply attributes by name; rejects carry none", async () => {
      // Wireshark ships no Arista dictionary; FreeRADIUS's (the reference for our ids) fills the gap.
      const conf = join(dir!.path, "wireshark");
      mkdirSync(join(conf, "radius"), { recursive: true });
      copyFileSync("/usr/share/freeradius/dictionary.arista", join(conf, "radius", "dictionary"));
      const names = [...new Set(radiusWant.flatMap((w) => w.reply.map((r) => r.name)))];
      const layers = await wire.dissect(pcap, {
        decodeAs: [`udp.port==${srv.auth},radius`, `udp.port==${srv.acct},radius`],
        prefs: [
          `radius.shared_secret:${SECRET_ENV.AAA_RADIUS_SECRET}`,
          "radius.validate_authenticator:TRUE",
        ],
        filter: "radius",
        fields: [
          "radius.code",
          "radius.authenticator.valid",
          "_ws.malformed",
          ...names.map(radiusField),
        ],
        configDir: conf,
      });
      expect(layers.length).toBe(radiusWant.length * 2);
      radiusWant.forEach((want, i) => {
        const f = layers[2 * i + 1]!;
        expect({
          what: want.what,
          code: f["radius.code"]?.map(Number),
          valid: f["radius.authenticator.valid"],
          malformed: f["_ws.malformed"],
        }).toEqual({ what: want.what, code: [want.code], valid: ["1"], malformed: undefined });
        for (const name of names) {
          const got = f[radiusField(name)] ?? [];
          const values = want.reply.filter((r) => r.name === name).map((r) => r.value);
          expect({ what: want.what, name, got }).toEqual({ what: want.what, name, got: values });
        }
      });
    });

    test("RADIUS: radclient, with FreeRADIUS's dictionaries, names the same reply attributes", () => {
      const received = { 2: "Access-Accept", 3: "Access-Reject", 5: "Accounting-Response" };
      for (const want of radiusWant) {
        const reply = want.printed.slice(want.printed.indexOf("Received "));
        expect({ what: want.what, head: reply.split(" ")[1] }).toEqual({
          what: want.what,
          head: received[want.code as keyof typeof received],
        });
        const names = [...reply.matchAll(/^\s+([A-Za-z][\w-]*) = /gm)].map((m) => m[1]);
        for (const r of want.reply)
          expect({ what: want.what, name: r.name, printed: names.includes(r.name) }).toEqual({
            what: want.what,
            name: r.name,
            printed: true,
          });
      }
    });

    test("policy test prints what the page shows", () => {
      expect(recipe.policyTests.length).toBeGreaterThan(0);
      for (const t of recipe.policyTests) {
        const r = srv.cli(t.argv);
        const lines = r.stdout.split("\n");
        let at = 0;
        for (const want of t.expected) {
          const j = lines.findIndex((l, k) => k >= at && l.trimEnd() === want.trimEnd());
          expect({
            command: t.argv.join(" "),
            want,
            found: j >= 0,
            output: j >= 0 ? "" : r.stdout + r.stderr,
          }).toEqual({
            command: t.argv.join(" "),
            want,
            found: true,
            output: "",
          });
          at = j + 1;
        }
        if (t.expected.includes("result: PERMIT")) expect(r.code).toBe(0);
      }
    });
  });
}
