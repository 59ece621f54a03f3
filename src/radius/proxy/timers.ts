// The RADIUS proxy engine's clock-driven side: request timeouts, retries/failover, Status-Server probes.
//
// API
//   tick(e)      fire due timeouts, send due probes, step health, flush tallies (call every few ms)
//   abandon(e)   answer everything still in flight with null (shutdown), flush tallies
//
// Timers sit in one min-heap (heap.ts): a flight has one timer, re-armed for each attempt and taken
// out when the flight finishes, so the heap holds only what is in flight. On a timeout the backoff of retry.ts decides
// between another attempt (same server: the same bytes again; another server: re-encoded for it) and
// giving up (Access-Request: our own Access-Reject; Accounting-Request: no answer). Probes follow
// RFC 5997: a new Identifier and authenticator each, never retransmitted.
import { randomAuthenticator } from "../codec/authenticator.ts";
import { Code, decodePacket } from "../codec/packet.ts";
import { arm, finish, transmit } from "./forward.ts";
import { healthStep } from "./health.ts";
import { slotId, slotSocket } from "./pending.ts";
import { selectServer } from "./pool.ts";
import { rejectFor } from "./relay-reply.ts";
import { statusServer } from "./relay-request.ts";
import { onTimeout } from "./retry.ts";
import type { EngineState, Flight, Probe } from "./state.ts";

function giveUp(e: EngineState, f: Flight) {
  f.ps.t.timeouts.n++;
  if (f.nas.code !== Code.AccessRequest) return finish(e, f, null);
  const rej = rejectFor(f.nas, f.nasSecret);
  finish(e, f, rej.ok ? rej.value : null);
}

function onFlightTimeout(e: EngineState, f: Flight, now: number) {
  const { servers, settings } = e;
  const last = f.attempts[f.attempts.length - 1]!;
  const ls = servers[last.server]!;
  ls.t.timeouts.n++;
  e.transition(ls, healthStep(ls.health, "timeout", now, ls.healthParams));
  const step = onTimeout(f.retry, now, settings.retry, e.rand);
  if (step.kind === "give-up") return giveUp(e, f);
  const mi = selectServer(f.pool, e.view, {
    tried: f.tried,
    key: f.key,
    rand: e.rand,
  });
  if (mi < 0) return giveUp(e, f);
  const si = f.pool.members[mi]!.server;
  f.ps.t.retries.n++;
  // Back to a server already tried: a retransmission (RFC 5080 §2.2.1: same Identifier and
  // Request Authenticator, so the home server's duplicate cache can recognise it).
  const prev = f.attempts.find((a) => a.server === si);
  if (prev) {
    servers[si]!.t.retries.n++;
    e.send(si, slotSocket(prev.slot), prev.packet);
  } else {
    const d = decodePacket(f.raw);
    if (!d.ok || !transmit(e, f, si, d.value, false)) return giveUp(e, f);
  }
  arm(e, f, step.timeout);
}

function onProbeTimeout(e: EngineState, p: Probe, now: number) {
  const s = e.servers[p.server]!;
  const en = s.ids.get(p.slot);
  if (en?.kind !== "probe" || en.probe !== p) return;
  s.ids.release(p.slot);
  s.probing = false;
  e.m.homeProbes.inc({ ...s.labels, result: "timeout" });
  e.transition(s, healthStep(s.health, "timeout", now, s.healthParams));
}

function probe(e: EngineState, si: number, now: number) {
  const s = e.servers[si]!;
  const p: Probe = {
    server: si,
    slot: -1,
    sentAuth: randomAuthenticator(),
    sentAt: now,
  };
  const slot = s.ids.alloc({ kind: "probe", probe: p });
  if (slot < 0) return;
  p.slot = slot;
  // RFC 5997 §3: a new Identifier and authenticator for every probe, never retransmitted.
  const enc = statusServer(slotId(slot), p.sentAuth, s.secret);
  if (!enc.ok) {
    s.ids.release(slot);
    return;
  }
  s.probing = true;
  e.send(si, slotSocket(slot), enc.value);
  e.timers.push({
    at: now + e.settings.health.probeTimeout,
    heapIndex: -1,
    probe: p,
  });
}

export function tick(e: EngineState) {
  const { servers, settings, timers } = e;
  const now = e.clock.now();
  for (let t = timers.peek(); t !== undefined && t.at <= now; t = timers.peek()) {
    timers.pop();
    if (t.probe !== undefined) onProbeTimeout(e, t.probe, now);
    else if (!t.done) onFlightTimeout(e, t, now);
  }
  for (let i = 0; i < servers.length; i++) {
    const s = servers[i]!;
    if (s.statusCheck && !s.probing && now >= s.nextProbeAt) {
      s.nextProbeAt = now + settings.health.interval;
      // A server that answered real traffic within the interval needs no probe (RFC 5997 §4.3).
      if (!(s.health.status === "up" && now - s.health.lastAliveAt < settings.health.interval))
        probe(e, i, now);
    }
    e.transition(s, healthStep(s.health, "tick", now, s.healthParams));
  }
  for (const t of e.tallies) t.flush();
}

export function abandon(e: EngineState) {
  const { timers } = e;
  for (let t = timers.pop(); t !== undefined; t = timers.pop()) {
    if (t.probe === undefined && !t.done) finish(e, t, null);
  }
  // After a reload the Registry's counters are shared with the next engine: hand over what is left.
  for (const t of e.tallies) t.flush();
}
