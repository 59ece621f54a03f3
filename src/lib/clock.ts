// Engines never read real time directly: they take a Clock so tests can inject time (DESIGN.md rule 7).
export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Wall-clock milliseconds since the epoch (for records and logs). */
  wall(): number;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  wall: () => Date.now(),
};

export class ManualClock implements Clock {
  constructor(
    private t = 0,
    private epoch = 1_700_000_000_000,
  ) {}
  now(): number {
    return this.t;
  }
  wall(): number {
    return this.epoch + this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
