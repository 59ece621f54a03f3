// argon2id for the policy's PasswordHasher port, with verification on threads of its own (issue 21,
// defect 1). An adapter: the Bun runtime's password API lives here, not in src/policy/.
//
// Bun.password.verify() runs on Bun's shared work pool — one thread per core, 2 on the reference
// VM — and so does every node:fs callback, the accounting WAL fdatasync included. Measured with
// Bun 1.4.5: with 16 verifies in flight an fdatasync waited 242 ms, with 2 in flight 61 ms, with
// 1 in flight 0.6 ms. A login flood therefore delayed every accounting acknowledgement. Here the
// verifies run with Bun.password.verifySync inside dedicated Workers, so the shared pool never
// holds a password hash and the policy's verify gate (src/policy/verify-gate.ts) bounds how many run
// at once (argon2Hasher.concurrency: as many as there are workers).
//
// The Worker's code is a string (a Blob URL): the compiled binary has no file to point a Worker
// at. Workers start on first use, hold the event loop only while a verify is pending (a CLI that
// asks once still gets its answer; an idle server can stop), and a worker that dies fails its
// pending verifies (rejections: the caller treats them as errors, never as a match) and is
// replaced on the next call. A verify unanswered after VERIFY_TIMEOUT_MS (~1,000 times its cost)
// means a wedged worker: it is terminated the same way, so its gate slot cannot leak for ever.
import { ARGON2_OPTIONS } from "../policy/authenticate.ts";
import type { PasswordHasher } from "../policy/ports.ts";

const SOURCE = `
self.onmessage = (e) => {
  const { id, password, hash } = e.data;
  let ok = false, error = null;
  try { ok = Bun.password.verifySync(password, hash); } catch (x) { error = String(x); }
  postMessage({ id, ok, error });
};`;

/** A verify takes 30–80 ms here; one still running after this is never coming back. */
export const VERIFY_TIMEOUT_MS = 30_000;

interface Pending {
  resolve: (ok: boolean) => void;
  reject: (e: Error) => void;
  timer?: ReturnType<typeof setTimeout>;
}

interface Reply {
  id: number;
  ok: boolean;
  error: string | null;
}

class Slot {
  readonly pending = new Map<number, Pending>();
  private worker: Worker | null = null;

  constructor(
    private readonly url: string,
    private readonly timeoutMs: number,
  ) {}

  post(id: number, password: string | Uint8Array, hash: string, p: Pending): void {
    const w = (this.worker ??= this.spawn());
    if (this.pending.size === 0) w.ref();
    p.timer = setTimeout(() => this.die(w, new Error("argon2 verify timed out")), this.timeoutMs);
    this.pending.set(id, p);
    w.postMessage({ id, password, hash });
  }

  private spawn(): Worker {
    const w = new Worker(this.url);
    w.onmessage = (e: MessageEvent<Reply>) => {
      const p = this.pending.get(e.data.id);
      if (p === undefined) return;
      this.pending.delete(e.data.id);
      clearTimeout(p.timer);
      if (this.pending.size === 0) w.unref();
      if (e.data.error === null) p.resolve(e.data.ok);
      else p.reject(new Error(`argon2 verify: ${e.data.error}`));
    };
    w.onerror = (e) => this.die(w, new Error(`argon2 worker: ${e.message}`));
    w.addEventListener("close", () => this.die(w, new Error("argon2 worker exited")));
    w.unref();
    return w;
  }

  private die(w: Worker, e: Error): void {
    if (this.worker !== w) return;
    this.worker = null;
    w.terminate();
    const lost = [...this.pending.values()];
    this.pending.clear();
    for (const p of lost) {
      clearTimeout(p.timer);
      p.reject(e);
    }
  }

  stop(): void {
    if (this.worker !== null) this.die(this.worker, new Error("argon2 workers stopped"));
  }
}

export class Argon2Workers {
  private readonly slots: Slot[];
  private nextId = 0;

  constructor(
    readonly size: number,
    /** Tests: another worker script (same messages) and a shorter timeout. */
    o: { source?: string; timeoutMs?: number } = {},
  ) {
    const blob = new Blob([o.source ?? SOURCE], { type: "application/javascript" });
    const url = URL.createObjectURL(blob);
    const timeout = o.timeoutMs ?? VERIFY_TIMEOUT_MS;
    this.slots = Array.from({ length: Math.max(1, size) }, () => new Slot(url, timeout));
  }

  /** The verify on the least busy worker. Rejects on a malformed hash or a dead worker. */
  verify(password: string | Uint8Array, hash: string): Promise<boolean> {
    let best = this.slots[0]!;
    for (const s of this.slots) if (s.pending.size < best.pending.size) best = s;
    const { promise, resolve, reject } = Promise.withResolvers<boolean>();
    best.post(++this.nextId, password, hash, { resolve, reject });
    return promise;
  }

  stop(): void {
    for (const s of this.slots) s.stop();
  }
}

/**
 * Workers for the process: one core is left to the event loop (it answers accounting, cached
 * logins and every other request), the rest verify. On the 2-core reference VM: one worker,
 * ~33 verifies/s.
 */
export const ARGON2_WORKERS = Math.max(1, (navigator.hardwareConcurrency || 2) - 1);

let shared: Argon2Workers | null = null;

/** The process-wide workers, started on first use (policies rebuilt by a reload share them). */
export function sharedArgon2Workers(): Argon2Workers {
  return (shared ??= new Argon2Workers(ARGON2_WORKERS));
}

/** The PasswordHasher the store-backed policy uses: verify on the workers, hash (rare) on Bun's pool. */
export const argon2Hasher: PasswordHasher = {
  concurrency: ARGON2_WORKERS,
  verify: (password, hash) => sharedArgon2Workers().verify(password, hash),
  hash: (password) => Bun.password.hash(password, ARGON2_OPTIONS),
};
