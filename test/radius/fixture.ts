// A running RADIUS service over a temporary store, for the socket and interop tests.
//   group "nas"    (127.0.0.1/32, 127.0.0.2/32): radius secret NAS_SECRET, Message-Authenticator required (default)
//   group "legacy" (::1/128): radius secret LEGACY_SECRET, require_message_authenticator = false
//   group "tacacs-only" (127.0.0.4/32): no radius secret
//   user alice / ALICE_PASSWORD in user group "netops" (both device groups; Session-Timeout, Class,
//   Cisco-AVPair reply attributes), with an opt-in CHAP secret = her password
import { parseConfigText } from "../../src/config/load.ts";
import type { Config } from "../../src/config/schema.ts";
import { silentLogger, type Logger } from "../../src/lib/log.ts";
import { Registry } from "../../src/lib/metrics.ts";
import { DeviceIndex } from "../../src/store/device-index.ts";
import { DeviceStore } from "../../src/store/devices.ts";
import { createStorePolicy, type StorePolicy } from "../../src/store/policy-source.ts";
import { addUserGroup } from "../../src/store/user-groups.ts";
import { addUser } from "../../src/store/users.ts";
import { radiusOptions } from "../../src/root/radius-options.ts";
import { startRadius, type RadiusService } from "../../src/transport/radius-udp.ts";
import { tempStore } from "../support/tmp.ts";

export const NAS_SECRET = "nas-s3cret-for-tests";
export const LEGACY_SECRET = "legacy-s3cret";
export const ALICE_PASSWORD = "alice-Pa55word!";
export const CHAP_KEY_HEX = "11".repeat(32);

export interface RadiusFixture {
  store: ReturnType<typeof tempStore>;
  radius: RadiusService;
  sp: StorePolicy;
  registry: Registry;
  authV4: number;
  acctV4: number;
  authV6: number;
  acctV6: number;
  stop(): Promise<void>;
}

export async function startFixture(
  radiusToml = "",
  log: Logger = silentLogger,
): Promise<RadiusFixture> {
  const store = tempStore();
  const cfgText = `[store]\npath = "${store.dir}/unused.sqlite"\n[radius]\nauth_listen = ["127.0.0.1:0", "[::1]:0"]\nacct_listen = ["127.0.0.1:0", "[::1]:0"]\n${radiusToml}\n[accounting]\ncommit_delay = "1ms"\n`;
  const parsed = parseConfigText(cfgText);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const cfg: Config = parsed.value;
  const devices = new DeviceStore(store.sqlite);
  const must = (r: { ok: boolean; detail?: string }) => {
    if (!r.ok) throw new Error(r.detail);
  };
  must(devices.addGroup({ name: "nas", radiusSecret: NAS_SECRET }));
  must(
    devices.addGroup({
      name: "legacy",
      radiusSecret: LEGACY_SECRET,
      requireMessageAuthenticator: false,
    }),
  );
  must(devices.addGroup({ name: "tacacs-only", tacacsSecret: "t" }));
  must(devices.addDevice({ name: "nas1", network: "127.0.0.1/32", group: "nas" }));
  must(devices.addDevice({ name: "nas2", network: "127.0.0.2/32", group: "nas" }));
  must(devices.addDevice({ name: "legacy6", network: "::1/128", group: "legacy" }));
  must(
    devices.addDevice({
      name: "switch4",
      network: "127.0.0.4/32",
      group: "tacacs-only",
    }),
  );
  must(
    await addUserGroup(
      store,
      {
        name: "netops",
        deviceGroups: ["nas", "legacy"],
        radiusReply: ["Session-Timeout=3600", "Class=netops", "Cisco-AVPair=shell:priv-lvl=15"],
      },
      "test",
    ),
  );
  const chapKey = new Uint8Array(Buffer.from(CHAP_KEY_HEX, "hex"));
  must(
    await addUser(
      store,
      {
        username: "alice",
        password: ALICE_PASSWORD,
        groups: ["netops"],
        chapSecret: ALICE_PASSWORD,
        chapKey,
      },
      "test",
    ),
  );
  const sp = createStorePolicy(store, cfg, {
    env: { AAA_CHAP_KEY: CHAP_KEY_HEX },
  });
  const index = new DeviceIndex(store.sqlite, {
    enabled: false,
    defaultGroup: "",
    perMinute: 1,
    max: 1,
  });
  const registry = new Registry();
  const radius = await startRadius({
    options: radiusOptions(cfg.radius),
    index,
    policy: sp.policy,
    registry,
    log,
  });
  if (radius.listeners.some((l) => l.state !== "listening"))
    throw new Error(JSON.stringify(radius.listeners));
  return {
    store,
    radius,
    sp,
    registry,
    authV4: radius.ports.auth[0]!,
    authV6: radius.ports.auth[1]!,
    acctV4: radius.ports.acct[0]!,
    acctV6: radius.ports.acct[1]!,
    async stop() {
      await radius.stop(500);
      sp.writer.close();
      store.remove();
    },
  };
}

/** Current value of a dropped counter for a reason (any client). */
export function dropped(registry: Registry, reason: string): number {
  const m = registry.get("aaa_radius_dropped_total") as unknown as {
    toJSON(): Array<{ reason: string; value: number }>;
  };
  return m
    .toJSON()
    .filter((s) => s.reason === reason)
    .reduce((a, s) => a + s.value, 0);
}
