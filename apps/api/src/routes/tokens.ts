import { isStorableText, newToken } from "@salvo/core";
import type { ApiToken, Store } from "@salvo/db";
import { Router } from "express";
import { z } from "zod";
import { paged, pageQuery } from "../http/pagination";
import type { Reply } from "../http/reply";
import { accountOf, route } from "../http/route";
import type { TokenCache } from "../http/token-cache";
import { type CreatedToken, createToken, revokeToken } from "../services/tokens";

/** The answer that creates a token: the only one that shows its secret (`token`). */
export function createdToken(apiToken: ApiToken, token: string | null) {
  const resource = tokenResource(apiToken);
  return { data: { ...resource, attributes: { ...resource.attributes, token } } };
}

export function tokenResource(token: ApiToken) {
  return {
    id: token.id,
    type: "tokens",
    attributes: {
      label: token.label,
      created_at: token.createdAt.toISOString(),
      last_used_at: token.lastUsedAt?.toISOString() ?? null,
      revoked_at: token.revokedAt?.toISOString() ?? null,
      /** When it stops authenticating (a token made with SMSFactor's `ttl`); null: never. */
      expires_at: token.expiresAt?.toISOString() ?? null,
      /** The addresses and CIDR ranges it may be used from; null: any. */
      allowed_ips: token.allowedIps,
    },
    links: { self: `/v1/tokens/${token.id}` },
  };
}

const tokenParams = z.object({ id: z.string().min(1).max(100).refine(isStorableText, "not a token id") });

/** The answer to `POST /v1/tokens`. */
function tokenCreated({ apiToken, token }: CreatedToken): Reply {
  return {
    status: 201,
    body: createdToken(apiToken, token),
    headers: { Location: `/v1/tokens/${apiToken.id}` },
  };
}

/** The account's own API tokens: list, create (the secret is shown once), revoke (never the last live one). */
export function tokenRoutes(store: Store, cache: TokenCache): Router {
  const router = Router();

  router.get(
    "/tokens",
    route({
      query: pageQuery,
      handler: async ({ query, res }) => {
        const { tokens, pages } = await store.tokens.list(accountOf(res).id, query.page);
        return { status: 200, body: paged(tokens.map(tokenResource), pages, query.page) };
      },
    }),
  );

  router.post(
    "/tokens",
    route({
      body: newToken,
      // Only a hash of the secret is ever stored: a replay shows the token without
      // it. The token and that answer are stored together, so a retry never makes
      // a second token.
      idempotent: {
        storedBody: (body) => {
          const { data } = body as ReturnType<typeof createdToken>;
          return { data: { ...data, attributes: { ...data.attributes, token: null } } };
        },
      },
      handler: async ({ body, res, idempotency }) =>
        tokenCreated(
          await createToken(
            accountOf(res).id,
            { label: body.label, allowedIps: body.allowed_ips },
            idempotency.answering(tokenCreated),
          ),
        ),
    }),
  );

  router.delete(
    "/tokens/:id",
    route({
      params: tokenParams,
      handler: async ({ params, res }) => {
        const token = await revokeToken(store, accountOf(res).id, params.id);
        // Refused from the next request on, at least by this process.
        cache.evict(token.id);
        return { status: 200, body: { data: tokenResource(token) } };
      },
    }),
  );

  return router;
}
