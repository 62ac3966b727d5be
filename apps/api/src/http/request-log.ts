import { randomUUID } from "node:crypto";
import querystring from "node:querystring";
import { maskPhoneNumbers } from "@salvo/core";
import type { Logger } from "@salvo/runtime";
import type { RequestHandler, Response } from "express";

const CLIENT_REQUEST_ID = /^[\w.:-]{1,128}$/;

/** The id of a request, set by requestLog (for error logs). */
export function requestIdOf(res: Response): string | undefined {
  return res.locals.requestId as string | undefined;
}

/**
 * A request's path as logged: without its query string, percent-decoded (leniently)
 * and in compatibility form (fullwidth digits are digits), then with phone numbers
 * masked, so `/v1/blacklist/06%2012%2034%2056%2078` cannot slip past the mask.
 */
function loggedPath(url: string): string {
  return maskPhoneNumbers(querystring.unescape(url.split("?")[0] ?? "").normalize("NFKC"));
}

/**
 * One log line per request with its id (the client's `X-Request-Id` when it is
 * sane, else a new UUID, echoed back), method, path, status, time and account.
 * Query strings, headers and bodies are never logged; phone numbers in paths are
 * masked. The line is built when the request ends, and only if its level is
 * logged: a request costs next to nothing at LOG_LEVEL=warn.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const fromClient = req.headers["x-request-id"];
    const id =
      typeof fromClient === "string" && CLIENT_REQUEST_ID.test(fromClient) ? fromClient : randomUUID();
    res.setHeader("X-Request-Id", id);
    res.locals.requestId = id;
    const startedAt = Date.now();

    let logged = false;
    const done = () => {
      if (logged) return;
      logged = true;
      res.off("finish", done);
      res.off("close", done);
      const failed = res.statusCode >= 500;
      const level = failed ? "error" : "info";
      if (!logger.isLevelEnabled(level)) return;
      const account = res.locals.account as { id: string } | undefined;
      logger[level](
        {
          req: { id, method: req.method, path: loggedPath(req.originalUrl) },
          ...(account ? { accountId: account.id } : {}),
          res: { statusCode: res.statusCode },
          responseTime: Date.now() - startedAt,
        },
        failed ? "request errored" : res.writableEnded ? "request completed" : "request aborted",
      );
    };
    res.on("finish", done);
    res.on("close", done);
    next();
  };
}
