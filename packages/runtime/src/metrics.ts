import { createHash, timingSafeEqual } from "node:crypto";
import { collectDefaultMetrics, Gauge, Registry } from "prom-client";

/**
 * A process's own metrics registry (prom-client), with Node's default metrics:
 * CPU, memory, garbage collection, handles and event-loop lag
 * (`nodejs_eventloop_lag_*`). One registry per API or worker instance, never
 * prom-client's global one, so two instances in one process (tests) keep their
 * own figures.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

const digest = (text: string) => createHash("sha256").update(text).digest();

/**
 * Whether a request may read `/metrics`: always without METRICS_TOKEN; with it,
 * only with `Authorization: Bearer <token>` (compared in constant time).
 */
function metricsAuthorized(authorization: string | undefined, token: string | undefined): boolean {
  if (!token) return true;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), digest(token));
}

/** The `/metrics` answer: the registry's text in Prometheus' exposition format, or 401. */
export async function metricsAnswer(
  registry: Registry,
  authorization: string | undefined,
  token: string | undefined,
): Promise<{ status: number; contentType: string; body: string }> {
  if (!metricsAuthorized(authorization, token))
    return {
      status: 401,
      contentType: "text/plain; charset=utf-8",
      body: "Missing or wrong metrics token.\n",
    };
  return { status: 200, contentType: registry.contentType, body: await registry.metrics() };
}

/** One queue's figures as @salvo/queue's openQueueStats reads them. */
interface QueueFigures {
  queue: string;
  counts: Record<string, number>;
  oldestWaitingSeconds: number;
}

/**
 * The queues' depth and oldest waiting job, read from Redis when Prometheus
 * scrapes (once per scrape for both gauges). Every API and worker process reports
 * the same figures (the queues are shared): aggregate them with `max by (queue)`.
 * A scrape while Redis does not answer leaves the gauges out.
 */
export function registerQueueMetrics(registry: Registry, read: () => Promise<QueueFigures[]>): void {
  let reading: Promise<QueueFigures[] | null> | undefined;
  // Both gauges' collect() run in the same scrape: one read serves them.
  const figures = () => {
    reading ??= read()
      .catch(() => null)
      .finally(() => setImmediate(() => (reading = undefined)));
    return reading;
  };
  new Gauge({
    name: "salvo_queue_jobs",
    help: "Jobs in each queue by state (waiting, active, delayed, failed).",
    labelNames: ["queue", "state"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const { queue, counts } of (await figures()) ?? [])
        for (const [state, n] of Object.entries(counts)) this.set({ queue, state }, n);
    },
  });
  new Gauge({
    name: "salvo_queue_oldest_waiting_seconds",
    help: "Age of the oldest job waiting to be taken in each queue (0: none waits).",
    labelNames: ["queue"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const { queue, oldestWaitingSeconds } of (await figures()) ?? [])
        this.set({ queue }, oldestWaitingSeconds);
    },
  });
}
