import { balanceAlerts } from "@salvo/core";
import type { Account, Store } from "@salvo/db";
import { Router } from "express";
import { accountOf, route } from "../http/route";
import { currentAccount, setBalanceAlerts } from "../services/account";
import { requiresRegisteredSender } from "../services/senders";

/** An account as the API shows it. */
export function accountResource(account: Account, requireRegisteredSenderByDefault: boolean) {
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
        balance_alerts: account.balanceAlerts,
        require_registered_sender: requiresRegisteredSender(account, requireRegisteredSenderByDefault),
        created_at: account.createdAt.toISOString(),
      },
    },
    links: { self: "/v1/account" },
  };
}

/** The account's balance alerts as the API shows them. */
function balanceAlertsResource(account: Account) {
  return {
    data: {
      type: "balance_alerts",
      attributes: { thresholds: account.balanceAlerts, credits: account.credits },
    },
    links: { self: "/v1/account/balance-alerts" },
  };
}

/**
 * `GET /v1/account` and its balance alerts; `requireRegisteredSenderByDefault` is
 * the install's REQUIRE_REGISTERED_SENDER.
 */
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
  router.get(
    "/account/balance-alerts",
    route({
      handler: async ({ res }) => ({
        status: 200,
        body: balanceAlertsResource(await currentAccount(store, accountOf(res).id)),
      }),
    }),
  );
  // PUT: the whole list is replaced, so repeating the request changes nothing more.
  router.put(
    "/account/balance-alerts",
    route({
      body: balanceAlerts,
      handler: async ({ body, res }) => ({
        status: 200,
        body: balanceAlertsResource(await setBalanceAlerts(store, accountOf(res).id, body.thresholds)),
      }),
    }),
  );
  return router;
}
