import { randomUUID } from "node:crypto";
import { createStore } from "@salvo/db";
import { createNumberNormalizer } from "@salvo/numbers";
import {
  BatchChanges,
  claimRedisPrefix,
  closeRedis,
  createRedis,
  openQueue,
  openQueueStats,
  publishConnectorStates,
  startConsumers,
  workersKey,
} from "@salvo/queue";
import type { Logger } from "@salvo/runtime";
import { createSecretBox, createWebhookSender } from "@salvo/webhooks";
import { startConnectors } from "./connectors";
import type { WorkContext } from "./context";
import type { WorkerEnv } from "./env";
import { createWorkerMetrics, startMetricsServer } from "./metrics";
import { createAlertMailer } from "./processors/balance-alerts";
import { recordClick } from "./processors/clicks";
import { applyReports } from "./processors/deliveries";
import { expandBatch } from "./processors/expand-batch";
import { importContacts } from "./processors/import-contacts";
import { runScheduledJob } from "./processors/maintenance";
import { sendChunk } from "./processors/send-chunk";
import { deliverWebhookEvent, webhookBackoff } from "./processors/webhooks";
import { createRouter } from "./routing";

export interface RunningWorker {
  id: string;
  /** Where its metrics server answers (WORKER_METRICS_PORT set), e.g. `http://127.0.0.1:9464`. */
  metricsUrl?: string;
  /** Stops taking work, finishes what it holds, then closes Redis and PostgreSQL. */
  close(): Promise<void>;
}

/**
 * Starts one worker process's share of the fleet. Every worker is alike and
 * stateless: start as many as needed, on any host, against the same Redis and
 * PostgreSQL. Each announces itself with a heartbeat that lapses when it dies.
 */
export async function startWorker(
  env: WorkerEnv,
  logger: Logger,
  options: { onFatal?: (error: Error) => void } = {},
): Promise<RunningWorker> {
  const id = randomUUID();
  const store = createStore(env.DATABASE_URL, { poolSize: env.DATABASE_POOL_SIZE, name: "salvo-worker" });
  const redis = createRedis(env.REDIS_URL, {
    name: "salvo-worker",
    blocking: true,
    cluster: env.REDIS_CLUSTER,
    clusterNodes: env.REDIS_CLUSTER_NODES,
  });
  redis.on("error", (error) => logger.warn({ err: error.message }, "redis connection error"));
  // Before any queue is opened: another installation's jobs must never be taken.
  const claim = await claimRedisPrefix(redis, env.REDIS_PREFIX, {
    identify: () => store.installation.find(),
    onTaken: options.onFatal,
    logger,
  });

  const batches = openQueue("batches", redis, env.REDIS_PREFIX);
  const chunks = openQueue("chunks", redis, env.REDIS_PREFIX);
  const deliveries = openQueue("deliveries", redis, env.REDIS_PREFIX);
  const webhooks = openQueue("webhooks", redis, env.REDIS_PREFIX);
  const maintenance = openQueue("maintenance", redis, env.REDIS_PREFIX);
  const imports = openQueue("imports", redis, env.REDIS_PREFIX);
  const connectors = await startConnectors(env, { store, deliveries, webhooks, logger });
  const numbers = createNumberNormalizer(env.NORMALIZE_THREADS);
  const webhookSender = createWebhookSender({
    timeoutMs: env.WEBHOOK_TIMEOUT_MS,
    allowPrivateNetworks: env.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
  });
  const webhookDelivery = { sender: webhookSender, secrets: createSecretBox(env.WEBHOOK_SECRET_KEYS) };
  const mailer = createAlertMailer(env.SMTP_URL, env.ALERT_EMAIL_FROM);
  const queueStats = openQueueStats(redis, env.REDIS_PREFIX);
  const metrics = createWorkerMetrics(connectors, queueStats);
  const stopping = new AbortController();
  const ctx: WorkContext = {
    env,
    store,
    redis,
    logger,
    connectors,
    router: createRouter(connectors, env.routes, logger),
    batches,
    chunks,
    deliveries,
    webhooks,
    imports,
    numbers,
    batchChanges: new BatchChanges(redis, env.REDIS_PREFIX, (error) =>
      logger.debug({ err: error.message }, "batch changes not announced"),
    ),
    mailer,
    metrics,
    stopping: stopping.signal,
  };

  // Concurrency, locks and retries of each queue are its entry in @salvo/queue's CATALOG.
  const consumers = startConsumers(
    redis,
    env.REDIS_PREFIX,
    env,
    {
      batches: (data, job, token) => expandBatch(ctx, data.batchId, job, token),
      chunks: (data, job, token) => sendChunk(ctx, data, job, token),
      deliveries: (data) => applyReports(ctx, data),
      webhooks: (data) => deliverWebhookEvent(ctx, webhookDelivery, data.eventId),
      maintenance: (_data, job) => runScheduledJob(ctx, job.name),
      imports: (data, job, token) => importContacts(ctx, data.importId, job, token),
      clicks: (data) => recordClick(ctx, data),
    },
    { webhooks: { settings: { backoffStrategy: webhookBackoff } } },
  );
  for (const consumer of consumers) {
    consumer.on("failed", (job, error) =>
      logger.warn(
        { queue: consumer.name, jobId: job?.id, attempt: job?.attemptsMade, err: error.message },
        "job failed",
      ),
    );
    consumer.on("error", (error) => logger.warn({ queue: consumer.name, err: error.message }, "queue error"));
  }
  const key = workersKey(env.REDIS_PREFIX);
  const beat = () =>
    redis
      .multi()
      .zadd(key, Date.now() + env.HEARTBEAT_INTERVAL_MS * 3, id)
      // Dead workers' entries are pruned by whoever beats next.
      .zremrangebyscore(key, "-inf", Date.now())
      .exec()
      .catch((error: Error) => logger.warn({ err: error.message }, "heartbeat failed"));
  // Every worker upserts the periodic jobs' schedulers when it starts (a changed
  // period applies from then on), and puts them back with its heartbeat if Redis
  // lost them; Redis makes one job per period for the whole fleet.
  const schedulersFailed = (error: Error) =>
    logger.warn({ err: error.message }, "job schedulers could not be upserted");
  const restoreSchedulers = () =>
    maintenance
      .restoreSchedulers(env)
      .then((restored) => {
        if (restored)
          logger.warn({ queue: "maintenance" }, "job schedulers were missing; upserted them again");
      })
      .catch(schedulersFailed);
  await Promise.all([beat(), maintenance.upsertSchedulers(env).catch(schedulersFailed)]);
  const heartbeat = setInterval(() => {
    beat();
    restoreSchedulers();
  }, env.HEARTBEAT_INTERVAL_MS);
  // Each worker's own view of its connectors (a link is this process's), for /readyz
  // and `salvo connectors`; it lapses with the worker.
  const publishStates = () =>
    publishConnectorStates(
      redis,
      env.REDIS_PREFIX,
      id,
      ctx.router.states(),
      env.CONNECTOR_STATE_INTERVAL_MS * 3,
    ).catch((error: Error) => logger.warn({ err: error.message }, "connector states not published"));
  await publishStates();
  const statePublisher = setInterval(publishStates, env.CONNECTOR_STATE_INTERVAL_MS);
  const metricsServer =
    env.WORKER_METRICS_PORT === undefined
      ? undefined
      : await startMetricsServer(metrics.registry, {
          host: env.WORKER_METRICS_HOST,
          port: env.WORKER_METRICS_PORT,
          token: env.METRICS_TOKEN,
        });
  logger.info(
    {
      workerId: id,
      ...(metricsServer ? { metrics: `${metricsServer.url}/metrics` } : {}),
      connectors: connectors.map((connector) => `${connector.name} (${connector.provider})`),
    },
    "worker started",
  );

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      claim.stop();
      clearInterval(heartbeat);
      clearInterval(statePublisher);
      // Closing first stops taking jobs; then the jobs in hand are told to stop:
      // chunks and expansions give back what is left between two steps (their
      // job returns to the queue at once, for another worker), the others finish.
      // BullMQ's close waits for them. A chunk left half done by a forced exit is
      // resumed by another worker once its lock lapses (see sendChunk).
      const closed = consumers.map((consumer) => consumer.close());
      stopping.abort();
      await Promise.allSettled(closed);
      await Promise.allSettled([
        batches.close(),
        chunks.close(),
        deliveries.close(),
        webhooks.close(),
        maintenance.close(),
        imports.close(),
        ...connectors.map((connector) => connector.close()),
        numbers.close(),
        webhookSender.close(),
        queueStats.close(),
        metricsServer?.close(),
      ]);
      mailer?.close();
      await Promise.allSettled([redis.zrem(key, id), ctx.batchChanges.flush()]);
      await Promise.allSettled([closeRedis(redis), store.close()]);
      logger.info({ workerId: id }, "worker stopped");
    })();
    return closing;
  };
  return { id, ...(metricsServer ? { metricsUrl: metricsServer.url } : {}), close };
}
