import { createRequire } from "node:module";
import path from "node:path";
import express, { type Router } from "express";
import { openApiDocument } from "../openapi/document";

// swagger-ui-dist's files stay in node_modules (scripts/bundle.ts leaves it out of the bundle).
const swaggerUiDir = () =>
  path.dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Salvo API reference</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="reference"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/start.js"></script>
</body>
</html>
`;

// No inline script: the page runs under the same Content-Security-Policy as the console.
const START = `window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#reference", deepLinking: true });\n`;

const CONTENT_SECURITY_POLICY =
  "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'";

/**
 * `GET /openapi.json`: the OpenAPI 3.1 document of every route `app` serves,
 * built once from their zod schemas (src/openapi). `GET /docs`: an interactive
 * reference over it (Swagger UI, served from this server: no CDN). No authentication.
 */
export function apiDocsRoutes(app: () => unknown, version: string): Router {
  const router = express.Router();
  let document: unknown;
  router.get("/openapi.json", (_req, res) => {
    document ??= openApiDocument(app(), version);
    res.json(document);
  });
  router.get("/docs", (_req, res) => {
    res.set("Content-Security-Policy", CONTENT_SECURITY_POLICY).type("html").send(PAGE);
  });
  router.get("/docs/start.js", (_req, res) => {
    res.type("js").send(START);
  });
  for (const file of ["swagger-ui.css", "swagger-ui-bundle.js"]) {
    router.get(`/docs/${file}`, (_req, res) => {
      res.sendFile(file, { root: swaggerUiDir(), maxAge: "1d" });
    });
  }
  return router;
}
