// The valibot building blocks every [section] schema uses: one definition each, so a bound or a
// message reads the same in schema.ts and radius-proxy.ts. Messages are what `check-config` prints
// after "key.path: " (config/load.ts), so they are phrased as the end of that sentence.
import * as v from "valibot";
import { parseCidr, parseHostPort } from "../lib/ip.ts";

export { duration } from "./duration.ts";

/** An integer in [min, max]. */
export const int = (min: number, max: number) =>
  v.pipe(
    v.number("must be a number"),
    v.integer("must be an integer"),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );

/** An address to bind ("addr:port", "[v6]:port"); port 0 asks the kernel for one (tests). */
export const listenAddress = v.pipe(
  v.string('must be a string like "127.0.0.1:49" or "[::1]:49"'),
  v.check(
    (s) => parseHostPort(s).ok,
    (issue) => {
      const r = parseHostPort(String(issue.input));
      return r.ok ? "bad listen address" : `bad listen address: ${r.detail}`;
    },
  ),
);

/** An address to send to (a home server): port 0 cannot be reached. */
export const remoteAddress = v.pipe(
  v.string('must be a string like "192.0.2.10:1812" or "[2001:db8::1]:1812"'),
  v.check(
    (s) => {
      const r = parseHostPort(s);
      return r.ok && r.value.port !== 0;
    },
    (issue) => {
      const r = parseHostPort(String(issue.input));
      return r.ok ? "port 0 is not a home server port" : `bad address: ${r.detail}`;
    },
  ),
);

export const cidr = v.pipe(
  v.string('must be a CIDR string like "10.0.0.0/8"'),
  v.check(
    (s) => parseCidr(s).ok,
    (issue) => `"${String(issue.input)}" is not a valid CIDR`,
  ),
);

/** The name of an environment variable holding a secret (the value never enters the file). */
export const envName = v.pipe(
  v.string(),
  v.regex(/^[A-Z_][A-Z0-9_]*$/, "must be an environment variable name"),
);
