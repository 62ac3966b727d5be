// SMSFactor's account routes (reference §3) on Salvo's account and sub-account
// services. What SMSFactor shows and Salvo does not keep (an e-mail, a postal
// address, a language…) is answered with a fixed default, listed in docs/compat.md.
import { withoutPlus } from "@salvo/core";
import type { Account, Store, SubAccount } from "@salvo/db";
import { Router } from "express";
import { z } from "zod";
import { currentAccount, retentionOf, setBalanceAlerts, setRetention } from "../services/account";
import { createSubAccount, findSubAccount, listSubAccounts } from "../services/subaccounts";
import { SF_STATUS, SmsFactorError, sfFlag, sfInt, sfOk, sfRoute } from "./conventions";
import { allPages, withoutKey } from "./service-calls";
import { bodyUnder, retentionBody, storableText } from "./values";

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

// The answers' objects as the OpenAPI document describes them (numbers as text, as the reference writes them).
const accountFieldsAnswer = z.object({
  client_id: z.string(),
  email: z.string(),
  firstname: z.string(),
  lastname: z.string(),
  city: z.string(),
  phone: z.string(),
  address1: z.string(),
  address2: z.null(),
  zip: z.string(),
  country: z.string(),
  country_code: z.string(),
  lang: z.string(),
  credits: z.string(),
  unlimited: z.literal("0"),
  description: z.string(),
  senderid: z.string(),
  status: z.literal("1"),
});
const accountAnswer = accountFieldsAnswer.extend({ type: z.string(), company: z.string() });
const subAccountAnswer = accountFieldsAnswer.extend({
  time_zone: z.string(),
  current_month_consumption: z.number(),
  previous_month_consumption: z.number(),
});
const retentionAnswer = z.object({
  message: z.string(),
  list: z.string(),
  survey: z.string(),
  campaign: z.string(),
});
const flagText = z.enum(["0", "1"]);
const notificationAnswer = z.object({
  alert_email: flagText,
  alert_gsm: flagText,
  email: z.string(),
  phone_number: z.string(),
  alert_trigger: z.string(),
});

/** `POST /account`'s `account`: Salvo keeps a name (and, its extension, credits moved from the parent). */
const newAccount = z.object({
  email: storableText(255).min(1),
  // Salvo has no passwords (its clients use tokens): accepted, never stored.
  password: z.string().max(255).optional(),
  firstname: storableText(100).optional(),
  lastname: storableText(100).optional(),
  company: storableText(100).optional(),
  description: storableText(100).optional(),
  isChild: sfFlag.optional(),
  unlimited: sfFlag.optional(),
  credits: sfInt.pipe(z.number().min(0).max(2_147_483_647)).optional(),
});

/** A new sub-account's name: its description, else its company, else its holder's name, else its e-mail. */
function subAccountName(input: z.infer<typeof newAccount>): string {
  const holder = [input.firstname, input.lastname].filter(Boolean).join(" ");
  return (input.description || input.company || holder || input.email).slice(0, 100);
}

/**
 * `PUT /notification/balance`'s `notification`: "0", "" or null as `alert_trigger`
 * is no alert; `email` and `phone_number` "" or null are none. A field absent is kept.
 */
const notificationUpdate = z.object({
  alert_trigger: z.union([z.literal(""), z.null(), sfInt.pipe(z.number().min(0).max(2_147_483_647))]),
  alert_email: sfFlag.optional(),
  alert_gsm: sfFlag.optional(),
  email: z.string().max(254).nullable().optional(),
  phone_number: z.string().max(64).nullable().optional(),
});

/** SMSFactor's names of the fields, for errors. */
const NOTIFICATION_FIELDS = {
  byEmail: "notification.alert_email",
  email: "notification.email",
  bySms: "notification.alert_gsm",
  phone: "notification.phone_number",
};

/**
 * SMSFactor writes numbers international without '+' (33612345678): digits not
 * starting with 0 get their '+'; anything else (0612345678, +33…) is read as written.
 */
function international(phone: string): string {
  const trimmed = phone.trim();
  return /^[1-9]\d{6,}$/.test(trimmed) ? `+${trimmed}` : trimmed;
}

/**
 * The balance alert as SMSFactor shows it: Salvo's highest threshold ("0": none),
 * and where it goes besides webhooks ("" when no address or number is set).
 */
function notificationObject(account: Account) {
  const highest = account.balanceAlerts[0];
  return {
    alert_email: account.balanceAlertByEmail ? "1" : "0",
    alert_gsm: account.balanceAlertBySms ? "1" : "0",
    email: account.balanceAlertEmail ?? "",
    phone_number: account.balanceAlertPhone === null ? "" : withoutPlus(account.balanceAlertPhone),
    alert_trigger: String(highest ?? 0),
  };
}

const idParams = z.object({ id: z.string().min(1).max(100) });

/** `/credits`, `/account`, `/sub-accounts`, `/retention`, `/notification/balance` (`/account/invoice…`: invoices.ts). */
export function smsFactorAccountRoutes(store: Store, emailConfigured: boolean): Router {
  const router = Router();

  router.get(
    "/credits",
    sfRoute({
      answer: sfOk({
        credits: z.string(),
        postpaid: z.literal("0"),
        postpaid_limit: z.boolean(),
        unlimited: z.boolean(),
      }),
      handler: async ({ account }) => {
        const { credits } = await currentAccount(store, account.id);
        return { credits: String(credits), postpaid: "0", postpaid_limit: false, unlimited: false };
      },
    }),
  );

  router.get(
    "/account",
    sfRoute({
      answer: sfOk({ account: accountAnswer }),
      handler: async ({ account }) => ({
        account: accountObject(await currentAccount(store, account.id)),
      }),
    }),
  );

  // Salvo's accounts are made by operators (`salvo` CLI): what a client creates is a sub-account.
  router.post(
    "/account",
    sfRoute({
      body: bodyUnder("account", newAccount),
      answer: sfOk({ id: z.string(), active: z.literal(1) }),
      handler: async ({ body, account }) => {
        if (body.unlimited === true) {
          throw new SmsFactorError(
            SF_STATUS.data,
            "account.unlimited: Salvo's sub-accounts spend their own credits, moved from the parent's",
          );
        }
        const sub = await createSubAccount(
          account,
          { name: subAccountName(body), credits: body.credits ?? 0 },
          withoutKey(store),
        );
        return { id: sub.id, active: 1 };
      },
    }),
  );

  router.get(
    "/sub-accounts",
    sfRoute({
      // XML: one <sub-account> element per sub-account (reference §1.3).
      answer: sfOk({ "sub-accounts": z.array(subAccountAnswer) }),
      xml: { names: { "sub-accounts": "sub-account" } },
      handler: async ({ account }) => {
        const subs = await allPages(async (page) => {
          const { subAccounts, pages } = await listSubAccounts(store, account, page);
          return { items: subAccounts, pages };
        });
        return { "sub-accounts": subs.map(subAccountObject) };
      },
    }),
  );

  router.get(
    "/sub-accounts/:id",
    sfRoute({
      params: idParams,
      answer: sfOk({ "sub-account": subAccountAnswer }),
      handler: async ({ params, account }) => ({
        "sub-account": subAccountObject(await findSubAccount(store, account, params.id)),
      }),
    }),
  );

  // Salvo's data retention, in effect ("0": kept until deleted); see docs/compat.md.
  router.get(
    "/retention",
    sfRoute({
      answer: sfOk({ data_retention: retentionAnswer }),
      handler: async ({ account }) => ({
        data_retention: (await retentionOf(store, account.id)).retention,
      }),
    }),
  );

  router.put(
    "/retention",
    sfRoute({
      body: bodyUnder("retention", retentionBody),
      answer: sfOk({ retention: retentionAnswer }),
      handler: async ({ body, account }) => ({
        retention: (await setRetention(store, account.id, body)).retention,
      }),
    }),
  );

  router.get(
    "/notification/balance",
    sfRoute({
      answer: sfOk({ notification: notificationAnswer }),
      handler: async ({ account }) => ({
        notification: notificationObject(await currentAccount(store, account.id)),
      }),
    }),
  );

  // PUT: the account's balance alerts become this one threshold (or none), with the channels given.
  router.put(
    "/notification/balance",
    sfRoute({
      body: bodyUnder("notification", notificationUpdate),
      answer: sfOk({ notification: notificationAnswer }),
      handler: async ({ body, account }) => {
        const trigger = body.alert_trigger;
        const change = {
          thresholds: trigger === "" || trigger === null || trigger === 0 ? [] : [trigger],
          byEmail: body.alert_email,
          email: body.email,
          bySms: body.alert_gsm,
          phone: body.phone_number == null ? body.phone_number : international(body.phone_number),
        };
        const options = { emailConfigured, fields: NOTIFICATION_FIELDS };
        return {
          notification: notificationObject(await setBalanceAlerts(store, account.id, change, options)),
        };
      },
    }),
  );

  return router;
}
