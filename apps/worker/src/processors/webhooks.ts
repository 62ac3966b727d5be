// Delivers webhook events: one job per event (an outbox row), retried on a
// schedule of about a day until the receiver answers 2xx. The event's row is the
// truth: its state, its attempt count and when its next attempt is due.

import { countryOfNumber } from "@salvo/core";
import type { Store } from "@salvo/db";
import { enqueueWebhookEvents } from "@salvo/queue";
import { factsNeeded, renderEvent, type SecretBox, type WebhookSender } from "@salvo/webhooks";
import type { BackoffStrategy } from "bullmq";
import type { WorkContext } from "../context";

/** A failed attempt with a retry due in `delayMs`: the webhooks consumer's backoff reads it. */
class WebhookRetryError extends Error {
  constructor(
    readonly delayMs: number,
    message: string,
  ) {
    super(message);
    this.name = "WebhookRetryError";
  }
}

/** `delay` ±20%, so events that failed together do not all come back at once. */
function jittered(delay: number): number {
  return Math.round(delay * (0.8 + Math.random() * 0.4));
}

/**
 * BullMQ's delay before retrying a webhooks job: the one the processor chose
 * (and stored on the event) after a failed attempt; after any other error (e.g.
 * PostgreSQL unreachable), growing from 1 s to 5 min.
 */
export const webhookBackoff: BackoffStrategy = (attemptsMade, _type, error) =>
  error instanceof WebhookRetryError
    ? error.delayMs
    : jittered(Math.min(1_000 * 2 ** Math.max(0, attemptsMade - 1), 300_000));

/**
 * One attempt to deliver an event. Nothing to do when it is settled or its
 * webhook deleted; failed at once when its webhook was disabled. Otherwise post
 * it and record the attempt; a failure that leaves attempts to go throws, and
 * BullMQ retries after the schedule's delay (see webhookBackoff).
 */
export async function deliverWebhookEvent(
  ctx: Pick<WorkContext, "env" | "logger" | "metrics"> & { store: Pick<Store, "events"> },
  delivery: { sender: WebhookSender; secrets: SecretBox },
  eventId: string,
) {
  const event = await ctx.store.events.loadForDelivery(eventId);
  if (event?.state !== "pending") return;
  const log = { eventId, webhookId: event.webhookId, event: event.type };
  if (!event.enabled) {
    await ctx.store.events.fail(eventId);
    ctx.logger.info(log, "webhook event failed: its webhook is disabled");
    return;
  }

  const schedule = ctx.env.WEBHOOK_RETRY_SCHEDULE_MS;
  const maxAttempts = schedule.length + 1;
  const attemptedAt = new Date();
  // A secret sealed with a key missing from WEBHOOK_SECRET_KEYS throws: the
  // event stays pending, retried (and swept) until the key is back.
  const secret = delivery.secrets.open(event.secret, event.webhookId);
  const outcome = await delivery.sender.send({
    url: event.url,
    id: event.id,
    payload: await renderedPayload(ctx, event),
    secret,
    format: event.format,
  });
  const nextDelay = schedule[event.attempts];
  const retryInMs = nextDelay === undefined ? 0 : jittered(nextDelay);
  const verdict = await ctx.store.events.recordAttempt({
    eventId,
    webhookId: event.webhookId,
    attemptedAt,
    statusCode: outcome.statusCode,
    durationMs: outcome.durationMs,
    error: outcome.error,
    response: outcome.response,
    delivered: outcome.delivered,
    maxAttempts,
    disableAfterMs: ctx.env.WEBHOOK_DISABLE_AFTER_MS,
    retryInMs,
  });
  ctx.metrics.webhookAttempt(verdict.kind, outcome.statusCode, outcome.error, outcome.durationMs);
  const fields = {
    ...log,
    attempt: verdict.attempts,
    statusCode: outcome.statusCode,
    ms: outcome.durationMs,
  };
  switch (verdict.kind) {
    case "delivered":
      ctx.logger.debug(fields, "webhook event delivered");
      return;
    case "gone":
      return;
    case "failed":
      ctx.logger.info({ ...fields, err: outcome.error }, "webhook event failed: no attempts left");
      return;
    case "disabled":
      ctx.logger.warn(
        { ...fields, err: outcome.error },
        "webhook disabled: it failed every delivery for too long",
      );
      return;
    case "retry":
      throw new WebhookRetryError(
        retryInMs,
        `${outcome.error} (attempt ${verdict.attempts} of ${maxAttempts}; next in ${retryInMs} ms)`,
      );
  }
}

/**
 * The body posted for an event in its webhook's format (see renderEvent): the
 * stored payload for Salvo's; for SMSFactor's, with the message's ref and batch
 * (and the recipient's fields for a click) read from the database.
 */
async function renderedPayload(
  ctx: { store: Pick<Store, "events"> },
  event: { type: string; payload: string; format: string; accountId: string },
): Promise<string> {
  const needed = factsNeeded(event.format, event.type);
  let message = null;
  if (needed.message) {
    const { data } = JSON.parse(event.payload) as { data: { message_id?: string; reply_id?: string } };
    message = await ctx.store.events.messageFacts(
      event.accountId,
      { messageId: data.message_id ?? null, replyId: data.message_id ? null : (data.reply_id ?? null) },
      needed.fields,
    );
  }
  return renderEvent(event.format, event.payload, { accountId: event.accountId, message }, countryOfNumber);
}

/**
 * Re-enqueues pending events overdue by more than `graceMs` whose job is gone
 * (lost with a Redis restart, never enqueued because Redis was down when the
 * event was written, or failed for good on errors of ours). Events whose job
 * still exists, waiting or delayed, are left alone.
 */
export async function sweepWebhookEvents(
  ctx: Pick<WorkContext, "webhooks"> & { store: Pick<Store, "events"> },
  graceMs: number,
): Promise<number> {
  const overdue = await ctx.store.events.overdue(graceMs);
  const { queue } = ctx.webhooks;
  const states = await Promise.all(overdue.map((id) => queue.getJobState(id)));
  const lost: string[] = [];
  for (const [i, id] of overdue.entries()) {
    const state = states[i];
    if (state === "failed" || state === "completed") await queue.remove(id);
    else if (state !== "unknown") continue;
    lost.push(id);
  }
  if (lost.length > 0) await enqueueWebhookEvents(ctx.webhooks, lost);
  return lost.length;
}
