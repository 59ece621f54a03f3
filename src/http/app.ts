// The HTTP endpoint (Hono): health, stats and Prometheus metrics. Tested through app.request().
// The admin API (admin.ts) mounts at /api/admin, behind a bearer token; without one it is off.
import { Hono } from "hono";
import type { ListenerStatus } from "../lib/listener-status.ts";
import type { Registry } from "../lib/metrics.ts";
import { createAdminApp, type AdminDeps } from "./admin.ts";
import { renderStatusPage, type StatusModel } from "./status-page.tsx";

export interface HttpDeps {
  version: string;
  startedAt: number;
  registry: Registry;
  listeners: () => ListenerStatus[];
  /** Extra sections for /api/stats (device index, policy, ...). */
  stats: () => Record<string, unknown>;
  /** Is the store answering? */
  storeOk: () => boolean;
  /** Why accounting cannot commit (disk-full, read-only, io-error, …); null: it can. */
  storeProblem?: () => string | null;
  /** The status page model; without it `/` redirects to /api/health. */
  status?: () => StatusModel;
  /** The admin API; absent: /api/admin answers 404 admin_api_disabled. */
  admin?: AdminDeps;
}

export function createHttpApp(deps: HttpDeps): Hono {
  const app = new Hono();

  app.get("/", (c) => {
    if (!deps.status) return c.redirect("/api/health");
    return c.html(renderStatusPage(deps.status()), 200, { "cache-control": "no-store" });
  });

  app.get("/api/health", (c) => {
    const listeners = deps.listeners();
    const store = deps.storeOk();
    // Reads answering is not enough: accounting is acknowledged only once committed, so a store
    // that cannot commit (full, read-only, EIO on sync) is degraded even though lookups work.
    const problem = store ? (deps.storeProblem?.() ?? null) : null;
    const healthy = store && problem === null && listeners.every((l) => l.state === "listening");
    return c.json(
      {
        status: healthy ? "ok" : "degraded",
        version: deps.version,
        uptime_s: Math.round((Date.now() - deps.startedAt) / 1000),
        store: !store ? "error" : problem === null ? "ok" : "degraded",
        ...(problem === null ? {} : { store_problem: `accounting commits fail: ${problem}` }),
        listeners,
      },
      healthy ? 200 : 503,
    );
  });

  app.get("/api/stats", (c) =>
    c.json({
      version: deps.version,
      uptime_s: Math.round((Date.now() - deps.startedAt) / 1000),
      counters: deps.registry.toJSON(),
      ...deps.stats(),
    }),
  );

  if (deps.admin) app.route("/api/admin", createAdminApp(deps.admin));
  else
    app.all("/api/admin/*", (c) =>
      c.json(
        { error: "admin_api_disabled", message: "the admin API is off: no admin token configured" },
        404,
      ),
    );

  app.get("/metrics", (c) =>
    c.text(deps.registry.renderPrometheus(), 200, {
      "content-type": "text/plain; version=0.0.4; charset=utf-8",
    }),
  );

  app.notFound((c) =>
    c.json({ error: "not_found", message: `no route for ${c.req.method} ${c.req.path}` }, 404),
  );
  app.onError((e, c) => c.json({ error: "internal", message: "internal error" }, 500));
  return app;
}
