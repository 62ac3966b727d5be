import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { NOT_DESCRIBED, openApiPath } from "../src/openapi/document";
import { servedRoutes } from "./fuzz-values";
import { startTestApi, type TestApi } from "./harness";

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: { anyOf?: unknown[] } }> }>;
  parameters?: { name: string; in: string }[];
  security?: unknown[];
  requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> };
}
type Document = { paths: Record<string, Record<string, Operation>> };

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

  // A route added without them is listed with `2XX` and no schema (src/openapi/document.ts):
  // describe its answers in src/openapi/responses.ts, or with `sfRoute`'s `answer`.
  it("describes the answers of every route, /smsfactor's too", () => {
    const undescribed = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([, operation]) => operation.responses["2XX"])
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(undescribed).toEqual([]);
  });

  it("describes each /smsfactor answer: its success and SMSFactor's error in JSON, and XML by default", () => {
    const smsFactor = Object.entries(document.paths).filter(([path]) => path.startsWith("/smsfactor/"));
    expect(smsFactor.length).toBeGreaterThan(30);
    for (const [path, operations] of smsFactor) {
      for (const [method, { responses }] of Object.entries(operations)) {
        const where = `${method.toUpperCase()} ${path}`;
        const content = responses["200"]?.content ?? {};
        expect(Object.keys(content), where).toContain("application/xml");
        const json = content["application/json"]?.schema;
        expect(JSON.stringify(json), where).toContain('"#/components/schemas/SmsFactorError"');
        // Its success answer: beside the error in the 200, or another status or media type (a CSV).
        const otherAnswers = [
          ...Object.keys(responses).filter((status) => status !== "200"),
          ...Object.keys(content).filter((type) => !["application/json", "application/xml"].includes(type)),
        ];
        expect((json?.anyOf?.length ?? 0) === 2 || otherAnswers.length > 0, where).toBe(true);
      }
    }
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

  it("describes /smsfactor's requests with the zod schemas that validate them", () => {
    const get = document.paths["/smsfactor/send"]?.get;
    expect(get?.parameters?.map((p) => `${p.in} ${p.name}`)).toEqual(
      expect.arrayContaining(["query text", "query to", "query sender", "query delay", "query gsmsmsid"]),
    );
    expect(get?.security).toContainEqual({ smsFactorQueryToken: [] });
    const post = document.paths["/smsfactor/send"]?.post;
    expect(Object.keys(post?.requestBody?.content ?? {})).toEqual([
      "application/json",
      "application/xml",
      "application/x-www-form-urlencoded",
    ]);
    expect(Object.keys(post?.requestBody?.content["application/json"]?.schema.properties ?? {})).toEqual([
      "sms",
    ]);
    expect(post?.parameters).toContainEqual(
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
});
