import { SalvoError } from "@salvo/core";
import type { Logger } from "@salvo/runtime";
import { type ErrorRequestHandler, type RequestHandler, Router } from "express";
import type { ApiEnv } from "../env";
import { authenticate } from "../http/auth";
import { numericStatus } from "../http/errors";
import { idempotencyKeys } from "../http/idempotency";
import { unXmlableChar } from "../http/reply";
import { requestIdOf } from "../http/request-log";
import { throttle } from "../http/throttle";
import type { TokenCache } from "../http/token-cache";
import type { SendDeps } from "../services/send";
import type { SimulateDeps } from "../services/simulate";
import { smsFactorAccountRoutes } from "./account";
import { smsFactorBatchRoutes } from "./batches";
import { smsFactorCampaignRoutes } from "./campaigns";
import { bodyOf, readBody, SF_MESSAGES, SF_STATUS, SmsFactorError, sendSf } from "./conventions";
import { smsFactorInvoiceRoutes } from "./invoices";
import { smsFactorListRoutes } from "./lists";
import { smsFactorLookupRoutes } from "./lookup";
import { smsFactorNumberRoutes } from "./numbers";
import { smsFactorSendRoutes } from "./send";
import { smsFactorTokenRoutes } from "./tokens";
import { smsFactorWebhookRoutes } from "./webhooks";

/** What the SMSFactor-compatible routes need: the services' dependencies, as /v1's routes get them. */
export interface SmsFactorDeps extends SendDeps, SimulateDeps {
  env: ApiEnv;
  /** /v1's token cache: one cache, so a token revoked through either API is evicted at once. */
  tokens: TokenCache;
  maxBodyBytes: number;
}

/**
 * SMSFactor's API, mounted at `/smsfactor` (so `https://host/smsfactor` is the
 * base URL SMSFactor clients are given; docs/compat.md). Every request: its body
 * read (JSON, XML or form), then authenticated as /v1 authenticates (the same
 * tokens; also `?token=` on `GET /send` and `GET /send/simulate`) and throttled
 * per account as /v1 is; then the areas' routes, which call /v1's services.
 * Every error is answered HTTP 200 with a negative `status` (SMSFactor's SDKs
 * throw on any other HTTP status before reading the error), unknown paths too (-5).
 */
export function smsFactorRouter(deps: SmsFactorDeps): Router {
  const router = Router();
  router.use(
    // Idempotency-Key as /v1 reads it (POST /batches honours it); readBody fingerprints the body.
    idempotencyKeys({
      store: deps.store,
      logger: deps.logger,
      waitMs: deps.env.IDEMPOTENCY_WAIT_MS,
      stopping: deps.stopping,
    }),
    readBody(deps.maxBodyBytes),
    tokenInQuery,
    refuseLegacyAuthentication,
    authenticate(deps.store, deps.tokens),
    throttle(deps.redis, deps.redisPrefix),
  );
  // One router per area (see the files beside this one).
  router.use(smsFactorSendRoutes(deps));
  router.use(smsFactorCampaignRoutes(deps));
  router.use(smsFactorBatchRoutes(deps));
  router.use(
    smsFactorInvoiceRoutes(deps.store),
    smsFactorLookupRoutes(deps.store),
    smsFactorAccountRoutes(deps.store, deps.env.SMTP_URL !== undefined),
    smsFactorTokenRoutes(deps.store, deps.tokens),
    smsFactorListRoutes(deps.store),
    smsFactorNumberRoutes(deps.store, "blacklist"),
    smsFactorNumberRoutes(deps.store, "npai"),
  );
  router.use(smsFactorWebhookRoutes(deps));
  router.use(notFound);
  router.use(errorHandler(deps.logger));
  return router;
}

/** Paths whose reference allows the token in the query string (`?token=`), GET only. */
const TOKEN_IN_QUERY = new Set(["/send", "/send/simulate"]);

/**
 * `GET /send?token=…` (and `/send/simulate`): the token of the query string, when
 * no Authorization header is given, is read as a Bearer token. The query string
 * is never logged (see requestLog).
 */
const tokenInQuery: RequestHandler = (req, _res, next) => {
  const token = req.query.token;
  if (
    req.method === "GET" &&
    TOKEN_IN_QUERY.has(req.path) &&
    typeof token === "string" &&
    req.headers.authorization === undefined
  ) {
    req.headers.authorization = `Bearer ${token}`;
  }
  next();
};

/**
 * SMSFactor's legacy authentication, `sms.authentication.{username, password}`
 * in a send's body: Salvo accounts have no passwords, so a request that relies
 * on it (no other credentials) is refused with -1, saying what to send instead.
 * With a token as well, the block is ignored (and dropped before the schemas).
 */
const refuseLegacyAuthentication: RequestHandler = (req, _res, next) => {
  const sms = bodyOf(req).sms;
  if (!sms || typeof sms !== "object" || !("authentication" in sms)) return next();
  const hasCredentials =
    req.headers.authorization !== undefined ||
    req.headers["x-api-key-id"] !== undefined ||
    req.headers["x-api-key-secret"] !== undefined;
  if (!hasCredentials) {
    throw new SmsFactorError(
      SF_STATUS.authentication,
      "Salvo accounts have no passwords: send an API token as `Authorization: Bearer <token>` (create one with `salvo tokens create` or POST /v1/tokens).",
    );
  }
  delete (sms as Record<string, unknown>).authentication;
  next();
};

/** After every route: a path (or a method on it) no route serves is -5. */
const notFound: RequestHandler = (req) => {
  throw new SmsFactorError(SF_STATUS.notFound, `No route ${req.method} /smsfactor${req.path}.`);
};

/**
 * SMSFactor's code for an error of Salvo's services: /v1/send's mapping
 * (numericStatus: -1 auth, -3 credits, -5 not found, -6 JSON, -7 data, -99
 * else), with what only SMSFactor's routes tell apart.
 */
function codeOf(error: SalvoError): number {
  if (error.code === "OUTSIDE_SENDING_HOURS") return SF_STATUS.delay;
  switch (error.status) {
    case 403:
      return SF_STATUS.authentication;
    case 406:
    case 409:
      return SF_STATUS.data;
    default:
      return numericStatus(error);
  }
}

/** body-parser's errors (a body too large, a broken encoding): the client's doing, -7. */
function fromBodyParser(error: { type?: string; status?: number }): SmsFactorError | null {
  if (error.type === "entity.too.large") {
    return new SmsFactorError(SF_STATUS.data, "The request body is too large.");
  }
  if (error.status && error.status >= 400 && error.status < 500) {
    return new SmsFactorError(SF_STATUS.data, "The request could not be read.");
  }
  return null;
}

/**
 * Every error under /smsfactor, answered HTTP 200 as
 * `{"status": <negative>, "message", "details"}` (XML by default, JSON on
 * Accept). Headers that help a client (Retry-After of the throttle) are kept.
 * Anything unexpected is logged and answered -99.
 */
function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    let known: SmsFactorError | null;
    if (error instanceof SmsFactorError) known = error;
    else if (error instanceof SalvoError) {
      if ("retryAfterSeconds" in error) res.set("Retry-After", String(error.retryAfterSeconds));
      known = new SmsFactorError(codeOf(error), error.message);
    } else known = fromBodyParser(error);
    if (!known) {
      logger.error({ err: error, requestId: requestIdOf(res) }, "unhandled error (smsfactor)");
      known = new SmsFactorError(SF_STATUS.unknown, "Something went wrong on our side; it was logged.");
    }
    const answer = {
      status: known.code,
      message: SF_MESSAGES[known.code] ?? "Error",
      details: known.details,
    };
    // A details text XML cannot carry (it echoes the request) names those characters instead (`U+0000`).
    sendSf(req, res, { ...answer, details: namingUnXmlableChars(answer.details) });
  };
}

/** `text` with every character XML 1.0 cannot carry written as its name (`U+0000`), so an XML error answer can say it. */
function namingUnXmlableChars(text: string): string {
  let named = text;
  for (let char = unXmlableChar(named); char !== null; char = unXmlableChar(named)) {
    named = named.replaceAll(String.fromCodePoint(Number.parseInt(char.slice(2), 16)), char);
  }
  return named;
}
