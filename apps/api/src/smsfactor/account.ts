// SMSFactor's account routes (reference §3) on Salvo's account and sub-account
// services. What SMSFactor shows and Salvo does not keep (an e-mail, a postal
// address, a language…) is answered with a fixed default, listed in docs/compat.md.
import { InvalidParameterError, NotFoundError } from "@salvo/core";
import type { Account, Store, SubAccount } from "@salvo/db";
import { Router } from "express";
import { z } from "zod";
import { accountOf } from "../http/route";
import { currentAccount, setBalanceAlerts } from "../services/account";
import { createSubAccount, findSubAccount, listSubAccounts } from "../services/subaccounts";
import { allPages, withoutKey } from "./service-calls";
import { flag, storableText } from "./values";
import { smsfactorRoute } from "./conventions";

/** The fields SMSFactor's account and sub-account objects share, from a Salvo account. */
function accountFields(account: Account) {
  return {
    client_id: account.id,
    email: "",
    firstname: "",
    lastname: "",
    city: "",
    phone: "",
    address1: "",
    address2: null,
    zip: "",
    country: "",
    country_code: account.defaultCountry,
    lang: "EN",
    credits: String(account.credits),
    // Salvo's balances are prepaid: no account sends without credits.
    unlimited: "0",
    description: account.name,
    senderid: "",
    status: "1",
  };
}

/** `GET /account`'s `account`. */
function accountObject(account: Account) {
  return { ...accountFields(account), type: "company", company: account.name };
}

/** An element of `GET /sub-accounts`, and `GET /sub-accounts/:id`'s `sub-account`. */
function subAccountObject(sub: SubAccount) {
  return {
    ...accountFields(sub),
    time_zone: sub.timezone ?? "Europe/Paris",
    current_month_consumption: sub.usageThisMonth,
    previous_month_consumption: sub.usagePreviousMonth,
  };
}

/** `POST /account`'s `account`: Salvo keeps a name (and, its extension, credits moved from the parent). */
const newAccount = z.object({
  email: storableText(255).min(1),
  // Salvo has no passwords (its clients use tokens): accepted, never stored.
  password: z.string().max(255).optional(),
  firstname: storableText(100).optional(),
  lastname: storableText(100).optional(),
  company: storableText(100).optional(),
  description: storableText(100).optional(),
  isChild: flag.optional(),
  unlimited: flag.optional(),
  credits: z.coerce.number().int().min(0).max(2_147_483_647).optional(),
});

/** A new sub-account's name: its description, else its company, else its holder's name, else its e-mail. */
function subAccountName(input: z.infer<typeof newAccount>): string {
  const holder = [input.firstname, input.lastname].filter(Boolean).join(" ");
  return (input.description || input.company || holder || input.email).slice(0, 100);
}

/** `PUT /notification/balance`'s `notification`: "0", "" or null as `alert_trigger` is no alert. */
const notificationUpdate = z.object({
  alert_trigger: z.union([z.literal(""), z.null(), z.coerce.number().int().min(0).max(2_147_483_647)]),
  alert_email: flag.optional(),
  alert_gsm: flag.optional(),
  email: z.string().max(255).nullable().optional(),
  phone_number: z.string().max(64).nullable().optional(),
});

/** The balance alert as SMSFactor shows it: Salvo's highest threshold, sent to webhooks. */
function notificationObject(account: Account) {
  const highest = account.balanceAlerts[0];
  return {
    // Salvo sends balance alerts to the account's webhooks (BALANCE_ALERT), never by e-mail or SMS.
    alert_email: "0",
    alert_gsm: "0",
    email: null,
    phone_number: null,
    alert_trigger: highest === undefined ? null : String(highest),
  };
}

/**
 * What Salvo keeps, and for how long, in SMSFactor's terms: messages, lists and
 * batches stay until deleted (null: no automatic deletion).
 */
const DATA_RETENTION = { message: null, list: null, survey: null, campaign: null };

const idParams = z.object({ id: z.string().min(1).max(100) });

/** `/credits`, `/account`, `/sub-accounts`, `/retention`, `/notification/balance`, `/account/invoice…`. */
export function smsfactorAccountRoutes(store: Store): Router {
  const router = Router();

  router.get(
    "/credits",
    smsfactorRoute({
      handler: async ({ res }) => {
        const account = await currentAccount(store, accountOf(res).id);
        return { credits: String(account.credits), postpaid: "0", postpaid_limit: false, unlimited: false };
      },
    }),
  );

  router.get(
    "/account",
    smsfactorRoute({
      handler: async ({ res }) => ({
        account: accountObject(await currentAccount(store, accountOf(res).id)),
      }),
    }),
  );

  // Salvo's accounts are made by operators (`salvo` CLI): what a client creates is a sub-account.
  router.post(
    "/account",
    smsfactorRoute({
      body: { key: "account", schema: newAccount },
      handler: async ({ body, res }) => {
        if (body.unlimited === 1) {
          throw new InvalidParameterError(
            "unlimited: Salvo's sub-accounts spend their own credits, moved from the parent's",
            "unlimited",
          );
        }
        const sub = await createSubAccount(
          accountOf(res),
          { name: subAccountName(body), credits: body.credits ?? 0 },
          withoutKey(store),
        );
        return { id: sub.id, active: 1 };
      },
    }),
  );

  router.get(
    "/sub-accounts",
    smsfactorRoute({
      handler: async ({ res }) => {
        const subs = await allPages(async (page) => {
          const { subAccounts, pages } = await listSubAccounts(store, accountOf(res), page);
          return { items: subAccounts, pages };
        });
        return { "sub-accounts": subs.map(subAccountObject) };
      },
    }),
  );

  router.get(
    "/sub-accounts/:id",
    smsfactorRoute({
      params: idParams,
      handler: async ({ params, res }) => ({
        "sub-account": subAccountObject(await findSubAccount(store, accountOf(res), params.id)),
      }),
    }),
  );

  router.get(
    "/retention",
    smsfactorRoute({ handler: () => ({ data_retention: DATA_RETENTION }) }),
  );

  router.put(
    "/retention",
    smsfactorRoute({
      handler: () => {
        throw new InvalidParameterError(
          "retention: Salvo keeps messages, lists and campaigns until they are deleted; it cannot be set",
          "retention",
        );
      },
    }),
  );

  router.get(
    "/notification/balance",
    smsfactorRoute({
      handler: async ({ res }) => ({
        notification: notificationObject(await currentAccount(store, accountOf(res).id)),
      }),
    }),
  );

  // PUT: the account's balance alerts become this one threshold (or none).
  router.put(
    "/notification/balance",
    smsfactorRoute({
      body: { key: "notification", schema: notificationUpdate },
      handler: async ({ body, res }) => {
        const trigger = body.alert_trigger;
        const thresholds = trigger === "" || trigger === null || trigger === 0 ? [] : [trigger];
        const account = await setBalanceAlerts(store, accountOf(res).id, thresholds);
        return { notification: notificationObject(account) };
      },
    }),
  );

  // Salvo issues no invoices.
  const noInvoice = smsfactorRoute({
    handler: () => {
      throw new NotFoundError("Salvo issues no invoices: credits are added by its operator.");
    },
  });
  router.get("/account/invoice", noInvoice);
  router.get("/account/invoice/:id", noInvoice);
  router.get("/account/invoice/:id/download", noInvoice);

  return router;
}
