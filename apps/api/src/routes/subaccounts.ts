import { creditTransfer, isStorableText, newSubAccount, newToken, subAccountCountries } from "@salvo/core";
import type { ApiToken, Store, SubAccount } from "@salvo/db";
import { Router } from "express";
import { z } from "zod";
import { paged, pageQuery } from "../http/pagination";
import type { Reply } from "../http/reply";
import { accountOf, route } from "../http/route";
import type { TokenCache } from "../http/token-cache";
import {
  createSubAccount,
  createSubAccountToken,
  findSubAccount,
  subAccountCountries as findSubAccountCountries,
  listSubAccounts,
  listSubAccountTokens,
  revokeSubAccountToken,
  setSubAccountCountries,
  type Transfer,
  transferCredits,
} from "../services/subaccounts";
import type { CreatedToken } from "../services/tokens";
import { accountResource, countriesResource } from "./account";
import { createdToken, tokenResource } from "./tokens";

/**
 * A sub-account as its parent sees it: the account's attributes, and its usage
 * by calendar month (UTC). `requireRegisteredSenderByDefault`: the install's
 * REQUIRE_REGISTERED_SENDER.
 */
function subAccountData(sub: SubAccount, requireRegisteredSenderByDefault: boolean) {
  const { data } = accountResource(sub, requireRegisteredSenderByDefault);
  return {
    id: sub.id,
    type: "subaccounts",
    attributes: {
      ...data.attributes,
      usage: { time_zone: "UTC", this_month: sub.usageThisMonth, previous_month: sub.usagePreviousMonth },
    },
    links: {
      self: `/v1/subaccounts/${sub.id}`,
      tokens: `/v1/subaccounts/${sub.id}/tokens`,
      countries: `/v1/subaccounts/${sub.id}/countries`,
    },
  };
}

/** A sub-account's token, linked under its sub-account. */
function subTokenResource(token: ApiToken) {
  return {
    ...tokenResource(token),
    links: { self: `/v1/subaccounts/${token.accountId}/tokens/${token.id}` },
  };
}

const id = (what: string) => z.string().min(1).max(100).refine(isStorableText, `not a ${what} id`);
const subAccountParams = z.object({ id: id("sub-account") });
const subTokenParams = z.object({ id: id("sub-account"), tokenId: id("token") });

function subTokenCreated({ apiToken, token }: CreatedToken): Reply {
  const { data } = createdToken(apiToken, token);
  const links = subTokenResource(apiToken).links;
  return { status: 201, body: { data: { ...data, links } }, headers: { Location: links.self } };
}

/**
 * `/v1/subaccounts`: the accounts this one owns (one level: a sub-account's token
 * is refused here with 403 SUBACCOUNT_FORBIDDEN), the credits moved to and
 * from them, and their tokens. Another account's sub-account answers 404.
 */
export function subAccountRoutes(
  store: Store,
  cache: TokenCache,
  requireRegisteredSenderByDefault: boolean,
): Router {
  const router = Router();
  const subAccountResource = (sub: SubAccount) => subAccountData(sub, requireRegisteredSenderByDefault);
  const subAccountCreated = (sub: SubAccount): Reply => {
    const shown = subAccountResource(sub);
    return { status: 201, body: { data: shown }, headers: { Location: shown.links.self } };
  };
  const transferred = ({ parent, subAccount }: Transfer): Reply => ({
    status: 200,
    body: { data: subAccountResource(subAccount), meta: { parent_credits: parent.credits } },
  });

  router.post(
    "/subaccounts",
    route({
      body: newSubAccount,
      idempotent: true,
      handler: async ({ body, res, idempotency }) =>
        subAccountCreated(
          await createSubAccount(accountOf(res), body, idempotency.answering(subAccountCreated)),
        ),
    }),
  );

  router.get(
    "/subaccounts",
    route({
      query: pageQuery,
      handler: async ({ query, res }) => {
        const { subAccounts, pages } = await listSubAccounts(store, accountOf(res), query.page);
        return { status: 200, body: paged(subAccounts.map(subAccountResource), pages, query.page) };
      },
    }),
  );

  router.get(
    "/subaccounts/:id",
    route({
      params: subAccountParams,
      handler: async ({ params, res }) => ({
        status: 200,
        body: { data: subAccountResource(await findSubAccount(store, accountOf(res), params.id)) },
      }),
    }),
  );

  router.post(
    "/subaccounts/:id/credits",
    route({
      params: subAccountParams,
      body: creditTransfer,
      idempotent: true,
      handler: async ({ params, body, res, idempotency }) =>
        transferred(
          await transferCredits(accountOf(res), params.id, body.amount, idempotency.answering(transferred)),
        ),
    }),
  );

  router.get(
    "/subaccounts/:id/countries",
    route({
      params: subAccountParams,
      handler: async ({ params, res }) => ({
        status: 200,
        body: countriesResource(
          await findSubAccountCountries(store, accountOf(res), params.id),
          `/v1/subaccounts/${params.id}/countries`,
        ),
      }),
    }),
  );

  // PUT: the setting is replaced, so repeating the request changes nothing more.
  router.put(
    "/subaccounts/:id/countries",
    route({
      params: subAccountParams,
      body: subAccountCountries,
      handler: async ({ params, body, res }) => ({
        status: 200,
        body: countriesResource(
          await setSubAccountCountries(store, accountOf(res), params.id, body.allowed_countries),
          `/v1/subaccounts/${params.id}/countries`,
        ),
      }),
    }),
  );

  router.get(
    "/subaccounts/:id/tokens",
    route({
      params: subAccountParams,
      query: pageQuery,
      handler: async ({ params, query, res }) => {
        const { tokens, pages } = await listSubAccountTokens(store, accountOf(res), params.id, query.page);
        return { status: 200, body: paged(tokens.map(subTokenResource), pages, query.page) };
      },
    }),
  );

  router.post(
    "/subaccounts/:id/tokens",
    route({
      params: subAccountParams,
      body: newToken,
      // As `POST /v1/tokens`: a replay shows the token without its secret (only its hash is stored).
      idempotent: {
        storedBody: (body) => {
          const { data } = body as { data: ReturnType<typeof createdToken>["data"] };
          return { data: { ...data, attributes: { ...data.attributes, token: null } } };
        },
      },
      handler: async ({ params, body, res, idempotency }) =>
        subTokenCreated(
          await createSubAccountToken(
            accountOf(res),
            params.id,
            { label: body.label, allowedIps: body.allowed_ips },
            idempotency.answering(subTokenCreated),
          ),
        ),
    }),
  );

  router.delete(
    "/subaccounts/:id/tokens/:tokenId",
    route({
      params: subTokenParams,
      handler: async ({ params, res }) => {
        const token = await revokeSubAccountToken(store, accountOf(res), params.id, params.tokenId);
        // Refused from the next request on, at least by this process.
        cache.evict(token.id);
        return { status: 200, body: { data: subTokenResource(token) } };
      },
    }),
  );

  return router;
}
