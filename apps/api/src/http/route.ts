import { InvalidParameterError, PayloadTooLargeError, UnsupportedMediaTypeError } from "@salvo/core";
import type { Account } from "@salvo/db";
import express, { type Request, type RequestHandler, type Response } from "express";
import type { z } from "zod";
import { fingerprintBody, type IdempotencyOptions, idempotently } from "./idempotency";
import { type Reply, sendReply } from "./reply";

/** Small JSON bodies unless a route says otherwise (bulk routes raise it). */
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  req: Request;
  res: Response;
}

interface RouteSpec<P, Q, B> {
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  maxBodyBytes?: number;
  /** Honours `Idempotency-Key` (routes that create something): see `idempotently`. */
  idempotent?: true | IdempotencyOptions;
  handler: (input: RouteInput<P, Q, B>) => Promise<Reply> | Reply;
}

/**
 * One route: its params, query and body schemas and a thin handler. The handler
 * gets parsed values only; a value that does not parse is a 400 naming the field,
 * a body that is not JSON a 415, and nothing reaches the service.
 */
export function route<P = unknown, Q = unknown, B = unknown>(spec: RouteSpec<P, Q, B>): RequestHandler[] {
  const parseBody = spec.body
    ? [
        announcedWithin(spec.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES),
        express.json({
          limit: spec.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
          type: ["application/json", "application/*+json"],
          verify: fingerprintBody,
        }),
        requireJsonBody,
      ]
    : [];
  const handle: RequestHandler = async (req, res) => {
    const input = {
      params: parse(spec.params, req.params, "path"),
      query: parse(spec.query, req.query, "query"),
      body: parse(spec.body, req.body, "body"),
      req,
      res,
    } as RouteInput<P, Q, B>;
    const run = () => spec.handler(input);
    const { idempotent } = spec;
    const reply = idempotent
      ? await idempotently(
          req,
          res,
          { accountId: accountOf(res).id, ...(idempotent === true ? {} : idempotent) },
          run,
        )
      : await run();
    sendReply(req, res, reply);
  };
  return [...parseBody, handle];
}

// express.json reads a body past its limit to the end before answering 413 (to keep
// the connection): a body announced past the limit is refused before a byte of it is
// read, and the connection closed (see errorHandler).
function announcedWithin(limit: number): RequestHandler {
  return (req, _res, next) => {
    if (Number(req.headers["content-length"] ?? 0) > limit) throw new PayloadTooLargeError();
    next();
  };
}

// A body that came with another content type is left unparsed by express.json.
// An empty body (Content-Length: 0) is no body: the schema then says what is missing.
const requireJsonBody: RequestHandler = (req, _res, next) => {
  const hasContent =
    Number(req.headers["content-length"] ?? 0) > 0 || req.headers["transfer-encoding"] !== undefined;
  if (req.body === undefined && hasContent) throw new UnsupportedMediaTypeError();
  next();
};

// A missing body or query parses as `{}`, so the schema names the first missing field.
function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T | undefined {
  if (!schema) return undefined;
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  // An unknown key is reported on its object: name the key itself.
  const path = [
    ...(issue?.path ?? []),
    ...(issue?.code === "unrecognized_keys" ? issue.keys.slice(0, 1) : []),
  ];
  const field = path.length ? path.join(".") : where;
  throw new InvalidParameterError(`${field}: ${issue?.message ?? "invalid value"}`, field);
}

/** The authenticated account of a request (set by the auth middleware). */
export function accountOf(res: Response): Account {
  const account = res.locals.account as Account | undefined;
  if (!account) throw new Error("accountOf() on a route without authentication");
  return account;
}
