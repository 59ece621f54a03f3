// The RADIUS proxy engine's reply path: a datagram from a home server, matched to what we sent.
//
// API
//   onHomeDatagram(e, server, socket, data)   a datagram arrived on upstream socket `socket` of `server`
//
// The identifier (octet 1) and the socket it came in on name the slot; the slot holds a flight or a
// Status-Server probe. A reply is verified (Response Authenticator, Message-Authenticator) with the
// authenticator of the attempt it answers before anything else: an unverified datagram only bumps
// the drop counter (rate-limited log) and never touches health or the flight. A verified reply
// marks the server alive; a flight's reply is re-signed for the NAS and answers it.
import { Code } from "../codec/packet.ts";
import { finish } from "./forward.ts";
import { healthStep } from "./health.ts";
import { IDS_PER_SOCKET } from "./pending.ts";
import { checkHomeReply, relayReply } from "./relay-reply.ts";
import type { EngineState, ServerState } from "./state.ts";

/** The drop counter's reason label: the code without its namespace ("radius-proxy/", "radius/"). */
const labelOf = (code: string): string => code.slice(code.indexOf("/") + 1);

function alive(e: EngineState, s: ServerState, now: number) {
  e.transition(s, healthStep(s.health, "alive", now, s.healthParams));
}

function dropped(e: EngineState, s: ServerState, reason: string) {
  e.m.homeDropped.inc({ ...s.labels, reason });
  e.log.limited("warn", `radius-proxy/drop:${s.name}:${reason}`, "radius_proxy_reply_dropped", {
    home_server: s.name,
    type: s.kind,
    reason,
  });
}

export function onHomeDatagram(e: EngineState, si: number, socket: number, data: Uint8Array) {
  const s = e.servers[si];
  if (!s) return;
  if (data.length < 20) return dropped(e, s, "short");
  const slot = socket * IDS_PER_SOCKET + data[1]!;
  const en = s.ids.get(slot);
  if (!en) return dropped(e, s, "unknown-id");
  const now = e.clock.now();
  if (en.kind === "probe") {
    const r = checkHomeReply(data, Code.StatusServer, en.probe.sentAuth, s.secret, s.requireMa);
    if (!r.ok) return dropped(e, s, labelOf(r.code));
    s.ids.release(slot);
    s.probing = false;
    e.m.homeProbes.inc({ ...s.labels, result: "answered" });
    return alive(e, s, now);
  }
  const f = en.flight;
  const a = f.attempts.find((x) => x.server === si && x.slot === slot);
  if (!a) return dropped(e, s, "unknown-id");
  const r = checkHomeReply(data, f.nas.code, a.sentAuth, s.secret, s.requireMa);
  if (!r.ok) return dropped(e, s, labelOf(r.code));
  s.t.replies.n++;
  e.m.homeLatency.observe((now - a.sentAt) / 1000, s.labels);
  alive(e, s, now);
  const out = relayReply(r.value, a.sentAuth, s.secret, f.nas, f.nasSecret);
  if (!out.ok) return dropped(e, s, labelOf(out.code));
  f.ps.t.replies.n++;
  e.m.poolLatency.observe((now - f.retry.startedAt) / 1000, f.ps.labels);
  finish(e, f, out.value, s.name);
}
