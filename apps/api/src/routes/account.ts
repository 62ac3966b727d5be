import type { Account, Store } from "@salvo/db";
import { Router } from "express";
import { accountOf, route } from "../http/route";
import { currentAccount } from "../services/account";
import { requiresRegisteredSender } from "../services/senders";

/** An account as the API shows it. */
function accountResource(account: Account, requireRegisteredSenderByDefault: boolean) {
  return {
    data: {
      id: account.id,
      type: "accounts",
      attributes: {
        name: account.name,
        credits: account.credits,
        default_country: account.defaultCountry,
        limits: {
          api_requests_per_second: account.apiRateLimit,
          messages_per_second: account.sendRateLimit,
          anti_flood: {
            max_per_recipient_per_hour: account.floodMaxPerHour,
            max_same_body_per_recipient_per_hour: account.floodMaxSameBodyPerHour,
          },
        },
        require_registered_sender: requiresRegisteredSender(account, requireRegisteredSenderByDefault),
        created_at: account.createdAt.toISOString(),
      },
    },
    links: { self: "/v1/account" },
  };
}

/** `GET /v1/account`; `requireRegisteredSenderByDefault` is the install's REQUIRE_REGISTERED_SENDER. */
export function accountRoutes(store: Store, requireRegisteredSenderByDefault: boolean): Router {
  const router = Router();
  router.get(
    "/account",
    route({
      handler: async ({ res }) => ({
        status: 200,
        body: accountResource(
          await currentAccount(store, accountOf(res).id),
          requireRegisteredSenderByDefault,
        ),
      }),
    }),
  );
  return router;
}
