import {
  type ApiToken,
  createApiToken,
  type Db,
  listApiTokens,
  revokeAccountApiToken,
  type Sql,
} from "@salvo/db";
import { Router } from "express";
import { z } from "zod";
import { idempotentWrite } from "../http/idempotency";
import { paged, pageQuery } from "../http/pagination";
import { accountOf, route } from "../http/route";
import { isStorableText } from "../http/text";
import type { TokenCache } from "../http/token-cache";

/** The answer that creates a token: the only one that shows its secret (`token`). */
function createdToken(apiToken: ApiToken, token: string | null) {
  const resource = tokenResource(apiToken);
  return { data: { ...resource, attributes: { ...resource.attributes, token } } };
}

function tokenResource(token: ApiToken) {
  return {
    id: token.id,
    type: "tokens",
    attributes: {
      label: token.label,
      created_at: token.createdAt.toISOString(),
      last_used_at: token.lastUsedAt?.toISOString() ?? null,
      revoked_at: token.revokedAt?.toISOString() ?? null,
    },
    links: { self: `/v1/tokens/${token.id}` },
  };
}

const tokenParams = z.object({ id: z.string().min(1).max(100).refine(isStorableText, "not a token id") });

/** The account's own API tokens: list, create (the secret is shown once), revoke (never the last live one). */
export function tokenRoutes(db: Db, sql: Sql, cache: TokenCache): Router {
  const router = Router();

  router.get(
    "/tokens",
    route({
      query: pageQuery,
      handler: async ({ query, res }) => {
        const { tokens, pages } = await listApiTokens(db, accountOf(res).id, query.page);
        return { status: 200, body: paged(tokens.map(tokenResource), pages, query.page) };
      },
    }),
  );

  router.post(
    "/tokens",
    route({
      body: z.strictObject({
        label: z
          .string()
          .trim()
          .max(100)
          .refine(isStorableText, "text without NUL characters or unpaired surrogates")
          .default(""),
      }),
      // Only a hash of the secret is ever stored: a replay shows the token without
      // it. The token and that answer are stored together, so a retry never makes
      // a second token.
      idempotent: {
        storedBody: (body) => {
          const { data } = body as ReturnType<typeof createdToken>;
          return { data: { ...data, attributes: { ...data.attributes, token: null } } };
        },
      },
      handler: ({ body, res }) =>
        idempotentWrite(res, sql, async (tx) => {
          const { apiToken, token } = await createApiToken(tx, accountOf(res).id, body.label);
          return {
            status: 201,
            body: createdToken(apiToken, token),
            headers: { Location: `/v1/tokens/${apiToken.id}` },
          };
        }),
    }),
  );

  router.delete(
    "/tokens/:id",
    route({
      params: tokenParams,
      handler: async ({ params, res }) => {
        // Never the account's last live token: it would lock the account out for good.
        const token = await revokeAccountApiToken(db, params.id, accountOf(res).id);
        // Refused from the next request on, at least by this process.
        cache.evict(token.id);
        return { status: 200, body: { data: tokenResource(token) } };
      },
    }),
  );

  return router;
}
