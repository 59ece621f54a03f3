// Reload (SIGHUP or POST /api/admin/reload): diff, swap, roll back.
//
// The file is re-read and validated; an invalid file changes nothing. A valid one is applied
// section by section, in an order that never leaves a protocol unserved:
//   1. checks that need the store (a default group that must exist, a store path that cannot move);
//   2. the new RADIUS proxy is built before anything changes: if it cannot start the reload is
//      refused and the running one stays (clearing the proxy first would answer every realm from
//      local policy: fail open);
//   3. listeners, one section at a time: the new service starts *before* the old one stops, and
//      takes over the listening socket of an address it keeps (transport/listener-pool.ts); the
//      old one finishes its running sessions. If a new
//      address cannot be bound, every swapped section is put back on its old addresses and the
//      reload is refused;
//   4. what cannot fail: device-index settings, the policy (it takes over the lockout state and
//      the accounting counters), the proxy.
// One reload runs at a time; one asked for meanwhile runs after it (the file may have changed
// since the running one read it), and every caller meanwhile shares that second one.
import type { Config } from "../config/schema.ts";
import type { ListenerStatus } from "../lib/listener-status.ts";
import type { Logger } from "../lib/log.ts";
import type { ReloadResult } from "../lib/result.ts";
import { sectionOf, type Environment } from "./options.ts";

export type { ReloadResult } from "../lib/result.ts";

/** A configuration source read again: the file, validated, with the environment as it is now. */
export type Reread = { ok: true; cfg: Config; env: Environment } | { ok: false; errors: string[] };

export type ListenerSection = "tacacs" | "radius" | "http";

export interface ReloadPlan {
  /** Listener sections to rebind, in this order. */
  listeners: ListenerSection[];
  devices: boolean;
  policy: boolean;
  radiusProxy: boolean;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** What differs between two valid configurations, by the part each service is built from. */
export function planReload(prev: Config, next: Config): ReloadPlan {
  const differs = (k: keyof typeof sectionOf) => !same(sectionOf[k](prev), sectionOf[k](next));
  return {
    listeners: (["tacacs", "radius", "http"] as const).filter(differs),
    devices: differs("devices"),
    policy: differs("policy"),
    radiusProxy: differs("radiusProxy"),
  };
}

/** What the composition root lets a reload do. */
export interface ReloadTarget<Proxy> {
  readonly config: Config;
  /** The environment the running configuration was built with (a rollback rebinds with it). */
  readonly env: Environment;
  /** Checks of `next` against the store; each string refuses the reload. */
  check(next: Config): string[];
  /** Build (not install) the proxy for `next`; throws when it cannot start. */
  buildProxy(next: Config, env: Environment): Promise<Proxy | null>;
  stopProxy(proxy: Proxy): void;
  /** Rebind one section's listeners as `cfg` says: new ones first, then stop the old. */
  swap(section: ListenerSection, cfg: Config, env: Environment): Promise<ListenerStatus[]>;
  /** Install what cannot fail, and `next` as the running configuration. */
  commit(next: Config, env: Environment, plan: ReloadPlan, proxy: Proxy | null | undefined): void;
}

export class Reloader<Proxy> {
  private running: Promise<ReloadResult> | null = null;
  private again: Promise<ReloadResult> | null = null;
  private stopped = false;

  constructor(
    private readonly reread: (() => Reread) | null,
    private readonly target: ReloadTarget<Proxy>,
    private readonly log: Logger,
  ) {}

  /** After this no reload binds anything (shutdown). */
  stop(): void {
    this.stopped = true;
  }

  reload(): Promise<ReloadResult> {
    if (this.stopped) return Promise.resolve({ ok: false, errors: ["shutting down"] });
    if (this.running !== null) {
      this.again ??= this.running.then(() => {
        this.again = null;
        return this.reload();
      });
      return this.again;
    }
    this.running = this.apply()
      .catch((e: unknown): ReloadResult => {
        // Anything unforeseen is still an answer and a log line, never a silent 500.
        const errors = [`reload failed: ${e instanceof Error ? e.message : String(e)}`];
        this.log.error("reload_failed", { errors });
        return { ok: false, errors };
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  private refuse(errors: string[]): ReloadResult {
    this.log.error("reload_refused", { errors });
    return { ok: false, errors };
  }

  private async apply(): Promise<ReloadResult> {
    if (!this.reread)
      return {
        ok: false,
        errors: ["running on the embedded default configuration: nothing to reload"],
      };
    const loaded = this.reread();
    if (!loaded.ok) return this.refuse(loaded.errors);
    const { cfg: next, env } = loaded;
    const t = this.target;
    const prev = t.config;
    const problems = t.check(next);
    if (problems.length > 0) return this.refuse(problems);
    const plan = planReload(prev, next);

    let proxy: Proxy | null | undefined;
    if (plan.radiusProxy) {
      try {
        proxy = await t.buildProxy(next, env);
      } catch (e) {
        return this.refuse([`radius.proxy: ${e instanceof Error ? e.message : String(e)}`]);
      }
    }
    const swapped: ListenerSection[] = [];
    for (const section of plan.listeners) {
      const failed = (await t.swap(section, next, env)).filter((l) => l.state !== "listening");
      swapped.push(section);
      if (failed.length > 0) {
        for (const s of swapped.reverse()) await t.swap(s, prev, t.env);
        if (proxy) t.stopProxy(proxy);
        return this.refuse(
          failed.map(
            (l) =>
              `${section}: cannot listen on ${l.address}: ${l.error ?? l.state}; the previous listeners were restored`,
          ),
        );
      }
    }
    t.commit(next, env, plan, proxy);
    const changed: string[] = [...swapped];
    if (plan.devices) changed.push("devices");
    if (plan.policy) changed.push("policy");
    if (plan.radiusProxy) changed.push("radius.proxy");
    this.log.info("reloaded", { changed });
    return { ok: true, changed };
  }
}
