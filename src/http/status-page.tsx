/** @jsxImportSource hono/jsx */
// The status page at `/`: server-rendered with hono/jsx, no script, no external assets (works
// offline and in a locked-down browser), refreshed by the browser every 5 s.
import type { FC } from "hono/jsx";
import type { RateSeries } from "../lib/recent.ts";
import type { ListenerStatus } from "../lib/listener-status.ts";

export interface StatusModel {
  version: string;
  uptimeS: number;
  listeners: ListenerStatus[];
  /** Cumulative totals per protocol since start-up (or the last counters reset). */
  protocols: Array<{ protocol: string; pass: number; fail: number }>;
  /** Per-interval request counts, e.g. "tacacs pass" / "tacacs fail". */
  rates: RateSeries[];
  rateIntervalS: number;
  topClients: Array<{ client: string; device: string | null; requests: number }>;
  homeServers: Array<{ name: string; pool: string; state: string; outstanding: number }>;
  recentFailures: Array<{
    time: string;
    protocol: string;
    client: string;
    reason: string;
    user?: string;
  }>;
}

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1d2733;background:#f7f8fa}
h1{font-size:1.3rem;margin:0 0 .2rem} h2{font-size:1rem;margin:1.4rem 0 .4rem}
.meta{color:#5b6775} table{border-collapse:collapse;background:#fff;min-width:28rem}
th,td{padding:.3rem .7rem;border-bottom:1px solid #e3e6ea;text-align:left} th{background:#eef1f4}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#1a7f37;font-weight:600} .bad{color:#b42318;font-weight:600} .warn{color:#9a6700;font-weight:600}
.empty{color:#5b6775;font-style:italic} svg{vertical-align:middle}
`;

function ratio(pass: number, fail: number): string {
  const n = pass + fail;
  return n === 0 ? "–" : `${((100 * pass) / n).toFixed(1)} %`;
}

const Sparkline: FC<{ points: number[]; color: string }> = ({ points, color }) => {
  const w = 160,
    h = 28;
  if (points.length < 2)
    return <svg width={w} height={h} role="img" aria-label="not enough samples yet" />;
  const max = Math.max(1, ...points);
  const step = w / (points.length - 1);
  const d = points
    .map((p, i) => `${(i * step).toFixed(1)},${(h - 2 - (p / max) * (h - 4)).toFixed(1)}`)
    .join(" ");
  return (
    <svg
      width={w}
      height={h}
      viewBox={`0 0 ${w} ${h}`}
      role="img"
      aria-label={`last ${points.length} samples, max ${max}`}
    >
      <polyline fill="none" stroke={color} stroke-width="1.5" points={d} />
    </svg>
  );
};

const stateClass = (s: string) =>
  s === "listening" || s === "up" ? "ok" : s === "zombie" ? "warn" : "bad";

export const StatusPage: FC<{ m: StatusModel }> = ({ m }) => {
  const series = (name: string) => m.rates.find((r) => r.name === name)?.points ?? [];
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta http-equiv="refresh" content="5" />
        <title>aaa-proxy status</title>
        <style>{CSS}</style>
      </head>
      <body>
        <h1>aaa-proxy</h1>
        <div class="meta" id="meta">
          version {m.version} · up {m.uptimeS} s · refreshed every 5 s
        </div>

        <h2>Listeners</h2>
        <table id="listeners">
          <tr>
            <th>protocol</th>
            <th>address</th>
            <th>state</th>
          </tr>
          {m.listeners.map((l) => (
            <tr>
              <td>{l.protocol}</td>
              <td>{l.address}</td>
              <td class={stateClass(l.state)}>
                {l.state}
                {l.error ? ` (${l.error})` : ""}
              </td>
            </tr>
          ))}
        </table>

        <h2>Requests</h2>
        <table id="protocols">
          <tr>
            <th>protocol</th>
            <th>pass</th>
            <th>fail</th>
            <th>pass ratio</th>
            <th>pass / {m.rateIntervalS} s</th>
            <th>fail / {m.rateIntervalS} s</th>
          </tr>
          {m.protocols.length === 0 ? (
            <tr>
              <td colspan={6} class="empty">
                no protocol service is running
              </td>
            </tr>
          ) : (
            m.protocols.map((p) => (
              <tr data-protocol={p.protocol}>
                <td>{p.protocol}</td>
                <td class="num pass">{p.pass}</td>
                <td class="num fail">{p.fail}</td>
                <td class="num">{ratio(p.pass, p.fail)}</td>
                <td>
                  <Sparkline points={series(`${p.protocol} pass`)} color="#1a7f37" />
                </td>
                <td>
                  <Sparkline points={series(`${p.protocol} fail`)} color="#b42318" />
                </td>
              </tr>
            ))
          )}
        </table>

        <h2>Top clients</h2>
        <table id="clients">
          <tr>
            <th>client</th>
            <th>device</th>
            <th>requests</th>
          </tr>
          {m.topClients.length === 0 ? (
            <tr>
              <td colspan={3} class="empty">
                none yet
              </td>
            </tr>
          ) : (
            m.topClients.map((c) => (
              <tr>
                <td>{c.client}</td>
                <td>{c.device ?? "–"}</td>
                <td class="num">{c.requests}</td>
              </tr>
            ))
          )}
        </table>

        <h2>Home servers</h2>
        <table id="home-servers">
          <tr>
            <th>server</th>
            <th>pool</th>
            <th>state</th>
            <th>outstanding</th>
          </tr>
          {m.homeServers.length === 0 ? (
            <tr>
              <td colspan={4} class="empty">
                no RADIUS proxy configured
              </td>
            </tr>
          ) : (
            m.homeServers.map((h) => (
              <tr>
                <td>{h.name}</td>
                <td>{h.pool}</td>
                <td class={stateClass(h.state)}>{h.state}</td>
                <td class="num">{h.outstanding}</td>
              </tr>
            ))
          )}
        </table>

        <h2>Recent failures</h2>
        <table id="failures">
          <tr>
            <th>time</th>
            <th>protocol</th>
            <th>client</th>
            <th>user</th>
            <th>reason</th>
          </tr>
          {m.recentFailures.length === 0 ? (
            <tr>
              <td colspan={5} class="empty">
                none
              </td>
            </tr>
          ) : (
            [...m.recentFailures].reverse().map((f) => (
              <tr>
                <td>{f.time}</td>
                <td>{f.protocol}</td>
                <td>{f.client}</td>
                <td>{f.user ?? "–"}</td>
                <td>{f.reason}</td>
              </tr>
            ))
          )}
        </table>
      </body>
    </html>
  );
};

export function renderStatusPage(m: StatusModel): string {
  return "<!doctype html>" + String(<StatusPage m={m} />);
}
