import { messageId } from "@salvo/core";
import type { InboundMessage, Store } from "@salvo/db";
import { Router } from "express";
import { paged, pageQuery } from "../http/pagination";
import { accountOf, route } from "../http/route";

/** An inbound message as the API shows it (a "reply"): what was received, and the message it answers. */
export function replyResource(message: InboundMessage) {
  return {
    id: message.id,
    type: "replies",
    attributes: {
      from: message.from,
      to: message.to,
      body: message.body,
      stop: message.stop,
      message_id:
        message.batchId !== null && message.idx !== null ? messageId(message.batchId, message.idx) : null,
      batch_id: message.batchId,
      received_at: message.receivedAt.toISOString(),
    },
  };
}

/** `GET /v1/replies`: the account's inbound messages (MO), STOPs included, newest first. */
export function replyRoutes(store: Store): Router {
  const router = Router();
  router.get(
    "/replies",
    route({
      query: pageQuery,
      handler: async ({ query, res }) => {
        const { replies, pages } = await store.inbound.list(accountOf(res).id, query.page);
        return { status: 200, body: paged(replies.map(replyResource), pages, query.page) };
      },
    }),
  );
  return router;
}
