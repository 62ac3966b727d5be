// Property-based tests over every public endpoint: whatever a client sends (random
// and malformed JSON, wrong types, invalid UTF-8, control characters, numbers in
// any script, huge strings, deep nesting, unknown fields, wrong content types),
// the answer is a 2xx for what is valid or a 4xx in the error envelope: never a
// 5xx, never a hang, and a refused request writes nothing. fast-check prints the
// seed and path of a failure; replay it with FUZZ_SEED=<seed>.
import { connect, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { unXmlableChar } from "../src/http/reply";
import {
  type FieldKind,
  jsonText,
  nastyJson,
  nastyKey,
  nastyString,
  numberText,
  oddText,
  percentEncode,
  runs,
  servedRoutes,
  wrongValue,
} from "./fuzz-values";
import { startTestApi, type TestApi } from "./harness";

/** The longest any answer may take: past it the request is aborted and the property fails. */
const ANSWER_WITHIN_MS = 10_000;
const BULK_BODY_BYTES = 16 * 1024 * 1024;

let t: TestApi;
let token: string;
/** An operator's token, for the admin routes (`auth: "admin"`). */
let adminToken: string;
let tables: string[];
beforeAll(async () => {
  t = await startTestApi({
    // Webhook URLs on private addresses are refused, as in production.
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: "false",
    // POST /v1/send would wait for workers that do not run here.
    SEND_TIMEOUT_MS: "50",
    MAX_BODY_BYTES: String(BULK_BODY_BYTES),
    LOG_LEVEL: "info",
  });
  let accountId: string;
  ({ token, accountId } = await t.newAccount({ credits: 1_000_000, apiRateLimit: 1_000_000 }));
  adminTargetId = (await t.newAccount()).accountId;
  ({ token: adminToken } = await t.store.adminTokens.create("fuzz"));
  subAccountId = (await t.store.subAccounts.create(accountId, { name: "Fuzz", credits: 1_000 })).id;
  contactListId = (
    await t.store.contactLists.create({ id: "cl_fuzz", accountId, name: "Fuzz", country: "FR" })
  ).id;
  const rows = await t.query<{ name: string }>(
    `SELECT tablename::text AS name FROM pg_tables
      WHERE schemaname = current_schema() AND tablename <> '_prisma_migrations' ORDER BY 1`,
  );
  tables = rows.map((r) => r.name);
});
afterAll(() => t?.stop());

// ---------------------------------------------------------------------------
// Every endpoint, with what its body takes.

interface Endpoint {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** As registered, `:name` for a path parameter. */
  path: string;
  /** `"admin"`: an operator's token (the admin routes). */
  auth: boolean | "admin";
  /** Takes `?page=N` (and maybe more). */
  paged?: boolean;
  /** A valid body, and the kind of every field the body may have. */
  body?: {
    valid: Record<string, unknown>;
    fields: Record<string, FieldKind>;
    /** Fields that take null too (a setting that follows the parent's). */
    nullable?: string[];
    /** Every field is optional: `{}` (and an empty body) is valid. */
    allOptional?: boolean;
  };
  /** Where its bodies are sent, when its path takes an id: one of the account's own (set in beforeAll). */
  at?: () => string;
}

/** A sub-account of the fuzzing account, for the routes under `/v1/subaccounts/:id`. */
let subAccountId = "";
/** Another account, whose limits and credits the admin routes change (not the fuzzing account's own). */
let adminTargetId = "";
/** A contact list of the fuzzing account, for the routes under `/v1/contact-lists/:id`. */
let contactListId = "";

// A message body and phone number that must never reach a log line.
const MARKER_BODY = "fuzz-marker-body-7f3a";
const NUMBER = "+33612345678";
const batchBody = {
  valid: { from: "ACME", body: MARKER_BODY, recipients: [NUMBER] },
  fields: {
    from: "string",
    body: "string",
    recipients: "array",
    country: "string",
    type: "string",
    send_at: "string",
    name: "string",
    shorten_urls: "boolean",
    links: "array",
  },
} satisfies Endpoint["body"];
const numbersBody = {
  valid: { numbers: [NUMBER] },
  fields: { numbers: "array" },
} satisfies Endpoint["body"];

const ENDPOINTS: Endpoint[] = [
  { method: "GET", path: "/healthz", auth: false },
  { method: "GET", path: "/readyz", auth: false },
  {
    method: "POST",
    path: "/v1/providers/simulator/inbound",
    auth: false,
    body: {
      valid: { from: NUMBER, to: "ACME", body: MARKER_BODY },
      fields: { from: "string", to: "string", body: "string" },
    },
  },
  { method: "GET", path: "/v1/account", auth: true },
  { method: "GET", path: "/v1/account/balance-alerts", auth: true },
  {
    method: "PUT",
    path: "/v1/account/balance-alerts",
    auth: true,
    body: {
      // E-mail alerts stay off: this API has no SMTP_URL.
      valid: { thresholds: [500, 100], sms_enabled: true, phone: "+33612345678" },
      fields: {
        thresholds: "array",
        email_enabled: "boolean",
        email: "string",
        sms_enabled: "boolean",
        phone: "string",
      },
      nullable: ["email", "phone"],
      allOptional: true,
    },
  },
  { method: "GET", path: "/v1/account/countries", auth: true },
  { method: "GET", path: "/v1/account/sending-hours", auth: true },
  {
    method: "PUT",
    path: "/v1/account/sending-hours",
    auth: true,
    body: {
      valid: {
        time_zone: "Europe/Paris",
        windows: [{ days: [1, 2, 3, 4, 5, 6], from: "08:00", to: "20:00" }],
        holidays: "FR",
      },
      fields: { time_zone: "string", windows: "array", holidays: "string" },
      nullable: ["time_zone", "windows", "holidays"],
      allOptional: true,
    },
  },
  { method: "GET", path: "/v1/account/opt-out-mention", auth: true },
  {
    method: "PUT",
    path: "/v1/account/opt-out-mention",
    auth: true,
    body: { valid: { mention: "STOP au 36180" }, fields: { mention: "string" }, nullable: ["mention"] },
  },
  { method: "GET", path: "/v1/account/retention", auth: true },
  {
    method: "PUT",
    path: "/v1/account/retention",
    auth: true,
    body: {
      valid: { message: "2d", list: "2m", survey: "5m", campaign: "1y" },
      fields: { message: "string", list: "string", survey: "string", campaign: "string" },
      nullable: ["message", "list", "survey", "campaign"],
      allOptional: true,
    },
  },
  { method: "GET", path: "/v1/tokens", auth: true, paged: true },
  {
    method: "POST",
    path: "/v1/tokens",
    auth: true,
    body: { valid: { label: "ci" }, fields: { label: "string" } },
  },
  { method: "DELETE", path: "/v1/tokens/:id", auth: true },
  { method: "POST", path: "/v1/batches", auth: true, body: batchBody },
  { method: "POST", path: "/v1/batches/simulate", auth: true, body: batchBody },
  { method: "GET", path: "/v1/batches", auth: true, paged: true },
  { method: "GET", path: "/v1/batches/:id", auth: true },
  { method: "GET", path: "/v1/batches/:id/messages", auth: true, paged: true },
  { method: "GET", path: "/v1/batches/:id/messages.csv", auth: true },
  { method: "GET", path: "/v1/batches/:id/replies", auth: true, paged: true },
  { method: "GET", path: "/v1/batches/:id/stops", auth: true, paged: true },
  { method: "GET", path: "/v1/batches/:id/npai", auth: true, paged: true },
  { method: "GET", path: "/v1/batches/:id/links", auth: true },
  { method: "GET", path: "/v1/batches/:id/events", auth: true },
  { method: "POST", path: "/v1/batches/:id/cancel", auth: true },
  {
    method: "POST",
    path: "/v1/sms",
    auth: true,
    body: {
      valid: { from: "ACME", to: NUMBER, body: MARKER_BODY },
      fields: {
        from: "string",
        to: "string",
        body: "string",
        shortenUrls: "boolean",
        isTransactional: "boolean",
        send_at: "string",
      },
    },
  },
  { method: "GET", path: "/v1/sms/:id", auth: true },
  { method: "POST", path: "/v1/send", auth: true, body: batchBody },
  { method: "POST", path: "/v1/send/simulate", auth: true, body: batchBody },
  { method: "POST", path: "/v1/blacklist", auth: true, body: numbersBody },
  { method: "GET", path: "/v1/blacklist", auth: true, paged: true },
  { method: "DELETE", path: "/v1/blacklist/:number", auth: true },
  { method: "POST", path: "/v1/npai", auth: true, body: numbersBody },
  { method: "GET", path: "/v1/npai", auth: true, paged: true },
  { method: "DELETE", path: "/v1/npai/:number", auth: true },
  { method: "POST", path: "/v1/lookup", auth: true, body: numbersBody },
  { method: "GET", path: "/v1/account/usage", auth: true },
  { method: "GET", path: "/v1/account/statements", auth: true },
  { method: "GET", path: "/v1/account/statements/:month", auth: true },
  { method: "GET", path: "/v1/account/statements/:month.csv", auth: true },
  {
    method: "POST",
    path: "/v1/webhooks",
    auth: true,
    // A public address literal: accepted without a DNS lookup or any connection.
    body: {
      valid: { url: "https://93.184.216.34/hooks", events: ["dlr"] },
      fields: { url: "string", events: "array", secret: "string" },
    },
  },
  { method: "GET", path: "/v1/webhooks", auth: true, paged: true },
  { method: "GET", path: "/v1/webhooks/:id", auth: true },
  { method: "DELETE", path: "/v1/webhooks/:id", auth: true },
  { method: "POST", path: "/v1/webhooks/:id/enable", auth: true },
  { method: "POST", path: "/v1/webhooks/:id/disable", auth: true },
  { method: "GET", path: "/v1/webhooks/:id/deliveries", auth: true, paged: true },
  { method: "GET", path: "/v1/replies", auth: true, paged: true },
  {
    method: "POST",
    path: "/v1/senders",
    auth: true,
    body: { valid: { sender: "ACME" }, fields: { sender: "string" } },
  },
  { method: "GET", path: "/v1/senders", auth: true, paged: true },
  { method: "DELETE", path: "/v1/senders/:id", auth: true },
  {
    method: "POST",
    path: "/v1/subaccounts",
    auth: true,
    body: { valid: { name: "Shop", credits: 1 }, fields: { name: "string", credits: "integer" } },
  },
  { method: "GET", path: "/v1/subaccounts", auth: true, paged: true },
  { method: "GET", path: "/v1/subaccounts/:id", auth: true },
  {
    method: "POST",
    path: "/v1/subaccounts/:id/credits",
    auth: true,
    body: { valid: { amount: 1 }, fields: { amount: "integer" } },
    at: () => `/v1/subaccounts/${subAccountId}/credits`,
  },
  { method: "GET", path: "/v1/subaccounts/:id/tokens", auth: true, paged: true },
  {
    method: "POST",
    path: "/v1/subaccounts/:id/tokens",
    auth: true,
    body: { valid: { label: "shop" }, fields: { label: "string" } },
    at: () => `/v1/subaccounts/${subAccountId}/tokens`,
  },
  { method: "DELETE", path: "/v1/subaccounts/:id/tokens/:tokenId", auth: true },
  { method: "GET", path: "/v1/subaccounts/:id/countries", auth: true },
  {
    method: "PUT",
    path: "/v1/subaccounts/:id/countries",
    auth: true,
    body: { valid: { allowed_countries: ["FR"] }, fields: { allowed_countries: "array|null" } },
    at: () => `/v1/subaccounts/${subAccountId}/countries`,
  },
  {
    method: "POST",
    path: "/v1/contact-lists",
    auth: true,
    body: { valid: { name: "Clients", country: "FR" }, fields: { name: "string", country: "string" } },
  },
  { method: "GET", path: "/v1/contact-lists", auth: true, paged: true },
  { method: "GET", path: "/v1/contact-lists/:id", auth: true },
  {
    method: "PATCH",
    path: "/v1/contact-lists/:id",
    auth: true,
    body: { valid: { name: "Renamed" }, fields: { name: "string", country: "string" } },
    at: () => `/v1/contact-lists/${contactListId}`,
  },
  { method: "DELETE", path: "/v1/contact-lists/:id", auth: true },
  {
    method: "POST",
    path: "/v1/contact-lists/:id/contacts",
    auth: true,
    body: {
      valid: { contacts: [{ number: NUMBER, fields: { first_name: "Ana" } }] },
      fields: { contacts: "array" },
    },
    at: () => `/v1/contact-lists/${contactListId}/contacts`,
  },
  { method: "GET", path: "/v1/contact-lists/:id/contacts", auth: true, paged: true },
  { method: "DELETE", path: "/v1/contact-lists/:id/contacts/:number", auth: true },
  { method: "POST", path: "/v1/contact-lists/:id/clean", auth: true },
  { method: "GET", path: "/v1/contact-lists/:id/export", auth: true },
  { method: "POST", path: "/v1/contact-lists/:id/imports", auth: true },
  { method: "GET", path: "/v1/contact-lists/:id/imports", auth: true, paged: true },
  { method: "GET", path: "/v1/contact-lists/:id/imports/:import_id", auth: true },
  { method: "GET", path: "/v1/groups", auth: true },
  {
    method: "POST",
    path: "/v1/groups/:groupId/contacts",
    auth: true,
    body: {
      valid: { contactPhoneNumber: NUMBER, contactFirstName: "Ana" },
      fields: {
        contactPhoneNumber: "string",
        contactEmailAddress: "string",
        contactFirstName: "string",
        contactLastName: "string",
        contactSubscribed: "boolean",
        contactBirthday: "string",
      },
    },
    at: () => `/v1/groups/${contactListId}/contacts`,
  },
  { method: "GET", path: "/v1/customColumns", auth: true },
  { method: "GET", path: "/v1/admin/accounts", auth: "admin", paged: true },
  {
    method: "POST",
    path: "/v1/admin/accounts",
    auth: "admin",
    body: {
      valid: { name: "Fuzz", credits: 1, api_requests_per_second: 10, default_country: "FR" },
      fields: {
        name: "string",
        credits: "integer",
        api_requests_per_second: "integer",
        default_country: "string",
      },
    },
  },
  { method: "GET", path: "/v1/admin/accounts/:id", auth: "admin" },
  {
    method: "PATCH",
    path: "/v1/admin/accounts/:id",
    auth: "admin",
    body: {
      valid: { messages_per_second: 10, allowed_countries: ["FR"], monthly_limits: { BE: 10 } },
      fields: {
        name: "string",
        api_requests_per_second: "integer",
        messages_per_second: "integer",
        default_country: "string",
        max_per_recipient_per_hour: "integer",
        max_same_body_per_recipient_per_hour: "integer",
        require_registered_sender: "boolean",
        allowed_countries: "array|null",
        monthly_limits: "object|null",
      },
      nullable: ["messages_per_second", "require_registered_sender", "allowed_countries", "monthly_limits"],
      allOptional: true,
    },
    at: () => `/v1/admin/accounts/${adminTargetId}`,
  },
  {
    method: "POST",
    path: "/v1/admin/accounts/:id/credits",
    auth: "admin",
    body: { valid: { amount: 1 }, fields: { amount: "integer" } },
    at: () => `/v1/admin/accounts/${adminTargetId}/credits`,
  },
  { method: "GET", path: "/v1/admin/moderation", auth: "admin", paged: true },
  { method: "POST", path: "/v1/admin/batches/:id/approve", auth: "admin" },
  {
    method: "POST",
    path: "/v1/admin/batches/:id/reject",
    auth: "admin",
    body: { valid: { reason: "spam" }, fields: { reason: "string" } },
  },
  { method: "GET", path: "/v1/admin/senders", auth: "admin" },
  { method: "POST", path: "/v1/admin/senders/:id/approve", auth: "admin" },
  {
    method: "POST",
    path: "/v1/admin/senders/:id/refuse",
    auth: "admin",
    body: { valid: { reason: "not yours" }, fields: { reason: "string" } },
  },
];

/** The token an endpoint is called with: the fuzzing account's, or the operator's. */
const bearerOf = (endpoint: Pick<Endpoint, "auth">) => (endpoint.auth === "admin" ? adminToken : token);

/** Routes whose every body field is optional: `{}` is a valid body. */
const OPTIONAL_BODY = (endpoint: Endpoint) =>
  endpoint.path.endsWith("/tokens") ||
  endpoint.path.endsWith("/reject") ||
  Boolean(endpoint.body?.allOptional);

/** Routes that take a batch, and MAX_BODY_BYTES rather than the 1 MiB limit. */
const BULK_PATHS = new Set(["/v1/batches", "/v1/send", "/v1/batches/simulate", "/v1/send/simulate"]);

const withBody = ENDPOINTS.filter((e) => e.body !== undefined);
const withParams = ENDPOINTS.filter((e) => e.path.includes("/:"));
const paged = ENDPOINTS.filter((e) => e.paged);

// ---------------------------------------------------------------------------
// Requests and what every answer must be.

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

async function request(
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string | Uint8Array; auth?: boolean | "admin" } = {},
): Promise<Answer> {
  lastFootprint = undefined;
  const response = await fetch(`${t.api.url}${path}`, {
    method,
    headers: {
      ...(init.auth === false ? {} : { authorization: `Bearer ${bearerOf({ auth: init.auth ?? true })}` }),
      ...init.headers,
    },
    body: init.body,
    signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
  }).catch((error: Error) => {
    throw new Error(`${method} ${path.slice(0, 200)}: no answer (${error.name}: ${error.message})`);
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** The footprint after the last refused request, while nothing else has been sent since. */
let lastFootprint: string | undefined;
beforeEach(() => {
  lastFootprint = undefined;
});

/** Rows of every table, and the credits of every account: what a refused request must leave as it was. */
async function footprint(): Promise<string> {
  const counts = tables.map((name) => `(SELECT count(*) FROM "${name}")::int AS "${name}"`);
  const rows = await t.query(
    `SELECT ${counts.join(", ")}, (SELECT coalesce(sum(credits), 0) FROM accounts)::text AS credits`,
  );
  return JSON.stringify(rows[0]);
}

function expectEnvelope(answer: Answer, what: string) {
  expect(answer.json, `${what}: ${answer.status} ${answer.text.slice(0, 300)}`).toMatchObject({
    error: { code: expect.stringMatching(/^[A-Z_]+$/), description: expect.any(String) },
  });
}

/**
 * Sends a request and checks the answer: never a 5xx; a 4xx is in the envelope
 * and wrote nothing. `refused`: the input is invalid by construction, so only a
 * 4xx will do (and `status` names the one expected, when known).
 */
async function probe(
  method: string,
  path: string,
  init: Parameters<typeof request>[2] & { refused?: boolean; status?: number } = {},
): Promise<Answer> {
  const before = lastFootprint ?? (await footprint());
  const answer = await request(method, path, init);
  const what = `${method} ${path.slice(0, 120)}`;
  expect(answer.status, `${what}: ${answer.text.slice(0, 300)}`).toBeLessThan(500);
  if (init.status !== undefined)
    expect(answer.status, `${what}: ${answer.text.slice(0, 300)}`).toBe(init.status);
  if (init.refused)
    expect(answer.status, `${what}: ${answer.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
  if (answer.status >= 400) {
    expectEnvelope(answer, what);
    const after = await footprint();
    expect(after, `${what} was refused (${answer.status}) but wrote`).toBe(before);
    lastFootprint = after;
  }
  return answer;
}

// ---------------------------------------------------------------------------
// Arbitraries.

/** A valid body with one field of a wrong type. */
function wrongTypeBody(endpoint: Endpoint) {
  const { valid, fields, nullable = [] } = endpoint.body!;
  return fc.constantFrom(...Object.keys(fields)).chain((field) =>
    wrongValue(fields[field] as FieldKind)
      .filter((value) => value !== null || !nullable.includes(field))
      .map((value) => ({ ...valid, [field]: value })),
  );
}

/** A valid body plus one field the endpoint does not know. */
function unknownFieldBody(endpoint: Endpoint) {
  const { valid, fields } = endpoint.body!;
  return fc
    .tuple(
      nastyKey.filter((key) => !(key in fields)),
      nastyJson,
    )
    .map(([key, value]) => ({ ...valid, [key]: value }));
}

/** A valid body with one field (or an element of an array field) replaced by anything at all. */
function anyValueBody(endpoint: Endpoint) {
  const { valid, fields } = endpoint.body!;
  return fc
    .tuple(fc.constantFrom(...Object.keys(fields)), nastyJson, fc.boolean())
    .map(([field, value, inArray]) => ({
      ...valid,
      [field]: inArray && fields[field]?.startsWith("array") ? [value] : value,
    }));
}

/** The valid body with each field in turn holding a NUL, then a lone surrogate. */
function poisonedBodies(endpoint: Endpoint): [Record<string, unknown>][] {
  const { valid, fields } = endpoint.body!;
  return Object.keys(fields).flatMap((field) =>
    ["a\u0000b", "a\ud800b"].map((text) => [{ ...valid, [field]: text }] as [Record<string, unknown>]),
  );
}

const pathOf = (endpoint: Endpoint, param: string) => endpoint.path.replace(/:\w+/, param);

const JSON_TYPE = { "content-type": "application/json" };

// ---------------------------------------------------------------------------

describe("every endpoint is fuzzed", () => {
  it("lists every route the API serves", () => {
    const app = createApp({ env: t.env, store: t.store, logger: { child: () => ({}) } } as never);
    // SMSFactor's routes answer by SMSFactor's conventions (HTTP 200, negative
    // `status`): smsfactor-fuzz.test.ts fuzzes them.
    // `/smsfactor/`: fuzzed there. The console's files and Bull Board's pages are
    // not JSON routes (console.test.ts tests them), nor are the OpenAPI document
    // and its reference, which take no input (openapi.test.ts tests them).
    const apart = ["/smsfactor/", "/console/", "/admin/queues/", "/openapi.json", "/docs"];
    const v1 = servedRoutes(app).filter(
      (route) => !apart.some((prefix) => route.split(" ")[1]?.startsWith(prefix)),
    );
    expect(v1).toEqual(ENDPOINTS.map((e) => `${e.method} ${e.path}`).sort());
  });
});

describe("bodies", () => {
  const send = (
    endpoint: Endpoint,
    body: string | Uint8Array,
    extra: { status?: number; refused?: boolean } = {},
  ) =>
    probe(endpoint.method, endpoint.at?.() ?? endpoint.path, {
      auth: endpoint.auth,
      headers: JSON_TYPE,
      body,
      ...extra,
    });

  it.each(withBody.map((e) => [e.path, e] as const))(
    "%s refuses a field of the wrong type with 400",
    async (_, endpoint) => {
      await fc.assert(
        fc.asyncProperty(wrongTypeBody(endpoint), (body) =>
          send(endpoint, jsonText(body), { status: 400 }).then(() => {}),
        ),
        { numRuns: runs(20) },
      );
    },
  );

  it.each(withBody.map((e) => [e.path, e] as const))(
    "%s refuses an unknown field with 400",
    async (_, endpoint) => {
      await fc.assert(
        fc.asyncProperty(unknownFieldBody(endpoint), (body) =>
          send(endpoint, jsonText(body), { status: 400 }).then(() => {}),
        ),
        { numRuns: runs(15) },
      );
    },
  );

  it.each(withBody.map((e) => [e.path, e] as const))(
    "%s takes any value in any field without a 5xx",
    async (_, endpoint) => {
      await fc.assert(
        fc.asyncProperty(anyValueBody(endpoint), (body) => send(endpoint, jsonText(body)).then(() => {})),
        // Once 500s: a token label with a NUL or a lone surrogate failed its insert.
        { numRuns: runs(40), examples: poisonedBodies(endpoint) },
      );
    },
  );

  it.each(withBody.map((e) => [e.path, e] as const))(
    "%s takes any JSON document without a 5xx",
    async (_, endpoint) => {
      await fc.assert(
        fc.asyncProperty(nastyJson, (body) => send(endpoint, jsonText(body)).then(() => {})),
        { numRuns: runs(20) },
      );
    },
  );

  it.each(withBody.map((e) => [e.path, e] as const))(
    "%s takes random bytes and invalid UTF-8 without a 5xx",
    async (_, endpoint) => {
      const valid = jsonText(endpoint.body!.valid);
      const spliced = fc
        .tuple(fc.nat(valid.length), fc.uint8Array({ min: 0x80, max: 0xff, minLength: 1, maxLength: 6 }))
        .map(([at, bytes]) =>
          Buffer.concat([Buffer.from(valid.slice(0, at)), bytes, Buffer.from(valid.slice(at))]),
        );
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 300 }), spliced), (body) =>
          send(endpoint, body).then(() => {}),
        ),
        { numRuns: runs(20) },
      );
    },
  );

  it.each(withBody.map((e) => [e.path, e] as const))(
    "%s refuses any other content type with 415",
    async (_, endpoint) => {
      const types = fc.constantFrom(
        "text/plain",
        "text/plain; charset=utf-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "text/json",
        "application/octet-stream",
        "application/json-seq",
        "application/jsonx",
        "image/png",
        "*/*",
        "application/json; charset=klingon",
        "application/json; charset=latin1",
      );
      const valid = jsonText(endpoint.body!.valid);
      await fc.assert(
        fc.asyncProperty(
          types,
          fc.oneof(
            fc.constant(valid),
            nastyString.filter((s) => s.length > 0),
          ),
          (type, body) =>
            probe(endpoint.method, endpoint.path, {
              auth: endpoint.auth,
              headers: { "content-type": type },
              body,
              status: 415,
            }).then(() => {}),
        ),
        { numRuns: runs(10) },
      );
    },
  );

  it.each(withBody.map((e) => [e.path, e] as const))("%s answers an empty body", async (_, endpoint) => {
    for (const headers of [JSON_TYPE, {}]) {
      const answer = await probe(endpoint.method, endpoint.at?.() ?? endpoint.path, {
        auth: endpoint.auth,
        headers,
        body: "",
      });
      // Nothing sent reads as `{}`: only a route whose every field is optional (a token's label, a rejection's reason) takes it.
      if (!OPTIONAL_BODY(endpoint)) expect(answer.status).toBe(400);
    }
    await send(endpoint, "{}", OPTIONAL_BODY(endpoint) ? {} : { status: 400 });
  });

  it.each(withBody.map((e) => [e.path, e] as const))(
    "%s refuses nesting 10,000 deep with 400",
    async (_, endpoint) => {
      const deepArray = `${"[".repeat(10_000)}${"]".repeat(10_000)}`;
      const deepObject = `${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}`;
      for (const deep of [deepArray, deepObject]) {
        await send(endpoint, deep, { status: 400 });
        for (const field of Object.keys(endpoint.body!.fields)) {
          const body = jsonText({ ...endpoint.body!.valid, [field]: "\u0000deep" }).replace(
            '"\\u0000deep"',
            deep,
          );
          await send(endpoint, body, { status: 400 });
        }
      }
    },
  );

  it.each(withBody.map((e) => [e.path, e] as const))(
    "%s answers a 10 MB string in any field",
    async (_, endpoint) => {
      const huge = "9".repeat(10 * 1024 * 1024);
      // Contacts take up to 32 MiB (10,000 contacts with ten 255-character fields).
      const bulk = BULK_PATHS.has(endpoint.path) || endpoint.path === "/v1/contact-lists/:id/contacts";
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...Object.keys(endpoint.body!.fields)),
          fc.boolean(),
          (field, inArray) => {
            const value = inArray && endpoint.body!.fields[field]?.startsWith("array") ? [huge] : huge;
            // Over 1 MiB (8 MiB for lists) but under MAX_BODY_BYTES for bulk routes.
            return send(
              endpoint,
              jsonText({ ...endpoint.body!.valid, [field]: value }),
              bulk ? {} : { status: 413 },
            ).then(() => {});
          },
        ),
        { numRuns: runs(2) },
      );
    },
  );
});

describe("paths, queries, methods and credentials", () => {
  // An account with nothing in it: no id of any kind can name something of its own.
  let empty: { token: string; tokenId: string };
  beforeAll(async () => {
    const created = await t.newAccount({ apiRateLimit: 1_000_000 });
    empty = { token: created.token, tokenId: created.token.split(".")[0] as string };
  });
  const asEmpty = (extra: Record<string, string> = {}) => ({
    authorization: `Bearer ${empty.token}`,
    ...extra,
  });
  // The admin routes' caller: an operator (whose ids of nothing are as foreign as another account's).
  const asCallerOf = (endpoint: Pick<Endpoint, "auth">) =>
    endpoint.auth === "admin" ? { authorization: `Bearer ${adminToken}` } : asEmpty();

  const ID_LIKE = [
    "tok_01JD3K5ZQ8XH7M2N4P6R9T0VWY",
    "bat_01JD3ZZZZZZZZZZZZZZZZZZZZZ",
    "msg_01JD3ZZZZZZZZZZZZZZZZZZZZZ_0",
    "msg_01JD3ZZZZZZZZZZZZZZZZZZZZZ_99999999999999999999",
    "whk_01JD3ZZZZZZZZZZZZZZZZZZZZZ",
    NUMBER,
    "0612345678",
    "06 12 34 56 78",
    "+33 (0)6 12-34.56.78",
    "０６１２３４５６７８",
    "٠٦١٢٣٤٥٦٧٨",
  ];
  // Sent as they are: broken or odd percent-encoding, dot segments, separators.
  const RAW_SEGMENTS = [
    "%00",
    "tok_%00",
    "%",
    "a%",
    "%ZZ",
    "%E0%A4%A",
    "%ED%A0%80",
    "%C0%AF",
    "%FF",
    "%2F",
    "%2E%2E",
    "%5C",
    "%0D%0A",
    "%20",
    "%u0041",
    ";a=b",
    "a,b",
  ];
  const id = fc.oneof(
    fc
      .oneof(
        nastyString,
        fc.constantFrom(...ID_LIKE),
        fc.tuple(fc.constantFrom(...ID_LIKE), oddText).map(([a, b]) => a + b),
      )
      .filter((text) => text.length > 0)
      .map(percentEncode),
    fc.constantFrom(...RAW_SEGMENTS),
    fc.integer({ min: 60, max: 8_000 }).map((n) => "a".repeat(n)),
  );

  it.each(withParams.map((e) => [`${e.method} ${e.path}`, e] as const))(
    "%s refuses any id of nothing the account has with a 4xx",
    async (_, endpoint) => {
      // A dot segment (`%2E%2E`) is resolved by the client: `/v1/subaccounts/../tokens`
      // is `POST /v1/tokens`, another route (fuzzed on its own), not this one.
      const under = endpoint.path.slice(0, endpoint.path.indexOf("/:") + 1);
      await fc.assert(
        fc.asyncProperty(id, async (param) => {
          const path = pathOf(endpoint, param);
          if (!new URL(path, t.api.url).pathname.startsWith(under)) return;
          await probe(endpoint.method, path, { auth: false, headers: asCallerOf(endpoint), refused: true });
        }),
        // Once 500s: a NUL reached PostgreSQL through a token or webhook id.
        { numRuns: runs(40), examples: [["%00"], ["tok_%00"], [`whk_${"0".repeat(26)}%00`]] },
      );
    },
  );

  const queryKey = fc.oneof(
    fc.constantFrom("page", "status", "page[]", "page[a]", "page.a", "__proto__", "constructor"),
    nastyKey,
  );
  const queryPart = fc.oneof(
    fc
      .tuple(queryKey, fc.oneof(numberText, nastyString, fc.constantFrom("sent", "delivered", "SENT")))
      .map(([key, value]) => `${percentEncode(key)}=${percentEncode(value)}`),
    fc.constantFrom(
      "page",
      "page=",
      "=1",
      "&",
      "page=%",
      "page=%ZZ",
      "page=%00",
      "page=1%00",
      "page=%EF%BC%91",
    ),
  );
  const query = fc.array(queryPart, { maxLength: 4 }).map((parts) => parts.join("&"));

  it.each(paged.map((e) => [e.path, e] as const))(
    "%s answers any query with a 200 or a 400",
    async (_, endpoint) => {
      await fc.assert(
        fc.asyncProperty(query, async (search) => {
          const answer = await probe(endpoint.method, `${pathOf(endpoint, "whk_x")}?${search}`, {
            auth: false,
            headers: asCallerOf(endpoint),
          });
          // Lists of this account's own things: a page, or a bad parameter; a list under an id: not found.
          const expected = endpoint.path.includes("/:") ? [400, 404] : [200, 400];
          expect(expected, `?${search}: ${answer.text.slice(0, 200)}`).toContain(answer.status);
          if (answer.status === 200) {
            expect(answer.json).toMatchObject({
              data: expect.any(Array),
              page: { number: expect.any(Number) },
            });
          }
        }),
        { numRuns: runs(25) },
      );
    },
  );

  it("answers a method a route does not take with 405 and the path's methods in Allow", async () => {
    const paths = [...new Set(ENDPOINTS.map((e) => e.path))];
    for (const path of paths) {
      const taken = ENDPOINTS.filter((e) => e.path === path).map((e) => e.method as string);
      const allow = [...taken, ...(taken.includes("GET") ? ["HEAD"] : []), "OPTIONS"].sort().join(", ");
      for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE"]) {
        if (taken.includes(method)) continue;
        const answer = await probe(method, pathOf({ path } as Endpoint, "x"), {
          auth: false,
          headers: asCallerOf(ENDPOINTS.find((e) => e.path === path) as Endpoint),
          status: 405,
        });
        expect(answer.headers.get("allow"), `${method} ${path}`).toBe(allow);
      }
    }
  });

  const headerValue = fc.string({
    unit: fc
      .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }))
      .map((code) => String.fromCharCode(code)),
    maxLength: 120,
  });
  const credentials = fc.oneof(
    headerValue.map((value) => ({ authorization: value })),
    headerValue.map((value) => ({ authorization: `Bearer ${value}` })),
    headerValue.map((value) => ({ authorization: `Basic ${value}` })),
    headerValue.map((value) => ({
      authorization: `Basic ${Buffer.from(value, "latin1").toString("base64")}`,
    })),
    fc
      .tuple(headerValue, headerValue)
      .map(([keyId, secret]) => ({ "x-api-key-id": keyId, "x-api-key-secret": secret })),
    // Shaped like a real token: the account's own token id with another secret, or an unknown id.
    fc.tuple(fc.boolean(), fc.stringMatching(/^[A-Za-z0-9_-]{20,100}$/)).map(([known, secret]) => ({
      authorization: `Bearer ${known ? empty.tokenId : "tok_01JD3K5ZQ8XH7M2N4P6R9T0VWY"}.${secret}`,
    })),
    fc.stringMatching(/^[A-Za-z0-9_-]{20,100}$/).map((secret) => ({
      authorization: `Basic ${Buffer.from(`${empty.tokenId}:${secret}`).toString("base64")}`,
    })),
  );

  it("refuses any other credentials with 401 on every authenticated route", async () => {
    const authenticated = ENDPOINTS.filter((e) => e.auth);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...authenticated), credentials, (endpoint, headers) =>
        probe(endpoint.method, pathOf(endpoint, "x"), {
          auth: false,
          headers: { ...JSON_TYPE, ...headers },
          ...(endpoint.body ? { body: jsonText(endpoint.body.valid) } : {}),
          status: 401,
        }).then(() => {}),
      ),
      { numRuns: runs(100) },
    );
  });

  it("answers any Accept and X-Request-Id, in XML when asked", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          headerValue,
          fc.constantFrom("application/xml", "application/xml;q=1, application/json;q=0.5", "*/*"),
        ),
        headerValue,
        nastyKey,
        async (accept, requestId, key) => {
          const headers = asEmpty({ accept, "x-request-id": requestId });
          const ok = await request("GET", "/v1/account", { auth: false, headers });
          expect(ok.status).toBe(200);
          const refused = await request("POST", "/v1/tokens", {
            auth: false,
            headers: { ...headers, ...JSON_TYPE },
            body: jsonText({ label: "x", [key]: 1 }),
          });
          // The 400 naming a key that XML 1.0 cannot carry is a 406 in XML.
          const inXml = refused.headers.get("content-type")?.includes("xml") === true;
          const notInXml = unXmlableChar(key) !== null;
          expect(refused.status, refused.text).toBe(key === "label" ? 201 : inXml && notInXml ? 406 : 400);
          if (refused.status === 400 && inXml) {
            expect(refused.text).toMatch(/^<\?xml .*<error><code>INVALID_PARAMETER<\/code>/s);
          }
        },
      ),
      { numRuns: runs(25) },
    );
  });
});

// ---------------------------------------------------------------------------
// Raw connections: what fetch would never do.

interface RawExchange {
  /** Everything the server sent. */
  received: string;
  /** When the server closed the connection, in ms since it was opened. */
  closedAfterMs: number;
}

/** Opens a TCP connection to the API; `drive` writes to it; resolves once the server has closed it. */
function rawConnection(url: string, drive: (socket: Socket) => void | Promise<void>): Promise<RawExchange> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const openedAt = performance.now();
    const chunks: Buffer[] = [];
    const socket = connect({ host: hostname, port: Number(port) });
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", (error: NodeJS.ErrnoException) => {
      // The server may reset a connection it cut while we were still writing.
      if (error.code !== "ECONNRESET" && error.code !== "EPIPE") reject(error);
    });
    socket.on("close", () =>
      resolve({
        received: Buffer.concat(chunks).toString("latin1"),
        closedAfterMs: performance.now() - openedAt,
      }),
    );
    socket.once("connect", () => void Promise.resolve(drive(socket)).catch(reject));
  });
}

/** Writes `text` one byte every `everyMs` until the socket closes. */
async function trickle(socket: Socket, text: string, everyMs: number) {
  for (const char of text) {
    if (socket.destroyed || socket.writableEnded) return;
    socket.write(char);
    await sleep(everyMs);
  }
}

const statusOf = (received: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0);

describe("request limits", () => {
  it("answers a body past the limit with 413, without reading it, on every route that takes one", async () => {
    for (const endpoint of withBody) {
      const limit = BULK_PATHS.has(endpoint.path)
        ? BULK_BODY_BYTES
        : endpoint.path === "/v1/blacklist" || endpoint.path === "/v1/npai"
          ? 8 * 1024 * 1024
          : endpoint.path === "/v1/contact-lists/:id/contacts"
            ? 32 * 1024 * 1024
            : 1024 * 1024;
      // One byte too many, sent.
      const over = `{"x":"${"a".repeat(limit - 7)}"}`;
      await probe(endpoint.method, endpoint.path, {
        auth: endpoint.auth,
        headers: JSON_TYPE,
        body: over,
        status: 413,
      });
      // 10 GB announced and never sent: refused on the announcement alone.
      const declared = await rawConnection(t.api.url, (socket) => {
        socket.write(
          `${endpoint.method} ${endpoint.path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${bearerOf(endpoint)}\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${10 * 1024 ** 3}\r\n\r\n{"x":"`,
        );
      });
      expect(statusOf(declared.received), `${endpoint.path}: ${declared.received.slice(0, 200)}`).toBe(413);
      expect(declared.received).toContain('"code":"PAYLOAD_TOO_LARGE"');
    }
  });

  it("keeps the connection after an error when no body is left unread", async () => {
    const exchange = await rawConnection(t.api.url, (socket) => {
      socket.write("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n");
      socket.write(`GET /v1/account HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`);
      socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    });
    const statuses = [...exchange.received.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
    expect(statuses).toEqual([404, 200, 200]);
  });

  it("answers a chunked body that grows past the limit with 413", async () => {
    const exchange = await rawConnection(t.api.url, async (socket) => {
      socket.write(
        `POST /v1/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n` +
          "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
      );
      const chunk = "a".repeat(64 * 1024);
      for (let sent = 0; sent < 2 * 1024 * 1024 && !socket.destroyed; sent += chunk.length) {
        socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
        await sleep(1);
      }
      // Read off and discarded past the limit (never kept), then answered.
      socket.write("0\r\n\r\n");
    });
    expect(statusOf(exchange.received)).toBe(413);
    expect(exchange.received).toContain('"code":"PAYLOAD_TOO_LARGE"');
  });

  it("answers 401 to a large body without credentials, before reading it", async () => {
    const exchange = await rawConnection(t.api.url, (socket) => {
      socket.write(
        `POST /v1/batches HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${BULK_BODY_BYTES - 1}\r\n\r\n{`,
      );
    });
    expect(statusOf(exchange.received)).toBe(401);
  });

  it("answers headers past 16 KiB with 431 and keeps serving", async () => {
    const exchange = await rawConnection(t.api.url, (socket) => {
      socket.write(`GET /v1/account HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
    });
    expect(statusOf(exchange.received)).toBe(431);
    expect((await request("GET", "/v1/account")).status).toBe(200);
  });

  it("answers a malformed request line with 400 and keeps serving", async () => {
    for (const line of [
      "GET /v1/account\u0000 HTTP/1.1",
      "GARBAGE",
      "GET /v1/ac count HTTP/1.1",
      "GET / HTTP/9.9",
    ]) {
      const exchange = await rawConnection(t.api.url, (socket) => {
        socket.write(`${line}\r\nHost: x\r\n\r\n`);
      });
      expect([400, 505], `${JSON.stringify(line)}: ${exchange.received.slice(0, 100)}`).toContain(
        statusOf(exchange.received),
      );
    }
    expect((await request("GET", "/v1/account")).status).toBe(200);
  });

  it("serves 1,000 concurrent connections, then answers normally", async () => {
    const before = await footprint();
    const connections = 1_000;
    let connected = 0;
    let allConnected: () => void = () => {};
    const opened = new Promise<void>((resolve) => {
      allConnected = resolve;
    });
    const answers = await Promise.all(
      Array.from({ length: connections }, (_, i) => {
        const credentials = i % 5 === 0 ? "tok_01JD3K5ZQ8XH7M2N4P6R9T0VWY.not-the-secret-aaaaaaaaaa" : token;
        const path = i % 7 === 0 ? "/healthz" : "/v1/account";
        return rawConnection(t.api.url, async (socket) => {
          // Every connection is open before any request is written.
          if (++connected === connections) allConnected();
          await opened;
          socket.write(
            `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${credentials}\r\nConnection: close\r\n\r\n`,
          );
        }).then((exchange) => ({ i, path, credentials, status: statusOf(exchange.received) }));
      }),
    );
    const wrong = answers.filter(
      (a) => a.status !== (a.path === "/healthz" ? 200 : a.credentials === token ? 200 : 401),
    );
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(await footprint()).toBe(before);
    expect((await request("GET", "/v1/account")).status).toBe(200);
    expect((await request("GET", "/readyz", { auth: false })).status).toBe(200);
  });
});

describe("slow clients", () => {
  const HEADERS_TIMEOUT_MS = 500;
  const REQUEST_TIMEOUT_MS = 1_500;
  // Node checks its deadlines every min(1 s, HEADERS_TIMEOUT_MS); a slow machine adds some.
  const SLACK_MS = HEADERS_TIMEOUT_MS + 1_500;
  let slow: TestApi;
  let slowToken: string;
  beforeAll(async () => {
    slow = await startTestApi({
      HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    });
    ({ token: slowToken } = await slow.newAccount({ apiRateLimit: 1_000_000 }));
  });
  afterAll(() => slow?.stop());

  /** Keeps asking the API for the account while `during` runs: every answer must be a prompt 200. */
  async function servedWhile<T>(during: Promise<T>): Promise<T> {
    let done = false;
    const served = (async () => {
      let answers = 0;
      while (!done) {
        const response = await fetch(`${slow.api.url}/v1/account`, {
          headers: { authorization: `Bearer ${slowToken}` },
          signal: AbortSignal.timeout(2_000),
        });
        expect(response.status).toBe(200);
        await response.arrayBuffer();
        answers++;
        await sleep(50);
      }
      return answers;
    })();
    try {
      return await during;
    } finally {
      done = true;
      expect(await served).toBeGreaterThan(0);
    }
  }

  it("cuts clients that send their headers byte by byte (slow-loris), serving others meanwhile", async () => {
    const headers = `GET /v1/account HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${slowToken}\r\n${"X-Slow: 1\r\n".repeat(100)}\r\n`;
    const exchanges = await servedWhile(
      Promise.all(
        Array.from({ length: 50 }, () =>
          rawConnection(slow.api.url, (socket) => trickle(socket, headers, 20)),
        ),
      ),
    );
    for (const exchange of exchanges) {
      expect(exchange.closedAfterMs).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
      // Node says why, when it can: 408 Request Timeout.
      if (exchange.received) expect(statusOf(exchange.received)).toBe(408);
    }
  });

  it("cuts connections that never send a byte", async () => {
    const exchanges = await servedWhile(
      Promise.all(Array.from({ length: 50 }, () => rawConnection(slow.api.url, () => {}))),
    );
    for (const exchange of exchanges)
      expect(exchange.closedAfterMs).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
  });

  it("cuts clients that send their body slowly, and writes nothing of it", async () => {
    const before = await slow.count("api_tokens");
    const body = JSON.stringify({ label: "slowly" });
    const exchanges = await servedWhile(
      Promise.all(
        Array.from({ length: 20 }, () =>
          rawConnection(slow.api.url, async (socket) => {
            socket.write(
              `POST /v1/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${slowToken}\r\n` +
                `Content-Type: application/json\r\nContent-Length: ${body.length + 1_000}\r\n\r\n`,
            );
            await trickle(socket, body.padEnd(body.length + 1_000), 100);
          }),
        ),
      ),
    );
    for (const exchange of exchanges) {
      expect(exchange.closedAfterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
      expect(exchange.closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + SLACK_MS);
    }
    expect(await slow.count("api_tokens")).toBe(before);
  });

  it("cuts a chunked body past the limit that never ends", async () => {
    const exchange = await servedWhile(
      rawConnection(slow.api.url, async (socket) => {
        socket.write(
          `POST /v1/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${slowToken}\r\n` +
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        );
        const chunk = "a".repeat(64 * 1024);
        while (!socket.destroyed) {
          socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
          await sleep(20);
        }
      }),
    );
    expect(exchange.closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + SLACK_MS);
  });

  it("does not cut a client waiting for its answer, nor an idle kept-alive one before keepAliveTimeout", async () => {
    // A request fully sent is no longer subject to the request timeout, however long its answer takes.
    const exchange = await rawConnection(slow.api.url, async (socket) => {
      socket.write(`GET /v1/account HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${slowToken}\r\n\r\n`);
      await sleep(REQUEST_TIMEOUT_MS + 300);
      socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    });
    const statuses = [...exchange.received.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
    expect(statuses).toEqual([200, 200]);
  });
});

describe("logs", () => {
  it("never carry a token secret, a full phone number or a message body", () => {
    expect(t.logs.length).toBeGreaterThan(0);
    const secret = token.split(".")[1] as string;
    const needles = [secret, MARKER_BODY, '"level":50'].map((text) => ({
      test: (line: string) => line.includes(text),
      text,
    }));
    // A number glued to letters, `_` or `-` reads as part of an id and is kept (see maskPhoneNumbers).
    for (const number of ["33612345678", "0612345678", "06 12 34 56 78"]) {
      const pattern = new RegExp(`(?<![\\w-])${number}(?![\\w-])`);
      needles.push({ test: (line) => pattern.test(line), text: number });
    }
    for (const needle of needles) {
      expect(t.logs.filter((line) => needle.test(line)).slice(0, 3), needle.text).toEqual([]);
    }
  });
});
