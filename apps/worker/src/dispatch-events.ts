import { enqueueWebhookEvents } from "@salvo/queue";
import type { WorkContext } from "./context";

/**
 * Enqueues the delivery of webhook events just written with what caused them.
 * They are in PostgreSQL already: if Redis fails now, the scheduled sweep
 * enqueues them later, so a failure here is logged, never thrown.
 */
export async function dispatchEvents(
  ctx: Pick<WorkContext, "webhooks" | "logger">,
  eventIds: string[],
): Promise<void> {
  if (eventIds.length === 0) return;
  await enqueueWebhookEvents(ctx.webhooks, eventIds).catch((error: Error) =>
    ctx.logger.warn(
      { events: eventIds.length, err: error.message },
      "webhook events not enqueued; the sweep will",
    ),
  );
}
