import { z } from "zod";
import { type RouteDescription, routeSpecOf } from "../http/route";
import { sfErrorAnswer } from "../smsfactor/conventions";
import { errorBody, RESPONSES } from "./responses";

interface Layer {
  rawPath?: unknown;
  route?: { path: string; methods: Record<string, boolean>; stack: { handle: unknown }[] };
  handle?: { stack?: Layer[] };
}

/** A route the app serves: its method, Express path and, when declared with `route()` or `sfRoute()`, its spec. */
interface ServedRoute {
  method: string;
  path: string;
  spec?: RouteDescription;
}

// Not API routes: the console's files, Bull Board's pages (console.test.ts tests
// them) and the reference's own (/docs).
export const NOT_DESCRIBED = ["/console/", "/admin/queues/", "/docs"];

/** Every route an Express app serves (the console's and Bull Board's pages aside), in the order it serves them. */
function servedRoutes(app: unknown): ServedRoute[] {
  const served: ServedRoute[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      const path = prefix + (typeof layer.rawPath === "string" && layer.rawPath !== "/" ? layer.rawPath : "");
      if (layer.route) {
        const full = prefix + layer.route.path;
        if (NOT_DESCRIBED.some((apart) => full.startsWith(apart))) continue;
        for (const method of Object.keys(layer.route.methods)) {
          if (!served.some((r) => r.method === method.toUpperCase() && r.path === full)) {
            const { path: routePath, stack } = layer.route;
            const spec = stack.map((inner) => specOf(inner.handle, routePath, method)).find(Boolean);
            served.push({ method: method.toUpperCase(), path: full, spec });
          }
        }
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack, path);
      }
    }
  };
  walk((app as { router: { stack: Layer[] } }).router.stack, "");
  return served;
}

/**
 * The spec of a route's handler; for a handler that is a router (`/smsfactor/batches`
 * hands on to /v1's batch routes), that of its route of the same path and method.
 */
function specOf(handle: unknown, path: string, method: string): RouteDescription | undefined {
  const inner = (handle as { stack?: Layer[] }).stack;
  if (!inner) return routeSpecOf(handle);
  const route = inner.find((layer) => layer.route?.path === path && layer.route.methods[method])?.route;
  return route?.stack.map((layer) => routeSpecOf(layer.handle)).find(Boolean);
}

/** `/v1/batches/:id` as OpenAPI writes it: `/v1/batches/{id}`. */
export const openApiPath = (path: string) => path.replace(/:(\w+)/g, "{$1}");

/** The key of a route in RESPONSES and in the lists of the tests: `GET /v1/batches/:id`. */
const routeKey = (route: { method: string; path: string }) => `${route.method} ${route.path}`;

// Request schemas are described as they are read (`io: "input"`: defaults optional,
// coerced query values as the strings they arrive as); what JSON Schema cannot say
// (a refinement, a transform) is left to the 400 that names the field.
function jsonSchema(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, {
    target: "draft-2020-12",
    io,
    unrepresentable: "any",
  }) as Record<string, unknown>;
  return rest;
}

interface ObjectSchema {
  properties?: Record<string, Record<string, unknown>>;
  required?: string[];
}

function parameters(schema: z.ZodType | undefined, where: "path" | "query") {
  if (!schema) return [];
  const object = jsonSchema(schema, "input") as ObjectSchema;
  return Object.entries(object.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === "path" || (object.required ?? []).includes(name),
    schema: property,
  }));
}

function tagOf(path: string): string {
  if (path.startsWith("/smsfactor")) return "SMSFactor compatible";
  if (path.startsWith("/v1/admin")) return "admin";
  if (path.startsWith("/v1/providers")) return "provider callbacks";
  const [, first, second] = path.split("/");
  if (first !== "v1") return "operations";
  // Sofy's groups and custom columns (docs/compat.md), beside its `/v1/sms`.
  if (second === "groups" || second === "customColumns") return "Sofy compatible";
  return second === "subaccounts" ? "subaccounts" : (second ?? "v1");
}

function security(method: string, path: string) {
  if (path.startsWith("/v1/admin")) return [{ adminToken: [] }];
  if (path.startsWith("/v1/providers")) return [];
  if (path.startsWith("/v1/")) return [{ bearer: [] }, { basic: [] }, { apiKeyId: [], apiKeySecret: [] }];
  if (path === "/metrics") return [{}, { metricsToken: [] }];
  // `?token=` too on the two routes SMSFactor's reference allows it on.
  if (method === "GET" && (path === "/smsfactor/send" || path === "/smsfactor/send/simulate")) {
    return [{}, { bearer: [] }, { smsFactorQueryToken: [] }];
  }
  if (path.startsWith("/smsfactor/")) return [{}, { bearer: [] }];
  return [];
}

const ERROR_RESPONSE = {
  description:
    'An error: `{"error": {"code", "description", "field"?}}` (docs/api.md, "Errors"). ' +
    "`POST /v1/send` adds a numeric `status`.",
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
};

interface DescribedResponse {
  description: string;
  content?: Record<string, { schema: unknown }>;
}

const SMSFACTOR_XML = {
  schema: {
    type: "string",
    description:
      "The same tree as the JSON answer, in XML (SMSFactor's default without `Accept: application/json`): " +
      "a `<response>` root, an element per key, an array as one element per item (none when empty), " +
      "null as the text `null` (docs/compat.md).",
  },
};

/**
 * An SMSFactor route's answers: its errors are HTTP 200 too (a negative `status`),
 * so its 200 is its success answer or the error's; XML unless JSON is asked for.
 */
function withSmsFactorErrors(responses: Record<string, DescribedResponse>): void {
  const ok = responses["200"];
  const success = ok?.content?.["application/json"]?.schema;
  const error = { $ref: "#/components/schemas/SmsFactorError" };
  responses["200"] = {
    description: `${ok ? `${ok.description} Or` : "Only"} SMSFactor's error answer, HTTP 200 as well: \`{"status": <negative>, "message", "details"}\`.`,
    content: {
      ...ok?.content,
      "application/json": { schema: success ? { anyOf: [success, error] } : error },
      "application/xml": SMSFACTOR_XML,
    },
  };
}

/** A route's success answers: RESPONSES's, else the answer its `sfRoute()` declares. */
// A connector's callbacks are described once, for every connector's name.
const connectorCallback = /^(\w+ \/v1\/providers\/)[^/]+(\/(?:dlr|inbound))$/;

function declaredResponses(route: ServedRoute) {
  const key = routeKey(route);
  const declared = RESPONSES[key] ?? RESPONSES[key.replace(connectorCallback, "$1:connector$2")];
  if (declared || !route.spec?.answer) return declared;
  return {
    "200": { description: 'Done: `status` 1, `message` "OK", and its fields.', schema: route.spec.answer },
  };
}

function responsesOf(route: ServedRoute) {
  const declared = declaredResponses(route);
  const responses: Record<string, DescribedResponse> = {};
  if (declared) {
    for (const [status, response] of Object.entries(declared)) {
      responses[status] = {
        description: response.description,
        ...(response.schema
          ? {
              content: {
                [response.mediaType ?? "application/json"]: { schema: jsonSchema(response.schema, "output") },
              },
            }
          : {}),
      };
    }
  } else {
    responses["2XX"] = { description: "Success (its body is not described yet)." };
  }
  if (route.path.startsWith("/v1/")) {
    responses["4XX"] = ERROR_RESPONSE;
    responses["5XX"] = ERROR_RESPONSE;
  }
  if (route.path.startsWith("/smsfactor/")) withSmsFactorErrors(responses);
  return responses;
}

/** The other forms an SMSFactor request body may take (reference §1.3, §1.4). */
const SMSFACTOR_REQUEST_FORMATS = {
  "application/xml": {
    schema: {
      type: "string",
      description:
        "The same tree in XML: the top key as the root element (`<sms>`), an array as repeated " +
        'elements, a recipient as `<gsm gsmsmsid="100">336…</gsm>`.',
    },
  },
  "application/x-www-form-urlencoded": {
    schema: {
      type: "object",
      properties: { data: { type: "string", description: "The JSON body." } },
      required: ["data"],
    },
  },
};

function operation(route: ServedRoute) {
  const { spec } = route;
  const idempotent = spec?.idempotent !== undefined;
  const smsFactor = route.path.startsWith("/smsfactor");
  return {
    operationId: `${route.method.toLowerCase()}${route.path.replace(/[^a-zA-Z0-9]+(\w)?/g, (_, c?: string) => (c ?? "").toUpperCase())}`,
    summary: `${route.method} ${route.path}`,
    tags: [tagOf(route.path)],
    security: security(route.method, route.path),
    parameters: [
      ...parameters(spec?.params, "path"),
      // A path of a route not declared with `route()`: its parameters, as strings.
      ...(spec?.params
        ? []
        : [...route.path.matchAll(/:(\w+)/g)].map((match) => ({
            name: match[1],
            in: "path",
            required: true,
            schema: { type: "string" },
          }))),
      ...parameters(spec?.query, "query"),
      ...(idempotent
        ? [
            {
              name: "Idempotency-Key",
              in: "header",
              required: false,
              description:
                "Retrying with the same key answers the first answer again (`Idempotent-Replayed: true`) " +
                'instead of doing it twice (docs/api.md, "Idempotency").',
              schema: { type: "string", minLength: 1, maxLength: 255 },
            },
          ]
        : []),
    ],
    ...(spec?.body
      ? {
          requestBody: {
            required: true,
            content: {
              "application/json": { schema: jsonSchema(spec.body, "input") },
              ...(smsFactor ? SMSFACTOR_REQUEST_FORMATS : {}),
            },
          },
        }
      : {}),
    ...(smsFactor
      ? {
          description:
            "SMSFactor's compatible API (docs/compat.md): answers in XML unless `Accept: application/json` " +
            "(the same tree), errors as HTTP 200 with a negative `status`.",
        }
      : {}),
    responses: responsesOf(route),
  };
}

/** The OpenAPI 3.1 document of every route `app` serves, from the zod schemas that validate its requests. */
export function openApiDocument(app: unknown, version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of servedRoutes(app)) {
    const at = openApiPath(route.path);
    paths[at] ??= {};
    (paths[at] as Record<string, unknown>)[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Salvo API",
      version,
      description:
        "Salvo's HTTP API (docs/api.md). Request schemas are generated from the zod schemas that " +
        "validate the requests, answers from those of the answers. `/smsfactor/…` is SMSFactor's " +
        "compatible API (docs/compat.md), with its own conventions: answers in XML unless " +
        "`Accept: application/json` (the JSON is described, the XML is the same tree), and errors " +
        'answered HTTP 200 as `{"status": <negative>, "message", "details"}` (`SmsFactorError`).',
    },
    jsonSchemaDialect: "https://spec.openapis.org/oas/3.1/dialect/base",
    servers: [{ url: "/" }],
    components: {
      schemas: {
        Error: jsonSchema(errorBody, "output"),
        SmsFactorError: jsonSchema(sfErrorAnswer, "output"),
      },
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          description: "An API token: `Authorization: Bearer <token>`.",
        },
        basic: {
          type: "http",
          scheme: "basic",
          description: "HTTP Basic with `token_id:secret`, or the whole token as the user name.",
        },
        apiKeyId: { type: "apiKey", in: "header", name: "X-API-KEY-ID", description: "The token's id." },
        apiKeySecret: {
          type: "apiKey",
          in: "header",
          name: "X-API-KEY-SECRET",
          description: "The token's secret (with X-API-KEY-ID).",
        },
        adminToken: {
          type: "http",
          scheme: "bearer",
          description: "An operator's admin token (`adm_…`), for `/v1/admin`.",
        },
        smsFactorQueryToken: {
          type: "apiKey",
          in: "query",
          name: "token",
          description: "An API token in the query string (`GET /smsfactor/send` and `/send/simulate` only).",
        },
        metricsToken: {
          type: "http",
          scheme: "bearer",
          description: "METRICS_TOKEN, when the install sets one (docs/operations.md).",
        },
      },
    },
    paths,
  };
}
