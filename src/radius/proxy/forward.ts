// The RADIUS proxy engine's forward path: route a NAS request, pick a home server, send it.
//
// API
//   handle(e, request, ctx, reply) → ProxyDecision   the port (RadiusProxyPort.handle)
//   transmit(e, flight, server, req, first) → bool   encode for a server, take an identifier, send
//   arm(e, flight, timeout)                           (re)arm the flight's timer for the next attempt
//   finish(e, flight, bytes)                          release identifiers, answer the NAS (null: drop)
//
// Our Proxy-State (8-octet instance tag + 32-bit sequence number) goes on every forwarded request;
// a request that already carries ours is a loop and is dropped. A flight answers the NAS exactly once.
import { randomAuthenticator } from "../codec/authenticator.ts";
import { AttrType, Code, getAttr, type Packet } from "../codec/packet.ts";
import type { ProxyDecision, ProxyReply, ProxyRequestContext } from "../proxy-port.ts";
import { slotId, slotSocket } from "./pending.ts";
import { keyHash, selectServer } from "./pool.ts";
import { userOctets } from "./realm.ts";
import { forwardRequest, nasSideOf } from "./relay-request.ts";
import { startRetry } from "./retry.ts";
import type { EngineState, Entry, Flight } from "./state.ts";

/** Our Proxy-State: the 8-octet instance tag (loop detection) and a 32-bit sequence number. */
const PROXY_STATE_LENGTH = 12;
const textDecoder = new TextDecoder();

const ourProxyState = (e: EngineState, v: Uint8Array): boolean => {
  if (v.length !== PROXY_STATE_LENGTH) return false;
  for (let i = 0; i < 8; i++) if (v[i] !== e.tag[i]) return false;
  return true;
};

/** Encode for server `si`, take an identifier, send, arm the timer. false: could not. */
export function transmit(
  e: EngineState,
  f: Flight,
  si: number,
  req: Packet,
  first: boolean,
): boolean {
  const s = e.servers[si]!;
  const entry: Entry = { kind: "flight", flight: f };
  const slot = s.ids.alloc(entry);
  if (slot < 0) return false;
  const ps = new Uint8Array(PROXY_STATE_LENGTH);
  ps.set(e.tag);
  const n = e.seq++ >>> 0;
  ps[8] = n >>> 24;
  ps[9] = (n >>> 16) & 0xff;
  ps[10] = (n >>> 8) & 0xff;
  ps[11] = n & 0xff;
  const auth = randomAuthenticator();
  const enc = forwardRequest(req, f.nasSecret, s.secret, {
    identifier: slotId(slot),
    authenticator: auth,
    proxyState: ps,
    userName: f.userName,
  });
  if (!enc.ok) {
    s.ids.release(slot);
    e.log.limited("warn", `radius-proxy/encode:${enc.code}`, "radius_proxy_encode_failed", {
      code: enc.code,
      detail: enc.detail,
    });
    return false;
  }
  // For Accounting-Request the authenticator is the keyed hash encodeRequest just wrote.
  const sentAuth = req.code === Code.AccessRequest ? auth : enc.value.slice(4, 20);
  f.attempts.push({
    server: si,
    slot,
    sentAuth,
    sentAt: e.clock.now(),
    packet: enc.value,
  });
  f.tried.push(si);
  (first ? s.t.requests : s.t.retries).n++;
  e.send(si, slotSocket(slot), enc.value);
  return true;
}

export function arm(e: EngineState, f: Flight, timeout: number) {
  e.timers.remove(f);
  f.at = e.clock.now() + timeout;
  e.timers.push(f);
}

/** `homeServer`: the server whose reply `bytes` is; null when none answered. */
export function finish(
  e: EngineState,
  f: Flight,
  bytes: Uint8Array | null,
  homeServer: string | null = null,
) {
  f.done = true;
  e.timers.remove(f);
  for (const a of f.attempts) {
    const s = e.servers[a.server]!;
    if (s.ids.get(a.slot)?.kind === "flight") s.ids.release(a.slot);
  }
  e.inFlight--;
  f.ps.outstanding--;
  f.reply(bytes, f.realm, homeServer);
}

export function handle(
  e: EngineState,
  request: Packet,
  ctx: ProxyRequestContext,
  reply: ProxyReply,
): ProxyDecision {
  const { settings, decide } = e;
  if (request.code === Code.StatusServer)
    return decide({ kind: "drop", reason: "status-server-not-forwarded" }, "status-server");
  const acct = request.code === Code.AccountingRequest;
  if (!acct && request.code !== Code.AccessRequest)
    return decide({ kind: "local" }, "not-proxied-code");
  let states = 0;
  for (const a of request.attributes) {
    if (a.type !== AttrType.ProxyState) continue;
    if (ourProxyState(e, a.value))
      return decide({ kind: "drop", reason: "proxy-loop" }, "proxy-loop");
    states++;
  }
  if (states > settings.maxProxyStates)
    return decide({ kind: "drop", reason: "too-many-proxy-states" }, "too-many-proxy-states");
  const un = getAttr(request, AttrType.UserName);
  const route = e.router.route(un === undefined ? undefined : textDecoder.decode(un));
  const target = acct ? route.action.acct : route.action.auth;
  if (target.kind === "local")
    return decide(
      route.userName === undefined
        ? { kind: "local" }
        : { kind: "local", userName: route.userName },
      "realm-local",
    );
  if (target.kind === "reject")
    return decide({ kind: "reject", reason: "realm-reject" }, "realm-reject");
  const pp = e.pools.get(target.pool);
  if (!pp) return decide({ kind: "reject", reason: "realm-reject" }, `pool-${target.pool}`);
  const ps = acct ? pp.acct : pp.auth;
  const noServer: ProxyDecision = acct
    ? { kind: "drop", reason: "no-home-server" }
    : { kind: "reject", reason: "no-home-server" };
  if (e.inFlight >= settings.maxPending)
    return decide({ kind: "drop", reason: "proxy-overloaded" }, "overloaded");
  let key: number | undefined;
  if (ps.pool.strategy === "keyed") {
    for (const t of e.keyTypes.get(ps.pool.name) ?? []) {
      const v = getAttr(request, t);
      if (v !== undefined) {
        key = keyHash(v);
        break;
      }
    }
  }
  const mi = selectServer(ps.pool, e.view, { key, rand: e.rand });
  if (mi < 0) return decide(noServer, "no-home-server");
  const si = ps.pool.members[mi]!.server;
  const now = e.clock.now();
  const irt = e.servers[si]!.responseTimeout ?? settings.retry.initialTimeout;
  const r = startRetry(now, irt, settings.retry, e.rand);
  const f: Flight = {
    nas: nasSideOf(request),
    nasSecret: ctx.nasSecret,
    reply,
    realm: route.realm,
    raw: request.raw.slice(),
    // route.userName is set only when splitRealm split the decoded name, and userOctets splits
    // the octets at the same place (realm.ts): the NAS's own octets go on.
    userName:
      route.userName === undefined || un === undefined ? undefined : userOctets(un)?.slice(),
    pool: ps.pool,
    ps,
    key,
    retry: r.state,
    attempts: [],
    tried: [],
    at: r.deadline,
    heapIndex: -1,
    done: false,
  };
  if (!transmit(e, f, si, request, true)) return decide(noServer, "encode-or-ids");
  e.inFlight++;
  ps.outstanding++;
  ps.t.requests.n++;
  e.timers.push(f);
  return decide({ kind: "forwarded" }, `realm-${route.realm}`);
}
