// What every part of the admin service shares: the repositories, the clock, password hashing, the
// CHAP-credential key, and the one audit writer. Secrets never reach the audit table: any detail key
// that looks like a credential is replaced by "[redacted]", at any depth, so a careless caller
// cannot leak a password through `detail`.
import { err, type Err, type Result } from "../lib/result.ts";
import type { AdminRepositories } from "./ports.ts";

export interface AdminOptions {
  /** argon2id hashing (src/policy/authenticate.ts ARGON2_OPTIONS); tests may pass a cheaper one. */
  hashPassword: (password: string) => Promise<string>;
  /**
   * The CHAP-credential key, resolved once by the composition root from the variable named by
   * policy.chap_key_env; an Err says why it is unusable (only `--chap-secret` needs it).
   */
  chapKey: Result<Uint8Array>;
  /** Epoch milliseconds for audit rows; default Date.now. */
  now?: () => number;
}

export interface AdminCore {
  repos: AdminRepositories;
  o: AdminOptions;
  now: () => number;
  audit(actor: string, action: string, object: string, detail?: Record<string, unknown>): void;
  /**
   * Run `fn` in one transaction; an Err it returns rolls everything back and is returned. A write
   * the store itself refuses (disk full, read-only file) rolls back too and becomes `failCode`.
   */
  atomic<T>(fn: () => Result<T>, failCode: string): Result<T>;
}

const SECRET_KEY = /pass|secret|hash|key|token|credential|chap|enc/i;

export function redact(v: unknown, depth = 0): unknown {
  if (depth > 8) return "[too deep]";
  if (Array.isArray(v)) return v.map((x) => redact(x, depth + 1));
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v))
      out[k] = SECRET_KEY.test(k) ? "[redacted]" : redact(x, depth + 1);
    return out;
  }
  return v;
}

/** Carries a refusal out of a transaction callback so the transaction rolls back. */
class Abort {
  constructor(readonly e: Err) {}
}

export function createCore(repos: AdminRepositories, o: AdminOptions): AdminCore {
  const now = o.now ?? Date.now;
  return {
    repos,
    o,
    now,
    audit: (actor, action, object, detail = {}) =>
      repos.audit.record(now(), actor, action, object, redact(detail)),
    atomic<T>(fn: () => Result<T>, failCode: string): Result<T> {
      try {
        return repos.atomically(() => {
          const r = fn();
          if (!r.ok) throw new Abort(r);
          return r;
        });
      } catch (e) {
        if (e instanceof Abort) return e.e;
        return err(failCode, e instanceof Error ? e.message : String(e));
      }
    },
  };
}
