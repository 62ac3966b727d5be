// Property-based tests over every SMSFactor-compatible endpoint (/smsfactor):
// whatever a client sends (nasty JSON, wrong types, unknown fields, deep nesting,
// invalid UTF-8, malformed XML, DOCTYPE entity tricks, form `data=` bodies, odd
// query strings and path ids, with or without a token, JSON or XML answers), the
// answer is HTTP 200 with an integer `status` that is 1 or a documented negative
// code (never -99), within 10 s; an answer with a negative status changed nothing;
// no log line holds the marker body or number. POST /batches answers as /v1 does
// (2xx, or 4xx in /v1's envelope). Replay a failure with FUZZ_SEED=<seed>.
import { request as httpRequest } from "node:http";
import fc from "fast-check";
import { XMLParser } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import {
  jsonText,
  nastyJson,
  nastyKey,
  nastyString,
  percentEncode,
  RawJson,
  rawNumber,
  runs,
  servedRoutes,
} from "./fuzz-values";
import { startTestApi, type TestApi } from "./harness";

/** The longest any answer may take: past it the request is aborted and the property fails. */
const ANSWER_WITHIN_MS = 10_000;

// A message body and phone number that must never reach a log line.
const MARKER_BODY = "sf-fuzz-marker-body-4c1e";
const NUMBER = "33612345678";
/** What a DOCTYPE's entity would expand to: it must reach neither an answer nor the database. */
const EXPANDED = "sf-entity-expanded-9c1";

let t: TestApi;
let token: string;
let tables: string[];
/** The fuzzing account's own things, for the routes that change one (so a valid request gets that far). */
const own = { listId: "", contactId: "", webhookId: "", subAccountId: "", tokenId: "" };

beforeAll(async () => {
  t = await startTestApi({
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: "false",
    // POST /send would wait for workers that do not run here.
    SEND_TIMEOUT_MS: "50",
    // Balance alerts by e-mail may be turned on (nothing is sent: no worker runs here).
    SMTP_URL: "smtp://127.0.0.1:9",
    LOG_LEVEL: "info",
  });
  // Tokens' and webhooks' numbers start past any id the fuzz tries ("1", "0"…):
  // a fuzzed DELETE /token/1 would otherwise revoke the token the other requests use.
  await t.query("SELECT setval(pg_get_serial_sequence('api_tokens', 'numeric_id'), 1000000)");
  await t.query("SELECT setval(pg_get_serial_sequence('webhooks', 'numeric_id'), 1000000)");
  ({ token } = await t.newAccount({ credits: 1_000_000, apiRateLimit: 1_000_000 }));
  const list = await sfCall("POST", "/list", {
    list: { name: "Fuzz", contacts: { gsm: [{ value: "33612345677", info1: "Ana" }] } },
  });
  own.listId = String(list.id);
  const contacts = await sfCall("GET", `/list/${own.listId}`);
  own.contactId = String((contacts.list as { id: unknown }[])[0]?.id);
  const webhook = await sfCall("POST", "/webhook", {
    webhook: { type: "DLR", url: "https://93.184.216.34/hooks" },
  });
  own.webhookId = String((webhook.webhook as { webhook_id: unknown }).webhook_id);
  const spare = await sfCall("POST", "/token", { token: { name: "spare", allowed_ips: ["192.0.2.0/24"] } });
  own.tokenId = String(spare.token_id);
  const sub = await sfCall("POST", "/account", {
    account: { email: "shop@example.com", password: "secret123", firstname: "Shop", lastname: "Fuzz" },
  });
  own.subAccountId = String(sub.id);
  const rows = await t.query<{ name: string }>(
    `SELECT tablename::text AS name FROM pg_tables
      WHERE schemaname = current_schema() AND tablename <> '_prisma_migrations' ORDER BY 1`,
  );
  tables = rows.map((r) => r.name);
});
afterAll(() => t?.stop());

/** A setup call that must succeed: JSON in, JSON out, status 1. */
async function sfCall(method: string, path: string, json?: unknown): Promise<Record<string, unknown>> {
  const answer = await sfRequest(method, path, {
    headers: {
      accept: "application/json",
      "content-type": "application/json",
      authorization: `Bearer ${token}`,
    },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  const body = JSON.parse(answer.text) as Record<string, unknown>;
  expect(body.status, `${method} ${path}: ${answer.text}`).toBe(1);
  return body;
}

// ---------------------------------------------------------------------------
// Every endpoint.

interface SfEndpoint {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** As registered under /smsfactor, `:name` for a path parameter. */
  path: string;
  /** A valid body in the reference's shape, and its top-level key (none for POST /batches, /v1's shape). */
  body?: { valid: () => Record<string, unknown>; key: string | null };
  /** The id of one of the account's own things, for a path parameter (else only ids of nothing are sent). */
  ownId?: () => string;
}

const gsm = { gsm: [{ value: NUMBER }] };
const sendBody = {
  valid: () => ({ sms: { message: { text: MARKER_BODY, sender: "Salvo" }, recipients: gsm } }),
  key: "sms",
};
const listsBody = {
  valid: () => ({ sms: { message: { text: MARKER_BODY, sender: "Salvo" }, lists: [{ value: own.listId }] } }),
  key: "sms",
};

const ENDPOINTS: SfEndpoint[] = [
  { method: "GET", path: "/send" },
  { method: "GET", path: "/send/simulate" },
  { method: "POST", path: "/send", body: sendBody },
  { method: "POST", path: "/send/simulate", body: sendBody },
  { method: "POST", path: "/send/lists", body: listsBody },
  { method: "POST", path: "/send/lists/simulate", body: listsBody },
  { method: "DELETE", path: "/send/:ticket" },
  { method: "GET", path: "/campaigns" },
  { method: "GET", path: "/campaign/:id" },
  { method: "GET", path: "/campaign/:id/blacklist" },
  { method: "GET", path: "/campaign/:id/mo" },
  { method: "GET", path: "/campaign/:id/npai" },
  { method: "PUT", path: "/campaign/:id/npai" },
  {
    method: "POST",
    path: "/batches",
    body: { valid: () => ({ from: "Salvo", body: MARKER_BODY, recipients: [`+${NUMBER}`] }), key: null },
  },
  { method: "GET", path: "/batches/:id" },
  { method: "GET", path: "/credits" },
  { method: "GET", path: "/account" },
  {
    method: "POST",
    path: "/account",
    body: {
      valid: () => ({
        account: {
          email: "mr@robot.com",
          password: "secret123",
          firstname: "Elliot",
          lastname: "Alderson",
          isChild: 1,
        },
      }),
      key: "account",
    },
  },
  { method: "GET", path: "/sub-accounts" },
  { method: "GET", path: "/sub-accounts/:id", ownId: () => own.subAccountId },
  { method: "GET", path: "/retention" },
  {
    method: "PUT",
    path: "/retention",
    body: { valid: () => ({ retention: { message: "2d", campaign: "5m" } }), key: "retention" },
  },
  { method: "GET", path: "/notification/balance" },
  {
    method: "PUT",
    path: "/notification/balance",
    body: {
      valid: () => ({
        notification: {
          alert_trigger: 100,
          alert_email: 1,
          email: "ops@example.com",
          alert_gsm: 1,
          phone_number: "33612345678",
        },
      }),
      key: "notification",
    },
  },
  { method: "GET", path: "/account/invoice" },
  {
    method: "POST",
    path: "/lookup",
    body: { valid: () => ({ lookup: { to: [NUMBER, "0000"] } }), key: "lookup" },
  },
  { method: "GET", path: "/account/invoice/:id" },
  { method: "GET", path: "/account/invoice/:id/download" },
  {
    method: "POST",
    path: "/token",
    body: {
      valid: () => ({ token: { name: "ci", ttl: 3600, allowed_ips: ["127.0.0.1", "2001:db8::/32"] } }),
      key: "token",
    },
  },
  {
    method: "POST",
    path: "/token/account/:id",
    body: { valid: () => ({ token: { name: "shop" } }), key: "token" },
    ownId: () => own.subAccountId,
  },
  { method: "GET", path: "/token" },
  { method: "GET", path: "/token/:id", ownId: () => own.tokenId },
  { method: "DELETE", path: "/token/:id" },
  {
    method: "POST",
    path: "/list",
    body: {
      valid: () => ({ list: { name: "Clients", contacts: { gsm: [{ value: NUMBER, info1: "Louis" }] } } }),
      key: "list",
    },
  },
  { method: "GET", path: "/lists" },
  { method: "GET", path: "/list/:id", ownId: () => own.listId },
  { method: "DELETE", path: "/list/:id" },
  { method: "DELETE", path: "/list/contact/:id" },
  {
    method: "PUT",
    path: "/list/contact/:id",
    body: { valid: () => ({ contact: { info1: "Hedy", info2: "Lamarr" } }), key: "contact" },
    ownId: () => own.contactId,
  },
  { method: "PUT", path: "/list/deduplicate/:id", ownId: () => own.listId },
  { method: "PUT", path: "/list/:id/deduplicate", ownId: () => own.listId },
  { method: "PUT", path: "/list/:id/npai/clear", ownId: () => own.listId },
  { method: "GET", path: "/blacklist" },
  {
    method: "POST",
    path: "/blacklist",
    body: { valid: () => ({ blacklist: { contacts: gsm } }), key: "blacklist" },
  },
  { method: "DELETE", path: "/blacklist/contact/:id" },
  { method: "GET", path: "/npai" },
  { method: "POST", path: "/npai", body: { valid: () => ({ npai: { contacts: gsm } }), key: "npai" } },
  { method: "DELETE", path: "/npai/contact/:id" },
  {
    method: "POST",
    path: "/webhook",
    body: { valid: () => ({ webhook: { type: "MO", url: "https://93.184.216.34/mo" } }), key: "webhook" },
  },
  { method: "GET", path: "/webhook" },
  {
    method: "PUT",
    path: "/webhook/:id/status",
    body: { valid: () => ({ webhook: { status: "paused" } }), key: "webhook" },
    ownId: () => own.webhookId,
  },
  {
    method: "PUT",
    path: "/webhook/:id",
    body: { valid: () => ({ webhook: { type: "DLR" } }), key: "webhook" },
    ownId: () => own.webhookId,
  },
  { method: "DELETE", path: "/webhook/:id" },
];

describe("every /smsfactor endpoint is fuzzed", () => {
  it("lists every route served under /smsfactor", () => {
    const app = createApp({ env: t.env, store: t.store, logger: { child: () => ({}) } } as never);
    const served = servedRoutes(app).filter((route) => route.split(" ")[1]?.startsWith("/smsfactor/"));
    expect(served).toEqual(ENDPOINTS.map((e) => `${e.method} /smsfactor${e.path}`).sort());
  });
});

// ---------------------------------------------------------------------------
// Requests and what every answer must be.

interface Answer {
  http: number;
  type: string;
  text: string;
}

/** One request to /smsfactor (node:http: fetch refuses a body on GET, which the PHP SDK sends). */
function sfRequest(
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string | Uint8Array },
): Promise<Answer> {
  const body = init.body === undefined ? undefined : Buffer.from(init.body);
  const headers = { ...(body ? { "content-length": String(body.length) } : {}), ...init.headers };
  return new Promise((resolve, reject) => {
    const sent = httpRequest(
      `${t.api.url}/smsfactor${path}`,
      { method, headers, signal: AbortSignal.timeout(ANSWER_WITHIN_MS) },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({
            http: response.statusCode ?? 0,
            type: response.headers["content-type"] ?? "",
            text: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        response.on("error", reject);
      },
    );
    sent.on("error", (error) =>
      reject(new Error(`${method} ${path.slice(0, 200)}: no answer (${error.name}: ${error.message})`)),
    );
    sent.end(body);
  });
}

/** Rows of every table, and the credits of every account: what a refused request must leave as it was. */
async function footprint(): Promise<string> {
  const counts = tables.map((name) => `(SELECT count(*) FROM "${name}")::int AS "${name}"`);
  const rows = await t.query(
    `SELECT ${counts.join(", ")}, (SELECT coalesce(sum(credits), 0) FROM accounts)::text AS credits`,
  );
  return JSON.stringify(rows[0]);
}

const DOCUMENTED_ERRORS = [-1, -2, -3, -4, -5, -6, -7, -8];
const xmlReader = new XMLParser({ parseTagValue: false, processEntities: false });

/** The answer's `status`, read as the Accept asked (JSON or XML); fails when the body does not parse. */
function statusOf(answer: Answer, json: boolean, what: string): number {
  let status: unknown;
  if (json) {
    expect(answer.type, what).toMatch(/^application\/json/);
    status = (JSON.parse(answer.text) as { status?: unknown }).status;
  } else {
    expect(answer.type, what).toMatch(/^application\/xml/);
    const read = xmlReader.parse(answer.text) as { response?: { status?: unknown } };
    status = Number(read.response?.status);
  }
  expect(Number.isInteger(status), what).toBe(true);
  return status as number;
}

interface Probe {
  method: string;
  path: string;
  body?: string | Uint8Array;
  contentType?: string;
  /** Accept: application/json (else none, `*\/*` or XML: an XML answer). */
  accept: "json" | "none" | "xml" | "any";
  withToken: boolean;
}

const ACCEPT = { json: "application/json", xml: "application/xml", any: "*/*" } as const;

/** Sends a request and checks the answer (see the top of the file); returns its status. */
async function probe(p: Probe): Promise<number> {
  const before = await footprint();
  const headers: Record<string, string> = {
    ...(p.accept === "none" ? {} : { accept: ACCEPT[p.accept] }),
    ...(p.withToken ? { authorization: `Bearer ${token}`, "x-application": "15" } : {}),
    ...(p.contentType ? { "content-type": p.contentType } : {}),
  };
  const answer = await sfRequest(p.method, p.path, { headers, body: p.body });
  const what = `${p.method} ${p.path.slice(0, 150)} [${p.accept}${p.withToken ? "" : ", no token"}]: ${answer.http} ${answer.text.slice(0, 300)}`;
  expect(answer.text, what).not.toContain(EXPANDED);
  expect(answer.text, what).not.toContain("root:x:0");
  let refused: boolean;
  let status: number;
  if (p.method === "POST" && p.path.split("?")[0] === "/batches" && answer.http !== 200) {
    // /v1's route: 202 accepted, or a 4xx in /v1's envelope.
    expect(answer.http < 300 || (answer.http >= 400 && answer.http < 500), what).toBe(true);
    refused = answer.http >= 400;
    status = refused ? -7 : 1;
    if (refused) expect(JSON.parse(answer.text), what).toMatchObject({ error: { code: expect.any(String) } });
  } else {
    expect(answer.http, what).toBe(200);
    status = statusOf(answer, p.accept === "json", what);
    expect([1, ...DOCUMENTED_ERRORS], what).toContain(status);
    refused = status < 0;
  }
  if (refused) expect(await footprint(), `${what}: refused but wrote`).toBe(before);
  return status;
}

// ---------------------------------------------------------------------------
// Arbitraries.

/** The valid body, or for a route without one, a send's body (sent and ignored, as the PHP SDK sends `[]`). */
const validOf = (endpoint: SfEndpoint): Record<string, unknown> =>
  endpoint.body?.valid() ?? { sms: { message: { text: MARKER_BODY, sender: "Salvo" }, recipients: gsm } };

/** Every path into a body (objects' keys, arrays' indexes), the body itself first. */
function pathsIn(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  const inner =
    value && typeof value === "object"
      ? Object.entries(value).flatMap(([key, v]) =>
          pathsIn(v, [...at, Array.isArray(value) ? Number(key) : key]),
        )
      : [];
  return [at, ...inner];
}

/** `body` with the value at `path` replaced (a deep copy). */
function replacedAt(body: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  const copy = (Array.isArray(body) ? [...body] : { ...(body as object) }) as Record<
    string | number,
    unknown
  >;
  copy[head] = replacedAt(copy[head], rest, value);
  return copy;
}

const wrongTyped = fc.oneof(
  rawNumber,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
  fc.array(nastyString, { maxLength: 3 }),
  fc.dictionary(nastyKey, nastyString, { maxKeys: 3 }),
);

/** The valid body with one field (or the body, or one of its objects) holding anything at all. */
function mutatedBody(endpoint: SfEndpoint) {
  const valid = validOf(endpoint);
  return fc
    .tuple(fc.constantFrom(...pathsIn(valid)), fc.oneof(nastyString, wrongTyped, nastyJson))
    .map(([path, value]) => replacedAt(valid, path, value));
}

/** The valid body with an unknown field, at the top or under its key. */
function unknownFieldBody(endpoint: SfEndpoint) {
  const valid = validOf(endpoint);
  const key = endpoint.body?.key;
  return fc
    .tuple(nastyKey, nastyJson, fc.boolean())
    .map(([name, value, inside]) =>
      inside && key
        ? { ...valid, [key]: { ...(valid[key] as object), [name]: value } }
        : { ...valid, [name]: value },
    );
}

const DEEP = 10_000;
/** JSON bodies, as text or bytes. */
function jsonBody(endpoint: SfEndpoint): fc.Arbitrary<string | Uint8Array> {
  const valid = jsonText(validOf(endpoint));
  return fc.oneof(
    nastyJson.map(jsonText),
    mutatedBody(endpoint).map(jsonText),
    unknownFieldBody(endpoint).map(jsonText),
    // Deep nesting, alone or in a field.
    fc.constantFrom(`${"[".repeat(DEEP)}${"]".repeat(DEEP)}`, `${'{"a":'.repeat(DEEP)}1${"}".repeat(DEEP)}`),
    fc
      .tuple(fc.constantFrom(...pathsIn(validOf(endpoint)).filter((p) => p.length > 0)), fc.boolean())
      .map(([path, arrays]) =>
        jsonText(replacedAt(validOf(endpoint), path, "\u0000deep")).replace(
          '"\\u0000deep"',
          arrays ? `${"[".repeat(DEEP)}${"]".repeat(DEEP)}` : `${'{"a":'.repeat(DEEP)}1${"}".repeat(DEEP)}`,
        ),
      ),
    // Invalid UTF-8 inside the valid body, and random bytes.
    fc
      .tuple(fc.nat(valid.length), fc.uint8Array({ min: 0x80, max: 0xff, minLength: 1, maxLength: 6 }))
      .map(([at, bytes]) =>
        Buffer.concat([Buffer.from(valid.slice(0, at)), bytes, Buffer.from(valid.slice(at))]),
      ),
    fc.uint8Array({ maxLength: 200 }),
  );
}

/** A text as XML element content: escaped, and what XML cannot carry as a character reference (itself invalid XML). */
function xmlEscape(text: string): string {
  return text.replace(/[&<>]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[c] as string);
}

/** A JSON value as XML elements, as SMSFactor's XML writes the same request (an array: one element per item). */
function xmlOf(name: string, value: unknown): string {
  const tag = name.replace(/[^A-Za-z0-9_.-]/g, "_").replace(/^[^A-Za-z_]/, "_$&") || "_";
  if (Array.isArray(value)) return value.map((item) => xmlOf(name, item)).join("");
  if (value instanceof RawJson) return `<${tag}>${value.text}</${tag}>`;
  if (value && typeof value === "object") {
    const inner = Object.entries(value)
      .map(([key, v]) => xmlOf(key, v))
      .join("");
    return `<${tag}>${inner}</${tag}>`;
  }
  return `<${tag}>${xmlEscape(value === null || value === undefined ? "" : String(value))}</${tag}>`;
}

/** A body as an XML document: its one top-level key as the root, else under `<root>`. */
function xmlDocument(body: unknown): string {
  const entries = body && typeof body === "object" && !Array.isArray(body) ? Object.entries(body) : [];
  const root = entries.length === 1 ? xmlOf(entries[0]![0], entries[0]![1]) : xmlOf("root", body);
  return `<?xml version="1.0" encoding="UTF-8"?>${root}`;
}

/** DOCTYPE tricks: internal entities, external ones (XXE), exponential expansion (billion laughs), parameter entities. */
function entityTricks(endpoint: SfEndpoint): string[] {
  const key = endpoint.body?.key ?? "sms";
  const inner = xmlDocument(validOf(endpoint))
    .replace(/^<\?xml[^>]*\?>/, "")
    // The first text of the body becomes the entity.
    .replace(/>([^<]+)</, ">&x;<");
  const laughs = [`<!ENTITY l0 "${EXPANDED}">`]
    .concat(Array.from({ length: 9 }, (_, i) => `<!ENTITY l${i + 1} "${`&l${i};`.repeat(10)}">`))
    .join("");
  return [
    `<!DOCTYPE ${key} [<!ENTITY x "${EXPANDED}">]>${inner}`,
    `<?xml version="1.0"?><!DOCTYPE ${key} [<!ENTITY x SYSTEM "file:///etc/passwd">]>${inner}`,
    `<!DOCTYPE ${key} [${laughs}<!ENTITY x "&l9;">]>${inner}`,
    `<!DOCTYPE ${key} [<!ENTITY % p "<!ENTITY x '${EXPANDED}'>"> %p;]>${inner}`,
    `<!DOCTYPE ${key} SYSTEM "http://127.0.0.1:1/evil.dtd">${inner}`,
    `<!doctype ${key} [<!ENTITY x "${EXPANDED}">]>${inner}`,
    `<!ENTITY x "${EXPANDED}">${inner}`,
  ];
}

/** XML bodies: the valid one with anything in a field, malformed ones, entity tricks. */
function xmlBody(endpoint: SfEndpoint): fc.Arbitrary<string | Uint8Array> {
  const valid = validOf(endpoint);
  const document = xmlDocument(valid);
  return fc.oneof(
    mutatedBody(endpoint).map(xmlDocument),
    // Cut anywhere, or with a random piece spliced in.
    fc.nat(document.length).map((at) => document.slice(0, at)),
    fc
      .tuple(fc.nat(document.length), nastyString)
      .map(([at, text]) => document.slice(0, at) + text + document.slice(at)),
    nastyString.map((text) => `<${text}`),
    fc.constantFrom(...entityTricks(endpoint)),
    fc
      .tuple(fc.nat(document.length), fc.uint8Array({ min: 0x80, max: 0xff, minLength: 1, maxLength: 4 }))
      .map(([at, bytes]) =>
        Buffer.concat([Buffer.from(document.slice(0, at)), bytes, Buffer.from(document.slice(at))]),
      ),
    fc.constant(`${"<a>".repeat(DEEP)}${"</a>".repeat(DEEP)}`),
  );
}

/** Form bodies: `data=<json>` (the legacy encoding) with anything in it, other fields, broken percent-encoding. */
function formBody(endpoint: SfEndpoint): fc.Arbitrary<string> {
  const field = fc
    .tuple(nastyKey, nastyString)
    .map(([key, value]) => `${percentEncode(key)}=${percentEncode(value)}`);
  return fc.oneof(
    fc
      .oneof(mutatedBody(endpoint).map(jsonText), nastyJson.map(jsonText), nastyString)
      .map((json) => `data=${percentEncode(json)}`),
    fc.array(field, { maxLength: 4 }).map((fields) => fields.join("&")),
    fc.constantFrom("data", "data=", "data=%", "data=%ZZ", "data=%00", "data=%ED%A0%80", "data=%7B", "=&&="),
    fc
      .tuple(mutatedBody(endpoint).map(jsonText), field)
      .map(([json, other]) => `${other}&data=${percentEncode(json)}&data=${percentEncode("[]")}`),
  );
}

const ID_LIKE = [
  "1",
  "0",
  "-1",
  "99999999999999999999",
  "1.5",
  "1e3",
  "bat_01JD3ZZZZZZZZZZZZZZZZZZZZZ",
  "tok_01JD3K5ZQ8XH7M2N4P6R9T0VWY",
  "cl_fuzz",
  NUMBER,
  `+${NUMBER}`,
  "０６１２３４５６７８",
];
const RAW_SEGMENTS = [
  "%00",
  "tok_%00",
  "%",
  "a%",
  "%ZZ",
  "%ED%A0%80",
  "%C0%AF",
  "%FF",
  "%2F",
  "%5C",
  "%0D%0A",
  "%20",
  ";a=b",
];
const pathId = fc.oneof(
  fc
    .oneof(nastyString, fc.constantFrom(...ID_LIKE))
    .filter((text) => text.length > 0)
    .map(percentEncode),
  fc.constantFrom(...RAW_SEGMENTS),
  fc.integer({ min: 60, max: 4_000 }).map((n) => "a".repeat(n)),
);

const QUERY_KEYS = [
  "token",
  "text",
  "to",
  "start",
  "length",
  "page",
  "id",
  "sender",
  "delay",
  "unicode",
  "status",
];
const query = fc
  .array(
    fc.oneof(
      fc
        .tuple(
          fc.oneof(fc.constantFrom(...QUERY_KEYS), nastyKey),
          fc.oneof(nastyString, fc.constantFrom(MARKER_BODY, NUMBER)),
        )
        .map(([key, value]) => `${percentEncode(key)}=${percentEncode(value)}`),
      fc.constantFrom(
        "text",
        "to=",
        "=1",
        "&",
        "start=%",
        "length=%ZZ",
        "to=%00",
        "text[]=a",
        "to[a]=b",
        `token=${"x".repeat(50)}`,
      ),
    ),
    { maxLength: 4 },
  )
  .map((parts) => parts.join("&"));

/** Everything but the body of a probe: where it goes, with what headers. */
function around(endpoint: SfEndpoint) {
  return fc.record({
    id: endpoint.ownId ? fc.oneof(pathId, fc.constant(endpoint.ownId)) : pathId,
    search: fc.oneof(fc.constant(""), query),
    accept: fc.constantFrom("json", "none", "xml", "any") as fc.Arbitrary<Probe["accept"]>,
    withToken: fc.boolean(),
  });
}

function pathFor(endpoint: SfEndpoint, id: string | (() => string), search: string): string {
  const path = endpoint.path.replace(/:\w+/, typeof id === "function" ? id() : id);
  return search ? `${path}?${search}` : path;
}

const JSON_TYPES = ["application/json", "application/json; charset=utf-8", "text/plain", ""];
const XML_TYPES = ["application/xml", "text/xml", "application/xml; charset=utf-8", ""];

// ---------------------------------------------------------------------------

describe("bodies, queries, ids, tokens and Accept", () => {
  // A dot segment resolved by a client would be another route: not sent.
  const isOwnRoute = (endpoint: SfEndpoint, path: string) =>
    new URL(`/smsfactor${path}`, t.api.url).pathname.startsWith(`/smsfactor${endpoint.path.split("/:")[0]}`);

  const cases = ENDPOINTS.map((e) => [`${e.method} ${e.path}`, e] as const);

  it.each(cases)("%s answers any JSON body", async (_, endpoint) => {
    const poisoned = pathsIn(validOf(endpoint))
      .filter((p) => p.length > 0)
      .flatMap((p) =>
        ["a\u0000b", "a\ud800b"].map((text) => jsonText(replacedAt(validOf(endpoint), p, text))),
      );
    await fc.assert(
      fc.asyncProperty(
        around(endpoint),
        fc.oneof(jsonBody(endpoint), fc.constantFrom(...(poisoned.length ? poisoned : ["[]"]))),
        fc.constantFrom(...JSON_TYPES),
        async ({ id, search, accept, withToken }, body, contentType) => {
          const path = pathFor(endpoint, id, search);
          if (!isOwnRoute(endpoint, path)) return;
          await probe({ method: endpoint.method, path, body, contentType, accept, withToken });
        },
      ),
      { numRuns: runs(25) },
    );
  });

  it.each(cases)("%s answers any XML body", async (_, endpoint) => {
    await fc.assert(
      fc.asyncProperty(
        around(endpoint),
        xmlBody(endpoint),
        fc.constantFrom(...XML_TYPES),
        async ({ id, search, accept, withToken }, body, contentType) => {
          const path = pathFor(endpoint, id, search);
          if (!isOwnRoute(endpoint, path)) return;
          await probe({ method: endpoint.method, path, body, contentType, accept, withToken });
        },
      ),
      { numRuns: runs(20) },
    );
  });

  it.each(cases)("%s answers any form body", async (_, endpoint) => {
    await fc.assert(
      fc.asyncProperty(
        around(endpoint),
        formBody(endpoint),
        async ({ id, search, accept, withToken }, body) => {
          const path = pathFor(endpoint, id, search);
          if (!isOwnRoute(endpoint, path)) return;
          await probe({
            method: endpoint.method,
            path,
            body,
            contentType: "application/x-www-form-urlencoded",
            accept,
            withToken,
          });
        },
      ),
      { numRuns: runs(12) },
    );
  });
});

describe("methods", () => {
  it("answers a method a path does not take with -5, HTTP 200", async () => {
    const paths = [...new Set(ENDPOINTS.map((e) => e.path))];
    for (const path of paths) {
      const taken = ENDPOINTS.filter((e) => e.path === path).map((e) => e.method as string);
      for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE"].filter((m) => !taken.includes(m))) {
        const status = await probe({
          method,
          path: path.replace(/:\w+/, "1"),
          body: "[]",
          accept: "json",
          withToken: true,
        });
        expect(status, `${method} ${path}`).toBe(-5);
      }
    }
  });
});

describe("XML entities", () => {
  const withBody = ENDPOINTS.filter((e) => e.body);

  // Once -99: fast-xml-parser expanded a DOCTYPE's internal entities and threw on external ones.
  it("refuses a DOCTYPE with -2 on every route that takes a body, expanding nothing", async () => {
    for (const endpoint of withBody) {
      for (const body of entityTricks(endpoint)) {
        for (const accept of ["json", "none"] as const) {
          const status = await probe({
            method: endpoint.method,
            path: pathFor(endpoint, endpoint.ownId ?? "1", ""),
            body,
            contentType: "application/xml",
            accept,
            withToken: true,
          });
          expect(status, `${endpoint.path}: ${body.slice(0, 80)}`).toBe(-2);
        }
      }
    }
    // The expansion reached no row of any table.
    for (const name of tables) {
      const [row] = await t.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${name}" r WHERE r::text LIKE '%${EXPANDED}%'`,
      );
      expect(row?.n, name).toBe(0);
    }
  });
});

describe("regressions", () => {
  const withIds = ENDPOINTS.filter((e) => e.path.includes("/:"));

  // Once -99: PostgreSQL refused the NUL of `/token/%00`, `/list/%00`, `/campaign/%00`…
  it("answers an id holding a NUL with -5 (or -7 when XML cannot echo it)", async () => {
    for (const endpoint of withIds) {
      for (const accept of ["json", "none"] as const) {
        const status = await probe({
          method: endpoint.method,
          path: pathFor(endpoint, "%00", ""),
          accept,
          withToken: true,
        });
        if (endpoint.path !== "/batches/:id") expect(status, endpoint.path).toBe(accept === "json" ? -5 : -7);
      }
    }
  });

  // Once -99: the check of what XML can carry recursed through a body 10,000 deep and overflowed the stack.
  it("answers a body nested 10,000 deep on every route, in XML too", async () => {
    for (const endpoint of ENDPOINTS) {
      for (const accept of ["json", "none"] as const) {
        await probe({
          method: endpoint.method,
          path: pathFor(endpoint, endpoint.ownId ?? "1", ""),
          body: `{"x":${"[".repeat(DEEP)}${"]".repeat(DEEP)}}`,
          contentType: "application/json",
          accept,
          withToken: true,
        });
      }
    }
  });

  // Once answered in JSON to an XML client: the error's details echoed a NUL of the request.
  it("answers an error whose details name a character XML cannot carry in XML", async () => {
    const answer = await sfRequest("POST", "/list", {
      headers: { authorization: `Bearer ${token}`, "content-type": "application/xml" },
      body: "<\u0000",
    });
    expect(answer.type).toMatch(/^application\/xml/);
    expect(answer.text).toContain("<status>-2</status>");
    expect(answer.text).toContain("U+0000");
  });
});

describe("logs", () => {
  it("never carry the marker body or number", () => {
    expect(t.logs.length).toBeGreaterThan(0);
    const needles = [MARKER_BODY, EXPANDED, '"level":50'].map((text) => ({
      test: (line: string) => line.includes(text),
      text,
    }));
    for (const number of [NUMBER, "0612345678"]) {
      const pattern = new RegExp(`(?<![\\w-])\\+?${number}(?![\\w-])`);
      needles.push({ test: (line) => pattern.test(line), text: number });
    }
    for (const needle of needles) {
      expect(t.logs.filter((line) => needle.test(line)).slice(0, 3), needle.text).toEqual([]);
    }
  });
});
