// The HTTP listener (Bun.serve) in front of the Hono app. Clients outside `allow` get 403 before
// any route runs: metrics and stats reveal topology, so they are not for the whole network.
import type { Hono } from "hono";
import { cidrContains, fastParseIp, parseCidr, parseHostPort, type Cidr } from "../lib/ip.ts";
import type { Logger } from "../lib/log.ts";

export interface HttpListener {
  port: number;
  /**
   * Stop listening. Default: in-flight requests are cut. `graceful`: they finish first (a reload
   * asked for over this very listener gets its answer); the listening socket closes at once.
   */
  stop(o?: { graceful?: boolean }): Promise<void>;
}

export function startHttp(o: {
  listen: string;
  allow: readonly string[];
  app: Hono;
  log: Logger;
}): HttpListener {
  const hp = parseHostPort(o.listen);
  if (!hp.ok) throw new Error(`bad http.listen ${o.listen}`);
  const allow: Cidr[] = [];
  for (const c of o.allow) {
    const p = parseCidr(c);
    if (p.ok) allow.push(p.value);
  }
  const server = Bun.serve({
    hostname: hp.value.host,
    port: hp.value.port,
    fetch(req, srv) {
      const peer = srv.requestIP(req)?.address ?? "";
      const ip = fastParseIp(peer);
      if (!ip || !allow.some((c) => cidrContains(c, ip))) {
        o.log.limited("warn", `http-denied:${peer}`, "http_denied", { client: peer });
        return Response.json(
          { error: "forbidden", message: "client address not in http.allow" },
          { status: 403 },
        );
      }
      return o.app.fetch(req, srv);
    },
  });
  return { port: server.port ?? hp.value.port, stop: (s) => server.stop(s?.graceful !== true) };
}
