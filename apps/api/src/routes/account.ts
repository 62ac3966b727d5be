import type { Account, Store } from "@salvo/db";
import { Router } from "express";
import { accountOf, route } from "../http/route";
import { currentAccount } from "../services/account";

/** An account as the API shows it. */
export function accountResource(account: Account) {
  return {
    data: {
      id: account.id,
      type: "accounts",
      attributes: {
        name: account.name,
        credits: account.credits,
        /** The account that owns this one (a sub-account), or null. */
        parent_id: account.parentId,
        default_country: account.defaultCountry,
        limits: {
          api_requests_per_second: account.apiRateLimit,
          messages_per_second: account.sendRateLimit,
          anti_flood: {
            max_per_recipient_per_hour: account.floodMaxPerHour,
            max_same_body_per_recipient_per_hour: account.floodMaxSameBodyPerHour,
          },
        },
        created_at: account.createdAt.toISOString(),
      },
    },
    links: { self: "/v1/account" },
  };
}

export function accountRoutes(store: Store): Router {
  const router = Router();
  router.get(
    "/account",
    route({
      handler: async ({ res }) => ({
        status: 200,
        body: accountResource(await currentAccount(store, accountOf(res).id)),
      }),
    }),
  );
  return router;
}
