import { UnauthorizedError } from "@salvo/core";
import { type Account, type Db, findAccount } from "@salvo/db";
import { Router } from "express";
import { accountOf, route } from "../http/route";

/** An account as the API shows it. */
function accountResource(account: Account) {
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
        created_at: account.createdAt.toISOString(),
      },
    },
    links: { self: "/v1/account" },
  };
}

export function accountRoutes(db: Db): Router {
  const router = Router();
  router.get(
    "/account",
    route({
      handler: async ({ res }) => {
        // Read now: the authenticated account may be a few seconds old (see TokenCache),
        // and clients read their credits here right after spending them.
        const account = await findAccount(db, accountOf(res).id);
        if (!account) throw new UnauthorizedError("Invalid or revoked API credentials.");
        return { status: 200, body: accountResource(account) };
      },
    }),
  );
  return router;
}
