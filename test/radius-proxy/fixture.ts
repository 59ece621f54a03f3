// aaa-proxy's RADIUS server (startRadius) with the RADIUS proxy (startRadiusProxy) in front of
// home servers, over a temporary store: device group "nas" = 127.0.0.0/8 with NAS_SECRET. The
// [radius] and [radius.proxy] tables come from TOML text, so the config schema is exercised too.
import { parseConfigText } from "../../src/config/load.ts";
import { silentLogger, type Logger } from "../../src/lib/log.ts";
import { Registry } from "../../src/lib/metrics.ts";
import { DeviceIndex } from "../../src/store/device-index.ts";
import { DeviceStore } from "../../src/store/devices.ts";
import { createStorePolicy, type StorePolicy } from "../../src/store/policy-source.ts";
import { radiusOptions, radiusProxyOptions } from "../../src/root/radius-options.ts";
import { startRadiusProxy, type RadiusProxyService } from "../../src/transport/radius-upstream.ts";
import { startRadius, type RadiusService } from "../../src/transport/radius-udp.ts";
import { tempStore } from "../support/tmp.ts";

export const NAS_SECRET = "nas-proxy-s3cret";

export interface ProxyFixture {
  radius: RadiusService;
  proxy: RadiusProxyService;
  registry: Registry;
  auth: number;
  acct: number;
  stop(): Promise<void>;
}

export async function startProxyFixture(
  proxyToml: string,
  o: { env?: Record<string, string>; log?: Logger; requireMa?: boolean } = {},
): Promise<ProxyFixture> {
  const store = tempStore();
  const text = `[store]\npath = "${store.dir}/unused.sqlite"\n[radius]\nauth_listen = ["127.0.0.1:0"]\nacct_listen = ["127.0.0.1:0"]\nrequests_per_second = 1000000\nburst = 1000000\n${proxyToml}\n[accounting]\ncommit_delay = "1ms"\n`;
  const parsed = parseConfigText(text);
  if (!parsed.ok) throw new Error(`config: ${JSON.stringify(parsed.errors)}`);
  const cfg = parsed.value;
  const devices = new DeviceStore(store.sqlite);
  const must = (r: { ok: boolean; detail?: string }) => {
    if (!r.ok) throw new Error(r.detail);
  };
  must(
    devices.addGroup({
      name: "nas",
      radiusSecret: NAS_SECRET,
      requireMessageAuthenticator: o.requireMa ?? true,
    }),
  );
  must(
    devices.addDevice({
      name: "loopback",
      network: "127.0.0.0/8",
      group: "nas",
    }),
  );
  const sp: StorePolicy = createStorePolicy(store, cfg, { env: {} });
  const index = new DeviceIndex(store.sqlite, {
    enabled: false,
    defaultGroup: "",
    perMinute: 1,
    max: 1,
  });
  const registry = new Registry();
  const log = o.log ?? silentLogger;
  const proxy = await startRadiusProxy({
    options: radiusProxyOptions(cfg.radius.proxy!, o.env ?? process.env),
    registry,
    log,
  });
  const radius = await startRadius({
    options: radiusOptions(cfg.radius),
    index,
    policy: sp.policy,
    registry,
    log,
    proxy,
  });
  return {
    radius,
    proxy,
    registry,
    auth: radius.ports.auth[0]!,
    acct: radius.ports.acct[0]!,
    async stop() {
      await radius.stop(200);
      await proxy.stop(200);
      sp.writer.close();
      store.remove();
    },
  };
}

export interface HomeStat {
  name: string;
  type: string;
  state: string;
  requests: number;
  replies: number;
  timeouts: number;
  retries: number;
}

export function homeStats(p: RadiusProxyService): HomeStat[] {
  return (p.stats() as { home_servers: HomeStat[] }).home_servers;
}
export const homeStat = (p: RadiusProxyService, name: string, type = "auth"): HomeStat =>
  homeStats(p).find((h) => h.name === name && h.type === type)!;
