import { existsSync } from "node:fs";
import path from "node:path";
import { NotFoundError } from "@salvo/core";
import express, { type Router } from "express";

// apps/api/src/http (tsx) or apps/api/dist (the bundle): both find apps/console/dist.
const CANDIDATES = [
  path.resolve(import.meta.dirname, "../../../console/dist"),
  path.resolve(import.meta.dirname, "../../console/dist"),
];

/** Where the built console is: `dir` if given, else apps/console/dist of this repository. */
export function consoleDir(dir?: string): string {
  if (dir) return path.resolve(dir);
  return CANDIDATES.find((candidate) => existsSync(path.join(candidate, "index.html"))) ?? CANDIDATES[0]!;
}

// Mantine writes style attributes; the operator view frames Bull Board (same origin).
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "frame-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join("; ");

const NOT_BUILT =
  "The Salvo console is not built on this server. Build it with `pnpm build` (or " +
  "`pnpm --filter @salvo/console build`) and reload this page; the API needs no restart.\n";

/**
 * `/console`: the web console's files (apps/console, a single-page app that
 * calls /v1 with the account's token). Hashed assets are cached for a year,
 * index.html never (a new build shows at the next load); a path that is no
 * file is a client route and gets index.html. Before the console is built,
 * every page answers 503 with how to build it.
 */
export function consoleRoutes(dir: string): Router {
  const router = express.Router();
  const index = path.join(dir, "index.html");
  router.use((_req, res, next) => {
    res.set({
      "Content-Security-Policy": CONTENT_SECURITY_POLICY,
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
    });
    next();
  });
  router.use(
    "/assets",
    express.static(path.join(dir, "assets"), { index: false, immutable: true, maxAge: "365d" }),
    (req) => {
      // A missing asset is a 404: index.html in its place would run HTML as a script.
      throw new NotFoundError(`No file ${req.originalUrl.split("?")[0]}.`);
    },
  );
  router.use(express.static(dir, { index: false, maxAge: 0 }));
  router.get("/{*path}", (req, res) => {
    if (req.originalUrl === "/console") return res.redirect(301, "/console/");
    if (!existsSync(index)) {
      res.status(503).type("text/plain").set("Cache-Control", "no-store").send(NOT_BUILT);
      return;
    }
    res.set("Cache-Control", "no-cache").sendFile(index);
  });
  return router;
}
