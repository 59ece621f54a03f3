// Authorization / accounting arguments, RFC 8907 §6.1 (and §8 for the common attribute names).
// An argument is "attr=value" (mandatory) or "attr*value" (optional). The separator is the *first*
// '=' or '*': values may contain either character ("cmd-arg=a=b", "acl*x*y"), attribute names may
// not. An empty value is legal ("cmd=" is how a shell start is authorized); an empty name is not.
// Names are kept exactly as sent (the RFC gives them in lower case; matching policy is elsewhere).
import { err, ok, type Result } from "../../lib/result.ts";

export interface Av {
  attr: string;
  value: string;
  /** '=' on the wire; false for '*' (the client may ignore an optional attribute it does not know). */
  mandatory: boolean;
}

export type AvError = "tacacs/bad-arg";

export function parseArg(arg: string): Result<Av, AvError> {
  const eq = arg.indexOf("=");
  const star = arg.indexOf("*");
  const at = eq === -1 ? star : star === -1 ? eq : Math.min(eq, star);
  if (at === -1) return err("tacacs/bad-arg", "no '=' or '*' separator");
  if (at === 0) return err("tacacs/bad-arg", "empty attribute name");
  return ok({
    attr: arg.slice(0, at),
    value: arg.slice(at + 1),
    mandatory: arg[at] === "=",
  });
}

/** Throws RangeError for a name that parseArg could not read back (empty, or holding '=' / '*'). */
export function formatArg(av: Av): string {
  if (av.attr.length === 0 || /[=*]/.test(av.attr))
    throw new RangeError(`bad attribute name: ${JSON.stringify(av.attr)}`);
  return `${av.attr}${av.mandatory ? "=" : "*"}${av.value}`;
}

/** IOS ends command authorization with a literal "<cr>" cmd-arg meaning "end of line". */
const END_OF_LINE = "<cr>";

/**
 * The command line a command-authorization or accounting request is about: the `cmd` value then
 * every `cmd-arg` value in order, joined by single spaces, without IOS's trailing "<cr>".
 * Returns null when there is no cmd argument; "" for "cmd=" (a shell start, §8.2 "cmd").
 * Arguments that do not parse are skipped (the request decoder does not judge argument syntax).
 */
export function commandLine(args: readonly string[]): string | null {
  let cmd: string | null = null;
  const rest: string[] = [];
  for (const a of args) {
    const p = parseArg(a);
    if (!p.ok) continue;
    if (p.value.attr === "cmd" && cmd === null) cmd = p.value.value;
    else if (p.value.attr === "cmd-arg" && p.value.value !== END_OF_LINE) rest.push(p.value.value);
  }
  if (cmd === null) return null;
  return rest.length === 0 ? cmd : `${cmd} ${rest.join(" ")}`;
}
