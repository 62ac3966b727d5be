import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Connector } from "@salvo/providers";
import type { OpenQueueStats } from "@salvo/queue";
import { createMetricsRegistry, metricsAnswer, registerQueueMetrics } from "@salvo/runtime";
import { Counter, Gauge, Histogram, type Metric, type Registry } from "prom-client";

/** Seconds from a batch's acceptance (or its send time) to its messages' hand-off: from instant to an hour's backlog. */
const HANDOFF_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1_800, 3_600];
/** Seconds from hand-off to the delivery report: operators' receipts come in seconds, some in hours. */
const DLR_BUCKETS = [0.05, 0.25, 1, 2.5, 5, 10, 30, 60, 300, 900, 3_600, 14_400, 86_400];
/** Seconds one call to a connector takes (one group of messages). */
const CALL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The connector label of messages that never reached one (judged) or whose connector is not known. */
export const NO_CONNECTOR = "none";

/**
 * A worker's metrics (docs/operations.md, "Metrics"). Counters move by counts per
 * group of messages (one `inc(n)` a group); histograms take one observation per
 * message, an array increment each. Labels are bounded: statuses, connector and
 * queue names, outcome classes; never a number, an account or an id.
 */
export function createWorkerMetrics(connectors: Connector[], queueStats: OpenQueueStats) {
  const registry = createMetricsRegistry();
  const registers = [registry];
  const messagesFinal = new Counter({
    name: "salvo_messages_final_total",
    help: "Messages that reached a final status, by status and connector (none: judged before any hand-off).",
    labelNames: ["status", "connector"] as const,
    registers,
  });
  const handedOff = new Counter({
    name: "salvo_messages_handed_off_total",
    help: "Messages offered to a connector, by its answer: accepted (sent), refused (failed), retry (refused for now, offered again).",
    labelNames: ["connector", "outcome"] as const,
    registers,
  });
  const handoffLatency = new GroupedHistogram(
    registry,
    "salvo_handoff_latency_seconds",
    "Time from a batch's acceptance (or its scheduled time) to each message's hand-off to a connector.",
    HANDOFF_BUCKETS,
  );
  const connectorCall = new Histogram({
    name: "salvo_connector_send_duration_seconds",
    help: "Time one hand-off call to a connector takes (one group of messages).",
    labelNames: ["connector"] as const,
    buckets: CALL_BUCKETS,
    registers,
  });
  const dlrLatency = new GroupedHistogram(
    registry,
    "salvo_dlr_latency_seconds",
    "Time from a message's hand-off to its delivery report.",
    DLR_BUCKETS,
  );
  const reportsDropped = new Counter({
    name: "salvo_delivery_reports_dropped_total",
    help: "Delivery reports dropped after their retries found no message to apply them to.",
    registers,
  });
  const webhookAttempts = new Counter({
    name: "salvo_webhook_attempts_total",
    help: "Webhook delivery attempts, by what became of the event (delivered, retry, failed, disabled, gone) and the answer's class (2xx…5xx, timeout, network).",
    labelNames: ["outcome", "class"] as const,
    registers,
  });
  const webhookDuration = new Histogram({
    name: "salvo_webhook_attempt_duration_seconds",
    help: "Time one webhook delivery attempt takes, from connecting to reading the answer.",
    buckets: CALL_BUCKETS,
    registers,
  });
  // Connector state, read at scrape time from each connector's state() (as /readyz shows it).
  const connectorUp = new Gauge({
    name: "salvo_connector_up",
    help: "1 when the connector can take messages in this worker (e.g. an SMPP bind is up), else 0.",
    labelNames: ["connector"] as const,
    registers,
    collect() {
      for (const connector of connectors)
        this.set({ connector: connector.name }, stateOf(connector).up ? 1 : 0);
    },
  });
  const detailGauge = (name: string, help: string, field: string) =>
    new Gauge({
      name,
      help,
      labelNames: ["connector"] as const,
      registers,
      collect() {
        for (const connector of connectors) {
          const value = stateOf(connector).detail?.[field];
          if (typeof value === "number") this.set({ connector: connector.name }, value);
        }
      },
    });
  detailGauge(
    "salvo_connector_binds",
    "SMPP binds (sessions) the connector holds in this worker, up or not.",
    "binds",
  );
  detailGauge("salvo_connector_binds_up", "SMPP binds of the connector that are bound now.", "bindsUp");
  detailGauge(
    "salvo_connector_window",
    "Submits the connector's sending binds may have awaiting an answer at once.",
    "window",
  );
  detailGauge("salvo_connector_window_in_use", "Submits awaiting the SMSC's answer now.", "windowInUse");
  registerQueueMetrics(registry, () => queueStats.read());

  return {
    registry,
    /** Messages judged before any hand-off (invalid, blacklisted, flooded…), by status. */
    judged(statuses: Iterable<string>) {
      const counts = new Map<string, number>();
      for (const status of statuses) counts.set(status, (counts.get(status) ?? 0) + 1);
      for (const [status, n] of counts) messagesFinal.inc({ status, connector: NO_CONNECTOR }, n);
    },
    /** One group's hand-off: what the connector took, refused, refused for now, and how long it took. */
    handedOff(
      connector: string,
      counts: { accepted: number; refused: number; retry: number },
      acceptedAt: number,
      callSeconds: number,
    ) {
      if (counts.accepted > 0) handedOff.inc({ connector, outcome: "accepted" }, counts.accepted);
      if (counts.refused > 0) {
        handedOff.inc({ connector, outcome: "refused" }, counts.refused);
        messagesFinal.inc({ status: "failed", connector }, counts.refused);
      }
      if (counts.retry > 0) handedOff.inc({ connector, outcome: "retry" }, counts.retry);
      connectorCall.observe({ connector }, callSeconds);
      const seconds = Math.max(0, (Date.now() - acceptedAt) / 1_000);
      handoffLatency.observe(connector, seconds, counts.accepted + counts.refused);
    },
    /** Reports applied for one connector's messages (a message's first final report only). */
    reportsApplied(
      connector: string,
      applied: { delivered: number; undelivered: number; latenciesMs: number[] },
    ) {
      if (applied.delivered > 0) messagesFinal.inc({ status: "delivered", connector }, applied.delivered);
      if (applied.undelivered > 0)
        messagesFinal.inc({ status: "undelivered", connector }, applied.undelivered);
      for (const ms of applied.latenciesMs) dlrLatency.observe(connector, ms / 1_000);
    },
    reportsDropped(count: number) {
      reportsDropped.inc(count);
    },
    /** Messages settled `undelivered` (expired) for want of a final report: their connector is not known here. */
    expired(count: number) {
      if (count > 0) messagesFinal.inc({ status: "undelivered", connector: NO_CONNECTOR }, count);
    },
    webhookAttempt(outcome: string, statusCode: number | null, error: string | null, durationMs: number) {
      webhookAttempts.inc({ outcome, class: answerClass(statusCode, error) });
      webhookDuration.observe(durationMs / 1_000);
    },
    connectorUp,
  };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;

/**
 * A histogram by connector for the per-message figures of the hand-off path,
 * exposed like prom-client's (`_bucket`, `_sum`, `_count`). prom-client's
 * observe() checks and hashes its labels on every call (about 0.7 µs); this one
 * is a bucket search and three additions, and takes a group of equal
 * observations at once.
 */
class GroupedHistogram {
  readonly type = "histogram";
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();

  constructor(
    registry: Registry,
    readonly name: string,
    readonly help: string,
    private readonly buckets: number[],
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  observe(connector: string, seconds: number, times = 1): void {
    if (times <= 0) return;
    let series = this.series.get(connector);
    if (!series) {
      series = { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(connector, series);
    }
    let bucket = 0;
    while (bucket < this.buckets.length && seconds > (this.buckets[bucket] as number)) bucket++;
    if (bucket < this.buckets.length) series.counts[bucket] = (series.counts[bucket] as number) + times;
    series.sum += seconds * times;
    series.count += times;
  }

  /** What the registry formats (prom-client's MetricObjectWithValues). */
  get() {
    const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
    for (const [connector, { counts, sum, count }] of this.series) {
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += counts[i] as number;
        values.push({ metricName: `${this.name}_bucket`, labels: { le, connector }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: "+Inf", connector }, value: count });
      values.push({ metricName: `${this.name}_sum`, labels: { connector }, value: sum });
      values.push({ metricName: `${this.name}_count`, labels: { connector }, value: count });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: "sum" };
  }

  reset(): void {
    this.series.clear();
  }
}

function stateOf(connector: Connector) {
  return connector.state?.() ?? { up: true, detail: {} };
}

/** A webhook answer's class: its status' hundreds, or why there was none. */
function answerClass(statusCode: number | null, error: string | null): string {
  if (statusCode !== null) return `${Math.floor(statusCode / 100)}xx`;
  return error?.startsWith("timeout") ? "timeout" : "network";
}

/**
 * The worker's own HTTP server for Prometheus (WORKER_METRICS_PORT): `GET /metrics`
 * (with METRICS_TOKEN when set) and `GET /healthz`. Several workers on one host
 * need a port each.
 */
export async function startMetricsServer(
  registry: Registry,
  options: { host: string; port: number; token: string | undefined },
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
    } else if (path === "/healthz") {
      res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
    } else if (path === "/metrics") {
      metricsAnswer(registry, req.headers.authorization, options.token).then(
        (answer) => res.writeHead(answer.status, { "content-type": answer.contentType }).end(answer.body),
        (error: Error) => res.writeHead(500, { "content-type": "text/plain" }).end(`${error.message}\n`),
      );
    } else {
      res.writeHead(404, { "content-type": "text/plain" }).end("Not found.\n");
    }
  });
  server.listen({ port: options.port, host: options.host });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
