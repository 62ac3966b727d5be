import type { InboundMessage, Store } from "@salvo/db";
import { enqueueWebhookEvents, type OpenQueue } from "@salvo/queue";
import type { Logger } from "@salvo/runtime";

export interface InboundDeps {
  store: Store;
  webhooks: OpenQueue<"webhooks">;
  logger: Logger;
}

/**
 * Records a message a provider received (MO), and a STOP's blacklisting, before
 * it returns; its webhook events are stored with it, then enqueued.
 */
export async function receiveInbound(
  { store, webhooks, logger }: InboundDeps,
  received: { from: string; to: string; body: string },
): Promise<InboundMessage> {
  const { reply, events } = await store.inbound.receive(received);
  // Stored with its events: if Redis is down, the workers' sweep enqueues them.
  await enqueueWebhookEvents(webhooks, events).catch((error: Error) =>
    logger.warn({ events: events.length, err: error.message }, "webhook events not enqueued; the sweep will"),
  );
  return reply;
}
