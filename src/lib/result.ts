// Bad input is a value, not an exception (DESIGN.md rule 5). `throw` is for bugs and start-up failures.
export type Ok<T> = { ok: true; value: T };
export type Err<C extends string = string> = { ok: false; code: C; detail?: string };
export type Result<T, C extends string = string> = Ok<T> | Err<C>;

export const ok = <T>(value: T): Ok<T> => ({ ok: true, value });
export const err = <C extends string>(code: C, detail?: string): Err<C> =>
  detail === undefined ? { ok: false, code } : { ok: false, code, detail };

/**
 * The answer of a configuration reload (SIGHUP, POST /api/admin/reload): what changed, or why
 * nothing did. One type for the root that performs it and the adapters that report it.
 */
export type ReloadResult = { ok: true; changed: string[] } | { ok: false; errors: string[] };
