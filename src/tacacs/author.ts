// Authorization, RFC 8907 §6: a REQUEST becomes a Job; the policy decision becomes a RESPONSE.
//
//   service=shell cmd=            shell start (§8.2): PASS_ADD / PASS_REPL with the group's AV pairs
//   service=shell cmd=show cmd-arg=run cmd-arg=<cr>   command authorization over cmd + all cmd-args
//   service=<other>               the user groups' AV pairs for that service, like a shell start
//
// Optional arguments (`attr*value`, §6.1) are parsed like mandatory ones (av.ts); a value the
// server changes is never changed silently: it goes back as PASS_REPL with the full list.
// PASS_ADD vs PASS_REPL (§6.2): when every AV the policy grants is new to the request, PASS_ADD
// carries just the additions; when one replaces a value the client sent (e.g. "priv-lvl*1" in the
// request, "priv-lvl=15" from the group), PASS_REPL carries the whole merged list.
import { AuthorStatus, type AuthorRequest } from "./codec/authorization.ts";
import { parseArg } from "./codec/av.ts";
import type { Job } from "./types.ts";

const EMPTY = new Uint8Array(0);
/** IOS ends command authorization with a literal "<cr>" argument. */
const END_OF_LINE = "<cr>";

export type AuthorStep =
  { kind: "job"; job: Job } | { kind: "fail"; serverMsg: string; reason: string };

export function startAuthor(req: AuthorRequest): AuthorStep {
  if (req.lossyText) return { kind: "fail", serverMsg: "Authorization failed", reason: "bad-text" };
  if (req.user === "") return { kind: "fail", serverMsg: "No user", reason: "empty-user" };
  let service: string | null = null;
  let cmd: string | null = null;
  const cmdArgs: string[] = [];
  for (const a of req.args) {
    const p = parseArg(a);
    if (!p.ok) return { kind: "fail", serverMsg: "Malformed argument", reason: "bad-arg" };
    const { attr, value } = p.value;
    if (attr === "service" && service === null) service = value;
    else if (attr === "cmd" && cmd === null) cmd = value;
    else if (attr === "cmd-arg" && value !== END_OF_LINE) cmdArgs.push(value);
  }
  if (service === null || service === "")
    return { kind: "fail", serverMsg: "No service", reason: "no-service" };
  // "cmd=" (empty) is a shell start (§8.2); a non-empty cmd asks about one command.
  const isCommand = cmd !== null && cmd !== "";
  return {
    kind: "job",
    job: { kind: "author", req, service, cmd: isCommand ? cmd : null, cmdArgs },
  };
}

/** §6.2 RESPONSE for a permitted shell / service start carrying the policy's AV pairs. */
export function grantResponse(
  req: AuthorRequest,
  granted: readonly string[],
): { status: number; args: string[]; serverMsg: string; data: Uint8Array } {
  const requested = new Map<string, number>();
  req.args.forEach((a, i) => {
    const p = parseArg(a);
    if (p.ok && !requested.has(p.value.attr)) requested.set(p.value.attr, i);
  });
  const merged = [...req.args];
  let replaced = false;
  const added: string[] = [];
  for (const g of granted) {
    const p = parseArg(g);
    if (!p.ok) continue;
    const at = requested.get(p.value.attr);
    if (at === undefined) {
      added.push(g);
      merged.push(g);
    } else if (merged[at] !== g) {
      merged[at] = g;
      replaced = true;
    }
  }
  return replaced
    ? { status: AuthorStatus.PASS_REPL, args: merged, serverMsg: "", data: EMPTY }
    : { status: AuthorStatus.PASS_ADD, args: added, serverMsg: "", data: EMPTY };
}

export function permitCommand(): {
  status: number;
  args: string[];
  serverMsg: string;
  data: Uint8Array;
} {
  return { status: AuthorStatus.PASS_ADD, args: [], serverMsg: "", data: EMPTY };
}

export function denyResponse(serverMsg: string): {
  status: number;
  args: string[];
  serverMsg: string;
  data: Uint8Array;
} {
  return { status: AuthorStatus.FAIL, args: [], serverMsg, data: EMPTY };
}
