// The Policy the engines call, assembled from its parts. The composition root (or
// src/store/policy-source.ts createStorePolicy) supplies the source, sink and configuration.
import { systemClock, type Clock } from "../lib/clock.ts";
import { Authenticator } from "./authenticate.ts";
import { authorizeCommand, authorizeShell, radiusReply } from "./authorize.ts";
import { CredentialCache, type CredentialCacheConfig } from "./credential-cache.ts";
import { Lockout, type LockoutConfig } from "./lockout.ts";
import { VerifyGate, type VerifyGateConfig } from "./verify-gate.ts";
import type {
  AccountingSink,
  PasswordHasher,
  PasswordWriter,
  Policy,
  PolicySource,
  RuleAction,
} from "./ports.ts";

export interface PolicyOptions {
  source: PolicySource;
  sink: AccountingSink;
  defaultCommandAction: RuleAction;
  lockout: LockoutConfig;
  credentialCache: CredentialCacheConfig;
  chapKey: Uint8Array | null;
  clock?: Clock;
  /** argon2id in production (src/store/argon2.ts); tests pass a fake. */
  hasher: PasswordHasher;
  onLockout?: (username: string, clientIp: string) => void;
  /** TACACS+ change password writes here; absent: CHPASS is refused. */
  passwords?: PasswordWriter;
  /** Bounds on password verification; absent: DEFAULT_VERIFY_GATE. */
  verifyGate?: Partial<VerifyGateConfig>;
}

/**
 * As many running as the hasher runs at once (its `concurrency`: the argon2 workers, one fewer
 * than the cores; 1 if it does not say). Waiting: 32 per client
 * (a device after a restart, its users' credential cache empty) and 256 in all; a wait over 3 s is
 * refused unstarted — RADIUS and TACACS+ clients commonly time out after 3–5 s, and at ~33
 * verifies/s per worker 256 waiting are ~8 s of work on one worker, more than any NAS waits.
 */
export const DEFAULT_VERIFY_GATE: Omit<VerifyGateConfig, "concurrency"> = {
  maxQueue: 256,
  maxQueuePerClient: 32,
  maxWait: 3_000,
};

/** The Policy plus the pieces the HTTP layer and tests look at. */
export interface PolicyService extends Policy {
  readonly lockout: Lockout;
  readonly cache: CredentialCache;
  readonly verifyGate: VerifyGate;
}

export function createPolicy(o: PolicyOptions): PolicyService {
  const clock = o.clock ?? systemClock;
  const lockout = new Lockout(o.lockout, clock, o.onLockout);
  const cache = new CredentialCache(o.credentialCache, clock);
  const verifyGate = new VerifyGate(
    { concurrency: o.hasher.concurrency ?? 1, ...DEFAULT_VERIFY_GATE, ...o.verifyGate },
    clock,
  );
  const auth = new Authenticator({
    source: o.source,
    hasher: o.hasher,
    lockout,
    cache,
    gate: verifyGate,
    clock,
    chapKey: o.chapKey,
    ...(o.passwords === undefined ? {} : { passwords: o.passwords }),
  });
  return {
    lockout,
    cache,
    verifyGate,
    authenticatePassword: (req) => auth.password(req),
    authenticateEnable: (req) => auth.enable(req),
    changePassword: (req) => auth.changePassword(req),
    authenticateChap: (req, check) => auth.chap(req, check),
    authenticateMsChap: (req, check) => auth.msChap(req, check),
    authorizeShell: (req) => authorizeShell(o.source.snapshot(), req, clock.wall()),
    authorizeCommand: (req) =>
      authorizeCommand(o.source.snapshot(), req, o.defaultCommandAction, clock.wall()),
    radiusReply: (username) => radiusReply(o.source.snapshot(), username),
    account: (record) => o.sink.write(record),
  };
}
