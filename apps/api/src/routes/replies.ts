import { messageId } from "@salvo/core";
import { listReplies, receiveInbound, type Sql, type Reply as StoredReply } from "@salvo/db";
import { type ConnectorConfig, findProvider } from "@salvo/providers";
import { enqueueWebhookEvents, type OpenQueue } from "@salvo/queue";
import type { Logger } from "@salvo/runtime";
import { Router } from "express";
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

/**
 * `POST /v1/providers/<connector>/inbound`: received messages (MO) called in by a
 * connector's provider, one route per connector whose provider takes them over HTTP
 * (its inboundSchema parses the body). Not behind account authentication: the
 * provider, not an account, calls it. The message is stored (and a STOP applied)
 * before the answer.
 */
export function providerCallbackRoutes(
  connectors: ConnectorConfig[],
  { sql, webhooks, logger }: { sql: Sql; webhooks: OpenQueue<"webhooks">; logger: Logger },
): Router {
  const router = Router();
  for (const connector of connectors) {
    const { inboundSchema } = findProvider(connector.provider);
    if (!inboundSchema) continue;
    router.post(
      `/${connector.name}/inbound`,
      route({
        body: inboundSchema,
        handler: async ({ body }) => {
          const { reply, events } = await receiveInbound(sql, body);
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
  }
  return router;
}
