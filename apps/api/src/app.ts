import type { Store } from "@salvo/db";
import type { NumberNormalizer } from "@salvo/numbers";
import { BatchChanges, type OpenQueue, type RedisClient } from "@salvo/queue";
import type { Logger } from "@salvo/runtime";
import { createSecretBox } from "@salvo/webhooks";
import express from "express";
import type { ApiEnv } from "./env";
import { authenticateAdmin } from "./http/admin-auth";
import { apiDocsRoutes } from "./http/api-docs";
import { authenticate } from "./http/auth";
import { consoleDir, consoleRoutes } from "./http/console";
import { answerOptions, errorHandler, notFound, numericErrorStatus } from "./http/errors";
import { idempotencyKeys } from "./http/idempotency";
import { type ApiMetrics, metricsRoute } from "./http/metrics";
import { QUEUE_BOARD_PATH, queueBoardRoutes } from "./http/queue-board";
import { requestLog } from "./http/request-log";
import { throttle } from "./http/throttle";
import { TokenCache } from "./http/token-cache";
import { accountRoutes } from "./routes/account";
import { adminRoutes } from "./routes/admin";
import { batchRoutes } from "./routes/batches";
import { contactImportRoutes } from "./routes/contact-imports";
import { contactListRoutes } from "./routes/contact-lists";
import { groupRoutes } from "./routes/groups";
import { healthRoutes } from "./routes/health";
import { linkRedirects } from "./routes/links";
import { lookupRoutes } from "./routes/lookup";
import { numberListRoutes } from "./routes/number-lists";
import { providerCallbackRoutes } from "./routes/providers";
import { replyRoutes } from "./routes/replies";
import { sendRoutes } from "./routes/send";
import { senderRoutes } from "./routes/senders";
import { smsRoutes } from "./routes/sms";
import { statementRoutes } from "./routes/statements";
import { subAccountRoutes } from "./routes/subaccounts";
import { tokenRoutes } from "./routes/tokens";
import { webhookRoutes } from "./routes/webhooks";
import type { BatchEvents } from "./services/batch-events";
import { installModerationRules } from "./services/moderation";
import { smsFactorRouter } from "./smsfactor/router";

/** Sees each JSON answer as it is sent: its request, status and body. */
export type ResponseObserver = (req: express.Request, status: number, body: unknown) => void;

interface ApiDeps {
  env: ApiEnv;
  store: Store;
  redis: RedisClient;
  batches: OpenQueue<"batches">;
  /** Delivery of webhook events (replies and STOPs are recorded by the API). */
  webhooks: OpenQueue<"webhooks">;
  /** Delivery reports that providers call in (DLR callbacks), applied by the workers. */
  deliveries: OpenQueue<"deliveries">;
  /** Imports of CSV files into contact lists, read by the workers. */
  imports: OpenQueue<"imports">;
  /** Clicks on tracked short links, recorded by the workers. */
  clicks: OpenQueue<"clicks">;
  /** The number-judging threads of simulations. */
  numbers: NumberNormalizer;
  logger: Logger;
  /** Batches' live progress, from the workers' announcements (see BatchEvents). */
  events?: BatchEvents;
  /** Aborted when the API starts shutting down (requests waiting on a batch answer at once). */
  stopping?: AbortSignal;
  /** What `GET /metrics` reports; absent, no metrics are kept. */
  metrics?: ApiMetrics;
  /** For tests: each JSON answer, checked against the OpenAPI document (apps/api/test/openapi-check.ts). */
  observeResponses?: ResponseObserver;
}

/** The HTTP API: health checks, then `/v1` behind authentication and the per-account throttle. */
export function createApp({
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
  stopping,
  metrics,
  observeResponses,
}: ApiDeps): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.set("trust proxy", env.TRUST_PROXY);
  if (observeResponses) {
    app.use((req, res, next) => {
      const json = res.json.bind(res);
      res.json = (body: unknown) => {
        observeResponses(req, res.statusCode, body);
        return json(body);
      };
      next();
    });
  }

  // Every request counted (the redirects too); /metrics unlogged, like the redirects.
  if (metrics) {
    app.use(metrics.middleware);
    app.get("/metrics", metricsRoute(metrics.registry, env.METRICS_TOKEN));
  }
  // First and unlogged: the redirects must answer in a few milliseconds, without a token.
  const redirects = linkRedirects({
    store,
    redis,
    redisPrefix: env.REDIS_PREFIX,
    logger,
    linkBaseUrl: env.LINK_BASE_URL,
    clicks,
  });
  if (redirects) app.use(redirects);

  app.use(requestLog(logger));
  app.use(answerOptions);
  // The web console (apps/console) and, for operators, Bull Board over the queues.
  app.use("/console", consoleRoutes(consoleDir(env.CONSOLE_DIR)));
  app.use(QUEUE_BOARD_PATH, queueBoardRoutes({ store, redis, redisPrefix: env.REDIS_PREFIX }));
  app.use(
    healthRoutes(
      store,
      redis,
      env.REDIS_PREFIX,
      env.connectors.map((c) => c.name),
    ),
  );
  // The OpenAPI document of every route below and above, and its interactive reference.
  app.use(apiDocsRoutes(() => app, "1"));
  // The connectors' callbacks: called by their providers, not by an account.
  app.use("/v1/providers", providerCallbackRoutes(env.connectors, { store, webhooks, deliveries, logger }));

  const tokens = new TokenCache(store, { ttlMs: env.AUTH_CACHE_MS });
  const batchChanges = new BatchChanges(redis, env.REDIS_PREFIX, (error) =>
    logger.debug({ err: error.message }, "batch changes not announced"),
  );
  const intake = {
    store,
    moderation: installModerationRules(env),
    batches,
    webhooks,
    logger,
    chunkSize: env.BATCH_CHUNK_SIZE,
    optOutMention: env.OPT_OUT_MENTION,
    requireRegisteredSender: env.REQUIRE_REGISTERED_SENDER,
    // For simulations: the anti-flood counters, read; the number-judging threads.
    redis,
    redisPrefix: env.REDIS_PREFIX,
    numbers,
    linkBaseUrl: env.LINK_BASE_URL,
    batchChanges,
  };
  const v1 = express.Router();
  v1.use(
    authenticate(store, tokens),
    throttle(redis, env.REDIS_PREFIX),
    idempotencyKeys({ store, logger, waitMs: env.IDEMPOTENCY_WAIT_MS, stopping }),
  );
  v1.use(
    accountRoutes(store, env.REQUIRE_REGISTERED_SENDER, env.OPT_OUT_MENTION, env.SMTP_URL !== undefined),
    tokenRoutes(store, tokens),
    subAccountRoutes(store, tokens, env.REQUIRE_REGISTERED_SENDER),
    batchRoutes({ ...intake, maxBodyBytes: env.MAX_BODY_BYTES, events }),
    smsRoutes(intake),
    sendRoutes({
      ...intake,
      maxBodyBytes: env.MAX_BODY_BYTES,
      timeoutMs: env.SEND_TIMEOUT_MS,
      stopping,
    }),
    numberListRoutes(store, "blacklist"),
    numberListRoutes(store, "npai"),
    contactListRoutes(store),
    groupRoutes(store),
    contactImportRoutes({ store, imports, logger, maxBytes: env.IMPORT_MAX_BYTES }),
    webhookRoutes({
      store,
      allowPrivateNetworks: env.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
      secrets: createSecretBox(env.WEBHOOK_SECRET_KEYS),
    }),
    replyRoutes(store),
    senderRoutes(store),
    lookupRoutes(store),
    statementRoutes(store),
  );
  // Operators' routes, before /v1's account authentication: admin tokens only
  // (and a path of theirs that no route serves is theirs to answer, 404 or 405).
  app.use(
    "/v1/admin",
    authenticateAdmin(store),
    adminRoutes({
      store,
      batches,
      webhooks,
      logger,
      batchChanges,
      requireRegisteredSender: env.REQUIRE_REGISTERED_SENDER,
    }),
    notFound,
  );
  app.use("/v1/send", numericErrorStatus);
  app.use("/v1", v1);
  // SMSFactor's API on the same services (docs/compat.md): errors of its own, HTTP 200.
  app.use(
    "/smsfactor",
    smsFactorRouter({
      ...intake,
      env,
      tokens,
      maxBodyBytes: env.MAX_BODY_BYTES,
      timeoutMs: env.SEND_TIMEOUT_MS,
      stopping,
    }),
  );

  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
