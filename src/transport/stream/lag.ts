// How long the process was unable to serve sockets. A connection's bytes wait in the kernel while
// the event loop is blocked (a long synchronous task, a GC pause, an overloaded turn); when it comes
// back, one read hands over everything the client sent meanwhile. A token bucket charged at that
// moment would bill the client for the server's own stall (issue 21, defect 6: 299 of 300 clients
// inside their limit were cut as rate_limited under overload), so limits ask for the recent stall.
//
// Measured with one unref'd timer: a tick that comes late by more than SLACK_MS is a stall of that
// length, remembered for a while so the reads that drain its backlog (often in the same turn as the
// late tick, sometimes a few turns later) still see it. If the reads run before the late tick, the
// open gap since the last tick is the stall so far.
import type { Clock } from "../../lib/clock.ts";

/** Tick period: the resolution of stall detection. 20 wake-ups per second cost nothing measurable. */
const PERIOD_MS = 50;
/** Lateness below this is ordinary timer jitter. */
const SLACK_MS = 25;
/** A detected stall is tolerated for at least this long after it ended (its backlog drains). */
const REMEMBER_MS = 1000;

export class LagMeter {
  private last: number;
  private stall = 0;
  private stallEnd = -Infinity;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly clock: Clock) {
    this.last = clock.now();
  }

  start(): void {
    if (this.timer !== null) return;
    this.last = this.clock.now();
    this.timer = setInterval(() => this.tick(this.clock.now()), PERIOD_MS);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Exposed for tests with a manual clock. */
  tick(now: number): void {
    const late = now - this.last - PERIOD_MS;
    if (late > SLACK_MS) {
      this.stall = late;
      this.stallEnd = now;
    }
    this.last = now;
  }

  /** The stall (ms) a read at `now` may have been waiting behind; 0 when the loop kept up. */
  stallMs(now: number): number {
    if (this.timer === null) return 0;
    const open = now - this.last - PERIOD_MS;
    const recent = now - this.stallEnd <= Math.max(REMEMBER_MS, this.stall) ? this.stall : 0;
    const s = Math.max(open > SLACK_MS ? open : 0, recent);
    return s;
  }
}
