import type { Db, Sql } from "@salvo/db";
import type { SmsProvider } from "@salvo/providers";
import type { OpenQueue } from "@salvo/queue";
import type { Logger } from "@salvo/runtime";
import type { Redis } from "ioredis";
import type { WorkerEnv } from "./env";
import type { NumberNormalizer } from "./numbers/normalizer";

/** What every processor works with: connections, queues, the provider, settings. */
export interface WorkContext {
  env: WorkerEnv;
  db: Db;
  sql: Sql;
  redis: Redis;
  logger: Logger;
  provider: SmsProvider;
  batches: OpenQueue<"batches">;
  chunks: OpenQueue<"chunks">;
  deliveries: OpenQueue<"deliveries">;
  /** Delivery of webhook events (outbox rows written with what caused them). */
  webhooks: OpenQueue<"webhooks">;
  /** Puts raw numbers in E.164, off the main thread for long lists. */
  numbers: NumberNormalizer;
}
