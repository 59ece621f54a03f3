// Home server health: up / zombie / down, as an explicit state machine (DESIGN.md rule 7).
//
// API
//   newHealth(now)                                   → Health (starts up: a server is innocent until it stalls)
//   healthStep(h, event, now, params)                → Transition | undefined  (mutates h; a transition is
//                                                      reported exactly once, the caller logs and counts it)
//   usable(h)                                        status != "down"
//
// Events: "alive" (a probe answer, or ANY valid reply to real traffic — RFC 5997 §4.3 recommends using
// real replies as the primary signal), "timeout" (a real request or a probe went unanswered), "tick".
//
//   up     --timeout, nothing heard for zombie_period-->  zombie   (used only if no server is up)
//   zombie --revive_after consecutive alive----------->  up
//   zombie --down_after consecutive timeouts---------->  down     (status_check servers only)
//   zombie --revive_interval elapsed (no status check)->  up      (nothing else could ever revive it)
//   down   --revive_after consecutive alive----------->  up       (only probes reach a down server)
//
// No flapping: leaving up needs a whole zombie_period of silence, coming back needs N answers in a
// row, and one timeout in between resets the streak. FreeRADIUS marks a server zombie on a single
// late reply and revives it on the first; that is what made its states flap.
export type HealthStatus = "up" | "zombie" | "down";

export interface Health {
  status: HealthStatus;
  /** Last time anything valid came back from the server, ms. */
  lastAliveAt: number;
  /** Since when the current status holds, ms. */
  since: number;
  aliveStreak: number;
  failStreak: number;
}

export interface HealthParams {
  zombiePeriod: number;
  reviveAfter: number;
  downAfter: number;
  reviveInterval: number;
  statusCheck: boolean;
}

export interface Transition {
  from: HealthStatus;
  to: HealthStatus;
  reason: "timeouts" | "probes-failed" | "answers" | "revive-interval";
}

export type HealthEvent = "alive" | "timeout" | "tick";

export function newHealth(now: number): Health {
  return {
    status: "up",
    lastAliveAt: now,
    since: now,
    aliveStreak: 0,
    failStreak: 0,
  };
}

export const usable = (h: Health): boolean => h.status !== "down";

function move(h: Health, to: HealthStatus, now: number, reason: Transition["reason"]): Transition {
  const t: Transition = { from: h.status, to, reason };
  h.status = to;
  h.since = now;
  h.aliveStreak = 0;
  h.failStreak = 0;
  return t;
}

export function healthStep(
  h: Health,
  event: HealthEvent,
  now: number,
  p: HealthParams,
): Transition | undefined {
  switch (event) {
    case "alive":
      h.lastAliveAt = now;
      h.failStreak = 0;
      if (h.status === "up") return undefined;
      h.aliveStreak++;
      if (h.aliveStreak >= p.reviveAfter) return move(h, "up", now, "answers");
      return undefined;
    case "timeout":
      h.aliveStreak = 0;
      h.failStreak++;
      if (h.status === "up") {
        if (now - h.lastAliveAt >= p.zombiePeriod) return move(h, "zombie", now, "timeouts");
        return undefined;
      }
      if (h.status === "zombie" && p.statusCheck && h.failStreak >= p.downAfter)
        return move(h, "down", now, "probes-failed");
      return undefined;
    case "tick":
      if (h.status === "zombie" && !p.statusCheck && now - h.since >= p.reviveInterval)
        return move(h, "up", now, "revive-interval");
      return undefined;
  }
}
