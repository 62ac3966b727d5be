import { isTokenId, splitApiToken, UnauthorizedError } from "@salvo/core";
import type { Store } from "@salvo/db";
import type { Request, RequestHandler } from "express";
import type { TokenCache } from "./token-cache";

interface Credentials {
  id: string;
  secret: string;
}

/**
 * The credentials a request presents, in any of the three accepted forms:
 * `Authorization: Bearer <token>`; HTTP Basic with `token_id:secret`, or the whole
 * token as user name; `X-API-KEY-ID` + `X-API-KEY-SECRET`. `undefined` when none
 * is presented, `null` when what is presented cannot be a token.
 */
function readCredentials(req: Request): Credentials | null | undefined {
  const keyId = req.get("x-api-key-id");
  const keySecret = req.get("x-api-key-secret");
  if (keyId !== undefined || keySecret !== undefined) {
    return keyId && keySecret && isTokenId(keyId) ? { id: keyId, secret: keySecret } : null;
  }
  const header = req.get("authorization");
  if (header === undefined) return undefined;
  const [scheme = "", value = ""] = header.trim().split(/\s+/, 2);
  switch (scheme.toLowerCase()) {
    case "bearer":
      return splitApiToken(value);
    case "basic": {
      const decoded = Buffer.from(value, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      const user = colon < 0 ? decoded : decoded.slice(0, colon);
      const password = colon < 0 ? "" : decoded.slice(colon + 1);
      if (!password) return splitApiToken(user);
      return isTokenId(user) ? { id: user, secret: password } : null;
    }
    default:
      return null;
  }
}

/**
 * Authenticates every request of the router it is mounted on; 401 otherwise.
 * Tokens come from `tokens` (kept in memory for a few seconds, with their
 * allowed addresses); the secret and the request's address (`req.ip`, which
 * follows TRUST_PROXY) are checked on every request.
 */
export function authenticate(store: Store, tokens: TokenCache): RequestHandler {
  return async (req, res, next) => {
    const credentials = readCredentials(req);
    if (credentials === undefined) {
      throw new UnauthorizedError(
        "Authentication required: send `Authorization: Bearer <token>`, HTTP Basic, or X-API-KEY-ID and X-API-KEY-SECRET.",
      );
    }
    // `accept` throws AddressNotAllowedError for valid credentials from outside the token's `allowed_ips`.
    const account =
      credentials && store.tokens.accept(await tokens.get(credentials.id), credentials.secret, req.ip);
    if (!account) throw new UnauthorizedError("Invalid or revoked API credentials.");
    res.locals.account = account;
    res.locals.tokenId = credentials.id;
    next();
  };
}
