import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { NOT_DESCRIBED, openApiPath } from "../src/openapi/document";
import { servedRoutes } from "./fuzz-values";
import { startTestApi, type TestApi } from "./harness";
import { undescribedAnswered } from "./openapi-check";

/**
 * The routes whose answers the document does not describe yet (the API's tests
 * cannot check them). This list may only shrink: describe a route's answers in
 * src/openapi/responses.ts and take it off.
 */
const WITHOUT_RESPONSE_SCHEMAS: string[] = [];

type Document = {
  paths: Record<string, Record<string, { responses: Record<string, { content?: unknown }> }>>;
};

let t: TestApi;
let document: Document;
beforeAll(async () => {
  t = await startTestApi({ LINK_BASE_URL: "http://127.0.0.1:1/l" });
  const answer = await fetch(`${t.api.url}/openapi.json`);
  expect(answer.status).toBe(200);
  document = (await answer.json()) as Document;
});
afterAll(() => t?.stop());

const documented = () =>
  Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
  );

describe("GET /openapi.json", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    const result = await new Validator().validate(structuredClone(document) as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect((document as { openapi?: string }).openapi).toBe("3.1.0");
  });

  it("has every route the API serves, with its method and path, and no other", () => {
    // The API the harness started serves these (its /metrics, its short links).
    const app = createApp({
      env: t.env,
      store: {},
      logger: { child: () => ({}) },
      metrics: { middleware: () => {}, registry: {} },
    } as never);
    const served = servedRoutes(app)
      .filter((route) => !NOT_DESCRIBED.some((apart) => route.split(" ")[1]?.startsWith(apart)))
      .map((route) => {
        const [method = "", path = ""] = route.split(" ");
        return `${method} ${openApiPath(path)}`;
      });
    expect(served).toContain("GET /v1/batches/{id}");
    expect(served).toContain("POST /smsfactor/send");
    expect(documented().sort()).toEqual(served.sort());
  });

  it("describes the answers of every route but those still listed without", () => {
    const undescribed = Object.entries(document.paths)
      .flatMap(([path, operations]) =>
        Object.entries(operations)
          .filter(([, operation]) => operation.responses["2XX"])
          .map(([method]) => `${method.toUpperCase()} ${path}`),
      )
      .filter((route) => !route.split(" ")[1]?.startsWith("/smsfactor/"));
    expect(undescribed.sort()).toEqual(WITHOUT_RESPONSE_SCHEMAS.map(openApiPath).sort());
  });

  it("describes a route's requests with the zod schemas that validate them", () => {
    const create = document.paths["/v1/batches"]?.post as unknown as {
      requestBody: { content: { "application/json": { schema: { properties: Record<string, unknown> } } } };
      parameters: { name: string; in: string }[];
    };
    const body = create.requestBody.content["application/json"].schema;
    expect(Object.keys(body.properties)).toEqual(expect.arrayContaining(["from", "body", "recipients"]));
    expect(create.parameters).toContainEqual(
      expect.objectContaining({ name: "Idempotency-Key", in: "header" }),
    );
  });

  it("serves an interactive reference at /docs, with its files from this server", async () => {
    const page = await fetch(`${t.api.url}/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("/docs/swagger-ui-bundle.js");
    expect(html).not.toMatch(/https?:\/\//);
    for (const file of ["swagger-ui-bundle.js", "swagger-ui.css", "start.js"]) {
      const asset = await fetch(`${t.api.url}/docs/${file}`);
      expect(asset.status, file).toBe(200);
      expect((await asset.arrayBuffer()).byteLength, file).toBeGreaterThan(10);
    }
  });

  it("checks the answers this file's tests got: the undescribed ones were listed", () => {
    for (const route of undescribedAnswered) {
      expect(WITHOUT_RESPONSE_SCHEMAS.map(openApiPath)).toContain(route);
    }
  });
});
