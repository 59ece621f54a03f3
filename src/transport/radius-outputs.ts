// Performs the RADIUS engine's outputs (src/radius/engine-types.ts) for the UDP transport, in order:
//   send    → the outbox of the listener the request came in on (to the request's source address)
//   note    → radius-metrics.ts (the one place for counters and log lines)
//   job     → src/radius/jobs.ts with the policy; a synchronous Answer goes straight back into the
//             queue being performed, a later one (argon2, an accounting commit) when it comes
//   forward → the proxy port; its decision goes back as a "routed" answer, its reply (exactly once,
//             maybe before handle() returned: an immediate give-up) as "proxied"
//
//   const p = new RadiusPerformer(server, policy, notes, send);
//   p.queue  → what the engine appends to;  p.perform()  after each handle()
//   p.proxy  → the proxy port in use (null: every request is local); set it on a reload
//
// One queue for every socket of the service: an answer appended while the queue is being performed
// is picked up by the running loop (no recursion); answers that come later start it again. Nothing
// escapes into the socket callback or a promise reaction: an unhandled rejection would end the
// process, and every other NAS's service with it.
import type { Policy } from "../policy/ports.ts";
import { runJob } from "../radius/jobs.ts";
import type { RadiusProxyPort } from "../radius/proxy-port.ts";
import type { RadiusAnswer, RadiusOutput, RadiusServer, RadiusTicket } from "../radius/server.ts";
import type { RadiusNotes } from "./radius-metrics.ts";

type Send = (out: RadiusOutput & { kind: "send" }) => void;

const reasonOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const failed = (e: unknown): RadiusAnswer => ({ kind: "failed", detail: reasonOf(e) });
const LOCAL: RadiusAnswer = { kind: "routed", decision: { kind: "local" } };

export class RadiusPerformer {
  readonly queue: RadiusOutput[] = [];
  private performing = false;
  private proxyPort: RadiusProxyPort | null = null;

  constructor(
    private readonly server: RadiusServer,
    private readonly policy: Policy,
    private readonly notes: RadiusNotes,
    private readonly send: Send,
  ) {}

  get proxy(): RadiusProxyPort | null {
    return this.proxyPort;
  }

  set proxy(p: RadiusProxyPort | null) {
    this.proxyPort = p;
    this.server.proxied = p !== null;
  }

  perform(): void {
    if (this.performing) return;
    this.performing = true;
    const q = this.queue;
    try {
      for (let i = 0; i < q.length; i++) {
        const out = q[i]!;
        try {
          if (out.kind === "send") this.send(out);
          else if (out.kind === "note") this.notes.record(out.note);
          else if (out.kind === "job") this.job(out);
          else this.forward(out);
        } catch (e) {
          this.notes.record({
            what: "internal",
            event: "radius_internal_error",
            reason: reasonOf(e),
          });
        }
      }
    } finally {
      q.length = 0;
      this.performing = false;
    }
  }

  /** An answer that came after the queue was performed (a promise, a home server's reply). */
  answerLater(ticket: RadiusTicket, a: RadiusAnswer): void {
    this.server.answer(ticket, a, this.queue);
    this.perform();
  }

  private job(out: RadiusOutput & { kind: "job" }): void {
    const t = out.ticket;
    let a: RadiusAnswer | null;
    try {
      a = runJob(out.job, this.policy, (later) => this.answerLater(t, later));
    } catch (e) {
      a = failed(e);
    }
    if (a !== null) this.server.answer(t, a, this.queue);
  }

  private forward(out: RadiusOutput & { kind: "forward" }): void {
    const t = out.ticket;
    const proxy = this.proxyPort;
    // Detached meanwhile (a reload removed the proxy): the request is local.
    if (proxy === null) return this.server.answer(t, LOCAL, this.queue);
    let decision;
    try {
      decision = proxy.handle(out.request, out.context, (bytes, realm, homeServer) =>
        this.answerLater(t, { kind: "proxied", bytes, realm, homeServer }),
      );
    } catch (e) {
      const a: RadiusAnswer = { kind: "failed", detail: reasonOf(e), event: "radius_proxy_error" };
      return this.server.answer(t, a, this.queue);
    }
    if (decision.kind !== "forwarded")
      this.server.answer(t, { kind: "routed", decision }, this.queue);
  }
}
