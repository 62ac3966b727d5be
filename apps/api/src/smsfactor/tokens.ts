import { parisDateTime } from "@salvo/core";
// SMSFactor's token routes (reference §5) on Salvo's tokens: the secret is
// shown once and stored hashed; `ttl` is an expiry that authentication enforces.
// Salvo keeps revoked tokens (their id stays in logs): SMSFactor's deleted
// tokens are Salvo's revoked ones, left out of every answer.
import type { ApiToken, Store } from "@salvo/db";
import { Router } from "express";
import { z } from "zod";
import type { TokenCache } from "../http/token-cache";
import { createSubAccountToken } from "../services/subaccounts";
import { createToken, revokeToken } from "../services/tokens";
import { SF_STATUS, SmsFactorError, sfInt, sfRoute } from "./conventions";
import { allPages, withoutKey } from "./service-calls";
import { bodyUnder, storableText } from "./values";

/** `token`: a name, a lifetime in seconds (none: forever); `allowed_ips` is refused (Salvo has no IP filter). */
const newToken = z.object({
  name: storableText(100).default(""),
  ttl: z
    .union([z.literal(""), z.null(), sfInt.pipe(z.number().min(1).max(2_147_483_647))])
    .optional()
    .transform((ttl) => (typeof ttl === "number" ? ttl : null)),
  allowed_ips: z.unknown().optional(),
});

/** Refuses a non-empty `allowed_ips`: Salvo's tokens work from any address. */
function refuseAllowedIps(allowedIps: unknown): void {
  const none = allowedIps === undefined || allowedIps === null || allowedIps === "";
  if (none || (Array.isArray(allowedIps) && allowedIps.length === 0)) return;
  throw new SmsFactorError(
    SF_STATUS.data,
    "token.allowed_ips: Salvo's tokens cannot be limited to addresses; create the token without allowed_ips",
  );
}

/** A token as `GET /token` shows it; `is_active` is "0" once it expired. */
function tokenObject(token: ApiToken, now: number) {
  const ttl = token.expiresAt
    ? Math.round((token.expiresAt.getTime() - token.createdAt.getTime()) / 1000)
    : null;
  return {
    name: token.label,
    api_token_id: token.id,
    created_at: parisDateTime(token.createdAt),
    expired_at: token.expiresAt ? parisDateTime(token.expiresAt) : null,
    ttl,
    is_active: token.expiresAt && token.expiresAt.getTime() <= now ? "0" : "1",
    allowed_ips: null,
  };
}

const tokenParams = z.object({ id: z.string().min(1).max(100) });

/** `/token` and `/token/account/:id`: a sub-account's tokens are made by its parent. */
export function smsFactorTokenRoutes(store: Store, cache: TokenCache): Router {
  const router = Router();

  /** The account's live token `id`; another account's, a revoked one or an unknown id: not found. */
  async function liveToken(accountId: string, id: string): Promise<ApiToken> {
    const found = await store.tokens.find(id);
    if (!found || found.accountId !== accountId || found.revokedAt) {
      throw new SmsFactorError(SF_STATUS.notFound, `No token ${id}.`);
    }
    const { account: _, ...token } = found;
    return token;
  }

  router.post(
    "/token",
    sfRoute({
      body: bodyUnder("token", newToken),
      handler: async ({ body, account }) => {
        refuseAllowedIps(body.allowed_ips);
        const { apiToken, token } = await createToken(account.id, body.name, withoutKey(store), body.ttl);
        return { token, token_id: apiToken.id, allowed_ips: null };
      },
    }),
  );

  router.post(
    "/token/account/:id",
    sfRoute({
      params: tokenParams,
      body: bodyUnder("token", newToken),
      handler: async ({ params, body, account }) => {
        refuseAllowedIps(body.allowed_ips);
        const { apiToken, token } = await createSubAccountToken(
          account,
          params.id,
          body.name,
          withoutKey(store),
          body.ttl,
        );
        return { token, token_id: apiToken.id, allowed_ips: null };
      },
    }),
  );

  router.get(
    "/token",
    sfRoute({
      handler: async ({ account }) => {
        const tokens = await allPages(async (page) => {
          const { tokens, pages } = await store.tokens.list(account.id, page);
          return { items: tokens, pages };
        });
        const now = Date.now();
        return { tokens: tokens.filter((token) => !token.revokedAt).map((token) => tokenObject(token, now)) };
      },
    }),
  );

  router.get(
    "/token/:id",
    sfRoute({
      params: tokenParams,
      handler: async ({ params, account }) => ({
        token: tokenObject(await liveToken(account.id, params.id), Date.now()),
      }),
    }),
  );

  router.delete(
    "/token/:id",
    sfRoute({
      params: tokenParams,
      handler: async ({ params, account }) => {
        await liveToken(account.id, params.id);
        const token = await revokeToken(store, account.id, params.id);
        // Refused from the next request on, at least by this process.
        cache.evict(token.id);
        return { deleted_token: token.id };
      },
    }),
  );

  return router;
}
