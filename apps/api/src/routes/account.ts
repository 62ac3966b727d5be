import { balanceAlerts, optOutMentionUpdate, retentionUpdate, sendingHoursUpdate } from "@salvo/core";
import type { Account, CountrySettings, Store } from "@salvo/db";
import { Router } from "express";
import { z } from "zod";
import { accountOf, route } from "../http/route";
import {
  countrySettings,
  currentAccount,
  retentionOf,
  setBalanceAlerts,
  setRetention,
} from "../services/account";
import { requiresRegisteredSender } from "../services/senders";
import {
  type MarketingDeps,
  marketingRules,
  sendingHoursNow,
  setOptOutMention,
  setSendingHours,
} from "../services/sending-hours";

/**
 * `GET /v1/account/usage`'s periods: their buckets' unit and how many (null:
 * each day of the current UTC calendar month so far).
 */
const USAGE_PERIODS = { "24h": ["hour", 24], "30d": ["day", 30], month: ["day", null] } as const;
const usageQuery = z.strictObject({ period: z.enum(["24h", "30d", "month"]).default("24h") });

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
        /** Days its batches' tracked short links redirect (set by an operator). */
        link_retention_days: account.linkRetentionDays,
        created_at: account.createdAt.toISOString(),
      },
    },
    links: { self: "/v1/account" },
  };
}

/**
 * An account's country settings as the API shows them: the countries it may
 * send to and its monthly limits (each with where it comes from: set on the
 * account, its parent's, or the default), and this month's usage of each
 * limited country (UTC calendar month).
 */
export function countriesResource(settings: CountrySettings, self: string) {
  const remaining: Record<string, number> = {};
  for (const [country, limit] of Object.entries(settings.monthlyLimits))
    remaining[country] = Math.max(0, limit - (settings.usage[country] ?? 0));
  return {
    data: {
      type: "countries",
      attributes: {
        allowed_countries: settings.allowedCountries,
        allowed_countries_from: settings.allowedCountriesFrom,
        monthly_limits: settings.monthlyLimits,
        monthly_limits_from: settings.monthlyLimitsFrom,
        usage: {
          time_zone: "UTC",
          month: settings.month.slice(0, 7),
          sent: settings.usage,
          remaining,
        },
      },
    },
    links: { self },
  };
}

/** The account's balance alerts as the API shows them. */
function balanceAlertsResource(account: Account) {
  return {
    data: {
      type: "balance_alerts",
      attributes: {
        thresholds: account.balanceAlerts,
        credits: account.credits,
        /** Also e-mailed (SMTP_URL), to `email`. */
        email_enabled: account.balanceAlertByEmail,
        email: account.balanceAlertEmail,
        /** Also sent by SMS, to `phone` (E.164). */
        sms_enabled: account.balanceAlertBySms,
        phone: account.balanceAlertPhone,
      },
    },
    links: { self: "/v1/account/balance-alerts" },
  };
}

/** The account's sending hours for marketing messages as the API shows them, and where each comes from. */
async function sendingHoursResource(deps: MarketingDeps, accountId: string) {
  const { hours, sources } = await marketingRules(deps, accountId);
  return {
    data: {
      type: "sending_hours",
      attributes: {
        time_zone: hours.time_zone,
        windows: hours.windows,
        holidays: hours.holidays,
        ...sendingHoursNow(hours),
        sources: { time_zone: sources.time_zone, windows: sources.windows },
      },
    },
    links: { self: "/v1/account/sending-hours" },
  };
}

/** The account's opt-out mention as the API shows it, and where it comes from. */
async function optOutMentionResource(deps: MarketingDeps, accountId: string) {
  const { optOutMention, sources } = await marketingRules(deps, accountId);
  return {
    data: {
      type: "opt_out_mention",
      attributes: { mention: optOutMention, source: sources.opt_out_mention },
    },
    links: { self: "/v1/account/opt-out-mention" },
  };
}

/** The account's data retention as the API shows it: in effect ("0": kept until deleted), and where each comes from. */
function retentionResource({ retention, sources }: Awaited<ReturnType<typeof retentionOf>>) {
  return {
    data: { type: "retention", attributes: { ...retention, sources } },
    links: { self: "/v1/account/retention" },
  };
}

/**
 * `GET /v1/account`, its balance alerts, sending hours and opt-out mention;
 * `requireRegisteredSenderByDefault` is the install's REQUIRE_REGISTERED_SENDER,
 * `optOutMention` its OPT_OUT_MENTION.
 */
export function accountRoutes(
  store: Store,
  requireRegisteredSenderByDefault: boolean,
  optOutMention: string,
  /** Whether the install sends e-mail (SMTP_URL): balance alerts by e-mail need it. */
  emailConfigured: boolean,
): Router {
  const router = Router();
  const marketing: MarketingDeps = { store, optOutMention };
  router.get(
    "/account",
    route({
      handler: async ({ res }) => {
        const id = accountOf(res).id;
        const account = await currentAccount(store, id);
        const countries = await countrySettings(store, id);
        const resource = accountResource(account, requireRegisteredSenderByDefault);
        // The countries in effect; their usage is at /v1/account/countries.
        const attributes = {
          ...resource.data.attributes,
          countries: {
            allowed_countries: countries.allowedCountries,
            monthly_limits: countries.monthlyLimits,
          },
        };
        return { status: 200, body: { ...resource, data: { ...resource.data, attributes } } };
      },
    }),
  );
  // Messages handed off and delivered per UTC hour (24h) or day (30d, month), from usage_hours.
  router.get(
    "/account/usage",
    route({
      query: usageQuery,
      handler: async ({ query, res }) => {
        const [unit, count] = USAGE_PERIODS[query.period];
        const buckets = await store.usage.account(accountOf(res).id, unit, count);
        const sum = (key: "sent" | "delivered") => buckets.reduce((total, b) => total + b[key], 0);
        return {
          status: 200,
          body: {
            data: {
              type: "usage",
              attributes: {
                period: query.period,
                time_zone: "UTC",
                bucket: unit,
                sent: sum("sent"),
                delivered: sum("delivered"),
                buckets: buckets.map((b) => ({
                  start: b.start.toISOString(),
                  sent: b.sent,
                  delivered: b.delivered,
                })),
              },
            },
            links: { self: `/v1/account/usage?period=${query.period}` },
          },
        };
      },
    }),
  );
  router.get(
    "/account/countries",
    route({
      handler: async ({ res }) => ({
        status: 200,
        body: countriesResource(await countrySettings(store, accountOf(res).id), "/v1/account/countries"),
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
  // PUT: what it names is replaced (the whole list of thresholds), so repeating it changes nothing more.
  router.put(
    "/account/balance-alerts",
    route({
      body: balanceAlerts,
      handler: async ({ body, res }) => {
        const change = {
          thresholds: body.thresholds,
          byEmail: body.email_enabled,
          email: body.email,
          bySms: body.sms_enabled,
          phone: body.phone,
        };
        const account = await setBalanceAlerts(store, accountOf(res).id, change, { emailConfigured });
        return { status: 200, body: balanceAlertsResource(account) };
      },
    }),
  );
  router.get(
    "/account/sending-hours",
    route({
      handler: async ({ res }) => ({
        status: 200,
        body: await sendingHoursResource(marketing, accountOf(res).id),
      }),
    }),
  );
  // PUT: the account's own settings are replaced; what it leaves out follows its parent's.
  router.put(
    "/account/sending-hours",
    route({
      body: sendingHoursUpdate,
      handler: async ({ body, res }) => {
        await setSendingHours(store, accountOf(res).id, body);
        return { status: 200, body: await sendingHoursResource(marketing, accountOf(res).id) };
      },
    }),
  );
  router.get(
    "/account/opt-out-mention",
    route({
      handler: async ({ res }) => ({
        status: 200,
        body: await optOutMentionResource(marketing, accountOf(res).id),
      }),
    }),
  );
  router.put(
    "/account/opt-out-mention",
    route({
      body: optOutMentionUpdate,
      handler: async ({ body, res }) => {
        await setOptOutMention(store, accountOf(res).id, body.mention);
        return { status: 200, body: await optOutMentionResource(marketing, accountOf(res).id) };
      },
    }),
  );
  router.get(
    "/account/retention",
    route({
      handler: async ({ res }) => ({
        status: 200,
        body: retentionResource(await retentionOf(store, accountOf(res).id)),
      }),
    }),
  );
  // PUT: the kinds given are set (null: follow the parent's); the others stay as they are.
  router.put(
    "/account/retention",
    route({
      body: retentionUpdate,
      handler: async ({ body, res }) => ({
        status: 200,
        body: retentionResource(await setRetention(store, accountOf(res).id, body)),
      }),
    }),
  );
  return router;
}
