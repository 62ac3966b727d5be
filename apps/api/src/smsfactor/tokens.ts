// SMSFactor's token routes (reference §5) on Salvo's tokens: the secret is
// shown once and stored hashed; `ttl` is an expiry and `allowed_ips` an
// allow-list that authentication enforces. A token's id here is its number
// (SMSFactor's clients read `api_token_id` as an integer); its `tok_…` id is
// accepted in paths too. Salvo keeps revoked tokens (their id stays in logs):
// SMSFactor's deleted tokens are Salvo's revoked ones, left out of every answer.
import { allowedIps, parisDateTime } from "@salvo/core";
import type { ApiToken, Store } from "@salvo/db";
import { Router } from "express";
import { z } from "zod";
import type { TokenCache } from "../http/token-cache";
import { createSubAccountToken } from "../services/subaccounts";
import { type CreatedToken, createToken, revokeToken } from "../services/tokens";
import { SF_STATUS, SmsFactorError, sfInt, sfOk, sfRoute } from "./conventions";
import { allPages, withoutKey } from "./service-calls";
import { bodyUnder, storableText } from "./values";

/**
 * `token`: a name, a lifetime in seconds (none: forever), the addresses and CIDR
 * ranges it may be used from (none, empty or null: any; one entry in XML reads as a list of one).
 */
const newToken = z.object({
  name: storableText(100).default(""),
  ttl: z
    .union([z.literal(""), z.null(), sfInt.pipe(z.number().min(1).max(2_147_483_647))])
    .optional()
    .transform((ttl) => (typeof ttl === "number" ? ttl : null)),
  allowed_ips: z
    .preprocess((value) => (value === "" ? null : typeof value === "string" ? [value] : value), allowedIps)
    .optional()
    .transform((entries) => entries ?? null),
});

/** A token as `GET /token` shows it; `is_active` is "0" once it expired. */
function tokenObject(token: ApiToken, now: number) {
  const ttl = token.expiresAt
    ? Math.round((token.expiresAt.getTime() - token.createdAt.getTime()) / 1000)
    : null;
  return {
    name: token.label,
    api_token_id: Number(token.numericId),
    created_at: parisDateTime(token.createdAt),
    expired_at: token.expiresAt ? parisDateTime(token.expiresAt) : null,
    ttl,
    is_active: token.expiresAt && token.expiresAt.getTime() <= now ? "0" : "1",
    allowed_ips: token.allowedIps,
  };
}

/** `tokenObject` as the OpenAPI document describes it. */
const tokenAnswer = z.object({
  name: z.string(),
  api_token_id: z.number().int(),
  created_at: z.string(),
  expired_at: z.string().nullable(),
  ttl: z.number().int().nullable(),
  is_active: z.enum(["0", "1"]),
  allowed_ips: z.array(z.string()).nullable(),
});

/** What creating a token answers (`created`). */
const createdAnswer = sfOk({
  token: z.string(),
  token_id: z.string(),
  allowed_ips: z.array(z.string()).nullable(),
});

const tokenParams = z.object({ id: z.string().min(1).max(100) });

/** `/token` and `/token/account/:id`: a sub-account's tokens are made by its parent. */
export function smsFactorTokenRoutes(store: Store, cache: TokenCache): Router {
  const router = Router();

  /**
   * The account's live token by its number (or its `tok_…` id); another
   * account's, a revoked one or an unknown id: not found.
   */
  async function liveToken(accountId: string, id: string): Promise<ApiToken> {
    const found: ApiToken | null = /^\d{1,18}$/.test(id)
      ? await store.tokens.findByNumber(accountId, id)
      : await store.tokens.find(id);
    if (!found || found.accountId !== accountId || found.revokedAt) {
      throw new SmsFactorError(SF_STATUS.notFound, `No token ${id}.`);
    }
    return found;
  }

  /** What creating a token answers: the token (shown once), its number as text, its allow-list. */
  const created = ({ apiToken, token }: CreatedToken) => ({
    token,
    token_id: apiToken.numericId,
    allowed_ips: apiToken.allowedIps,
  });

  router.post(
    "/token",
    sfRoute({
      body: bodyUnder("token", newToken),
      answer: createdAnswer,
      handler: async ({ body, account }) =>
        created(
          await createToken(
            account.id,
            { label: body.name, ttlSeconds: body.ttl, allowedIps: body.allowed_ips },
            withoutKey(store),
          ),
        ),
    }),
  );

  router.post(
    "/token/account/:id",
    sfRoute({
      params: tokenParams,
      body: bodyUnder("token", newToken),
      answer: createdAnswer,
      handler: async ({ params, body, account }) =>
        created(
          await createSubAccountToken(
            account,
            params.id,
            { label: body.name, ttlSeconds: body.ttl, allowedIps: body.allowed_ips },
            withoutKey(store),
          ),
        ),
    }),
  );

  router.get(
    "/token",
    sfRoute({
      answer: sfOk({ tokens: z.array(tokenAnswer) }),
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
      answer: sfOk({ token: tokenAnswer }),
      handler: async ({ params, account }) => ({
        token: tokenObject(await liveToken(account.id, params.id), Date.now()),
      }),
    }),
  );

  router.delete(
    "/token/:id",
    sfRoute({
      params: tokenParams,
      answer: sfOk({ deleted_token: z.number().int() }),
      handler: async ({ params, account }) => {
        const live = await liveToken(account.id, params.id);
        const token = await revokeToken(store, account.id, live.id);
        // Refused from the next request on, at least by this process.
        cache.evict(token.id);
        return { deleted_token: Number(token.numericId) };
      },
    }),
  );

  return router;
}
