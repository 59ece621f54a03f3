// First-start provisioning for the embedded default configuration (loopback demo). There are no
// default secrets: the demo group's TACACS+ key and RADIUS secret and the demo user's password
// are random per store, written once to data/demo-credentials.env (mode 0600) and never logged.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { DEMO_CREDENTIALS_FILE } from "../config/default.ts";
import type { Config } from "../config/schema.ts";
import type { Logger } from "../lib/log.ts";
import { audit } from "../store/audit.ts";
import { DeviceStore } from "../store/devices.ts";
import type { Store } from "../store/open.ts";
import { addRule } from "../store/rules.ts";
import { addUserGroup } from "../store/user-groups.ts";
import { addUser } from "../store/users.ts";

const rnd = () => randomBytes(12).toString("base64url");

export async function provisionDemo(store: Store, log: Logger): Promise<void> {
  const devices = new DeviceStore(store);
  if (devices.listGroups().some((g) => g.name === "demo")) return;
  const tacacs = rnd(),
    radius = rnd(),
    password = rnd();
  const g = devices.addGroup({
    name: "demo",
    description: "loopback demo (embedded default config)",
    tacacsSecret: tacacs,
    radiusSecret: radius,
  });
  if (!g.ok) throw new Error(`demo provisioning: ${g.detail}`);
  devices.addDevice({ name: "demo-loopback-v4", network: "127.0.0.0/8", group: "demo" });
  devices.addDevice({ name: "demo-loopback-v6", network: "::1/128", group: "demo" });
  const actor = "demo-provisioning";
  const ug = await addUserGroup(
    store,
    {
      name: "demo-admins",
      privLvl: 15,
      av: ["service=shell:priv-lvl=15"],
      radiusReply: [
        "Service-Type=Administrative-User",
        "Reply-Message=welcome to the aaa-proxy demo",
      ],
      deviceGroups: ["demo"],
    },
    actor,
  );
  if (!ug.ok) throw new Error(`demo provisioning: ${ug.detail}`);
  const u = await addUser(store, { username: "demo", password, groups: ["demo-admins"] }, actor);
  if (!u.ok) throw new Error(`demo provisioning: ${u.detail}`);
  addRule(
    store,
    {
      name: "demo-permit-show",
      action: "permit",
      pattern: "^show( |$)",
      userGroups: ["demo-admins"],
      deviceGroups: ["demo"],
    },
    actor,
  );
  audit(store.db, actor, "demo.provision", "demo", {});
  mkdirSync(dirname(DEMO_CREDENTIALS_FILE), { recursive: true });
  if (!existsSync(DEMO_CREDENTIALS_FILE)) {
    writeFileSync(
      DEMO_CREDENTIALS_FILE,
      `# aaa-proxy demo credentials (loopback only). Generated ${new Date().toISOString()}.\nexport DEMO_USER=demo\nexport DEMO_PASSWORD=${password}\nexport DEMO_TACACS_KEY=${tacacs}\nexport DEMO_RADIUS_SECRET=${radius}\n`,
      { mode: 0o600 },
    );
  }
  log.info("demo_provisioned", {
    group: "demo",
    networks: ["127.0.0.0/8", "::1/128"],
    user: "demo",
    credentials_file: DEMO_CREDENTIALS_FILE,
  });
}

/** Ready-to-paste commands that read the demo secrets from the credentials file. */
export function demoHints(cfg: Config): string[] {
  const hints: string[] = [];
  const f = DEMO_CREDENTIALS_FILE;
  const auth = cfg.radius.auth_listen[0];
  if (auth)
    hints.push(`. ./${f} && radtest "$DEMO_USER" "$DEMO_PASSWORD" ${auth} 0 "$DEMO_RADIUS_SECRET"`);
  const tac = cfg.tacacs.listen[0];
  const tacAddr = typeof tac === "string" ? tac : tac?.address;
  if (tacAddr) {
    const [host, port] = [
      tacAddr.slice(0, tacAddr.lastIndexOf(":")),
      tacAddr.slice(tacAddr.lastIndexOf(":") + 1),
    ];
    hints.push(
      `. ./${f} && perl -MAuthen::TacacsPlus -e 'my $t = Authen::TacacsPlus->new(Host => "${host}", Port => ${port}, Key => $ENV{DEMO_TACACS_KEY}, Timeout => 5) or die; print $t->authen($ENV{DEMO_USER}, $ENV{DEMO_PASSWORD}, 2) ? "PASS\\n" : "FAIL\\n"'`,
    );
  }
  if (cfg.http.listen) hints.push(`curl -s http://${cfg.http.listen}/api/health`);
  return hints;
}
