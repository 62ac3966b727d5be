import { InvalidParameterError, isStopKeyword, messageId, normalizePhoneNumber } from "@salvo/core";
import { listReplies, recordReply, type Sql, type Reply as StoredReply } from "@salvo/db";
import { enqueueWebhookEvents, type OpenQueue } from "@salvo/queue";
import type { Logger } from "@salvo/runtime";
import { Router } from "express";
import { z } from "zod";
import { paged, pageQuery } from "../http/pagination";
import { accountOf, route } from "../http/route";

/** A reply as the API shows it: what was received, and the message it answers. */
function replyResource(reply: StoredReply) {
  return {
    id: reply.id,
    type: "replies",
    attributes: {
      from: reply.from,
      to: reply.to,
      body: reply.body,
      stop: reply.stop,
      message_id: reply.batchId !== null && reply.idx !== null ? messageId(reply.batchId, reply.idx) : null,
      batch_id: reply.batchId,
      received_at: reply.receivedAt.toISOString(),
    },
  };
}

/** `GET /v1/replies`: the account's inbound messages (MO), STOPs included, newest first. */
export function replyRoutes(sql: Sql): Router {
  const router = Router();
  router.get(
    "/replies",
    route({
      query: pageQuery,
      handler: async ({ query, res }) => {
        const { replies, pages } = await listReplies(sql, accountOf(res).id, query.page);
        return { status: 200, body: paged(replies.map(replyResource), pages, query.page) };
      },
    }),
  );
  return router;
}

const NUL = "\u0000";

const inbound = z.strictObject({
  from: z.string().min(1).max(64),
  to: z
    .string()
    .regex(/^(?:[A-Za-z0-9]{1,11}|\+?[0-9]{1,15})$/, "1 to 11 letters and digits, or up to 15 digits"),
  body: z
    .string()
    .max(1_600)
    .refine((body) => !body.includes(NUL), "the message body contains a NUL character"),
});

/**
 * `POST /v1/providers/simulator/inbound`: the simulator's way in for replies (MO),
 * as a real provider's callback would be. Not behind account authentication: the
 * provider, not an account, calls it. It is mounted only when SMS_PROVIDER is
 * `simulator`. The reply is stored (and a STOP applied) before the answer.
 */
export function simulatorInboundRoutes(sql: Sql, webhooks: OpenQueue<"webhooks">, logger: Logger): Router {
  const router = Router();
  router.post(
    "/inbound",
    route({
      body: inbound,
      handler: async ({ body }) => {
        // Providers pass the sender's number internationally, with or without its `+`.
        const from = normalizePhoneNumber(body.from, undefined);
        if (!from) throw new InvalidParameterError("from: not a valid international phone number", "from");
        const { reply, events } = await recordReply(sql, {
          from,
          to: body.to,
          body: body.body,
          stop: isStopKeyword(body.body),
        });
        // Stored with its events: if Redis is down, the workers' sweep enqueues them.
        await enqueueWebhookEvents(webhooks, events).catch((error: Error) =>
          logger.warn(
            { events: events.length, err: error.message },
            "webhook events not enqueued; the sweep will",
          ),
        );
        const resource = replyResource(reply);
        return {
          status: 202,
          body: {
            data: {
              ...resource,
              attributes: { ...resource.attributes, account_matched: reply.accountId !== null },
            },
          },
        };
      },
    }),
  );
  return router;
}
