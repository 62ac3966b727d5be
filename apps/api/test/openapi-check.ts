// Checks every JSON answer the API gives in the tests against its OpenAPI
// document (GET /openapi.json): the harness hands `checkResponse` to the API it
// starts, and test/setup.ts fails the test during which an answer did not match.

import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import type { Request } from "express";
import { openApiDocument } from "../src/openapi/document";

type Document = ReturnType<typeof openApiDocument>;
interface Operation {
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}

const ajv = new Ajv2020({ strict: false, allErrors: false });
addFormats.default(ajv);

const documents = new WeakMap<object, { document: Document; templates: Template[] }>();
interface Template {
  path: string;
  pattern: RegExp;
  params: number;
}
const validators = new Map<string, ValidateFunction>();
const violations: string[] = [];

function documentOf(app: object) {
  let known = documents.get(app);
  if (!known) {
    const document = openApiDocument(app, "test");
    ajv.removeSchema("openapi");
    ajv.addSchema({ $id: "openapi", components: document.components }, "openapi");
    const templates = Object.keys(document.paths).map((path) => ({
      path,
      pattern: new RegExp(`^${path.replace(/\{\w+\}/g, "[^/]+").replace(/\./g, "\\.")}$`),
      params: (path.match(/\{/g) ?? []).length,
    }));
    // A literal path wins over a parameter (`/v1/batches/simulate`, not `/v1/batches/{id}`).
    templates.sort((a, b) => a.params - b.params);
    known = { document, templates };
    documents.set(app, known);
  }
  return known;
}

function validator(key: string, schema: unknown): ValidateFunction {
  let validate = validators.get(key);
  if (!validate) {
    // The error envelope is a $ref into the document's components.
    const text = JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/');
    validate = ajv.compile(JSON.parse(text));
    validators.set(key, validate);
  }
  return validate;
}

/** For the API the harness starts: checks one JSON answer against the document. */
export function checkResponse(req: Request, status: number, body: unknown): void {
  const { document, templates } = documentOf(req.app);
  const path = req.originalUrl.split("?")[0] ?? "";
  const method = req.method.toLowerCase();
  const template = templates.find(
    (t) => t.pattern.test(path) && (document.paths[t.path] as Record<string, unknown>)[method],
  );
  const where = `${req.method} ${template?.path ?? path} → ${status}`;
  if (!template) {
    // No route: the 404 or 405 of /v1 is still the error envelope, SMSFactor's -5 its error answer.
    const { schemas } = document.components;
    if (path.startsWith("/v1/") && status >= 400) check(where, schemas.Error, body);
    if (path.startsWith("/smsfactor/")) check(where, schemas.SmsFactorError, body);
    return;
  }
  const operation = (document.paths[template.path] as Record<string, Operation>)[method] as Operation;
  const response =
    operation.responses[String(status)] ?? operation.responses[`${String(status).charAt(0)}XX`];
  if (!response) {
    violations.push(`${where}: a status the document does not list`);
    return;
  }
  const schema = response.content?.["application/json"]?.schema;
  if (schema) check(where, schema, body);
  else violations.push(`${where}: a JSON body where the document says there is none`);
}

function check(where: string, schema: unknown, body: unknown): void {
  const validate = validator(JSON.stringify(schema), schema);
  if (!validate(body)) {
    const errors = (validate.errors ?? []).map(
      (e) => `${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`,
    );
    violations.push(`${where}: ${errors.join("; ")} in ${JSON.stringify(body).slice(0, 300)}`);
  }
}

/** The answers that did not match the document since the last call (and forgets them). */
export function takeViolations(): string[] {
  return violations.splice(0);
}
