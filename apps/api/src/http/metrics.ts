import type { OpenQueueStats } from "@salvo/queue";
import { createMetricsRegistry, metricsAnswer, registerQueueMetrics } from "@salvo/runtime";
import type { Request, RequestHandler, Response } from "express";
import { Counter, Histogram, type Registry } from "prom-client";

/** Seconds an API request takes, from a redirect's millisecond to a big batch's upload. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120];

/** The route label of a request that no route matched, outside the API's mounts. */
const UNMATCHED = "unmatched";

/**
 * The API's metrics (docs/operations.md, "Metrics"): its HTTP requests by route
 * pattern (`/v1/batches/:id`, never the URL asked for: bounded, and free of ids
 * and numbers), method and status, their durations, Node's default metrics and
 * the queues' depths.
 */
export function createApiMetrics(queueStats?: OpenQueueStats) {
  const registry = createMetricsRegistry();
  const registers = [registry];
  const requests = new Counter({
    name: "salvo_http_requests_total",
    help: "HTTP requests answered, by route pattern, method and status.",
    labelNames: ["route", "method", "status"] as const,
    registers,
  });
  const durations = new Histogram({
    name: "salvo_http_request_duration_seconds",
    help: "Time from a request's arrival to the end of its answer, by route pattern and method.",
    labelNames: ["route", "method"] as const,
    buckets: DURATION_BUCKETS,
    registers,
  });
  if (queueStats) registerQueueMetrics(registry, () => queueStats.read());
  return { registry, middleware: httpMetrics(requests, durations) };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;

/**
 * Where a request that matched no route was headed, by the API's mounts: one
 * refused before its route (no token, throttled) counts under its API's, e.g.
 * `/v1/*`; any other path, `unmatched`.
 */
const MOUNTS = ["/v1/admin", "/v1/providers", "/v1", "/smsfactor"];

/** A route's pattern as a label: the path it was declared with, after its routers' mount paths. */
function routePattern(req: Request, res: Response): string {
  const pattern = res.locals.routePattern as string | undefined;
  if (pattern !== undefined) return pattern;
  const path = req.originalUrl;
  const mount = MOUNTS.find(
    (m) => path.startsWith(m) && (path.length === m.length || "/?".includes(path[m.length] as string)),
  );
  return mount === undefined ? UNMATCHED : `${mount}/*`;
}

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/**
 * Counts every request when its answer ends. The route is caught the moment
 * Express matches one (it sets `req.route`, while `req.baseUrl` still holds the
 * mount path of its router); read later, an error passed on to the app's handler
 * would have lost the mount path.
 */
function httpMetrics(
  requests: Counter<"route" | "method" | "status">,
  durations: Histogram<"route" | "method">,
): RequestHandler {
  return (req, res, next) => {
    const startedAt = performance.now();
    catchRoute(req, res);
    res.once("finish", () => {
      const route = routePattern(req, res);
      const method = METHODS.has(req.method) ? req.method : "OTHER";
      requests.inc({ route, method, status: String(res.statusCode) });
      durations.observe({ route, method }, (performance.now() - startedAt) / 1_000);
    });
    next();
  };
}

function catchRoute(req: Request, res: Response): void {
  let matched: unknown;
  Object.defineProperty(req, "route", {
    configurable: true,
    enumerable: true,
    get: () => matched,
    set(route: { path?: unknown } | undefined) {
      matched = route;
      if (route && typeof route.path === "string") res.locals.routePattern = `${req.baseUrl}${route.path}`;
    },
  });
}

/** `GET /metrics`: the registry in Prometheus' text format, behind METRICS_TOKEN when set. */
export function metricsRoute(registry: Registry, token: string | undefined): RequestHandler {
  return (req, res, next) => {
    metricsAnswer(registry, req.headers.authorization, token).then(
      (answer) => res.status(answer.status).type(answer.contentType).send(answer.body),
      next,
    );
  };
}
