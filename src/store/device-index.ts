// In-memory, proxy-aware device resolution over the device store.
//
// resolve(clientIp, proxyIp):
//   tier 1 — the client is inside a device's network AND the proxy is inside that device's group
//            proxy_network (a tenant reached through its own balancer);
//   tier 2 — the device's group has no proxy_network.
// Longest prefix wins inside each tier; tier 1 is tried first. A direct connection (proxyIp null)
// never matches a group that has a proxy_network: tenant isolation. Disabled devices never match.
// Two devices with the same network in the same tier: the lower id wins (deterministic).
//
// The index is rebuilt only when the database changed: PRAGMA data_version for commits by other
// connections (the CLI, another instance), plus a local generation for our own writes. No timer.
// Change detection is ChangeWatch (open.ts): a few nanoseconds per lookup, PRAGMA data_version
// only after a commit. Every lookup sees every commit made before it.
import type { Database } from "bun:sqlite";
import {
  cidrContains,
  fastParseIp,
  parseCidr,
  parseV4Number,
  type Cidr,
  type ParsedIp,
} from "../lib/ip.ts";
import { utf8 } from "../lib/bytes.ts";
import { PrefixTable } from "../lib/prefix-table.ts";
import type { Device, DevicePort, ProxyStatus } from "../policy/devices.ts";
import { bumpLocalGeneration, changeWatch, type ChangeWatch, type Store } from "./open.ts";

export type { Device, ProxyStatus } from "../policy/devices.ts";

interface Entry {
  device: Device;
  proxyNetwork: Cidr | typeof UNMATCHABLE | null;
}

const UNMATCHABLE = "unmatchable" as const;

export interface AutoRegisterOptions {
  enabled: boolean;
  defaultGroup: string;
  perMinute: number;
  max: number;
}

export interface DeviceIndexStats {
  devices: number;
  proxies: number;
  rebuilds: number;
  last_build_ms: number;
  lookups: number;
  misses: number;
  store_errors: number;
  auto_registered: number;
  auto_register_refused: number;
}

interface Snapshot {
  devices: PrefixTable<Entry>;
  proxies: PrefixTable<string>;
}

export class DeviceIndex implements DevicePort {
  private snapshot: Snapshot | null = null;
  private builtVersion = -1;
  private readonly watch: ChangeWatch;
  private autoTokens: number;
  private autoRefill: number;
  readonly stats: DeviceIndexStats = {
    devices: 0,
    proxies: 0,
    rebuilds: 0,
    last_build_ms: 0,
    lookups: 0,
    misses: 0,
    store_errors: 0,
    auto_registered: 0,
    auto_register_refused: 0,
  };

  private readonly sqlite: Database;

  /** Over a Store (the root) or its connection (tests); nothing outside the store reads `sqlite`. */
  constructor(
    store: Store | Database,
    private auto: AutoRegisterOptions = {
      enabled: false,
      defaultGroup: "",
      perMinute: 60,
      max: 10_000,
    },
    private readonly now: () => number = () => performance.now(),
    private readonly onError: (e: unknown) => void = () => {},
  ) {
    this.sqlite = "sqlite" in store ? store.sqlite : store;
    this.watch = changeWatch(this.sqlite);
    this.autoTokens = auto.perMinute;
    this.autoRefill = now();
  }

  /** A reload may change the auto-registration settings; the token bucket keeps its level. */
  setAutoRegister(opts: AutoRegisterOptions): void {
    this.auto = opts;
    this.autoTokens = Math.min(this.autoTokens, opts.perMinute);
  }

  /** Call after writing through this same connection (data_version only sees other connections). */
  markChanged(): void {
    bumpLocalGeneration(this.sqlite);
  }

  /** Rebuild if the store changed. Returns false (keeping the last good snapshot) on a store error. */
  private refresh(): boolean {
    try {
      const v = this.watch.version();
      if (this.snapshot && v === this.builtVersion) return true;
      const t0 = performance.now();
      this.snapshot = this.build();
      this.builtVersion = v;
      this.stats.rebuilds++;
      this.stats.last_build_ms = Math.round((performance.now() - t0) * 100) / 100;
      return true;
    } catch (e) {
      this.stats.store_errors++;
      this.onError(e);
      return false;
    }
  }

  private build(): Snapshot {
    const groups = new Map<
      number,
      {
        name: string;
        tacacs: Uint8Array | null;
        radius: Uint8Array | null;
        proxy: Entry["proxyNetwork"];
        rma: boolean;
      }
    >();
    for (const g of this.sqlite
      .query<
        {
          id: number;
          name: string;
          tacacs_secret: string | null;
          radius_secret: string | null;
          proxy_network: string | null;
          require_message_authenticator: number;
        },
        []
      >(
        "SELECT id, name, tacacs_secret, radius_secret, proxy_network, require_message_authenticator FROM device_groups",
      )
      .all()) {
      const pc = g.proxy_network ? parseCidr(g.proxy_network) : null;
      // A group whose proxy_network cannot be parsed must never fall into tier 2 (which would
      // open it to direct connections): give it a proxy network that matches nothing.
      const proxy = pc === null ? null : pc.ok ? pc.value : UNMATCHABLE;
      // Secrets become bytes here, once per group and snapshot: every device of the group shares
      // the arrays, and no request converts text again. The store refuses empty secrets; an
      // empty one would mean "none" anyway.
      groups.set(g.id, {
        name: g.name,
        tacacs: g.tacacs_secret ? utf8(g.tacacs_secret) : null,
        radius: g.radius_secret ? utf8(g.radius_secret) : null,
        proxy,
        rma: g.require_message_authenticator !== 0,
      });
    }
    const devices = new PrefixTable<Entry>();
    for (const d of this.sqlite
      .query<{ id: number; name: string; network: string; group_id: number }, []>(
        "SELECT id, name, network, group_id FROM devices WHERE enabled = 1 ORDER BY id",
      )
      .all()) {
      const g = groups.get(d.group_id);
      const c = parseCidr(d.network);
      if (!g || !c.ok) continue;
      devices.insert(c.value, {
        device: {
          deviceId: d.id,
          deviceName: d.name,
          groupId: d.group_id,
          groupName: g.name,
          tacacsKey: g.tacacs,
          radiusSecret: g.radius,
          requireMessageAuthenticator: g.rma,
        },
        proxyNetwork: g.proxy,
      });
    }
    const proxies = new PrefixTable<string>();
    for (const p of this.sqlite
      .query<{ name: string; network: string }, []>("SELECT name, network FROM proxies ORDER BY id")
      .all()) {
      const c = parseCidr(p.network);
      if (c.ok) proxies.insert(c.value, p.name);
    }
    this.stats.devices = devices.size;
    this.stats.proxies = proxies.size;
    return { devices, proxies };
  }

  /** Resolve a client (and the proxy it came through, if any) to a device, or null. */
  resolve(clientIp: string, proxyIp: string | null): Device | null {
    this.stats.lookups++;
    this.refresh();
    const snap = this.snapshot;
    const proxy = proxyIp === null ? null : fastParseIp(proxyIp);
    if (!snap || (proxyIp !== null && !proxy)) {
      this.stats.misses++;
      return null;
    }
    // IPv4 clients (nearly all) take the allocation-free path.
    const v4 = parseV4Number(clientIp);
    let n: number;
    if (v4 >= 0) n = snap.devices.collectV4(v4, matches);
    else {
      const client = fastParseIp(clientIp);
      if (!client) {
        this.stats.misses++;
        return null;
      }
      n = snap.devices.collect(client.family, client.bytes, matches);
    }
    const found = lookup(n, proxy);
    if (!found) this.stats.misses++;
    return found;
  }

  /** Is this socket peer a registered proxy? Any store error answers "store-error": fail closed. */
  proxyStatus(peerIp: string): ProxyStatus {
    if (!this.refresh() || !this.snapshot) return "store-error";
    const ip = fastParseIp(peerIp);
    if (!ip) return "unknown";
    return this.snapshot.proxies.find(ip.family, ip.bytes, () => true) ? "registered" : "unknown";
  }

  /**
   * Resolve, and when nothing matches and auto-registration is on, create a /32 or /128 device
   * in the default group. Rate-limited (a token bucket per minute) and capped in total, so a
   * scan cannot fill the table.
   */
  resolveOrRegister(clientIp: string, proxyIp: string | null): Device | null {
    const found = this.resolve(clientIp, proxyIp);
    if (found || !this.auto.enabled) return found;
    const ip = fastParseIp(clientIp);
    if (!ip || !this.takeAutoToken()) {
      this.stats.auto_register_refused++;
      return null;
    }
    try {
      const group = this.sqlite
        .query<{ id: number }, [string]>("SELECT id FROM device_groups WHERE name = ?")
        .get(this.auto.defaultGroup);
      const total = this.sqlite
        .query<{ n: number }, []>("SELECT count(*) AS n FROM devices WHERE auto_registered = 1")
        .get()!.n;
      if (!group || total >= this.auto.max) {
        this.stats.auto_register_refused++;
        return null;
      }
      const prefix = ip.family === 4 ? 32 : 128;
      this.sqlite
        .query(
          "INSERT OR IGNORE INTO devices (name, network, group_id, enabled, auto_registered) VALUES (?, ?, ?, 1, 1)",
        )
        .run(`auto-${ip.text}`, `${ip.text}/${prefix}`, group.id);
      this.markChanged();
      this.stats.auto_registered++;
    } catch (e) {
      this.stats.store_errors++;
      this.onError(e);
      return null;
    }
    return this.resolve(clientIp, proxyIp);
  }

  private takeAutoToken(): boolean {
    const t = this.now();
    const perMs = this.auto.perMinute / 60_000;
    this.autoTokens = Math.min(
      this.auto.perMinute,
      this.autoTokens + (t - this.autoRefill) * perMs,
    );
    this.autoRefill = t;
    if (this.autoTokens < 1) return false;
    this.autoTokens -= 1;
    return true;
  }
}

// Reused across lookups (single-threaded): at most 129 matching prefix lengths.
const matches: Entry[][] = new Array(129);

/** Pick from the first n entries of `matches` (longest prefix first): tier 1, then tier 2. */
function lookup(n: number, proxy: ParsedIp | null): Device | null {
  if (proxy) {
    for (let i = 0; i < n; i++)
      for (const e of matches[i]!)
        if (
          e.proxyNetwork !== null &&
          e.proxyNetwork !== UNMATCHABLE &&
          cidrContains(e.proxyNetwork, proxy)
        )
          return e.device;
  }
  for (let i = 0; i < n; i++)
    for (const e of matches[i]!) if (e.proxyNetwork === null) return e.device;
  return null;
}
