import { BATCH_STATUSES, batchCounts, MESSAGE_STATUSES, NUL, newBatch, readMessageReason } from "@salvo/core";
import type { Batch } from "@salvo/db";
import { Router } from "express";
import { z } from "zod";
import { paged, pageQuery } from "../http/pagination";
import { accountOf, route } from "../http/route";
import { type BatchIntake, cancelBatch, createBatch } from "../services/batches";
import { type SimulateDeps, simulateBatch } from "../services/simulate";

/** A batch as the API shows it: its counts, always summing to `total`. */
function batchResource(batch: Batch) {
  return {
    id: batch.id,
    type: "batches",
    attributes: {
      status: batch.status,
      ...batchCounts(batch),
      cost: batch.cost,
      from: batch.sender,
      type: batch.type,
      segments: batch.segments,
      created_at: batch.createdAt.toISOString(),
      send_at: batch.sendAt?.toISOString() ?? null,
      completed_at: batch.completedAt?.toISOString() ?? null,
      // Moderation: the rules that held it (null: never held), an operator's reason to reject it.
      moderation_reasons: batch.moderationReasons,
      rejection_reason: batch.rejectionReason,
    },
    links: { self: `/v1/batches/${batch.id}` },
  };
}

const batchParams = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .refine((id) => !id.includes(NUL), "not a batch id"),
});

interface BatchDeps extends BatchIntake, SimulateDeps {
  maxBodyBytes: number;
}

export function batchRoutes(deps: BatchDeps): Router {
  const { store, maxBodyBytes } = deps;
  const router = Router();

  router.post(
    "/batches",
    route({
      body: newBatch,
      maxBodyBytes,
      idempotent: true,
      handler: async ({ body, res, idempotency }) => {
        const id = await createBatch(deps, accountOf(res), body, idempotency);
        return {
          status: 202,
          body: { data: { batch_id: id, type: "batches" }, links: { self: `/v1/batches/${id}` } },
          headers: { Location: `/v1/batches/${id}` },
        };
      },
    }),
  );

  // Same body, checks and errors as POST /batches; nothing stored, taken or sent
  // (an Idempotency-Key is ignored: there is nothing to replay).
  router.post(
    "/batches/simulate",
    route({
      body: newBatch,
      maxBodyBytes,
      handler: async ({ body, res }) => {
        const s = await simulateBatch(deps, accountOf(res), body);
        return {
          status: 200,
          body: {
            data: {
              type: "batch_simulations",
              attributes: {
                total: s.total,
                sent: s.sent,
                invalid: s.invalid,
                duplicated: s.duplicated,
                blacklisted: s.blacklisted,
                npai: s.npai,
                flooded: s.flooded,
                not_allowed: s.not_allowed,
                country_limit: s.country_limit,
                segments: s.segments,
                cost: s.cost,
                reserved: s.reserved,
                credits: s.credits,
                credits_after: s.creditsAfter,
                enough_credits: s.enoughCredits,
                moderation_reasons: s.moderationReasons,
              },
            },
          },
        };
      },
    }),
  );

  // No batch is called "simulate": another method on that path is not GET
  // /batches/:id but a 405 (see notFound).
  router.use("/batches/simulate", (req, _res, next) => {
    next(req.path === "/" && req.method !== "POST" ? "router" : undefined);
  });

  router.get(
    "/batches",
    route({
      query: pageQuery.extend({ status: z.enum(BATCH_STATUSES).optional() }),
      handler: async ({ query, res }) => {
        const { batches: list, pages } = await store.batches.list(
          accountOf(res).id,
          query.page,
          query.status,
        );
        return { status: 200, body: paged(list.map(batchResource), pages, query.page) };
      },
    }),
  );

  router.get(
    "/batches/:id",
    route({
      params: batchParams,
      handler: async ({ params, res }) => {
        const batch = await store.batches.find(accountOf(res).id, params.id);
        const resource = batchResource(batch);
        return { status: 200, body: { data: resource, links: resource.links } };
      },
    }),
  );

  // Cancels what is not handed off yet; answers the batch's counts after it.
  router.post(
    "/batches/:id/cancel",
    route({
      params: batchParams,
      handler: async ({ params, res }) => {
        const resource = batchResource(await cancelBatch(deps, accountOf(res).id, params.id));
        return { status: 200, body: { data: resource, links: resource.links } };
      },
    }),
  );

  router.get(
    "/batches/:id/messages",
    route({
      params: batchParams,
      query: pageQuery.extend({ status: z.enum(MESSAGE_STATUSES).optional() }),
      handler: async ({ params, query, res }) => {
        const { messages, pages } = await store.batches.listMessages(accountOf(res).id, params.id, {
          status: query.status,
          page: query.page,
        });
        const data = messages.map((m) => ({
          id: m.id,
          type: "messages",
          attributes: {
            to: m.to,
            ref: m.ref,
            status: m.status,
            // `duplicate_of` with `duplicate_of: <position>`, see docs/api.md "Message reasons".
            ...splitReason(m.reason),
            segments: m.segments,
            cost: m.cost,
            created_at: m.createdAt.toISOString(),
            sent_at: m.sentAt?.toISOString() ?? null,
            done_at: m.doneAt?.toISOString() ?? null,
          },
        }));
        return { status: 200, body: paged(data, pages, query.page) };
      },
    }),
  );

  return router;
}

function splitReason(stored: string | null) {
  const { reason, duplicateOf } = readMessageReason(stored);
  return { reason, duplicate_of: duplicateOf };
}
