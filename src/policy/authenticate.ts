// Authentication decisions: PAP / TACACS+ ASCII password, TACACS+ enable, CHAP and MS-CHAP.
//
// Order for every method: lockout (fail fast, nothing verified) → user lookup → credential check →
// account state (disabled, expired, device group). Account state is only revealed to someone who
// knew the password; the reply to the client is the same FAIL/Reject either way.
// Timing: an unknown user runs one argon2 verify against a dummy hash, so it costs what a wrong
// password costs. A credential-cache hit is faster, by design (only after a correct password).
// Every verify — known user, unknown user, enable — passes the same VerifyGate under the same
// client key, so queueing and refusal under load look the same for names that exist and names that
// do not; a refusal (gate full) answers at once with Reason.verifyBusy, nothing verified.
import { randomBytes } from "node:crypto";
import { fromHex } from "../lib/bytes.ts";
import type { Clock } from "../lib/clock.ts";
import { decryptChapSecret, ntHashOf } from "./chap-credential.ts";
import type { CredentialCache, CredentialPurpose } from "./credential-cache.ts";
import { Reason, allow, deny, type Decision } from "./decisions.ts";
import type { Lockout } from "./lockout.ts";
import type {
  EnableRequest,
  IdentityRequest,
  PasswordHasher,
  PasswordRequest,
  ChangePasswordRequest,
  PasswordWriter,
  PolicySource,
  PolicyUser,
} from "./ports.ts";
import { accountState, maxPrivLvl, normalizeUsername, userGroups } from "./authorize.ts";
import type { VerifyGate } from "./verify-gate.ts";

/**
 * argon2id parameters: OWASP's first recommendation (m = 19 MiB, t = 2, p = 1), ~65 ms per verify
 * on this machine class. Bun's default (m = 64 MiB) costs ~230 ms here, which turns a login storm
 * after a restart (credential cache empty) into seconds of queueing for little extra strength.
 * verify() reads the parameters from the stored PHC string, so older hashes keep working.
 * The hasher itself is an adapter (src/store/argon2.ts); policy sees only the PasswordHasher port.
 */
export const ARGON2_OPTIONS = { algorithm: "argon2id", memoryCost: 19_456, timeCost: 2 } as const;

export interface AuthenticatorDeps {
  source: PolicySource;
  hasher: PasswordHasher;
  lockout: Lockout;
  cache: CredentialCache;
  /** Bounds the verifications running and waiting (per client and in all). */
  gate: VerifyGate;
  clock: Clock;
  /** AES-256-GCM key for opt-in CHAP secrets; null: CHAP secrets cannot be read (NT hashes still can). */
  chapKey: Uint8Array | null;
  /** Where TACACS+ change-password writes; absent: CHPASS is refused. */
  passwords?: PasswordWriter;
}

/** Same bound as the store's (src/store/users.ts): longer only costs argon2 time. */
const MAX_NEW_PASSWORD_BYTES = 1024;

/** A verify's outcome; "busy": the gate refused it, nothing was verified. */
type Verdict = "ok" | "bad" | "busy";
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

export class Authenticator {
  private dummy: Promise<string> | null = null;

  /** Verifications in progress, by credential digest (bounded by the requests in flight). */
  private readonly inflight = new Map<string, Promise<Verdict>>();

  constructor(private readonly d: AuthenticatorDeps) {}

  /** Costs one argon2 verify through the gate, as a real wrong password would. */
  private async burnVerify(password: string | Uint8Array, clientIp: string): Promise<Verdict> {
    this.dummy ??= this.d.hasher.hash(randomBytes(16).toString("base64"));
    const dummy = await this.dummy;
    const r = await this.d.gate.run(clientIp, () => this.d.hasher.verify(password, dummy));
    return r.ok ? "bad" : "busy";
  }

  /**
   * The argon2 verify behind a credential-cache miss; "locked" when the lockout refuses one more
   * verification for this (user, client) while others are running (see lockout.ts).
   */
  private async verifySecret(
    purpose: CredentialPurpose,
    user: PolicyUser,
    req: PasswordRequest,
    username: string,
  ): Promise<Verdict | "locked"> {
    const password = req.password;
    // Single flight: a burst of identical logins (64 NAS retries, a device after a restart) runs
    // one argon2 verify and shares its result, instead of one per request.
    const k = this.d.cache.digest(purpose, user.id, user.credentialVersion, password);
    const running = this.inflight.get(k);
    if (running !== undefined) return running;
    const { lockout } = this.d;
    if (!lockout.begin(username, req.clientIp)) return "locked";
    const hash =
      purpose === "enable" && user.enableHash !== null ? user.enableHash : user.passwordHash;
    const p = this.d.gate
      .run(req.clientIp, () => this.d.hasher.verify(password, hash))
      .then((r): Verdict => (!r.ok ? "busy" : r.value ? "ok" : "bad"));
    this.inflight.set(k, p);
    try {
      return await p;
    } finally {
      this.inflight.delete(k);
      lockout.end(username, req.clientIp);
    }
  }

  password(req: PasswordRequest): Decision | Promise<Decision> {
    return this.secret("login", req, null);
  }

  /**
   * Change password (TACACS+ CHPASS): the old password authenticates exactly like a login
   * (lockout, user state, device group), then the new one is hashed and stored; the stored user's
   * credential version moves, so the credential cache forgets the old password.
   */
  async changePassword(req: ChangePasswordRequest): Promise<Decision> {
    const d = await this.secret("login", req, null);
    if (!d.allow) return d;
    let next: string;
    try {
      next =
        typeof req.newPassword === "string" ? req.newPassword : strictUtf8.decode(req.newPassword);
    } catch {
      return deny(Reason.badNewPassword);
    }
    if (next.length === 0 || Buffer.byteLength(next) > MAX_NEW_PASSWORD_BYTES)
      return deny(Reason.badNewPassword);
    if (this.d.passwords === undefined) return deny(Reason.changeFailed);
    const w = await this.d.passwords.setPassword(normalizeUsername(req.username), next);
    return w.ok ? { ...d, reason: Reason.passwordChanged } : deny(Reason.changeFailed);
  }

  /** TACACS+ enable (service ENABLE): the enable secret, else the login password; priv-lvl bounded. */
  enable(req: EnableRequest): Decision | Promise<Decision> {
    return this.secret("enable", req, req.privLvl);
  }

  /**
   * Synchronous when the credential cache knows this password (no promise, no microtask: most
   * requests of a busy NAS); otherwise the argon2 verify, then the same conclusion.
   */
  private secret(
    purpose: CredentialPurpose,
    req: PasswordRequest,
    wantPriv: number | null,
  ): Decision | Promise<Decision> {
    const { lockout, source, cache } = this.d;
    const username = normalizeUsername(req.username);
    if (lockout.isLocked(username, req.clientIp)) return deny(Reason.lockedOut);
    const user = source.snapshot().usersByName.get(username);
    if (user === undefined) return this.unknownUser(username, req);
    if (cache.has(purpose, user.id, user.credentialVersion, req.password))
      return this.conclude(purpose, req, wantPriv, username, user, "cached");
    return this.verifySecret(purpose, user, req, username).then((v) => {
      if (v === "ok") return this.conclude(purpose, req, wantPriv, username, user, v);
      if (v === "locked") return deny(Reason.lockedOut);
      // Nothing was verified: not a failure of this user's password.
      if (v === "busy") return deny(Reason.verifyBusy);
      lockout.recordFailure(username, req.clientIp);
      return deny(Reason.badPassword);
    });
  }

  private async unknownUser(username: string, req: PasswordRequest): Promise<Decision> {
    // The same gate as for a known user, so a burst against a name does not tell whether it exists.
    const { lockout } = this.d;
    if (!lockout.begin(username, req.clientIp)) return deny(Reason.lockedOut);
    let v: Verdict;
    try {
      v = await this.burnVerify(req.password, req.clientIp);
    } finally {
      lockout.end(username, req.clientIp);
    }
    if (v === "busy") return deny(Reason.verifyBusy);
    lockout.recordFailure(username, req.clientIp);
    return deny(Reason.unknownUser);
  }

  /** After the password matched: user state, device group, privilege; then cache and lockout. */
  private conclude(
    purpose: CredentialPurpose,
    req: PasswordRequest,
    wantPriv: number | null,
    username: string,
    user: PolicyUser,
    v: "cached" | "ok",
  ): Decision {
    const { lockout, source, cache, clock } = this.d;
    // Re-read after a verify: a disable committed meanwhile must win.
    const snap = source.snapshot();
    const now = snap.usersByName.get(username) ?? user;
    if (now.credentialVersion !== user.credentialVersion)
      return deny(now.enabled ? Reason.badPassword : Reason.disabled);
    const groups = userGroups(snap, now);
    const state = accountState(now, groups, req.device, clock.wall());
    if (state !== null) return state;
    const priv = maxPrivLvl(groups);
    if (wantPriv !== null && wantPriv > priv) return deny(Reason.privLvlTooHigh, { privLvl: priv });
    if (v === "ok") cache.remember(purpose, user.id, user.credentialVersion, req.password);
    lockout.recordSuccess(username, req.clientIp);
    // A literal, not allow(…, extra): no object spread on the hot path.
    return {
      allow: true,
      reason: Reason.authenticated,
      privLvl: priv,
      cached: v === "cached",
    };
  }

  /** Runs `check` with the CHAP cleartext when the user opted in and the key is configured. */
  chap(req: IdentityRequest, check: (cleartext: Uint8Array) => boolean): Decision {
    return this.challenge(req, (user) => this.cleartext(user), check);
  }

  /** Runs `check` with the NT hash: derived from the CHAP secret if present, else the stored NT hash. */
  msChap(req: IdentityRequest, check: (ntHash: Uint8Array) => boolean): Decision {
    return this.challenge(
      req,
      (user) => {
        const clear = this.cleartext(user);
        if (clear !== null) return ntHashOf(clear);
        if (user.ntHash !== null && /^[0-9a-fA-F]{32}$/.test(user.ntHash))
          return fromHex(user.ntHash);
        return null;
      },
      check,
    );
  }

  private cleartext(user: PolicyUser): Uint8Array | null {
    if (user.chapSecretEnc === null || this.d.chapKey === null) return null;
    const r = decryptChapSecret(this.d.chapKey, user.username, user.chapSecretEnc);
    return r.ok ? r.value : null;
  }

  private challenge(
    req: IdentityRequest,
    material: (u: PolicyUser) => Uint8Array | null,
    check: (m: Uint8Array) => boolean,
  ): Decision {
    const { lockout, source, clock } = this.d;
    const username = normalizeUsername(req.username);
    if (lockout.isLocked(username, req.clientIp)) return deny(Reason.lockedOut);
    const snap = source.snapshot();
    const user = snap.usersByName.get(username);
    if (user === undefined) {
      lockout.recordFailure(username, req.clientIp);
      return deny(Reason.unknownUser);
    }
    const m = material(user);
    if (m === null) return deny(Reason.noChapCredential);
    const good = check(m);
    m.fill(0);
    if (!good) {
      lockout.recordFailure(username, req.clientIp);
      return deny(Reason.badPassword);
    }
    const groups = userGroups(snap, user);
    const state = accountState(user, groups, req.device, clock.wall());
    if (state !== null) return state;
    lockout.recordSuccess(username, req.clientIp);
    return allow(Reason.authenticated, { privLvl: maxPrivLvl(groups) });
  }
}
