import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import { splitApiToken, UnauthorizedError } from "@salvo/core";
import type { Store } from "@salvo/db";
import { openQueue, QUEUES, type RedisClient } from "@salvo/queue";
import express, { type Request, type RequestHandler, type Router } from "express";

export const QUEUE_BOARD_PATH = "/admin/queues";
const COOKIE = "salvo_admin";
const SESSION_SECONDS = 8 * 3600;

function cookieToken(req: Request): string | undefined {
  for (const part of (req.get("cookie") ?? "").split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === COOKIE) return decodeURIComponent(value.join("="));
  }
  return undefined;
}

function bearerToken(req: Request): string | undefined {
  const [scheme = "", value = ""] = (req.get("authorization") ?? "").trim().split(/\s+/, 2);
  return scheme.toLowerCase() === "bearer" && value ? value : undefined;
}

/**
 * `/admin/queues`: Bull Board over every BullMQ queue of packages/queue, for
 * operators. Each request needs an admin token, checked against the database
 * like the admin routes' (a revoked one stops at once): in the Authorization
 * header, or in the cookie that `POST /admin/queues/session` (with the header)
 * sets, HttpOnly, SameSite=Strict and scoped to this path, because a browser
 * loading the board's pages and scripts sends no header. The token never goes
 * in a URL.
 */
export function queueBoardRoutes(deps: { store: Store; redis: RedisClient; redisPrefix: string }): Router {
  const router = express.Router();
  const authenticate: RequestHandler = async (req, res, next) => {
    const value = bearerToken(req) ?? cookieToken(req);
    const credentials = value ? splitApiToken(value, "admin") : null;
    const token =
      credentials && (await deps.store.adminTokens.authenticate(credentials.id, credentials.secret));
    if (!token) {
      throw new UnauthorizedError(
        "The queues need an operator's admin token: `Authorization: Bearer adm_…`, or the console's operator view.",
      );
    }
    res.locals.adminTokenId = token.id;
    res.locals.adminToken = value;
    next();
  };

  router.post("/session", authenticate, (req, res) => {
    const token = bearerToken(req);
    if (!token) throw new UnauthorizedError("Open a session with `Authorization: Bearer adm_…`.");
    res.cookie(COOKIE, token, {
      httpOnly: true,
      sameSite: "strict",
      secure: req.secure,
      path: QUEUE_BOARD_PATH,
      maxAge: SESSION_SECONDS * 1000,
    });
    res.status(204).end();
  });

  // The queues are opened at the first request an operator makes: an API
  // nobody looks at through the board holds none of them.
  let board: Router | undefined;
  const boardRouter = (): Router => {
    if (board) return board;
    const adapter = new ExpressAdapter();
    adapter.setBasePath(QUEUE_BOARD_PATH);
    createBullBoard({
      queues: Object.values(QUEUES).map(
        (name) => new BullMQAdapter(openQueue(name, deps.redis, deps.redisPrefix).queue),
      ),
      serverAdapter: adapter,
      options: { uiConfig: { boardTitle: "Salvo queues" } },
    });
    board = adapter.getRouter() as Router;
    return board;
  };
  router.use(authenticate, (req, res, next) => {
    // Bull Board's pages frame nothing and are framed only by the console.
    res.set({ "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "frame-ancestors 'self'" });
    boardRouter()(req, res, next);
  });
  return router;
}
