import type { Store } from "@salvo/db";
import type { NumberNormalizer } from "@salvo/numbers";
import type { Connector } from "@salvo/providers";
import type { BatchChanges, OpenQueue, RedisClient } from "@salvo/queue";
import type { Logger } from "@salvo/runtime";
import type { WorkerEnv } from "./env";
import type { WorkerMetrics } from "./metrics";
import type { AlertMailer } from "./processors/balance-alerts";
import type { Router } from "./routing";

/** What every processor works with: the store, Redis, queues, the connectors, settings. */
export interface WorkContext {
  env: WorkerEnv;
  /** Every read and write of PostgreSQL. */
  store: Store;
  redis: RedisClient;
  logger: Logger;
  /** Every connector this worker holds, the default first. */
  connectors: Connector[];
  /** Chooses each message's connectors (its route) and knows their state. */
  router: Router;
  batches: OpenQueue<"batches">;
  chunks: OpenQueue<"chunks">;
  deliveries: OpenQueue<"deliveries">;
  /** Delivery of webhook events (outbox rows written with what caused them). */
  webhooks: OpenQueue<"webhooks">;
  /** Imports of CSV files into contact lists (re-enqueued by the requeue sweep). */
  imports: OpenQueue<"imports">;
  /** Puts raw numbers in E.164, off the main thread for long lists. */
  numbers: NumberNormalizer;
  /** Batches whose counts or status this worker changed: announced for their live progress (GET /v1/batches/:id/events). */
  batchChanges: BatchChanges;
  /** Sends balance alerts by e-mail (SMTP_URL); null: this worker sends none. */
  mailer: AlertMailer | null;
  /** What /metrics reports (see createWorkerMetrics). */
  metrics: WorkerMetrics;
  /** Aborted when the worker is stopping: long jobs release what is left instead of finishing it. */
  stopping: AbortSignal;
}
