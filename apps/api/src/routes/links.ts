import type { OpenQueue } from "@salvo/queue";
import type { NextFunction, Request, Response } from "express";
import { Router } from "express";
import { ClickBuffer, followLink, type LinkDeps, LinkResolver } from "../services/links";

const GONE = "This link has expired.\n";
const NOT_FOUND = "No such link.\n";

/**
 * The short links' redirects, served before authentication (a recipient has no
 * token): `GET <path of LINK_BASE_URL>/:code`, or, when LINK_BASE_URL is a host of
 * its own (no path), `GET /:code` of requests for that host, and nothing else
 * there. 302 to the link's URL, 404 (unknown or malformed code), 410 (expired),
 * as short plain text. Null without LINK_BASE_URL.
 */
export function linkRedirects(deps: LinkDeps & { clicks: OpenQueue<"clicks"> }): Router | null {
  if (deps.linkBaseUrl === undefined) return null;
  const base = new URL(deps.linkBaseUrl);
  const path = base.pathname.replace(/\/+$/, "");
  const follow = { ...deps, resolver: new LinkResolver(deps), clicks: new ClickBuffer(deps) };

  const answer = async (code: string, req: Request, res: Response, next: NextFunction) => {
    try {
      const result = await followLink(follow, code, { userAgent: req.get("user-agent"), ip: req.ip });
      res.set("Cache-Control", "private, no-store").set("Referrer-Policy", "no-referrer");
      if (result.status === 302) res.status(302).location(result.url).end();
      else
        res
          .status(result.status)
          .type("text/plain")
          .send(result.status === 410 ? GONE : NOT_FOUND);
    } catch (error) {
      next(error);
    }
  };

  const router = Router();
  if (path !== "") {
    router.get(`${path}/:code`, (req, res, next) => answer(req.params.code as string, req, res, next));
    return router;
  }
  // A host of its own: every request for it is a link's (or none).
  router.use((req, res, next) => {
    if (req.hostname !== base.hostname) return next();
    res.locals.routePattern = "/:code";
    const code = /^\/([^/]+)$/.exec(req.path)?.[1];
    if ((req.method !== "GET" && req.method !== "HEAD") || code === undefined) {
      res.status(404).type("text/plain").send(NOT_FOUND);
      return;
    }
    void answer(code, req, res, next);
  });
  return router;
}
