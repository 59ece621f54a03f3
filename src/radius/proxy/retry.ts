// Retransmission timing, RFC 5080 §2.2.1 (which borrows RFC 3315 §14's algorithm):
//
//   RT(1) = IRT + RAND*IRT
//   RT(n) = 2*RT(n-1) + RAND*RT(n-1)
//   if MRT and RT(n) > MRT:  RT(n) = MRT + RAND*MRT
//   stop after MRC retransmissions or when MRD has elapsed since the first transmission
//
// with RAND uniform in [-0.1, +0.1], drawn anew for every timeout so that proxies that lost the same
// home server at the same moment do not retry in lock-step. Each attempt may go to another server of
// the pool (failover on timeout); the backoff still doubles across servers, so a pool whose servers
// all stall is not hammered. IRT is the first server's response_timeout. Pure: `rand` is injected.
export interface RetryPolicy {
  /** IRT, ms (the first attempt's server may override it). */
  initialTimeout: number;
  /** MRT, ms; 0 = no cap. */
  maxTimeout: number;
  /** MRC: retransmissions after the first transmission. */
  maxRetries: number;
  /** MRD, ms since the first transmission. */
  maxDuration: number;
}

export interface RetryState {
  /** When the first transmission left, ms (clock). */
  startedAt: number;
  /** Transmissions so far (1 after the first). */
  attempts: number;
  /** The last timeout used, ms. */
  lastTimeout: number;
}

/** RAND of RFC 5080: [-0.1, +0.1) from a [0, 1) source. */
const jitter = (rand: () => number): number => (rand() * 2 - 1) * 0.1;

export function firstTimeout(irt: number, rand: () => number): number {
  return irt + jitter(rand) * irt;
}

export function nextTimeout(prev: number, policy: RetryPolicy, rand: () => number): number {
  let rt = 2 * prev + jitter(rand) * prev;
  if (policy.maxTimeout > 0 && rt > policy.maxTimeout)
    rt = policy.maxTimeout + jitter(rand) * policy.maxTimeout;
  return rt;
}

export type RetryStep =
  { kind: "retry"; timeout: number } | { kind: "give-up"; reason: "max-retries" | "max-duration" };

/** Start: the deadline of the first transmission. */
export function startRetry(
  now: number,
  irt: number,
  policy: RetryPolicy,
  rand: () => number,
): { state: RetryState; deadline: number } {
  const t = clampToDuration(firstTimeout(irt, rand), now, now, policy);
  return {
    state: { startedAt: now, attempts: 1, lastTimeout: t },
    deadline: now + t,
  };
}

/**
 * The previous transmission timed out at `now`. Either another transmission is due at once, with
 * its timeout, or the request is over. The last timeout is cut so it never runs past MRD.
 */
export function onTimeout(
  state: RetryState,
  now: number,
  policy: RetryPolicy,
  rand: () => number,
): RetryStep {
  if (state.attempts > policy.maxRetries) return { kind: "give-up", reason: "max-retries" };
  if (now - state.startedAt >= policy.maxDuration)
    return { kind: "give-up", reason: "max-duration" };
  const t = clampToDuration(
    nextTimeout(state.lastTimeout, policy, rand),
    state.startedAt,
    now,
    policy,
  );
  state.attempts++;
  state.lastTimeout = t;
  return { kind: "retry", timeout: t };
}

function clampToDuration(t: number, startedAt: number, now: number, policy: RetryPolicy): number {
  const left = startedAt + policy.maxDuration - now;
  return Math.max(1, Math.min(t, left));
}
