import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createStore, redactUrl } from "@salvo/db";
import { createNumberNormalizer } from "@salvo/numbers";
import { claimRedisPrefix, closeRedis, createRedis, openQueue, openQueueStats } from "@salvo/queue";
import type { Logger } from "@salvo/runtime";
import { createApp, type ResponseObserver } from "./app";
import type { ApiEnv } from "./env";
import { createApiMetrics } from "./http/metrics";
import { BatchEvents } from "./services/batch-events";

/** How long the API's number-judging threads stay up without a simulation to judge. */
const NORMALIZE_IDLE_MS = 60_000;

export interface RunningApi {
  url: string;
  port: number;
  /** Stops taking connections, lets requests in flight finish (bounded), then closes the number-judging threads, Redis and PostgreSQL. */
  close(): Promise<void>;
}

/**
 * Starts the API on env.HOST:env.PORT (0 picks a free port). `onFatal` hears of
 * what stops it from going on (another installation took its Redis prefix);
 * `observeResponses` sees every JSON answer (the tests check them against the OpenAPI document).
 */
export async function startApi(
  env: ApiEnv,
  logger: Logger,
  options: { onFatal?: (error: Error) => void; observeResponses?: ResponseObserver } = {},
): Promise<RunningApi> {
  // One pool where there were two (Prisma's and the SQL one) of DATABASE_POOL_SIZE each:
  // as many connections as before, for every query.
  const store = createStore(env.DATABASE_URL, { poolSize: 2 * env.DATABASE_POOL_SIZE, name: "salvo-api" });
  const redis = createRedis(env.REDIS_URL, {
    name: "salvo-api",
    cluster: env.REDIS_CLUSTER,
    clusterNodes: env.REDIS_CLUSTER_NODES,
  });
  redis.on("error", (error) => logger.warn({ err: error.message }, "redis connection error"));
  // Refused (another installation's prefix): the start fails, and with it the process.
  const claim = await claimRedisPrefix(redis, env.REDIS_PREFIX, {
    identify: () => store.installation.find(),
    onTaken: options.onFatal,
    logger,
  });
  const batches = openQueue("batches", redis, env.REDIS_PREFIX);
  const webhooks = openQueue("webhooks", redis, env.REDIS_PREFIX);
  const deliveries = openQueue("deliveries", redis, env.REDIS_PREFIX);
  const imports = openQueue("imports", redis, env.REDIS_PREFIX);
  const clicks = openQueue("clicks", redis, env.REDIS_PREFIX);
  // The API judges big lists rarely (simulations): its threads start when one
  // comes and stop when idle, rather than holding memory all day.
  const numbers = createNumberNormalizer(env.NORMALIZE_THREADS, { idleTimeoutMs: NORMALIZE_IDLE_MS });
  // Subscribed to the batches viewers follow live: a connection of its own, which
  // waits for Redis rather than failing (and subscribes again once it is back).
  const subscriber = createRedis(env.REDIS_URL, {
    name: "salvo-api-events",
    blocking: true,
    cluster: env.REDIS_CLUSTER,
    clusterNodes: env.REDIS_CLUSTER_NODES,
  });
  subscriber.on("error", (error) => logger.warn({ err: error.message }, "redis connection error"));
  const events = new BatchEvents({ store, subscriber, redisPrefix: env.REDIS_PREFIX, logger });
  const stopping = new AbortController();
  // The queues' depths for /metrics, read when Prometheus scrapes.
  const queueStats = openQueueStats(redis, env.REDIS_PREFIX);
  const app = createApp({
    env,
    store,
    redis,
    batches,
    webhooks,
    deliveries,
    imports,
    clicks,
    numbers,
    logger,
    events,
    stopping: stopping.signal,
    metrics: createApiMetrics(queueStats),
    observeResponses: options.observeResponses,
  });

  // Slow clients (slow-loris) cannot hold connections open for ever: headers and
  // the whole request must arrive in time. Node checks those deadlines every
  // connectionsCheckingInterval (30 s by default, longer than the deadlines).
  const server = createServer(
    {
      headersTimeout: env.HEADERS_TIMEOUT_MS,
      requestTimeout: env.REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: Math.min(1_000, env.HEADERS_TIMEOUT_MS),
    },
    app,
  );
  // A backlog past Node's 511: a burst of clicks on short links opens a thousand
  // connections at once, and a full accept queue costs a client a SYN retransmit (1 s, then 3 s).
  server.listen({ port: env.PORT, host: env.HOST, backlog: 4_096 });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  server.keepAliveTimeout = 5_000;

  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  logger.info({ port, database: redactUrl(env.DATABASE_URL) }, "api listening");

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      claim.stop();
      stopping.abort();
      // Live progress streams end (their clients reconnect elsewhere): nothing else holds a connection open.
      await events.close();
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive connections turn idle as their last request ends: close them then.
      const reaper = setInterval(() => server.closeIdleConnections(), 50);
      const deadline = setTimeout(() => server.closeAllConnections(), env.SHUTDOWN_TIMEOUT_MS);
      server.closeIdleConnections();
      await drained;
      clearInterval(reaper);
      clearTimeout(deadline);
      await Promise.allSettled([
        batches.close(),
        webhooks.close(),
        deliveries.close(),
        imports.close(),
        clicks.close(),
        numbers.close(),
        queueStats.close(),
      ]);
      await Promise.allSettled([closeRedis(redis), closeRedis(subscriber), store.close()]);
      logger.info("api stopped");
    })();
    return closing;
  };
  return { url, port, close };
}
