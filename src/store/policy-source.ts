// The store side of policy: an in-memory PolicySnapshot (users, user groups, rules) rebuilt when the
// database changed. Another process's commit changes PRAGMA data_version; our own commits through
// this connection do not, so every writer in src/store bumps a per-connection local generation.
// A request therefore sees a change committed by the CLI on its next call, without a polling timer.
import type { Database } from "bun:sqlite";
import type { Config } from "../config/schema.ts";
import type { Clock } from "../lib/clock.ts";
import { loadChapKey } from "../policy/chap-credential.ts";
import { createPolicy, type PolicyService } from "../policy/policy.ts";
import type {
  PasswordHasher,
  PolicyRule,
  PolicySnapshot,
  PolicySource,
  PolicyUser,
  PolicyUserGroup,
  RadiusReplyAttribute,
} from "../policy/ports.ts";
import { AccountingWriter, type AccountingWriterCounters } from "./accounting.ts";
import { argon2Hasher } from "./argon2.ts";
import { changeWatch, type ChangeWatch, type Store } from "./open.ts";
import { sqliteAdminService } from "./repos/index.ts";

export { bumpLocalGeneration, localGeneration } from "./open.ts";

function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

function groupIdsBy(rows: { k: number; v: number }[]): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (const r of rows) {
    const l = m.get(r.k);
    if (l === undefined) m.set(r.k, [r.v]);
    else l.push(r.v);
  }
  return m;
}

/** Reads everything policy needs in one read transaction (a consistent view). */
export function loadPolicySnapshot(sqlite: Database): PolicySnapshot {
  return sqlite.transaction(() => {
    const members = groupIdsBy(
      sqlite
        .query<{ k: number; v: number }, []>(
          "SELECT user_id AS k, user_group_id AS v FROM user_group_members",
        )
        .all(),
    );
    const usersByName = new Map<string, PolicyUser>();
    const urows = sqlite
      .query<Record<string, unknown>, []>(
        "SELECT id, username, enabled, password_hash, enable_hash, chap_secret_enc, nt_hash, expires_at, credential_version FROM users",
      )
      .all();
    for (const r of urows) {
      const id = r.id as number;
      usersByName.set(r.username as string, {
        id,
        username: r.username as string,
        enabled: r.enabled === 1,
        passwordHash: r.password_hash as string,
        enableHash: (r.enable_hash as string | null) ?? null,
        chapSecretEnc: (r.chap_secret_enc as string | null) ?? null,
        ntHash: (r.nt_hash as string | null) ?? null,
        expiresAt: (r.expires_at as number | null) ?? null,
        credentialVersion: r.credential_version as number,
        userGroupIds: members.get(id) ?? [],
      });
    }
    const gdg = groupIdsBy(
      sqlite
        .query<{ k: number; v: number }, []>(
          "SELECT user_group_id AS k, device_group_id AS v FROM user_group_device_groups",
        )
        .all(),
    );
    const groupsById = new Map<number, PolicyUserGroup>();
    for (const r of sqlite
      .query<
        {
          id: number;
          name: string;
          priv_lvl: number;
          tacacs_av: string;
          radius_reply: string;
        },
        []
      >("SELECT id, name, priv_lvl, tacacs_av, radius_reply FROM user_groups")
      .all()) {
      groupsById.set(r.id, {
        id: r.id,
        name: r.name,
        privLvl: r.priv_lvl,
        tacacsAv: parseJson<Record<string, string[]>>(r.tacacs_av, {}),
        radiusReply: parseJson<RadiusReplyAttribute[]>(r.radius_reply, []),
        deviceGroupIds: gdg.get(r.id) ?? [],
      });
    }
    const rug = groupIdsBy(
      sqlite
        .query<{ k: number; v: number }, []>(
          "SELECT rule_id AS k, user_group_id AS v FROM command_rule_user_groups",
        )
        .all(),
    );
    const rdg = groupIdsBy(
      sqlite
        .query<{ k: number; v: number }, []>(
          "SELECT rule_id AS k, device_group_id AS v FROM command_rule_device_groups",
        )
        .all(),
    );
    const rules: PolicyRule[] = [];
    type RuleRow = {
      id: number;
      name: string;
      position: number;
      action: "permit" | "deny";
      pattern: string;
      min_priv: number | null;
      max_priv: number | null;
    };
    for (const r of sqlite
      .query<RuleRow, []>(
        "SELECT id, name, position, action, pattern, min_priv, max_priv FROM command_rules ORDER BY position, id",
      )
      .all()) {
      let pattern: RegExp;
      try {
        pattern = new RegExp(r.pattern);
      } catch {
        // Validated on insert; a row edited by hand that no longer compiles matches nothing.
        pattern = /(?!)/;
      }
      rules.push({
        id: r.id,
        name: r.name,
        position: r.position,
        action: r.action,
        pattern,
        minPriv: r.min_priv,
        maxPriv: r.max_priv,
        userGroupIds: rug.get(r.id) ?? [],
        deviceGroupIds: rdg.get(r.id) ?? [],
      });
    }
    return { usersByName, groupsById, rules };
  })();
}

export class StorePolicySource implements PolicySource {
  private readonly watch: ChangeWatch;
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
      this.snap = loadPolicySnapshot(this.store.sqlite);
      this.seen = v;
      this.rebuilds++;
    }
    return this.snap;
  }
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
  config: Pick<Config, "policy" | "accounting">,
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
  config: Pick<Config, "policy" | "accounting">,
  env: Record<string, string | undefined>,
) {
  const { policy, source } = createStorePolicy(store, config, { env });
  return {
    policy,
    snapshot: () => source.snapshot(),
    defaultCommandAction: config.policy.default_command_action,
  };
}
