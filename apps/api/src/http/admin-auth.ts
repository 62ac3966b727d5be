import { splitApiToken, UnauthorizedError } from "@salvo/core";
import type { Store } from "@salvo/db";
import type { RequestHandler, Response } from "express";

/**
 * Authenticates the admin routes: `Authorization: Bearer adm_….secret`, an
 * operator's token (`salvo admin-tokens create`), checked against the database
 * on every request (no cache: a revoked token stops at once). An account's
 * token is not an admin token: 401, as is anything else.
 */
export function authenticateAdmin(store: Store): RequestHandler {
  return async (req, res, next) => {
    const [scheme = "", value = ""] = (req.get("authorization") ?? "").trim().split(/\s+/, 2);
    if (scheme.toLowerCase() !== "bearer" || !value) {
      throw new UnauthorizedError("Admin routes need an operator's token: `Authorization: Bearer adm_…`.");
    }
    const credentials = splitApiToken(value, "admin");
    const token = credentials && (await store.adminTokens.authenticate(credentials.id, credentials.secret));
    if (!token) {
      throw new UnauthorizedError(
        "Invalid or revoked admin token (an account's API token does not open admin routes).",
      );
    }
    res.locals.adminTokenId = token.id;
    next();
  };
}

/** The admin token of a request (set by authenticateAdmin), for logs. */
export function adminTokenOf(res: Response): string {
  const id = res.locals.adminTokenId as string | undefined;
  if (!id) throw new Error("adminTokenOf() on a route without admin authentication");
  return id;
}
