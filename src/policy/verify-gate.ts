// Bounded, fair admission for password verifications (issue 21, defect 1).
//
// One argon2id verify costs ~30 ms of a whole core and 19 MiB; a NAS (or anyone with its secret, or
// a spoofed address of a group that does not require Message-Authenticator) can ask for hundreds a
// second with made-up user names. Without a bound the backlog grew for minutes and everything else
// waited behind it. Here:
// - at most `concurrency` verifications run (the hash executor's size: more would only queue there);
// - waiting ones are bounded per client (the resolved device address the caller passes) and in all;
// - clients are served round robin, so a flooding device waits behind itself, not others behind it;
// - when the total bound is reached, the client with the longest queue gives up its newest entry
//   to a client with fewer waiting (a flood spread over many spoofed addresses still cannot lock
//   out a device that asks once);
// - an entry that waited longer than `maxWait` is refused unstarted: its NAS has given up
//   (RADIUS and TACACS+ clients time out after a few seconds), the work would be wasted.
// So queued work is bounded in count and in time, and the backlog is gone `maxWait` after a flood.
// Refusals are values with stable codes; the authenticator answers them as an ordinary failure.
// Known and unknown users pass through the same gate alike (see authenticate.ts on timing parity).
import type { Clock } from "../lib/clock.ts";
import type { Registry } from "../lib/metrics.ts";
import { err, ok, type Result } from "../lib/result.ts";

export interface VerifyGateConfig {
  /** Verifications running at once. */
  concurrency: number;
  /** Verifications waiting, in all. */
  maxQueue: number;
  /** Verifications waiting from one client. */
  maxQueuePerClient: number;
  /** ms a verification may wait before it is refused unstarted. */
  maxWait: number;
}

export const GateRefusal = {
  queueFull: "queue-full",
  clientQueueFull: "client-queue-full",
  waitExpired: "wait-expired",
} as const;
export type GateRefusal = (typeof GateRefusal)[keyof typeof GateRefusal];

/** Plain counters the HTTP layer reads as they are. */
export interface VerifyGateCounters {
  running: number;
  queued: number;
  /** Clients with at least one verification waiting. */
  clients: number;
  admitted: number;
  refused: Record<GateRefusal, number>;
}

interface Job {
  enqueued: number;
  go: () => void;
  refuse: (code: GateRefusal) => void;
}

export class VerifyGate {
  readonly counters: VerifyGateCounters = {
    running: 0,
    queued: 0,
    clients: 0,
    admitted: 0,
    refused: { "queue-full": 0, "client-queue-full": 0, "wait-expired": 0 },
  };
  /** Waiting jobs per client; Map order is the round-robin order (a served client moves last). */
  private readonly queues = new Map<string, Job[]>();

  constructor(
    readonly config: VerifyGateConfig,
    private readonly clock: Clock,
  ) {}

  /** Runs `task` when a slot is free, or refuses with a code. A rejection of `task` propagates. */
  run<T>(client: string, task: () => Promise<T>): Promise<Result<T, GateRefusal>> {
    const c = this.counters;
    if (c.running < this.config.concurrency && c.queued === 0) return this.start(task);
    const q = this.queues.get(client);
    if (q !== undefined && q.length >= this.config.maxQueuePerClient)
      return Promise.resolve(this.refusal(GateRefusal.clientQueueFull));
    if (c.queued >= this.config.maxQueue && !this.evictFor(q?.length ?? 0))
      return Promise.resolve(this.refusal(GateRefusal.queueFull));
    return new Promise((resolve, reject) => {
      const job: Job = {
        enqueued: this.clock.now(),
        go: () => this.start(task).then(resolve, reject),
        refuse: (code) => resolve(this.refusal(code)),
      };
      if (q === undefined) this.queues.set(client, [job]);
      else q.push(job);
      c.queued++;
      c.clients = this.queues.size;
    });
  }

  private refusal(code: GateRefusal): Result<never, GateRefusal> {
    this.counters.refused[code]++;
    return err(code);
  }

  private async start<T>(task: () => Promise<T>): Promise<Result<T, GateRefusal>> {
    this.counters.running++;
    this.counters.admitted++;
    try {
      return ok(await task());
    } finally {
      this.counters.running--;
      this.dispatch();
    }
  }

  /** Start waiting jobs while slots are free, one client at a time in turn. */
  private dispatch(): void {
    const c = this.counters;
    while (c.running < this.config.concurrency && c.queued > 0) {
      const first = this.queues.entries().next();
      if (first.done) break;
      const [client, q] = first.value;
      const job = q.shift()!;
      this.queues.delete(client);
      if (q.length > 0) this.queues.set(client, q);
      c.queued--;
      c.clients = this.queues.size;
      if (this.clock.now() - job.enqueued > this.config.maxWait)
        job.refuse(GateRefusal.waitExpired);
      else job.go();
    }
  }

  /**
   * The total bound is reached: the client with the longest queue loses its newest entry, if it
   * holds at least two more than the asking client (else the asker is refused: no churn between
   * equals). O(waiting clients), which maxQueue bounds; runs only while the gate is full.
   */
  private evictFor(mine: number): boolean {
    let longest: Job[] | null = null;
    let key = "";
    for (const [k, q] of this.queues)
      if (longest === null || q.length > longest.length) {
        longest = q;
        key = k;
      }
    if (longest === null || longest.length < mine + 2) return false;
    const job = longest.pop()!;
    if (longest.length === 0) this.queues.delete(key);
    this.counters.queued--;
    this.counters.clients = this.queues.size;
    job.refuse(GateRefusal.queueFull);
    return true;
  }

  /** Continue another gate's totals (a reload builds a new policy); its running jobs end there. */
  adopt(previous: VerifyGate): void {
    const p = previous.counters;
    this.counters.admitted += p.admitted;
    for (const k of Object.values(GateRefusal)) this.counters.refused[k] += p.refused[k];
  }
}

/** The gate's gauges; `gate` is a getter because a reload replaces the policy behind it. */
export function registerVerifyGateGauges(r: Registry, gate: () => VerifyGate): void {
  r.gauge(
    "aaa_password_verifies_running",
    "argon2 verifications running",
    () => gate().counters.running,
  );
  r.gauge(
    "aaa_password_verifies_waiting",
    "argon2 verifications waiting for the verify gate",
    () => gate().counters.queued,
  );
  r.gauge(
    "aaa_password_verifies_refused",
    "Password verifications refused unstarted since start-up (answered verify-busy), by reason",
    () =>
      Object.entries(gate().counters.refused).map(([reason, value]) => ({
        labels: { reason },
        value,
      })),
    ["reason"],
  );
}
