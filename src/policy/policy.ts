// The Policy the engines call, assembled from its parts. The composition root (or
// src/store/policy-source.ts createStorePolicy) supplies the source, sink and configuration.
import { systemClock, type Clock } from "../lib/clock.ts";
import { Authenticator, argon2Hasher } from "./authenticate.ts";
import { authorizeCommand, authorizeShell, radiusReply } from "./authorize.ts";
import { CredentialCache, type CredentialCacheConfig } from "./credential-cache.ts";
import { Lockout, type LockoutConfig } from "./lockout.ts";
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
  hasher?: PasswordHasher;
  onLockout?: (username: string, clientIp: string) => void;
  /** TACACS+ change password writes here; absent: CHPASS is refused. */
  passwords?: PasswordWriter;
}

/** The Policy plus the pieces the HTTP layer and tests look at. */
export interface PolicyService extends Policy {
  readonly lockout: Lockout;
  readonly cache: CredentialCache;
}

export function createPolicy(o: PolicyOptions): PolicyService {
  const clock = o.clock ?? systemClock;
  const lockout = new Lockout(o.lockout, clock, o.onLockout);
  const cache = new CredentialCache(o.credentialCache, clock);
  const auth = new Authenticator({
    source: o.source,
    hasher: o.hasher ?? argon2Hasher,
    lockout,
    cache,
    clock,
    chapKey: o.chapKey,
    ...(o.passwords === undefined ? {} : { passwords: o.passwords }),
  });
  return {
    lockout,
    cache,
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
