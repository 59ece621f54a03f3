// Shared pieces of the admin API: the Hono env (who is acting), JSON body validation with
// OpenAPI-style errors, and the mapping from the admin service's Result codes to HTTP statuses.
import type { Context } from "hono";
import * as v from "valibot";
import { parseIsoTime } from "../admin/validate.ts";
import type { Err } from "../lib/result.ts";

export type AdminEnv = { Variables: { actor: string } };
export type AdminContext = Context<AdminEnv>;

/** A validation problem, one per field, in the shape OpenAPI tooling expects. */
export interface Issue {
  path: string;
  message: string;
}

export function validationError(c: Context, message: string, issues: Issue[]): Response {
  return c.json({ error: "validation_failed", message, issues }, 400);
}

function issuesOf(issues: readonly v.BaseIssue<unknown>[]): Issue[] {
  return issues.map((i) => ({
    path: v.getDotPath(i) ?? "",
    message: i.message,
  }));
}

/** Parse and validate a JSON body. Returns the value, or the 400 response to send. */
export async function readBody<S extends v.GenericSchema>(
  c: Context,
  schema: S,
): Promise<{ ok: true; value: v.InferOutput<S> } | { ok: false; res: Response }> {
  let raw: unknown;
  try {
    raw = JSON.parse(await c.req.text());
  } catch {
    return {
      ok: false,
      res: validationError(c, "request body is not valid JSON", [
        { path: "", message: "invalid JSON" },
      ]),
    };
  }
  const r = v.safeParse(schema, raw);
  if (!r.success)
    return {
      ok: false,
      res: validationError(c, "request body does not match the schema", issuesOf(r.issues)),
    };
  return { ok: true, value: r.output };
}

/** Validate query parameters (all strings) the same way. */
export function readQuery<S extends v.GenericSchema>(
  c: Context,
  schema: S,
): { ok: true; value: v.InferOutput<S> } | { ok: false; res: Response } {
  const r = v.safeParse(schema, c.req.query());
  if (!r.success)
    return {
      ok: false,
      res: validationError(c, "query parameters do not match the schema", issuesOf(r.issues)),
    };
  return { ok: true, value: r.output };
}

/**
 * A refused admin write as an HTTP error. The rule: "not found" is 404 when it names the object in
 * the path; on create the object cannot exist yet, so a "not found" there is a missing referenced
 * object (a device's group, a user's group) and is the caller's bad input: 400. Duplicates and
 * objects still in use are 409. A failed write is 500.
 */
export function fail(c: Context, r: Err, on: "path" | "create" = "path"): Response {
  const message = r.detail ?? r.code;
  if (/not-found$/.test(r.code) && on === "path")
    return c.json({ error: "not_found", code: r.code, message }, 404);
  if (/(exists|duplicate|in-use)$/.test(r.code))
    return c.json({ error: "conflict", code: r.code, message }, 409);
  if (/write-failed$/.test(r.code))
    return c.json(
      {
        error: "internal",
        code: r.code,
        message: "the store refused the write",
      },
      500,
    );
  return c.json({ error: "invalid", code: r.code, message }, 400);
}

export const notFound = (c: Context, what: string, name: string): Response =>
  c.json({ error: "not_found", message: `${what} "${name}" does not exist` }, 404);

/** Bounded free text (descriptions). */
export const Text = v.pipe(v.string(), v.maxLength(1024));
/** Names are checked by the admin service (each kind has its own rule); here only the type and a bound. */
export const Name = v.pipe(v.string(), v.minLength(1), v.maxLength(253));
export const Names = v.pipe(v.array(Name), v.maxLength(1000));
/** Shared secrets and passwords: presence and type here, length rules in the admin service. */
export const Secret = v.pipe(v.string(), v.minLength(1, "must not be empty"), v.maxLength(1024));

export { parseIsoTime };
export const IsoTime = v.pipe(
  v.string(),
  v.check((s) => parseIsoTime(s) !== null, "must be an ISO 8601 date or date-time"),
);

/** Query-string integer in [min, max]. */
export const QueryInt = (min: number, max: number) =>
  v.pipe(
    v.string(),
    v.regex(/^\d{1,9}$/, "must be a non-negative integer"),
    v.transform(Number),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );
