import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { maskPhoneNumbers } from "@salvo/core";
import type { Logger } from "@salvo/runtime";
import { pinoHttp } from "pino-http";

const CLIENT_REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * One log line per request with its id (the client's `X-Request-Id` when it is
 * sane, else a new UUID, echoed back), method, path, status, time and account.
 * Query strings, headers and bodies are never logged; phone numbers in paths are masked.
 */
export function requestLog(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId: (req: IncomingMessage, res: ServerResponse) => {
      const fromClient = req.headers["x-request-id"];
      const id =
        typeof fromClient === "string" && CLIENT_REQUEST_ID.test(fromClient) ? fromClient : randomUUID();
      res.setHeader("X-Request-Id", id);
      return id;
    },
    customProps: (_req, res) => {
      const account = (res as ServerResponse & { locals?: { account?: { id: string } } }).locals?.account;
      return account ? { accountId: account.id } : {};
    },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? "error" : "info"),
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        path: maskPhoneNumbers(req.url.split("?")[0] ?? ""),
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
}
