import { messageId } from "@salvo/core";
import type { InboundMessage, Store } from "@salvo/db";
import { type ConnectorConfig, findProvider } from "@salvo/providers";
import { Router } from "express";
import { paged, pageQuery } from "../http/pagination";
import { accountOf, route } from "../http/route";
import { type InboundDeps, receiveInbound } from "../services/inbound";

/** An inbound message as the API shows it (a "reply"): what was received, and the message it answers. */
function replyResource(message: InboundMessage) {
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

/**
 * `POST /v1/providers/<connector>/inbound`: received messages (MO) called in by a
 * connector's provider, one route per connector whose provider takes them over HTTP
 * (its inboundSchema parses the body). Not behind account authentication: the
 * provider, not an account, calls it. The message is stored (and a STOP applied)
 * before the answer.
 */
export function providerCallbackRoutes(connectors: ConnectorConfig[], deps: InboundDeps): Router {
  const router = Router();
  for (const connector of connectors) {
    const { inboundSchema } = findProvider(connector.provider);
    if (!inboundSchema) continue;
    router.post(
      `/${connector.name}/inbound`,
      route({
        body: inboundSchema,
        handler: async ({ body }) => {
          const message = await receiveInbound(deps, body);
          const resource = replyResource(message);
          return {
            status: 202,
            body: {
              data: {
                ...resource,
                attributes: { ...resource.attributes, account_matched: message.accountId !== null },
              },
            },
          };
        },
      }),
    );
  }
  return router;
}
