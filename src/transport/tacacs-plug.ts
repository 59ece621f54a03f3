// TACACS+ as a plug of the stream front door (stream/plug.ts): framer → per-client token bucket →
// session machine (tacacs/session.ts) → its outputs performed here: `send` to the link, `job` run
// against policy (tacacs/jobs.ts) and its answer fed back, `close`, `note` to counters and logs
// (tacacs-metrics.ts). The door has already read PROXY v2, applied the caps and resolved the device.
import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/log.ts";
import { sameSecret } from "../policy/devices.ts";
import type { DecisionStream } from "../policy/decision-record.ts";
import type { Device } from "../policy/devices.ts";
import type { Policy } from "../policy/ports.ts";
import { Framer } from "../tacacs/codec/framer.ts";
import { runJob, type JobContext } from "../tacacs/jobs.ts";
import { newConnection, onAnswer, onFrame, retire, type ConnState } from "../tacacs/session.ts";
import type { Answer, EngineConfig, Job, Output } from "../tacacs/types.ts";
import type { Bucket, RateLimiter } from "./limits.ts";
import type {
  Admission,
  DoorRefusal,
  StreamLink,
  StreamPlug,
  StreamSession,
} from "./stream/plug.ts";
import {
  recordNote,
  recordRefusal,
  type RefusalReason,
  type NoteContext,
  type TacacsCounters,
} from "./tacacs-metrics.ts";

export interface TacacsPlugDeps {
  policy: Policy;
  log: Logger;
  clock: Clock;
  counters: TacacsCounters;
  rates: RateLimiter;
  engine: EngineConfig;
  maxBodyLength: number;
  sessionsDelta(d: number): void;
  /** Where each decision's record goes (the auth log, the status page, a trace). */
  decisions: DecisionStream;
  onResolved(r: { client: string; proxy: string | null; device: string; group: string }): void;
}

/** Label objects per job kind, built once (the histogram is observed on every request). */
const JOB_LABELS: Record<Job["kind"], { protocol: string; job: string }> = {
  password: { protocol: "tacacs", job: "password" },
  chpass: { protocol: "tacacs", job: "chpass" },
  chap: { protocol: "tacacs", job: "chap" },
  mschap1: { protocol: "tacacs", job: "mschap1" },
  mschap2: { protocol: "tacacs", job: "mschap2" },
  author: { protocol: "tacacs", job: "author" },
  acct: { protocol: "tacacs", job: "acct" },
};

export class TacacsPlug implements StreamPlug {
  constructor(private readonly d: TacacsPlugDeps) {}

  secretOf(device: Device): Uint8Array | null {
    return device.tacacsKey;
  }

  open(a: Admission, link: StreamLink): StreamSession {
    const via = a.proxy === null ? "direct" : "proxied";
    this.d.counters.connections.inc({ protocol: "tacacs", via });
    this.d.counters.deviceMatches.inc({
      protocol: "tacacs",
      device_group: a.device.groupName,
      via,
    });
    this.d.onResolved({
      client: a.client,
      proxy: a.proxy,
      device: a.device.deviceName,
      group: a.device.groupName,
    });
    return new TacacsSession(this.d, a, link);
  }

  refused(reason: DoorRefusal, client: string, fields: Record<string, unknown>): void {
    recordRefusal(this.d.counters, this.d.log, reason, client, fields);
  }

  sweep(now: number, hasClient: (client: string) => boolean): void {
    this.d.rates.sweep(now, hasClient);
  }
}

class TacacsSession implements StreamSession {
  private readonly engine: ConnState;
  private readonly framer: Framer;
  private readonly bucket: Bucket;
  private readonly ctx: JobContext;
  /** Built once per connection; latencyMs is set around each answer's outputs. */
  private readonly noteCtx: NoteContext;
  private jobs = 0;
  private out: Output[] = [];
  private performing = false;
  /** This side closed or refused, or the connection is gone: no more packets are read. */
  private ended = false;
  /** The connection is gone: answers that arrive now are dropped. */
  private dead = false;

  constructor(
    private readonly d: TacacsPlugDeps,
    private readonly a: Admission,
    private readonly link: StreamLink,
  ) {
    this.engine = newConnection(a.secret, d.engine);
    this.framer = new Framer({ maxBodyLength: d.maxBodyLength });
    this.bucket = d.rates.bucket(a.client, d.clock.now());
    this.ctx = {
      policy: d.policy,
      device: {
        deviceName: a.device.deviceName,
        groupId: a.device.groupId,
        groupName: a.device.groupName,
      },
      clientIp: a.client,
      wall: () => d.clock.wall(),
    };
    this.noteCtx = {
      client: a.client,
      device: a.device.deviceName,
      group: a.device.groupName,
      proxy: a.proxy,
      latencyMs: 0,
      decisions: d.decisions,
      sessionsDelta: d.sessionsDelta,
    };
  }

  busy(): number {
    return this.jobs + this.engine.sessions.size;
  }

  waiting(): boolean {
    return this.jobs > 0;
  }

  data(chunk: Uint8Array): void {
    if (this.ended) return;
    const f = this.framer;
    const engine = this.engine;
    f.push(chunk);
    let stall = -1;
    for (;;) {
      if (this.ended) return;
      const r = f.next();
      if (!r.ok)
        return this.refuse(
          r.code === "tacacs/body-too-long" ? "body_too_long" : "bad_version",
          r.detail,
        );
      const frame = r.value;
      if (frame === null) return;
      const now = this.d.clock.now();
      this.link.touch(now);
      const kind = frame.header.type - 1;
      if (kind >= 0 && kind < 3) {
        if (stall < 0) stall = this.link.stallMs(now);
        if (!this.d.rates.take(this.bucket, kind, now, stall)) return this.refuse("rate_limited");
      }
      // A long-lived single-connect connection is re-checked against the store before each new
      // session: a removed or disabled device or a changed key retires it.
      if (
        engine.singleConnect === true &&
        frame.header.seqNo === 1 &&
        !engine.sessions.has(frame.header.sessionId)
      )
        this.recheckDevice();
      this.noteCtx.latencyMs = 0;
      onFrame(engine, frame, this.out);
      this.perform();
      // ...and when its last running session ends, so it closes then rather than at the next one.
      if (engine.singleConnect === true && engine.sessions.size === 0 && this.jobs === 0)
        this.recheckDevice();
    }
  }

  private recheckDevice(): void {
    const engine = this.engine;
    if (engine.retired || engine.closed) return;
    const d = this.link.resolveAgain();
    if (
      d !== null &&
      d.deviceId === this.a.device.deviceId &&
      sameSecret(d.tacacsKey, this.a.secret)
    )
      return;
    retire(engine, this.out);
    this.perform();
  }

  /** Performs queued outputs in order. Re-entrant calls (a job answered synchronously appends to the
   *  same queue) return at once: the running loop picks the new outputs up. */
  private perform(): void {
    if (this.performing) return;
    this.performing = true;
    try {
      const out = this.out;
      for (let i = 0; i < out.length; i++) {
        const o = out[i]!;
        switch (o.kind) {
          case "send":
            this.link.send(o.bytes);
            break;
          case "job":
            this.run(o.sessionId, o);
            break;
          case "close":
            this.ended = true;
            this.link.close();
            break;
          case "note":
            recordNote(this.d.counters, this.d.log, o.note, this.noteCtx);
            break;
        }
      }
    } finally {
      this.out.length = 0;
      this.performing = false;
    }
  }

  private run(sessionId: number, o: Output & { kind: "job" }): void {
    this.jobs++;
    const t0 = this.d.clock.now();
    const labels = JOB_LABELS[o.job.kind];
    let a: Answer | Promise<Answer>;
    try {
      a = runJob(o.job, this.ctx);
    } catch (e) {
      this.jobs--;
      return this.failed(o.job, e);
    }
    const done = (ans: Answer) => {
      const ms = Math.round((this.d.clock.now() - t0) * 10) / 10;
      this.d.counters.decision.observe(ms / 1000, labels);
      this.answered(sessionId, ans, ms);
    };
    if (!(a instanceof Promise)) return done(a);
    // Nothing may escape a promise reaction: an unhandled rejection ends the process, and every
    // other device's service with it. A failed job closes this connection, as a throwing one does.
    a.then(
      (ans) => {
        try {
          done(ans);
        } catch (e) {
          this.failed(o.job, e);
        }
      },
      (e: unknown) => {
        this.jobs--;
        this.failed(o.job, e);
      },
    );
  }

  private failed(job: Job, e: unknown): void {
    this.d.log.error("tacacs_job_failed", {
      client: this.a.client,
      job: job.kind,
      reason: e instanceof Error ? e.message : String(e),
    });
    this.ended = true;
    this.link.destroy();
  }

  private answered(sessionId: number, a: Answer, latencyMs: number): void {
    this.jobs--;
    // A closing connection still writes the answers of jobs it had started (the door drops writes
    // once it is gone): the client asked before we decided to close.
    if (this.dead) return;
    this.link.touch(this.d.clock.now());
    const engine = this.engine;
    this.noteCtx.latencyMs = latencyMs;
    onAnswer(engine, sessionId, a, this.out);
    // The answer's notes carry this job's latency. A synchronous answer (CHAP) arrives inside
    // perform() and its notes are performed by that outer loop after this returns, so the value
    // stays until the next frame resets it (data()): notes the engine decides alone carry 0.
    this.perform();
    if (engine.singleConnect === true && engine.sessions.size === 0 && this.jobs === 0)
      this.recheckDevice();
  }

  private refuse(reason: RefusalReason, detail?: string): void {
    recordRefusal(
      this.d.counters,
      this.d.log,
      reason,
      this.a.client,
      detail === undefined ? { peer: this.a.peer } : { peer: this.a.peer, detail },
    );
    this.ended = true;
    this.link.close();
  }

  closed(): void {
    if (this.engine.sessions.size > 0) this.d.sessionsDelta(-this.engine.sessions.size);
    this.ended = true;
    this.dead = true;
  }
}
