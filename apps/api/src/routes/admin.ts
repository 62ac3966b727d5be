import {
  accountChanges,
  batchCounts,
  batchRejection,
  creditTransfer,
  NotFoundError,
  NUL,
  newAccount,
  SENDER_STATES,
  senderRefusal,
} from "@salvo/core";
import type { Account, Batch, HeldBatch, Store } from "@salvo/db";
import { Router } from "express";
import { z } from "zod";
import { adminTokenOf } from "../http/admin-auth";
import { paged, pageQuery } from "../http/pagination";
import { route } from "../http/route";
import { approveBatch, type ModerationDeps, rejectBatch } from "../services/moderation";
import { accountResource } from "./account";
import { senderResource } from "./senders";

/** A batch as operators see it: what it says, to whom, why it was held, and its counts. */
function moderatedBatchResource(batch: Batch | HeldBatch) {
  return {
    id: batch.id,
    type: "batches",
    attributes: {
      status: batch.status,
      account_id: batch.accountId,
      account_name: "accountName" in batch ? batch.accountName : null,
      from: batch.sender,
      body: batch.body,
      type: batch.type,
      segments: batch.segments,
      reserved: batch.reserved,
      reasons: batch.moderationReasons ?? [],
      rejection_reason: batch.rejectionReason,
      ...batchCounts(batch),
      cost: batch.cost,
      send_at: batch.sendAt?.toISOString() ?? null,
      created_at: batch.createdAt.toISOString(),
      moderated_at: batch.moderatedAt?.toISOString() ?? null,
    },
  };
}

const PAGE_SIZE = 25;

async function countriesOf(store: Store, accountId: string) {
  const countries = await store.countries.find(accountId);
  if (!countries) throw new NotFoundError(`No account ${accountId}.`);
  return countries;
}

const idParams = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .refine((id) => !id.includes(NUL), "not an id"),
});

// Decisions are logged once made, with ids as stored: a path's id (which might
// be anything, a phone number too) is never logged as it came.

/**
 * `/v1/admin/…`: the operators' routes, behind admin tokens (authenticateAdmin,
 * mounted by the app): batches held for moderation and the decisions on them,
 * and sender registrations. The CLI's `salvo moderation` and `salvo senders`
 * make the same decisions through the same store functions.
 */
export function adminRoutes(deps: ModerationDeps & { requireRegisteredSender: boolean }): Router {
  const { store, logger } = deps;
  const router = Router();

  // Every account, sub-accounts too, newest first: what `salvo accounts list` shows.
  router.get(
    "/accounts",
    route({
      query: pageQuery,
      handler: async ({ query }) => {
        const accounts = await store.accounts.list();
        const pages = Math.ceil(accounts.length / PAGE_SIZE);
        const start = (query.page - 1) * PAGE_SIZE;
        const data = accounts.slice(start, start + PAGE_SIZE).map((account) => {
          const { data } = accountResource(account, deps.requireRegisteredSender);
          return { ...data, links: { self: `/v1/admin/accounts/${account.id}` } };
        });
        return { status: 200, body: paged(data, pages, query.page) };
      },
    }),
  );

  /** An account as operators see it, with the countries and monthly limits in effect. */
  const accountData = async (account: Account) => {
    const { data } = accountResource(account, deps.requireRegisteredSender);
    const countries = await countriesOf(store, account.id);
    const attributes = {
      ...data.attributes,
      countries: { allowed_countries: countries.allowedCountries, monthly_limits: countries.monthlyLimits },
    };
    return { ...data, attributes, links: { self: `/v1/admin/accounts/${account.id}` } };
  };

  // As `salvo accounts create`: the account and its first API token, answered once.
  router.post(
    "/accounts",
    route({
      body: newAccount,
      handler: async ({ body, res }) => {
        const { account, token } = await store.accounts.create({
          name: body.name,
          credits: body.credits,
          apiRateLimit: body.api_requests_per_second,
          defaultCountry: body.default_country,
        });
        logger.info({ accountId: account.id, adminToken: adminTokenOf(res) }, "admin: account created");
        const data = await accountData(account);
        return {
          status: 201,
          body: { data, meta: { token } },
          headers: { Location: data.links.self },
        };
      },
    }),
  );

  router.get(
    "/accounts/:id",
    route({
      params: idParams,
      handler: async ({ params }) => {
        const account = await store.accounts.find(params.id);
        if (!account) throw new NotFoundError(`No account ${params.id}.`);
        return { status: 200, body: { data: await accountData(account) } };
      },
    }),
  );

  // PATCH: the settings named are set, the others stay (as `salvo accounts update`).
  // A token cached by an API process sees them within AUTH_CACHE_MS.
  router.patch(
    "/accounts/:id",
    route({
      params: idParams,
      body: accountChanges,
      handler: async ({ params, body, res }) => {
        const account = await store.accounts.update(params.id, {
          name: body.name,
          apiRateLimit: body.api_requests_per_second,
          sendRateLimit: body.messages_per_second,
          defaultCountry: body.default_country,
          floodMaxPerHour: body.max_per_recipient_per_hour,
          floodMaxSameBodyPerHour: body.max_same_body_per_recipient_per_hour,
          requireRegisteredSender: body.require_registered_sender,
          allowedCountries: body.allowed_countries,
          countryLimits: body.monthly_limits,
        });
        logger.info({ accountId: account.id, adminToken: adminTokenOf(res) }, "admin: account updated");
        return { status: 200, body: { data: await accountData(account) } };
      },
    }),
  );

  // Credits added (or removed, negative) by an operator: a `top_up` movement in the
  // account's statements, and the balance alerts a removal crosses.
  router.post(
    "/accounts/:id/credits",
    route({
      params: idParams,
      body: creditTransfer,
      handler: async ({ params, body, res }) => {
        const account = await store.accounts.update(params.id, { addCredits: body.amount });
        logger.info(
          { accountId: account.id, amount: body.amount, adminToken: adminTokenOf(res) },
          "admin: credits changed",
        );
        return { status: 200, body: { data: await accountData(account) } };
      },
    }),
  );

  router.get(
    "/moderation",
    route({
      query: pageQuery,
      handler: async ({ query }) => {
        const { batches, pages } = await store.moderation.list(query.page);
        return { status: 200, body: paged(batches.map(moderatedBatchResource), pages, query.page) };
      },
    }),
  );

  router.post(
    "/batches/:id/approve",
    route({
      params: idParams,
      handler: async ({ params, res }) => {
        const batch = await approveBatch(deps, params.id, adminTokenOf(res));
        return { status: 200, body: { data: moderatedBatchResource(batch) } };
      },
    }),
  );

  router.post(
    "/batches/:id/reject",
    route({
      params: idParams,
      body: batchRejection,
      handler: async ({ params, body, res }) => {
        const batch = await rejectBatch(deps, params.id, body.reason ?? null, adminTokenOf(res));
        return { status: 200, body: { data: moderatedBatchResource(batch) } };
      },
    }),
  );

  const senderOf = (sender: Parameters<typeof senderResource>[0]) => {
    const resource = senderResource(sender);
    return { ...resource, attributes: { account_id: sender.accountId, ...resource.attributes } };
  };

  router.get(
    "/senders",
    route({
      query: z.strictObject({
        state: z.enum(SENDER_STATES).optional(),
        account_id: idParams.shape.id.optional(),
      }),
      handler: async ({ query }) => {
        const senders = await store.senders.listAll({ state: query.state, accountId: query.account_id });
        return { status: 200, body: { data: senders.map(senderOf) } };
      },
    }),
  );

  router.post(
    "/senders/:id/approve",
    route({
      params: idParams,
      handler: async ({ params, res }) => {
        const sender = await store.senders.decide(params.id, { state: "approved" });
        logger.info({ senderId: sender.id, adminToken: adminTokenOf(res) }, "admin: sender approved");
        return { status: 200, body: { data: senderOf(sender) } };
      },
    }),
  );

  router.post(
    "/senders/:id/refuse",
    route({
      params: idParams,
      body: senderRefusal,
      handler: async ({ params, body, res }) => {
        const sender = await store.senders.decide(params.id, { state: "refused", reason: body.reason });
        logger.info({ senderId: sender.id, adminToken: adminTokenOf(res) }, "admin: sender refused");
        return { status: 200, body: { data: senderOf(sender) } };
      },
    }),
  );

  return router;
}
