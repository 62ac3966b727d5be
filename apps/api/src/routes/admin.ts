import { batchCounts, batchRejection, NUL, SENDER_STATES, senderRefusal } from "@salvo/core";
import type { Batch, HeldBatch } from "@salvo/db";
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
