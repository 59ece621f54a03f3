// The store side of policy: an in-memory PolicySnapshot (users, user groups, rules; read by
// policy-snapshot.ts) rebuilt when the database changed. Another process's commit changes PRAGMA
// data_version; our own commits through this connection do not, so every writer in src/store bumps
// a per-connection local generation.
// A request therefore sees a change committed by the CLI on its next call, without a polling timer.
import type { Clock } from "../lib/clock.ts";
import { loadChapKey } from "../policy/chap-credential.ts";
import { createPolicy, type PolicyService } from "../policy/policy.ts";
import type { PasswordHasher, PolicySnapshot, PolicySource } from "../policy/ports.ts";
import { AccountingWriter, type AccountingWriterCounters } from "./accounting.ts";
import type { ChangeFeed } from "../admin/ports.ts";
import { argon2Hasher } from "./argon2.ts";
import { changeWatch, type Store } from "./open.ts";
import { loadPolicySnapshot } from "./policy-snapshot.ts";
import { sqliteAdminService } from "./repos/index.ts";

export { bumpLocalGeneration, localGeneration } from "./open.ts";

export class StorePolicySource implements PolicySource {
  private readonly watch: ChangeFeed;
  private seen = -1;
  private snap: PolicySnapshot | null = null;
  /** How many times the snapshot was rebuilt (tests, metrics). */
  rebuilds = 0;

  constructor(private readonly store: Store) {
    this.watch = changeWatch(store.sqlite);
  }

  snapshot(): PolicySnapshot {
    const v = this.watch.version();
    if (this.snap === null || v !== this.seen) {
      this.snap = loadPolicySnapshot(this.store);
      this.seen = v;
      this.rebuilds++;
    }
    return this.snap;
  }
}

/**
 * The [policy] and [accounting] settings this reads, as the validated config has them (durations
 * in ms). Declared here rather than imported from src/config, so the store depends on no other
 * adapter; the root passes its Config, which has this shape.
 */
export interface StorePolicyConfig {
  policy: {
    chap_key_env: string;
    default_command_action: "permit" | "deny";
    lockout: {
      enabled: boolean;
      max_failures: number;
      window: number;
      cooldown: number;
      max_entries: number;
    };
    credential_cache: { enabled: boolean; ttl: number; max_entries: number };
  };
  accounting: { commit_delay: number; max_batch: number };
}

export interface StorePolicyOptions {
  /** Where policy.chap_key_env is looked up; the composition root passes the environment it read once. Absent: none (no CHAP key). */
  env?: Record<string, string | undefined>;
  clock?: Clock;
  hasher?: PasswordHasher;
  onLockout?: (username: string, clientIp: string) => void;
  /** The previous writer's counters, continued (reload). */
  accountingCounters?: AccountingWriterCounters;
}

export interface StorePolicy {
  policy: PolicyService;
  source: StorePolicySource;
  writer: AccountingWriter;
  /** null when the key is configured and valid; otherwise why CHAP secrets cannot be used. */
  chapKeyProblem: string | null;
}

/** Wire policy to the store from the validated config (the composition root and the CLI tracer use it). */
export function createStorePolicy(
  store: Store,
  config: StorePolicyConfig,
  o: StorePolicyOptions = {},
): StorePolicy {
  const key = loadChapKey(o.env ?? {}, config.policy.chap_key_env);
  const source = new StorePolicySource(store);
  // TACACS+ CHPASS changes a password like any admin write: hashed and audited by the admin service.
  const admin = sqliteAdminService(store);
  const writer = new AccountingWriter(store, {
    commitDelay: config.accounting.commit_delay,
    maxBatch: config.accounting.max_batch,
    ...(o.accountingCounters ? { counters: o.accountingCounters } : {}),
  });
  const p = config.policy;
  const policy = createPolicy({
    source,
    sink: writer,
    defaultCommandAction: p.default_command_action,
    lockout: {
      enabled: p.lockout.enabled,
      maxFailures: p.lockout.max_failures,
      window: p.lockout.window,
      cooldown: p.lockout.cooldown,
      maxEntries: p.lockout.max_entries,
    },
    credentialCache: {
      enabled: p.credential_cache.enabled,
      ttl: p.credential_cache.ttl,
      maxEntries: p.credential_cache.max_entries,
    },
    chapKey: key.ok ? key.value : null,
    ...(o.clock === undefined ? {} : { clock: o.clock }),
    hasher: o.hasher ?? argon2Hasher,
    ...(o.onLockout === undefined ? {} : { onLockout: o.onLockout }),
    passwords: {
      setPassword: async (username, password) => {
        const r = await admin.users.setPassword("tacacs:chpass", username, password);
        return r.ok ? { ok: true } : { ok: false, detail: r.detail ?? r.code };
      },
    },
  });
  return {
    policy,
    source,
    writer,
    chapKeyProblem: key.ok ? null : (key.detail ?? key.code),
  };
}

/** What `policy test` needs (src/cli/cli-util.ts PolicyTracer): this store's policy, as the engines would build it. */
export function storeTracer(
  store: Store,
  config: StorePolicyConfig,
  env: Record<string, string | undefined>,
) {
  const { policy, source } = createStorePolicy(store, config, { env });
  return {
    policy,
    snapshot: () => source.snapshot(),
    defaultCommandAction: config.policy.default_command_action,
  };
}
