import { normalizePhoneNumber, parisDateTime, withoutPlus } from "@salvo/core";
import type { Account, BatchStatus, Campaign, Store } from "@salvo/db";
import { Router } from "express";
import { z } from "zod";
import {
  fromParisDateTime,
  numberText,
  SF_STATUS,
  SmsFactorError,
  sfInt,
  sfOk,
  sfRoute,
} from "./conventions";
import type { SmsFactorDeps } from "./router";

/** A campaign's `status`, as SMSFactor words it ("Sent" is the one its docs show; the others are Salvo's states). */
const CAMPAIGN_STATUS: Record<BatchStatus, string> = {
  accepted: "Sending",
  scheduled: "Scheduled",
  moderation: "Moderation",
  processing: "Sending",
  paused: "Paused",
  completed: "Sent",
  canceled: "Cancelled",
  rejected: "Rejected",
};

/**
 * A batch as SMSFactor's campaign (reference §2.7–2.8), numbers as strings.
 * `date`: when it starts sending (its `send_at`, else its creation); `error`:
 * messages undelivered or refused by the provider; `npai`: its recipients on the
 * NPAI list when judged, and the numbers its delivery reports added; `lists`:
 * the contact lists it was sent to (empty for a send to numbers).
 * Salvo does not tell expired reports or network errors apart: both "0".
 */
function campaignResource(c: Campaign) {
  return {
    id: c.id,
    sender: c.sender,
    text: c.body,
    creation_date: parisDateTime(c.createdAt),
    date: parisDateTime(c.sendAt ?? c.createdAt),
    cost: numberText(c.cost),
    lists: c.contactLists.map((id) => ({ id })),
    status: CAMPAIGN_STATUS[c.status],
    delivery_rate: numberText(c.sent > 0 ? Math.round((c.delivered * 100) / c.sent) : 0),
    delivered: numberText(c.delivered),
    error: numberText(c.undelivered + c.failed),
    expired: "0",
    network_error: "0",
    stop: numberText(c.stops),
    npai: numberText(c.npai + c.reportedNpai),
    total: numberText(c.total),
  };
}

/** `campaignResource` as the OpenAPI document describes it: dates `Y-m-d H:i:s` (Europe/Paris), numbers as text. */
const campaignAnswer = z.object({
  id: z.string(),
  sender: z.string(),
  text: z.string(),
  creation_date: z.string(),
  date: z.string(),
  cost: z.string(),
  lists: z.array(z.object({ id: z.string() })),
  status: z.enum([...new Set(Object.values(CAMPAIGN_STATUS))]),
  delivery_rate: z.string(),
  delivered: z.string(),
  error: z.string(),
  expired: z.string(),
  network_error: z.string(),
  stop: z.string(),
  npai: z.string(),
  total: z.string(),
});

/** A number that wrote to a campaign (a STOP, a reply, an NPAI), international without `+`, and when. */
const fromNumber = { destination: z.string(), date: z.string() };
const info = z.string().nullable();

/** A `Y-m-d H:i:s` filter date in Europe/Paris time. */
const parisDate = (field: string) =>
  z.string().transform((text, ctx) => {
    const at = fromParisDateTime(text);
    if (!at) {
      ctx.addIssue({ code: "custom", message: `expected "Y-m-d H:i:s" in Europe/Paris time (${field})` });
      return z.NEVER;
    }
    return at;
  });

/** The query of GET /campaigns (reference §2.7). */
const campaignsQuery = z.object({
  start: sfInt.pipe(z.number().min(0)).default(0),
  length: sfInt.pipe(z.number().min(1).max(1000, "at most 1000")).default(100),
  date_start: parisDate("date_start").optional(),
  date_end: parisDate("date_end").optional(),
  sms_min: sfInt.optional(),
  sms_max: sfInt.optional(),
  destination: z.string().trim().min(1).optional(),
  text: z.string().trim().min(1).max(1600).optional(),
  sort: z
    .string()
    .regex(
      /^-?(id|date|text|cost|status)$/,
      "one of id, date, text, cost, status, with - for descending order",
    )
    .optional(),
});

const campaignParams = z.object({ id: z.string().min(1).max(64) });

/** One of the account's campaigns, or -5 (another account's is not found either). */
async function campaignOf(store: Store, account: Account, id: string): Promise<Campaign> {
  const campaign = await store.batches.findCampaign(account.id, id);
  if (!campaign) throw new SmsFactorError(SF_STATUS.notFound, `No campaign ${id}.`);
  return campaign;
}

/** A campaign's replies (or STOPs) with its recipients' fields, or -5 when it is not the account's. */
async function repliesOf(store: Store, account: Account, id: string, stopsOnly: boolean) {
  const replies = await store.batches.listCampaignReplies(account.id, id, stopsOnly);
  if (!replies) throw new SmsFactorError(SF_STATUS.notFound, `No campaign ${id}.`);
  return replies;
}

export function smsFactorCampaignRoutes(deps: SmsFactorDeps): Router {
  const { store } = deps;
  const router = Router();

  // The account's campaigns (its batches; not single messages nor simulations), newest first by default.
  router.get(
    "/campaigns",
    sfRoute({
      query: campaignsQuery,
      answer: sfOk({
        campaigns: z.array(campaignAnswer),
        totalRecords: z.number().int(),
        totalDisplayRecords: z.number().int(),
      }),
      handler: async ({ query, account }) => {
        const sort = query.sort ?? "-date";
        const destination =
          query.destination === undefined
            ? undefined
            : (normalizePhoneNumber(query.destination, account.defaultCountry) ??
              normalizePhoneNumber(`+${query.destination}`, account.defaultCountry) ??
              query.destination);
        const found = await store.batches.searchCampaigns(account.id, {
          start: query.start,
          length: query.length,
          dateFrom: query.date_start,
          dateTo: query.date_end,
          totalMin: query.sms_min,
          totalMax: query.sms_max,
          destination,
          text: query.text,
          sort: {
            by: sort.replace(/^-/, "") as "id" | "date" | "text" | "cost" | "status",
            descending: sort.startsWith("-"),
          },
        });
        return {
          campaigns: found.campaigns.map(campaignResource),
          totalRecords: found.records,
          totalDisplayRecords: found.matching,
        };
      },
    }),
  );

  // One campaign: `campaign` is an array of one (reference §2.8, the Java SDK reads a list).
  router.get(
    "/campaign/:id",
    sfRoute({
      params: campaignParams,
      answer: sfOk({ campaign: z.array(campaignAnswer).length(1) }),
      handler: async ({ params, account }) => ({
        campaign: [campaignResource(await campaignOf(store, account, params.id))],
      }),
    }),
  );

  // Its STOPs (each put its number on the account's blacklist), with the
  // info1..info4 its recipient was sent with (null: none).
  router.get(
    "/campaign/:id/blacklist",
    sfRoute({
      params: campaignParams,
      answer: sfOk({
        stops: z.array(z.object({ ...fromNumber, info1: info, info2: info, info3: info, info4: info })),
      }),
      handler: async ({ params, account }) => {
        const stops = await repliesOf(store, account, params.id, true);
        return {
          stops: stops.map((reply) => ({
            destination: withoutPlus(reply.from),
            info1: reply.fields?.info1 ?? null,
            info2: reply.fields?.info2 ?? null,
            info3: reply.fields?.info3 ?? null,
            info4: reply.fields?.info4 ?? null,
            date: parisDateTime(reply.receivedAt),
          })),
        };
      },
    }),
  );

  // Its replies (MO), STOPs included: the reference has no shape for it; each
  // reply as the MO webhook words it (destination = who replied, `message`).
  router.get(
    "/campaign/:id/mo",
    sfRoute({
      params: campaignParams,
      answer: sfOk({ mo: z.array(z.object({ ...fromNumber, message: z.string() })) }),
      handler: async ({ params, account }) => {
        const replies = await repliesOf(store, account, params.id, false);
        return {
          mo: replies.map((reply) => ({
            destination: withoutPlus(reply.from),
            message: reply.body,
            date: parisDateTime(reply.receivedAt),
          })),
        };
      },
    }),
  );

  // The numbers its delivery reports found unallocated (each already on the NPAI list).
  router.get(
    "/campaign/:id/npai",
    sfRoute({
      params: campaignParams,
      answer: sfOk({ npai: z.array(z.object(fromNumber)) }),
      handler: async ({ params, account }) => {
        await campaignOf(store, account, params.id);
        const npai: { destination: string; date: string }[] = [];
        for (let page = 1; ; page++) {
          const { entries, pages } = await store.batches.listNpai(account.id, params.id, page);
          for (const e of entries)
            npai.push({ destination: withoutPlus(e.number), date: parisDateTime(e.createdAt) });
          if (page >= pages) break;
        }
        return { npai };
      },
    }),
  );

  // "Move the campaign's NPAI to the NPAI list": Salvo's delivery reports put
  // them there as they come, so there is nothing left to move. Checks the campaign.
  router.put(
    "/campaign/:id/npai",
    sfRoute({
      params: campaignParams,
      answer: sfOk({}),
      handler: async ({ params, account }) => {
        await campaignOf(store, account, params.id);
        return {};
      },
    }),
  );

  return router;
}
