// The admin REST API under /api/admin: bearer-token auth, then CRUD (admin-devices.ts,
// admin-policy.ts), accounting and audit queries, counters reset and reload.
//
// Off unless a token is configured: with no token (or one too short to be a real secret) every
// route answers 404 {error: "admin_api_disabled"} — never open. The token is compared as SHA-256
// digests in constant time, so neither its length nor a matching prefix leaks through timing.
// The audit actor is "api:" + the first 12 hex digits of the token's SHA-256: which token acted,
// without the token.
import { createHash } from "node:crypto";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import * as v from "valibot";
import { timingSafeEqual } from "../lib/bytes.ts";
import type { Registry } from "../lib/metrics.ts";
import type { ReloadResult } from "../lib/result.ts";
import { ACCOUNTING_MAX_PAGE as MAX_PAGE } from "../admin/ports.ts";
import type { AdminService } from "../admin/service.ts";
import { IsoTime, Name, parseIsoTime, QueryInt, readQuery, type AdminEnv } from "./admin-common.ts";
import { deviceRoutes } from "./admin-devices.ts";
import { policyRoutes } from "./admin-policy.ts";

/** Shorter tokens are refused (the API stays off): a bearer token is a password that cannot be rate-limited per user. */
export const MIN_TOKEN_LENGTH = 16;
/** Admin bodies are small objects; anything bigger is a mistake or an attack. */
const MAX_BODY_BYTES = 64 * 1024;

export type { ReloadResult } from "../lib/result.ts";

export interface AdminDeps {
  /** Every read and write of the store goes through it (validation, hashing, audit). */
  service: AdminService;
  /** The bearer token (the value of the variable named by http.admin_token_env). Empty/absent: API off. */
  token: string | null | undefined;
  registry: Registry;
  /** Re-read and apply aaa.toml; absent: POST /reload answers 503. */
  reload?: () => Promise<ReloadResult>;
  /** Told about every refused authentication (for logs and counters). */
  onAuthFailure?: (reason: "missing-token" | "wrong-token" | "rate-limited") => void;
}

const FAILURE_BURST = 20;
const FAILURES_PER_MINUTE = 10;

/** Why the configured token does not enable the API, or null when it does. For a start-up log line. */
export function adminTokenProblem(token: string | null | undefined): string | null {
  if (token === null || token === undefined || token === "") return "no admin token configured";
  if (token.length < MIN_TOKEN_LENGTH)
    return `admin token shorter than ${MIN_TOKEN_LENGTH} characters`;
  return null;
}

const sha256 = (s: string): Uint8Array =>
  new Uint8Array(createHash("sha256").update(s, "utf8").digest());

const AccountingQuery = v.object({
  since: v.optional(IsoTime),
  until: v.optional(IsoTime),
  user: v.optional(Name),
  device: v.optional(Name),
  protocol: v.optional(v.picklist(["tacacs", "radius"])),
  limit: v.optional(QueryInt(1, MAX_PAGE)),
  offset: v.optional(QueryInt(0, 1e9)),
});
const PageQuery = v.object({
  limit: v.optional(QueryInt(1, MAX_PAGE)),
  offset: v.optional(QueryInt(0, 1e9)),
});

export function createAdminApp(deps: AdminDeps): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();
  const problem = adminTokenProblem(deps.token);
  if (problem !== null) {
    app.all("*", (c) =>
      c.json(
        {
          error: "admin_api_disabled",
          message: `the admin API is off: ${problem}`,
        },
        404,
      ),
    );
    return app;
  }
  const expected = sha256(deps.token!);
  const actor = `api:${Buffer.from(expected).toString("hex").slice(0, 12)}`;
  // Wrong tokens are rate-limited (a bucket of FAILURE_BURST refilled at FAILURES_PER_MINUTE):
  // guessing a 16+ character token is hopeless anyway, this keeps a scanner from even trying.
  // The right token is never limited, so a flood of bad attempts cannot lock the operator out.
  let failureTokens = FAILURE_BURST;
  let refilled = Date.now();

  app.use("*", async (c, next) => {
    const m = /^Bearer +([\x21-\x7e]+) *$/i.exec(c.req.header("authorization") ?? "");
    if (m === null || !timingSafeEqual(sha256(m[1]!), expected)) {
      const now = Date.now();
      failureTokens = Math.min(
        FAILURE_BURST,
        failureTokens + ((now - refilled) * FAILURES_PER_MINUTE) / 60_000,
      );
      refilled = now;
      if (failureTokens < 1) {
        deps.onAuthFailure?.("rate-limited");
        return c.json(
          { error: "too_many_requests", message: "too many failed authentications; slow down" },
          429,
          { "Retry-After": "60" },
        );
      }
      failureTokens -= 1;
      deps.onAuthFailure?.(m === null ? "missing-token" : "wrong-token");
      const challenge =
        m === null
          ? 'Bearer realm="aaa-proxy admin"'
          : 'Bearer realm="aaa-proxy admin", error="invalid_token"';
      return c.json({ error: "unauthorized", message: "missing or wrong bearer token" }, 401, {
        "WWW-Authenticate": challenge,
      });
    }
    c.set("actor", actor);
    await next();
  });
  app.use(
    "*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) =>
        c.json(
          {
            error: "payload_too_large",
            message: `request bodies are limited to ${MAX_BODY_BYTES} bytes`,
          },
          413,
        ),
    }),
  );

  app.route("/", deviceRoutes(deps.service));
  app.route("/", policyRoutes(deps.service));

  app.get("/accounting", (c) => {
    const q = readQuery(c, AccountingQuery);
    if (!q.ok) return q.res;
    const { since, until, user, device, protocol } = q.value;
    const limit = q.value.limit ?? 100;
    const offset = q.value.offset ?? 0;
    const items = deps.service.accounting({
      ...(since === undefined ? {} : { since: parseIsoTime(since)! }),
      ...(until === undefined ? {} : { until: parseIsoTime(until)! }),
      ...(user === undefined ? {} : { user }),
      ...(device === undefined ? {} : { device }),
      ...(protocol === undefined ? {} : { protocol }),
      limit,
      offset,
    });
    // A full page may have a successor; an empty next page is the end.
    return c.json({
      items,
      limit,
      offset,
      next_offset: items.length === limit ? offset + limit : null,
    });
  });

  app.get("/audit", (c) => {
    const q = readQuery(c, PageQuery);
    if (!q.ok) return q.res;
    const limit = q.value.limit ?? 100;
    const offset = q.value.offset ?? 0;
    const items = deps.service.auditLog(limit, offset).map((r) => ({
      ...r,
      time: new Date(r.time).toISOString(),
    }));
    return c.json({
      items,
      limit,
      offset,
      next_offset: items.length === limit ? offset + limit : null,
    });
  });

  app.post("/counters/reset", (c) => {
    deps.registry.reset();
    deps.service.note(actor, "counters.reset", "metrics");
    return c.json({ ok: true });
  });

  app.post("/reload", async (c) => {
    if (deps.reload === undefined)
      return c.json(
        {
          error: "reload_unavailable",
          message: "this process cannot reload its configuration",
        },
        503,
      );
    const r = await deps.reload();
    deps.service.note(actor, "config.reload", "aaa.toml", {
      ok: r.ok,
      errors: r.ok ? [] : r.errors,
    });
    if (!r.ok)
      return c.json(
        {
          error: "config_invalid",
          message: "the new configuration was refused; the running one stays",
          errors: r.errors,
        },
        422,
      );
    return c.json({ ok: true });
  });

  app.notFound((c) =>
    c.json(
      {
        error: "not_found",
        message: `no route for ${c.req.method} ${c.req.path}`,
      },
      404,
    ),
  );
  return app;
}
