import { isUtf8 } from "node:buffer";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  InvalidJsonError,
  InvalidParameterError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from "@salvo/core";
import type { Account } from "@salvo/db";
import express, { type Request, type RequestHandler, type Response } from "express";
import type { z } from "zod";
import {
  fingerprintBody,
  type IdempotencyOptions,
  idempotently,
  type RequestIdempotency,
} from "./idempotency";
import { answerFormat, notInXml, type Reply, sendReply, unXmlableChar } from "./reply";

/** Small JSON bodies unless a route says otherwise (bulk routes raise it). */
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** The request's `Idempotency-Key`, as its services take it (routes declared `idempotent` only). */
  idempotency: RequestIdempotency;
  req: Request;
  res: Response;
}

interface RouteSpec<P = unknown, Q = unknown, B = unknown> {
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
          // Any JSON text parses; requireJsonBody then says when it is not an object.
          strict: false,
          verify: strictUtf8,
        }),
        requireJsonBody,
      ]
    : [];
  const handle: RequestHandler = async (req, res) => {
    const parsed = {
      params: parse(spec.params, req.params, "path"),
      query: parse(spec.query, req.query, "query string"),
      body: parse(spec.body, req.body, "request body"),
      req,
      res,
    } as Omit<RouteInput<P, Q, B>, "idempotency">;
    if (answerFormat(req) !== "application/json") refuseWhatXmlCannotCarry(req.body, "");
    const run = (idempotency: RequestIdempotency) => spec.handler({ ...parsed, idempotency });
    const { idempotent } = spec;
    const reply = idempotent
      ? await idempotently(
          req,
          res,
          { accountId: accountOf(res).id, ...(idempotent === true ? {} : idempotent) },
          run,
        )
      : await run(NOT_IDEMPOTENT);
    sendReply(req, res, reply);
  };
  declareRoute(handle, spec as RouteSpec);
  return [...parseBody, handle];
}

/** What the OpenAPI document (src/openapi) reads of a route: the schemas that validate its requests. */
export interface RouteDescription {
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  idempotent?: unknown;
  /** Its success answer's JSON, when declared beside the handler (SMSFactor's routes, `sfRoute`). */
  answer?: z.ZodType;
}

// Each route's description, by its handler: the document reads the schemas that
// validate requests from here, so they are described as they are checked.
const declared = new WeakMap<RequestHandler, RouteDescription>();

/** Records what a route handler validates (and answers), for the OpenAPI document. */
export function declareRoute(handler: RequestHandler, description: RouteDescription): void {
  declared.set(handler, description);
}

/** The description a handler of `route()` or `sfRoute()` was declared with; undefined for other handlers. */
export function routeSpecOf(handler: unknown): RouteDescription | undefined {
  return declared.get(handler as RequestHandler);
}

// A route not declared `idempotent` has no key to honour: using one is a mistake in the route.
const notIdempotent = (): never => {
  throw new Error("an idempotency handle used by a route not declared idempotent");
};
const NOT_IDEMPOTENT: RequestIdempotency = { id: notIdempotent, answering: notIdempotent };

// express.json reads a body past its limit to the end before answering 413 (to keep
// the connection): a body announced past the limit is refused before a byte of it is
// read, and the connection closed (see errorHandler).
function announcedWithin(limit: number): RequestHandler {
  return (req, _res, next) => {
    if (Number(req.headers["content-length"] ?? 0) > limit) throw new PayloadTooLargeError();
    next();
  };
}

// An XML answer cannot carry some characters (see reply.ts), and answers may echo
// the request: such a request is refused (406) before it does anything, rather
// than done and then answered with a 406.
function refuseWhatXmlCannotCarry(value: unknown, path: string): void {
  if (typeof value === "string") {
    const char = unXmlableChar(value);
    if (char) throw notInXml(`The request body's ${path}`, char);
  } else if (value && typeof value === "object") {
    for (const [key, inner] of Object.entries(value)) {
      const at = path ? `${path}.${key}` : key;
      const char = unXmlableChar(key);
      if (char) throw notInXml("A key of the request body", char);
      refuseWhatXmlCannotCarry(inner, at);
    }
  }
}

// express.json's `verify`, given the body's bytes before they are decoded: a body
// that is not UTF-8 is refused rather than read with U+FFFD in place of its bad
// bytes (and stored, and charged). isUtf8 checks the buffer in place, so a bulk
// body is not held twice over. Then the body is fingerprinted for idempotency.
function strictUtf8(req: IncomingMessage, res: ServerResponse, body: Buffer, encoding: string): void {
  if (encoding !== "utf-8") {
    throw new UnsupportedMediaTypeError(
      `Send the request body as UTF-8 JSON, not ${encoding.toUpperCase()}.`,
    );
  }
  if (!isUtf8(body)) throw new InvalidJsonError("The request body is not valid UTF-8.");
  fingerprintBody(req, res, body);
}

// A body that came with another content type is left unparsed by express.json.
// An empty body (Content-Length: 0) is no body: the schema then says what is missing.
// Every route takes a JSON object: other JSON (an array, a string, null) is named
// for what it is, with no `field` (it is about the request body as a whole).
const requireJsonBody: RequestHandler = (req, _res, next) => {
  const hasContent =
    Number(req.headers["content-length"] ?? 0) > 0 || req.headers["transfer-encoding"] !== undefined;
  if (req.body === undefined && hasContent) throw new UnsupportedMediaTypeError();
  if (
    req.body !== undefined &&
    (typeof req.body !== "object" || req.body === null || Array.isArray(req.body))
  ) {
    throw new InvalidParameterError(`The request body must be a JSON object, got ${jsonKind(req.body)}.`);
  }
  next();
};

function jsonKind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

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
  // An issue about the whole body or query names no field (`body` is a field of several routes).
  const field = path.length ? path.join(".") : undefined;
  throw new InvalidParameterError(`${field ?? `the ${where}`}: ${issue?.message ?? "invalid value"}`, field);
}

/** The authenticated account of a request (set by the auth middleware). */
export function accountOf(res: Response): Account {
  const account = res.locals.account as Account | undefined;
  if (!account) throw new Error("accountOf() on a route without authentication");
  return account;
}
