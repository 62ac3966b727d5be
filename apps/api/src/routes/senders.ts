import { NUL, newSender } from "@salvo/core";
import type { Sender, Store } from "@salvo/db";
import { Router } from "express";
import { z } from "zod";
import { paged, pageQuery } from "../http/pagination";
import { accountOf, route } from "../http/route";

/** A sender as the API shows it. */
export function senderResource(sender: Sender) {
  return {
    id: sender.id,
    type: "senders",
    attributes: {
      sender: sender.sender,
      state: sender.state,
      reason: sender.reason,
      created_at: sender.createdAt.toISOString(),
      decided_at: sender.decidedAt?.toISOString() ?? null,
    },
  };
}

/**
 * `/v1/senders`: ask to register a sender id (asking again answers the one
 * already asked for), list them with their state, withdraw one. Operators
 * approve or refuse them (`salvo senders`).
 */
export function senderRoutes(store: Store): Router {
  const router = Router();

  router.post(
    "/senders",
    route({
      body: newSender,
      idempotent: true,
      handler: async ({ body, res }) => {
        const { sender, created } = await store.senders.request(accountOf(res).id, body.sender);
        return { status: created ? 201 : 200, body: { data: senderResource(sender) } };
      },
    }),
  );

  router.get(
    "/senders",
    route({
      query: pageQuery,
      handler: async ({ query, res }) => {
        const { senders, pages } = await store.senders.list(accountOf(res).id, query.page);
        return { status: 200, body: paged(senders.map(senderResource), pages, query.page) };
      },
    }),
  );

  router.delete(
    "/senders/:id",
    route({
      params: z.object({
        id: z
          .string()
          .min(1)
          .max(64)
          .refine((id) => !id.includes(NUL), "not a sender id"),
      }),
      handler: async ({ params, res }) => {
        await store.senders.delete(accountOf(res).id, params.id);
        return { status: 204 };
      },
    }),
  );

  return router;
}
