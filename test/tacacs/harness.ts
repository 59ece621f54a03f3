// A running TACACS+ server for integration tests: temp store with fixture devices, users and rules,
// store-backed policy, startTacacs on 127.0.0.1:0 and [::1]:0, logs captured in memory.
import { fromHex } from "../../src/lib/bytes.ts";
import { validateConfig } from "../../src/config/load.ts";
import type { Config } from "../../src/config/schema.ts";
import { createLogger } from "../../src/lib/log.ts";
import { Registry } from "../../src/lib/metrics.ts";
import { DeviceIndex } from "../../src/store/device-index.ts";
import { DeviceStore } from "../../src/store/devices.ts";
import { createStorePolicy, type StorePolicy } from "../../src/store/policy-source.ts";
import { addRule } from "../../src/store/rules.ts";
import { addUserGroup } from "../../src/store/user-groups.ts";
import { addUser } from "../../src/store/users.ts";
import { createProxyCounters, type ProxyCounters } from "../../src/transport/metrics.ts";
import { tacacsOptions } from "../../src/root/options.ts";
import type { DecisionStream } from "../../src/policy/decision-record.ts";
import { startTacacs, type TacacsService } from "../../src/transport/tacacs-tcp.ts";
import { tempStore } from "../support/tmp.ts";

export const KEY = "s3cret-core";
export const CHAP_KEY_HEX = "42".repeat(32);
export const USERS = {
  alice: { password: "pw-alice", enable: "en-alice" },
  bob: { password: "pw-bob" },
  carol: { password: "pw-carol", chap: "chap-carol" },
  dave: { password: "pw-dave" },
} as const;

export interface Server {
  svc: TacacsService;
  port4: number;
  port6: number;
  store: ReturnType<typeof tempStore>;
  devices: DeviceStore;
  index: DeviceIndex;
  registry: Registry;
  proxyCounters: ProxyCounters;
  policy: StorePolicy;
  logs: Array<Record<string, unknown>>;
  /** Log records at warn or error level. */
  problems(): Array<Record<string, unknown>>;
  refusals(reason: string): number;
  stop(): Promise<void>;
}

export type TacacsOverrides = Record<string, unknown>;

export async function startServer(
  o: {
    tacacs?: TacacsOverrides;
    devices?: (d: DeviceStore) => void;
    listen?: unknown[];
    /** Where decision records go (the auth-log tests subscribe to it). */
    decisions?: DecisionStream;
  } = {},
): Promise<Server> {
  const store = tempStore();
  const logs: Array<Record<string, unknown>> = [];
  try {
    const r = validateConfig({
      store: { path: store.path },
      tacacs: { listen: o.listen ?? ["127.0.0.1:0", "[::1]:0"], ...(o.tacacs ?? {}) },
      policy: { lockout: { enabled: false } },
    });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const cfg: Config = r.value;
    const devices = new DeviceStore(store.sqlite);
    must(devices.addGroup({ name: "core", tacacsSecret: KEY }));
    must(devices.addDevice({ name: "lo4", network: "127.0.0.1/32", group: "core" }));
    must(devices.addDevice({ name: "lo6", network: "::1/128", group: "core" }));
    o.devices?.(devices);
    const chapKey = fromHex(CHAP_KEY_HEX);
    must(
      await addUserGroup(
        store,
        { name: "ops", privLvl: 15, av: ["service=shell:timeout=30"], deviceGroups: ["core"] },
        "test",
      ),
    );
    must(
      await addUserGroup(store, { name: "helpdesk", privLvl: 1, deviceGroups: ["core"] }, "test"),
    );
    must(
      await addUser(
        store,
        {
          username: "alice",
          password: USERS.alice.password,
          enableSecret: USERS.alice.enable,
          groups: ["ops"],
        },
        "test",
      ),
    );
    must(
      await addUser(
        store,
        { username: "bob", password: USERS.bob.password, groups: ["helpdesk"] },
        "test",
      ),
    );
    must(
      await addUser(
        store,
        {
          username: "carol",
          password: USERS.carol.password,
          chapSecret: USERS.carol.chap,
          chapKey,
          groups: ["ops"],
        },
        "test",
      ),
    );
    must(
      await addUser(
        store,
        {
          username: "dave",
          password: USERS.dave.password,
          ntHashFromPassword: true,
          groups: ["helpdesk"],
        },
        "test",
      ),
    );
    must(addRule(store, { name: "no-reload", action: "deny", pattern: "^reload" }, "test"));
    must(
      addRule(
        store,
        { name: "helpdesk-show", action: "permit", pattern: "^show ", userGroups: ["helpdesk"] },
        "test",
      ),
    );
    must(
      addRule(
        store,
        { name: "ops-all", action: "permit", pattern: ".*", userGroups: ["ops"] },
        "test",
      ),
    );

    const log = createLogger({
      level: "debug",
      write: (line) => logs.push(JSON.parse(line) as Record<string, unknown>),
    });
    const registry = new Registry();
    const proxyCounters = createProxyCounters(registry);
    const index = new DeviceIndex(store.sqlite, undefined, undefined, (e) =>
      log.error("store_error", { reason: e instanceof Error ? e.message : String(e) }),
    );
    const policy = createStorePolicy(store, cfg, { env: { AAA_CHAP_KEY: CHAP_KEY_HEX } });
    if (policy.chapKeyProblem) throw new Error(policy.chapKeyProblem);
    const svc = await startTacacs({
      options: tacacsOptions(cfg),
      devices: index,
      policy: policy.policy,
      registry,
      proxyCounters,
      log,
      ...(o.decisions ? { decisions: o.decisions } : {}),
    });
    return {
      svc,
      port4: svc.ports[0] ?? 0,
      port6: svc.ports[1] ?? 0,
      store,
      devices,
      index,
      registry,
      proxyCounters,
      policy,
      logs,
      problems: () => logs.filter((l) => l.level === "warn" || l.level === "error"),
      refusals: (reason) => {
        const m = registry.get("aaa_tacacs_refusals_total") as
          { get(l: Record<string, string>): number } | undefined;
        return m?.get({ protocol: "tacacs", reason }) ?? 0;
      },
      async stop() {
        await svc.stop(200);
        store.remove();
      },
    };
  } catch (e) {
    store.remove();
    throw e;
  }
}

function must(r: { ok: boolean; code?: string; detail?: string }): void {
  if (!r.ok) throw new Error(`fixture failed: ${r.code} ${r.detail ?? ""}`);
}

/** Poll a condition (bounded); for counters updated after a socket closes. */
export async function eventually(f: () => boolean, timeoutMs = 2000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (f()) return true;
    await Bun.sleep(10);
  }
  return f();
}
