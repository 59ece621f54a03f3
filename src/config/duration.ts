// Durations in aaa.toml: "500ms", "5s", "10m", "2h", "30d", or a bare number of seconds.
import * as v from "valibot";

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function parseDuration(x: unknown): number | null {
  if (typeof x === "number") return Number.isFinite(x) && x >= 0 ? Math.round(x * 1000) : null;
  if (typeof x !== "string") return null;
  const m = /^(\d{1,9})(ms|s|m|h|d)$/.exec(x.trim());
  if (!m) return null;
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** A valibot schema that accepts a duration and outputs milliseconds within [minMs, maxMs]. */
export const duration = (minMs: number, maxMs: number) =>
  v.pipe(
    v.union(
      [v.string(), v.number()],
      'must be a duration such as "5s", "500ms", "10m" or a number of seconds',
    ),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const ms = parseDuration(dataset.value);
      if (ms === null) {
        addIssue({
          message: `"${String(dataset.value)}" is not a duration (use e.g. "5s", "500ms", "10m")`,
        });
        return NEVER;
      }
      if (ms < minMs || ms > maxMs) {
        addIssue({ message: `must be between ${minMs}ms and ${maxMs}ms` });
        return NEVER;
      }
      return ms;
    }),
  );
