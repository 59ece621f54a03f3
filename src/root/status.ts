// The status page model (`/`) from the services' counter objects: pass/fail per protocol, the rate
// sampler's input, the busiest clients. Counters are read through the objects the services count
// with (TacacsCounters, RadiusCounters), never looked up by metric name: a renamed metric cannot
// silently zero the page.
import type { ListenerStatus } from "../lib/listener-status.ts";
import type { StatusModel } from "../http/status-page.tsx";
import type { Counter } from "../lib/metrics.ts";
import type { RateSeries } from "../lib/recent.ts";
import type { RadiusCounters } from "../radius/counters.ts";
import type { TacacsCounters } from "../transport/tacacs-metrics.ts";

/** A failure for the status page, tapped from the log (src/main.ts). */
export type Failure = StatusModel["recentFailures"][number];

type Row = Record<string, string> & { value: number };

function rows(c: Counter): Row[] {
  const j = c.toJSON();
  return Array.isArray(j) ? (j as Row[]) : [{ value: Number(j) } as Row];
}

function sum(c: Counter, pred: (r: Row) => boolean = () => true): number {
  let n = 0;
  for (const r of rows(c)) if (pred(r)) n += r.value;
  return n;
}

/** TACACS+ result labels that count as a pass (authen "pass", author "permit", acct "success"). */
const tacacsPass = (r: Row) =>
  r.result === "pass" || r.result === "permit" || r.result === "success";

export interface CounterSources {
  tacacs: TacacsCounters | null;
  radius: RadiusCounters | null;
}

/** Cumulative pass/fail per running protocol ("tacacs pass", "radius fail", ...). */
export function protocolTotals(s: CounterSources): Record<string, number> {
  const out: Record<string, number> = {};
  if (s.tacacs) {
    const t = s.tacacs;
    const all = [t.authen, t.author, t.acct];
    out["tacacs pass"] = all.reduce((n, c) => n + sum(c, tacacsPass), 0);
    out["tacacs fail"] = all.reduce((n, c) => n + sum(c, (r) => !tacacsPass(r)), 0);
  }
  if (s.radius) {
    const r = s.radius;
    out["radius pass"] = r.accepted.total() + r.accounting.total();
    out["radius fail"] = r.rejected.total() + r.dropped.total();
  }
  return out;
}

export interface StatusInputs extends CounterSources {
  version: string;
  startedAt: number;
  listeners: ListenerStatus[];
  rates: RateSeries[];
  rateIntervalS: number;
  radiusClients: Array<{ device: string; requests: number }>;
  homeServers: Array<{ name: string; state: string; outstanding: number }>;
  pools: ReadonlyArray<{ name: string; servers: readonly string[] }>;
  recentFailures: StatusModel["recentFailures"];
  /** Decisions per client address from the decision stream (policy/auth-log.ts TopClients). */
  decisionClients?: ReadonlyArray<{
    client: string;
    device: string;
    protocol: string;
    requests: number;
  }>;
}

export function statusModel(i: StatusInputs): StatusModel {
  const totals = protocolTotals(i);
  const protocols = ["tacacs", "radius"]
    .filter((p) => `${p} pass` in totals)
    .map((p) => ({ protocol: p, pass: totals[`${p} pass`] ?? 0, fail: totals[`${p} fail`] ?? 0 }));
  const clients = new Map<string, { client: string; device: string | null; requests: number }>();
  // Clients by address and device name from the decision stream, per protocol; without it, RADIUS
  // per device (the server's table) and TACACS+ connections per device group (a metric label per
  // device would grow with the device table).
  const fromStream = i.decisionClients ?? [];
  for (const c of fromStream)
    clients.set(`${c.protocol} ${c.client}`, {
      client: `${c.protocol} ${c.client}`,
      device: c.device,
      requests: c.requests,
    });
  const streamed = (p: string) => fromStream.some((c) => c.protocol === p);
  if (!streamed("radius"))
    for (const c of i.radiusClients)
      clients.set(`radius ${c.device}`, {
        client: `radius ${c.device}`,
        device: c.device,
        requests: c.requests,
      });
  if (i.tacacs && !streamed("tacacs"))
    for (const r of rows(i.tacacs.deviceMatches)) {
      const key = `tacacs group ${r.device_group}`;
      const c = clients.get(key) ?? { client: key, device: null, requests: 0 };
      c.requests += r.value;
      clients.set(key, c);
    }
  return {
    version: i.version,
    uptimeS: Math.round((Date.now() - i.startedAt) / 1000),
    listeners: i.listeners,
    protocols,
    rates: i.rates,
    rateIntervalS: i.rateIntervalS,
    topClients: [...clients.values()].sort((a, b) => b.requests - a.requests).slice(0, 10),
    homeServers: i.homeServers.map((h) => ({
      name: h.name,
      pool: i.pools
        .filter((p) => p.servers.includes(h.name))
        .map((p) => p.name)
        .join(", "),
      state: h.state,
      outstanding: h.outstanding,
    })),
    recentFailures: i.recentFailures,
  };
}
