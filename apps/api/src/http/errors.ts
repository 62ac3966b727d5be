import {
  BadRequestError,
  InvalidJsonError,
  MethodNotAllowedError,
  NotAcceptableError,
  NotFoundError,
  PayloadTooLargeError,
  SalvoError,
  UnsupportedMediaTypeError,
} from "@salvo/core";
import type { Logger } from "@salvo/runtime";
import type { Application, ErrorRequestHandler, Request, RequestHandler, Response } from "express";
import { sendReply } from "./reply";
import { requestIdOf } from "./request-log";

/** The error envelope every failed request answers with. */
export interface ErrorEnvelope {
  error: { code: string; description: string; field?: string; next_opening?: string };
}

export function errorEnvelope(error: SalvoError): ErrorEnvelope {
  return {
    error: {
      code: error.code,
      description: error.message,
      ...(error.field ? { field: error.field } : {}),
      // When a marketing message may be sent (OUTSIDE_SENDING_HOURS).
      ...("nextOpening" in error ? { next_opening: String(error.nextOpening) } : {}),
    },
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

/**
 * -1 authentication, -3 credits, -5 not found (or another method), -6 unreadable JSON, -7 data error, -99 anything else.
 * (-8, a batch held for moderation, is no error: the route answers it with HTTP 200.)
 */
export function numericStatus(error: SalvoError | null): number {
  if (!error) return -99;
  if (error.code === "INVALID_JSON" || error.code === "UNSUPPORTED_MEDIA_TYPE") return -6;
  switch (error.status) {
    case 401:
      return -1;
    case 402:
      return -3;
    case 404:
    case 405:
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

/**
 * After every route: a path that some route serves with other methods is a 405
 * with `Allow` (read from the routes the app registered, so a new route is
 * covered by itself); any other path is a 404.
 */
export const notFound: RequestHandler = (req) => {
  // The whole path, also where it is mounted under a prefix (the admin routes').
  const path = req.baseUrl + req.path;
  const allow = allowedMethods(req.app, path);
  if (allow.length > 0) throw new MethodNotAllowedError(allow);
  throw new NotFoundError(`No route ${req.method} ${path}.`);
};

/**
 * OPTIONS on a path some route serves: 204 with `Allow`, before authentication
 * (it tells what the API reference tells). Other paths go on to their 401 or 404.
 */
export const answerOptions: RequestHandler = (req, res, next) => {
  const allow = req.method === "OPTIONS" ? allowedMethods(req.app, req.path) : [];
  if (allow.length === 0) {
    next();
    return;
  }
  res.set("Allow", allow.join(", ")).status(204).end();
};

interface Layer {
  match(path: string): { path: string; keys?: string[] } | false;
  route?: { methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/**
 * The methods the app's routes take on `path`, sorted: GET implies HEAD (Express
 * answers it), and any route implies OPTIONS (answerOptions). None: no such path.
 */
function allowedMethods(app: Application, path: string): string[] {
  // A route of a fixed path (`/batches/simulate`) shadows those whose parameter
  // the same path fills (`/batches/:id`): only its methods are allowed.
  const exact = new Set<string>();
  const parameterised = new Set<string>();
  const walk = (stack: Layer[], rest: string) => {
    for (const layer of stack) {
      const matched = layer.match(rest);
      if (!matched) continue;
      if (layer.route) {
        const methods = (matched.keys?.length ?? 0) > 0 ? parameterised : exact;
        for (const method of Object.keys(layer.route.methods)) {
          if (method !== "_all") methods.add(method.toUpperCase());
        }
        if (layer.route.methods.get) methods.add("HEAD");
      } else if (layer.handle?.stack) {
        // A mounted router sees the path past its mount point.
        walk(layer.handle.stack, rest.slice(matched.path.length) || "/");
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, path);
  const methods = exact.size > 0 ? exact : parameterised;
  if (methods.size > 0) methods.add("OPTIONS");
  return [...methods].sort();
}

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
        return new BadRequestError(
          error instanceof URIError
            ? "The path is not valid percent-encoded UTF-8."
            : "The request could not be read (e.g. a compressed body that does not decompress).",
        );
      }
      return null;
  }
}

function answer(req: Request, res: Response, known: SalvoError) {
  const headers: Record<string, string> = {};
  if ("retryAfterSeconds" in known) headers["Retry-After"] = String(known.retryAfterSeconds);
  if (known instanceof MethodNotAllowedError) headers.Allow = known.allow.join(", ");
  if (known.status === 401) headers["WWW-Authenticate"] = 'Bearer realm="salvo", Basic realm="salvo"';
  sendReply(req, res, {
    status: known.status,
    body: withNumericStatus(res, known, errorEnvelope(known)),
    headers,
  });
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
      try {
        answer(req, res, known);
      } catch (unwritable) {
        // An error that echoes what XML cannot carry (e.g. an unknown field's name): 406, in ASCII.
        if (!(unwritable instanceof NotAcceptableError)) throw unwritable;
        answer(req, res, unwritable);
      }
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
