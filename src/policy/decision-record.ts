// One decision stream for both protocols (issue 22: engines emit data, one place consumes it).
// A transport turns its engine's notes into a DecisionRecord — pure data, one per decision — and
// hands it to the DecisionStream; subscribers (the auth log, the status page's recent failures and
// top clients, later the live trace) read the same record. With no subscriber, emit is one length
// check: the record is still built by the caller, so callers ask `active` before building one.
//
// Field names are the auth log's (snake_case, as written): the record object *is* the line's
// fields, built once per decision and never copied per subscriber. Never a secret or a password:
// only names, addresses and the policy's fixed reason codes go in.

/** Event names, stable and documented (README "Logging"). */
export type DecisionEvent =
  "tacacs_authen" | "tacacs_author" | "tacacs_acct" | "radius_access" | "radius_acct";

/**
 * accept/reject/challenge: an authentication (TACACS+ PASS/FAIL, RADIUS Access-Accept/Reject/
 * Challenge); permit/deny: a TACACS+ authorization; stored/failed: an accounting record;
 * error: the request could not be decided (TACACS+ ERROR status, a malformed request).
 */
export type DecisionResult =
  "accept" | "reject" | "challenge" | "permit" | "deny" | "stored" | "failed" | "error";

/** PAP, CHAP, MS-CHAP, MS-CHAPv2, EAP, ASCII (TACACS+ login dialogue), enable, author, acct. */
export type DecisionMethod =
  | "PAP"
  | "CHAP"
  | "MS-CHAP"
  | "MS-CHAPv2"
  | "EAP"
  | "ASCII"
  | "enable"
  | "author"
  | "acct"
  | "other";

export interface DecisionRecord {
  event: DecisionEvent;
  protocol: "tacacs" | "radius";
  method: DecisionMethod;
  result: DecisionResult;
  /** The engine's or policy's reason code; a rule's decision carries the rule's name after ':'. */
  reason: string;
  user: string;
  /** The device's address: the PROXY v2 source when behind a proxy, else the peer. */
  client: string;
  device: string;
  group: string;
  /** The PROXY v2 sender's address, null when the device connected directly. */
  proxy: string | null;
  /** RADIUS proxy only: the realm that routed the request and the home server that answered. */
  realm: string | null;
  home_server: string | null;
  /** Time from the request that completed the decision to its answer (0: decided without policy). */
  latency_ms: number;
}

/** Results that are not failures: what `[log] auth = "failures"` leaves out. */
export function isFailure(r: DecisionResult): boolean {
  return r !== "accept" && r !== "permit" && r !== "stored" && r !== "challenge";
}

export type DecisionSubscriber = (r: DecisionRecord) => void;

export class DecisionStream {
  private subs: DecisionSubscriber[] = [];

  /** True when someone listens: callers skip building records otherwise. */
  get active(): boolean {
    return this.subs.length > 0;
  }

  /** Adds a subscriber; the returned function removes it (a trace that detaches). */
  subscribe(fn: DecisionSubscriber): () => void {
    // A new array each time: an emit in progress keeps iterating the list it started with.
    this.subs = [...this.subs, fn];
    return () => {
      this.subs = this.subs.filter((s) => s !== fn);
    };
  }

  /** Subscribers must not throw (a bug in one would otherwise cost the others their record). */
  emit(r: DecisionRecord): void {
    const subs = this.subs;
    for (let i = 0; i < subs.length; i++) subs[i]!(r);
  }
}
