// The conventions every SMSFactor-compatible route follows (docs/compat.md):
// answers in XML by default (JSON on `Accept: application/json`), always HTTP 200
// with a numeric `status` (1, or a negative code for an error), request bodies in
// JSON, XML or a form's `data=<json>`, a body sent with GET or DELETE ignored.
import { isUtf8 } from "node:buffer";
import { parisDateTime } from "@salvo/core";
import type { Account } from "@salvo/db";
import express, { type Request, type RequestHandler, type Response } from "express";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { z } from "zod";
import { fingerprintBody, type IdempotencyOptions, idempotently } from "../http/idempotency";
import { type Reply, unXmlableChar } from "../http/reply";
import { accountOf, declareRoute } from "../http/route";
import type { Idempotency } from "../services/idempotency";

/** The `status` codes of SMSFactor's answers (reference §1.1). */
export const SF_STATUS = {
  ok: 1,
  authentication: -1,
  xml: -2,
  credits: -3,
  delay: -4,
  notFound: -5,
  json: -6,
  data: -7,
  moderation: -8,
  unknown: -99,
} as const;

/** The short `message` of each error code, as SMSFactor's docs name them (the explanation goes in `details`). */
export const SF_MESSAGES: Record<number, string> = {
  [-1]: "Authentication error",
  [-2]: "XML error",
  [-3]: "Not enough credits",
  [-4]: "Incorrect date delay",
  [-5]: "Resource not found",
  [-6]: "JSON error",
  [-7]: "Data error",
  [-8]: "Your campaign is currently under moderation",
  [-99]: "Unknown error",
};

/**
 * An error in SMSFactor's terms: answered HTTP 200 as
 * `{"status": <code>, "message": <the code's message>, "details": <details>}`.
 * Routes throw it for what only SMSFactor's routes refuse; the services' own
 * errors (SalvoError) are mapped to a code by the router's error handler.
 */
export class SmsFactorError extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
  ) {
    super(details);
    this.name = "SmsFactorError";
  }
}

// ---------------------------------------------------------------------------
// Answers

/** The JSON of SMSFactor's error answer (HTTP 200 too): `{"status": <negative>, "message", "details"}` (reference §1.1). */
export const sfErrorAnswer = z.object({
  status: z.literal(Object.values(SF_STATUS).filter((code) => code < 0)),
  message: z.string(),
  details: z.string().optional(),
});

/** The JSON of a route's success answer, for the OpenAPI document: `{"status": 1, "message": "OK", ...fields}`. */
export const sfOk = <T extends z.ZodRawShape>(fields: T) =>
  z.object({ status: z.literal(SF_STATUS.ok), message: z.literal("OK"), ...fields });

/** What a route answers: its fields after `status` and `message` (those are 1 and "OK" unless it gives its own). */
export type SfAnswer = Record<string, unknown>;

type Format = "json" | "xml";

/**
 * The format of a request's answers: JSON when the Accept header prefers
 * `application/json` (every SDK sends it), XML otherwise — no Accept, `*\/*`,
 * XML types or anything else ("Our API expects and returns XML by default").
 */
function sfFormat(req: Request): Format {
  if (req.headers.accept === undefined) return "xml";
  return req.accepts(["application/xml", "text/xml", "application/json"]) === "application/json"
    ? "json"
    : "xml";
}

/** Options of an answer's XML form. */
interface XmlOptions {
  /** Element names that differ from the JSON keys (e.g. `{"sub-accounts": "sub-account"}`), at any depth. */
  names?: Record<string, string>;
}

/**
 * Writes an answer, HTTP 200: `{"status": 1, "message": "OK", ...answer}` unless
 * `answer` has its own `status` and `message` (which then come first).
 */
export function sendSf(req: Request, res: Response, answer: SfAnswer, xml: XmlOptions = {}): void {
  const { status = SF_STATUS.ok, message = "OK", ...fields } = answer;
  const body = { status, message, ...fields };
  res.vary("Accept");
  res.status(200);
  if (sfFormat(req) === "json") {
    res.json(body);
    return;
  }
  res.type("application/xml").send(toXml(body, xml));
}

/**
 * An answer in SMSFactor's XML (reference §1.3): the prolog, a `<response>` root,
 * an array as one element per item named by its key (`<campaigns>…</campaigns><campaigns>…</campaigns>`;
 * an empty array writes none), `null` as the text `null`, booleans as `true`/`false`.
 * A text XML 1.0 cannot carry at all (C0 controls, unpaired surrogates) is never
 * altered: -7, asking for JSON (sfRoute refuses such a request before running it).
 */
export function toXml(body: SfAnswer, options: XmlOptions = {}): string {
  return `<?xml version="1.0" encoding="UTF-8"?><response>${elements(body, options)}</response>`;
}

function elements(object: Record<string, unknown>, options: XmlOptions): string {
  let out = "";
  for (const [key, value] of Object.entries(object)) {
    if (value === undefined) continue;
    const name = options.names?.[key] ?? key;
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) out += `<${name}>${content(item, options)}</${name}>`;
  }
  return out;
}

function content(value: unknown, options: XmlOptions): string {
  if (value === null || value === undefined) return "null";
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item) => content(item, options)).join("");
  if (typeof value === "object") return elements(value as Record<string, unknown>, options);
  return escapeXml(String(value));
}

const XML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;" };

function escapeXml(text: string): string {
  const char = unXmlableChar(text);
  if (char) throw notInXmlAnswer(char);
  return text.replace(/[&<>\r]/g, (c) => XML_ESCAPES[c] as string);
}

const notInXmlAnswer = (char: string) =>
  new SmsFactorError(
    SF_STATUS.data,
    `A text holds ${char}, which XML 1.0 cannot carry: ask for JSON (Accept: application/json).`,
  );

/**
 * Refuses a request whose texts an XML answer could not echo (before anything is
 * done). A loop, not recursion: a body nested 10,000 deep would overflow the stack (-99).
 */
function refuseWhatXmlCannotCarry(value: unknown): void {
  const pending = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next === "string") {
      const char = unXmlableChar(next);
      if (char) throw notInXmlAnswer(char);
    } else if (next && typeof next === "object") {
      for (const [key, inner] of Object.entries(next)) pending.push(key, inner);
    }
  }
}

// ---------------------------------------------------------------------------
// Request bodies

const TEXT = "#text";
const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "",
  // An element with attributes keeps its text here; readXml names it `value` (see there).
  textNodeName: TEXT,
  // Numbers stay text (a phone number is no number); the schemas read numbers from text.
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
});

/** The request's body as read by readBody: an object (an empty one without a body). */
export function bodyOf(req: Request): Record<string, unknown> {
  return (req.body as Record<string, unknown> | undefined) ?? {};
}

/**
 * Reads any request body into `req.body` as one object, whatever it came as:
 * JSON (`{"sms": {…}}`), XML (the root element as the top key, `<sms>…</sms>` →
 * `{"sms": {…}}`; an element's attributes and text are its keys, the text as
 * `value`), or a form (`data=<json>`, the legacy encoding; other fields as they
 * are). A body sent with GET, HEAD or DELETE is read and ignored (the PHP SDK
 * sends `[]` on every request); so is a JSON `[]` anywhere (no parameters).
 * Unreadable JSON is -6, unreadable XML -2; what is read but wrong is for the
 * route's schema (-7).
 */
export function readBody(maxBytes: number): RequestHandler[] {
  return [
    express.raw({ type: () => true, limit: maxBytes }),
    (req, res, next) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      fingerprintBody(req, res, raw);
      req.body = {};
      if (["GET", "HEAD", "DELETE"].includes(req.method) || raw.length === 0) return next();
      if (!isUtf8(raw)) throw new SmsFactorError(SF_STATUS.data, "The request body is not valid UTF-8.");
      req.body = parseBody(raw.toString("utf8"), req.headers["content-type"] ?? "");
      next();
    },
  ];
}

function parseBody(text: string, contentType: string): Record<string, unknown> {
  const type = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  if (type === "application/x-www-form-urlencoded") {
    const form = Object.fromEntries(new URLSearchParams(text));
    return form.data === undefined ? form : parseJson(form.data, "The form's `data` field");
  }
  if (type.endsWith("/xml") || type.endsWith("+xml")) return parseXml(text);
  if (type.endsWith("/json") || type.endsWith("+json")) return parseJson(text, "The request body");
  // No or another content type: XML if it looks like XML, else JSON.
  return text.trimStart().startsWith("<") ? parseXml(text) : parseJson(text, "The request body");
}

function parseJson(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SmsFactorError(SF_STATUS.json, `${what} is not valid JSON.`);
  }
  if (Array.isArray(value) && value.length === 0) return {};
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new SmsFactorError(SF_STATUS.json, `${what} must be a JSON object, e.g. {"sms": {…}}.`);
  }
  return value as Record<string, unknown>;
}

function parseXml(text: string): Record<string, unknown> {
  // The parser would expand a DOCTYPE's entities (and throw on external ones): no
  // SMSFactor request has a DOCTYPE, so none is read (no entity tricks, no -99).
  if (/<!DOCTYPE/i.test(text)) {
    throw new SmsFactorError(
      SF_STATUS.xml,
      "The request body must not have a DOCTYPE (entities are not read).",
    );
  }
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw new SmsFactorError(
      SF_STATUS.xml,
      `The request body is not valid XML: ${valid.err.msg} (line ${valid.err.line}).`,
    );
  }
  let parsed: Record<string, unknown>;
  try {
    parsed = xmlParser.parse(text) as Record<string, unknown>;
  } catch (error) {
    // What the validator lets through and the parser still refuses is the client's XML too.
    throw new SmsFactorError(SF_STATUS.xml, `The request body is not valid XML: ${(error as Error).message}`);
  }
  const roots = Object.keys(parsed);
  if (roots.length !== 1) {
    throw new SmsFactorError(SF_STATUS.xml, "The request body must have one root element, e.g. <sms>.");
  }
  return textAsValue(parsed) as Record<string, unknown>;
}

/**
 * An element's text beside its attributes as `value`: `<gsm gsmsmsid="100">336…</gsm>`
 * reads as {"gsmsmsid": "100", "value": "336…"}, as the JSON request writes it.
 * (The parser cannot name the text `value` itself: `<value>` is also an element.)
 */
function textAsValue(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(textAsValue);
  if (!node || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, inner]) => [key === TEXT ? "value" : key, textAsValue(inner)]),
  );
}

// ---------------------------------------------------------------------------
// Routes

interface SfRouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  account: Account;
  /** The request's `Idempotency-Key`, as services take it (a new id each time on routes not declared `idempotent`). */
  idempotency: Idempotency;
  req: Request;
  res: Response;
}

interface SfRouteSpec<P, Q, B> {
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** Its success answer's JSON (`sfOk`), described in the OpenAPI document and checked by the API's tests. */
  answer: z.ZodType;
  xml?: XmlOptions;
  /** Honours `Idempotency-Key` as /v1 does (see `idempotently`): a retry gets the first answer. */
  idempotent?: IdempotencyOptions;
  handler: (input: SfRouteInput<P, Q, B>) => Promise<SfAnswer> | SfAnswer;
}

/** Routes not declared `idempotent`: every request makes its own ids. */
const NO_KEY: Idempotency = { id: async (make) => make() };

/**
 * One SMSFactor route: its schemas (the body as readBody made it, the same for
 * JSON, XML and forms) and a thin handler calling Salvo's services. What does not
 * parse is -7, its `details` naming the field (`sms.message.text: required`).
 */
export function sfRoute<P = unknown, Q = unknown, B = unknown>(spec: SfRouteSpec<P, Q, B>): RequestHandler {
  const handle: RequestHandler = async (req, res) => {
    refuseUnanswerable(req);
    const input = {
      params: parse(spec.params, req.params),
      query: parse(spec.query, req.query),
      body: parse(spec.body, bodyOf(req)),
      account: accountOf(res),
      req,
      res,
    } as Omit<SfRouteInput<P, Q, B>, "idempotency">;
    const run = async (idempotency: Idempotency): Promise<Reply> => ({
      status: 200,
      body: await spec.handler({ ...input, idempotency }),
    });
    const reply = spec.idempotent
      ? await idempotently(req, res, { accountId: input.account.id, ...spec.idempotent }, run)
      : await run(NO_KEY);
    sendSf(req, res, reply.body as SfAnswer, spec.xml);
  };
  declareRoute(handle, spec);
  return handle;
}

/**
 * What every route refuses before reading a request (also a route that answers
 * other than sfRoute does, such as a CSV download): texts an XML answer could not
 * echo (-7), an id holding a NUL (-5: PostgreSQL refuses one in a query, once -99).
 */
export function refuseUnanswerable(req: Request): void {
  if (sfFormat(req) === "xml") refuseWhatXmlCannotCarry([bodyOf(req), req.query, req.params]);
  for (const [name, value] of Object.entries(req.params)) {
    if (String(value).includes("\u0000"))
      throw new SmsFactorError(SF_STATUS.notFound, `No ${name} holds a NUL.`);
  }
}

/** Parses with `schema`, or throws -7 naming the first problem. */
function parse<T>(schema: z.ZodType<T> | undefined, value: unknown): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  throw new SmsFactorError(SF_STATUS.data, zodDetails(result.error));
}

/** A zod error as one line: the first issue, with the path of its field. */
export function zodDetails(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "Invalid request.";
  const path = [...issue.path, ...(issue.code === "unrecognized_keys" ? issue.keys.slice(0, 1) : [])];
  const message = issue.code === "invalid_type" && issue.input === undefined ? "required" : issue.message;
  return path.length ? `${path.join(".")}: ${message}` : message;
}

// ---------------------------------------------------------------------------
// Values

/**
 * One or several: XML has no arrays (one `<gsm>` reads as an object, several as
 * an array), and clients write one where the reference has a list. Absent stays absent.
 */
export function oneOrMany<T extends z.ZodType>(item: T) {
  return z.preprocess(
    (value) => (value === undefined || Array.isArray(value) ? value : [value]),
    z.array(item),
  );
}

/** An id as SMSFactor's clients send it, a string or an integer (`45190`, `"5a03…"`), read as a string. */
export const sfId = z
  .union([z.string().trim().min(1, "empty id").max(64), z.number().int().nonnegative()])
  .transform(String);

/** An integer given as a JSON number or as text (XML, query strings, forms): `"1"`, `1`. */
export const sfInt = z.union([
  z.number().int(),
  z
    .string()
    .trim()
    .regex(/^-?\d{1,15}$/, "expected an integer")
    .transform(Number),
]);

/** 0/1 flags as SMSFactor writes them (`"unicode": 0`), also `true`/`false`. */
export const sfFlag = z.union([
  z.boolean(),
  z.literal(0).transform(() => false),
  z.literal(1).transform(() => true),
  z.enum(["0", "1", "true", "false"]).transform((text) => text === "1" || text === "true"),
]);

/** A number as the reference's detail objects write them: a string (`"cost": "2128"`); null stays null. */
export function numberText(value: number | bigint | null | undefined): string | null {
  return value === null || value === undefined ? null : String(value);
}

/**
 * A `Y-m-d H:i:s` date-time read in Europe/Paris time (SMSFactor's `delay`,
 * `date_start`…) as an instant; null when it is not such a date, or names a
 * time that does not exist there (the hour skipped when summer time starts).
 * The hour repeated when it ends is read as its first (summer-time) instance.
 */
export function fromParisDateTime(text: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(text.trim());
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as number[];
  const asUtc = Date.UTC(year as number, (month as number) - 1, day, hour, minute, second);
  // Paris is UTC+1 or UTC+2: try both offsets, summer time first, keep the one that reads back.
  for (const offsetHours of [2, 1]) {
    const candidate = new Date(asUtc - offsetHours * 3_600_000);
    if (parisDateTime(candidate) === text.trim()) return candidate;
  }
  return null;
}
