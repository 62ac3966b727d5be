import {
  InvalidJsonError,
  NotFoundError,
  PayloadTooLargeError,
  SalvoError,
  UnsupportedMediaTypeError,
} from "@salvo/core";
import type { Logger } from "@salvo/runtime";
import type { ErrorRequestHandler, RequestHandler, Response } from "express";
import { sendReply } from "./reply";
import { requestIdOf } from "./request-log";

/** The error envelope every failed request answers with. */
export interface ErrorEnvelope {
  error: { code: string; description: string; field?: string };
}

export function errorEnvelope(error: SalvoError): ErrorEnvelope {
  return {
    error: { code: error.code, description: error.message, ...(error.field ? { field: error.field } : {}) },
  };
}

/**
 * Marks routes of the classic SMS-API family (`POST /v1/send`), whose clients
 * read a numeric `status` beside the error. Mounted before authentication, so
 * errors raised before the route (401, 429, 404, unreadable bodies) carry it too.
 */
export const numericErrorStatus: RequestHandler = (_req, res, next) => {
  res.locals.numericErrorStatus = true;
  next();
};

/** -1 authentication, -3 credits, -5 not found, -6 unreadable JSON, -7 data error, -99 anything else. */
function numericStatus(error: SalvoError | null): number {
  if (!error) return -99;
  if (error.code === "INVALID_JSON" || error.code === "UNSUPPORTED_MEDIA_TYPE") return -6;
  switch (error.status) {
    case 401:
      return -1;
    case 402:
      return -3;
    case 404:
      return -5;
    case 400:
    case 413:
    case 422:
      return -7;
    default:
      return -99;
  }
}

function withNumericStatus(res: Response, error: SalvoError | null, body: object) {
  return res.locals.numericErrorStatus === true ? { status: numericStatus(error), ...body } : body;
}

export const notFound: RequestHandler = (req) => {
  throw new NotFoundError(`No route ${req.method} ${req.path}.`);
};

/** body-parser's errors carry a `type`; each maps to a 4xx of ours. */
function fromBodyParser(error: { type?: string; status?: number; expose?: boolean }): SalvoError | null {
  switch (error.type) {
    case "entity.parse.failed":
      return new InvalidJsonError();
    case "entity.too.large":
      return new PayloadTooLargeError();
    case "encoding.unsupported":
    case "charset.unsupported":
      return new UnsupportedMediaTypeError("Send the request body as UTF-8 JSON.");
    default:
      // Anything else marked 4xx by Express or a parser (e.g. a path with broken
      // percent-encoding) is the client's doing, never a 500.
      if (error.status && error.status >= 400 && error.status < 500) {
        return new SalvoError("BAD_REQUEST", error.status, "The request could not be read.");
      }
      return null;
  }
}

/** The one place where errors become HTTP answers. Anything unexpected is a logged 500. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const known = error instanceof SalvoError ? error : fromBodyParser(error);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // A body refused before it has all arrived (401, 413…): close the connection
    // after the answer rather than read and discard the rest the client announced.
    const announcesBody =
      Number(req.headers["content-length"] ?? 0) > 0 || req.headers["transfer-encoding"] !== undefined;
    if (announcesBody && !req.complete) res.set("Connection", "close");
    if (known) {
      const headers: Record<string, string> = {};
      if ("retryAfterSeconds" in known) headers["Retry-After"] = String(known.retryAfterSeconds);
      if (known.status === 401) headers["WWW-Authenticate"] = 'Bearer realm="salvo", Basic realm="salvo"';
      sendReply(req, res, {
        status: known.status,
        body: withNumericStatus(res, known, errorEnvelope(known)),
        headers,
      });
      return;
    }
    logger.error({ err: error, requestId: requestIdOf(res) }, "unhandled error");
    sendReply(req, res, {
      status: 500,
      body: withNumericStatus(res, null, {
        error: { code: "INTERNAL_ERROR", description: "Something went wrong on our side; it was logged." },
      }),
    });
  };
}
