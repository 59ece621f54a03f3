// Choosing a home server of a pool.
//
// API
//   createPool(name, strategy, members)        → Pool
//   selectServer(pool, view, req)              → member index into pool.members, or -1 (none usable)
//   keyHash(bytes)                             32-bit FNV-1a, for "keyed"
//
// Tiers come before the strategy: a server not yet tried for this request that is up, then one that
// is a zombie (RFC 5080-era practice: a zombie gets traffic only when nothing is up), then servers
// already tried (a one-server pool retries the same server). Down servers are never chosen, nor
// servers at their max_outstanding that this request has not tried yet — one it has tried still
// holds the request's identifier, so a retransmission to it needs no new one. Within the best tier:
//   round-robin        the next member after the last one chosen (rotation survives exclusions)
//   least-outstanding  fewest requests in flight; ties broken by rotation
//   failover           the first in configured order: traffic returns to the primary as soon as it is up
//   random             uniform among the tier (rand injected)
//   keyed              rendezvous (highest random weight) hashing of the key: the same key always lands
//                      on the same server while it is up, and losing a server moves only its own keys.
//                      No key in the request: round-robin.
import type { HealthStatus } from "./health.ts";

export type Strategy = "round-robin" | "least-outstanding" | "failover" | "random" | "keyed";

export interface PoolMember {
  /** Index into the proxy's home server table. */
  server: number;
  /** Per-member constant mixed into the keyed hash (from the server name, so it is stable across restarts). */
  seed: number;
}

export interface Pool {
  name: string;
  strategy: Strategy;
  members: PoolMember[];
  /** Rotation cursor. */
  next: number;
}

/** What the selector needs to know about each home server, indexed by PoolMember.server. */
export interface ServerView {
  status(server: number): HealthStatus;
  outstanding(server: number): number;
  full(server: number): boolean;
}

export interface SelectRequest {
  /** Servers already tried for this request. */
  tried?: readonly number[] | undefined;
  /** keyed: hash of the key attribute, undefined when the request has none. */
  key?: number | undefined;
  rand: () => number;
}

export function keyHash(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193) >>> 0;
  return h;
}

/** murmur3 finaliser: spreads the combined key and seed over all 32 bits. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function createPool(
  name: string,
  strategy: Strategy,
  members: Array<{ server: number; name: string }>,
): Pool {
  return {
    name,
    strategy,
    members: members.map((m) => ({
      server: m.server,
      seed: keyHash(new TextEncoder().encode(m.name)),
    })),
    next: 0,
  };
}

/** 0 = untried up, 1 = untried zombie, 2 = tried up, 3 = tried zombie, -1 = not eligible. */
function tierOf(server: number, view: ServerView, tried: readonly number[] | undefined): number {
  const s = view.status(server);
  const wasTried = tried !== undefined && tried.includes(server);
  if (s === "down" || (!wasTried && view.full(server))) return -1;
  return (wasTried ? 2 : 0) + (s === "up" ? 0 : 1);
}

export function selectServer(pool: Pool, view: ServerView, req: SelectRequest): number {
  const m = pool.members;
  const n = m.length;
  let best = 4;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const t = tierOf(m[i]!.server, view, req.tried);
    if (t < 0) continue;
    if (t < best) {
      best = t;
      count = 1;
    } else if (t === best) count++;
  }
  if (best === 4) return -1;
  const inTier = (i: number) => tierOf(m[i]!.server, view, req.tried) === best;
  const strategy =
    pool.strategy === "keyed" && req.key === undefined ? "round-robin" : pool.strategy;
  switch (strategy) {
    case "failover":
      for (let i = 0; i < n; i++) if (inTier(i)) return i;
      return -1;
    case "random": {
      let k = Math.min(count - 1, Math.floor(req.rand() * count));
      for (let i = 0; i < n; i++) if (inTier(i) && k-- === 0) return i;
      return -1;
    }
    case "keyed": {
      let pick = -1;
      let top = -1;
      for (let i = 0; i < n; i++) {
        if (!inTier(i)) continue;
        const score = mix((req.key! ^ m[i]!.seed) >>> 0);
        if (score > top) {
          top = score;
          pick = i;
        }
      }
      return pick;
    }
    case "least-outstanding": {
      let pick = -1;
      let low = Infinity;
      for (let j = 0; j < n; j++) {
        const i = (pool.next + j) % n;
        if (!inTier(i)) continue;
        const o = view.outstanding(m[i]!.server);
        if (o < low) {
          low = o;
          pick = i;
        }
      }
      pool.next = (pick + 1) % n;
      return pick;
    }
    case "round-robin": {
      for (let j = 0; j < n; j++) {
        const i = (pool.next + j) % n;
        if (inTier(i)) {
          pool.next = (i + 1) % n;
          return i;
        }
      }
      return -1;
    }
  }
}
