import { type ModerationRules, type newBatch, newId, segmentCount } from "@salvo/core";
import type { Account, Batch, NewBatch, Store } from "@salvo/db";
import { enqueueBatch, enqueueWebhookEvents, type OpenQueue, type RedisClient } from "@salvo/queue";
import type { Logger } from "@salvo/runtime";
import type { z } from "zod";
import type { Idempotency } from "./idempotency";
import { planLinks, publishedRange, publishLinks, reserveLinks } from "./links";
import { holdReasons } from "./moderation";
import { checkSender } from "./senders";
import { marketingBody } from "./sending-hours";

/** A batch as requested (`POST /v1/batches`, `POST /v1/send`), parsed. */
export type BatchRequest = z.output<typeof newBatch>;

/** What accepting a batch needs: where it is stored, the queue that sends it, and the one of its events. */
export interface BatchIntake {
  store: Store;
  batches: OpenQueue<"batches">;
  webhooks: OpenQueue<"webhooks">;
  logger: Logger;
  chunkSize: number;
  /** The install's default for accounts without a `require_registered_sender` of their own. */
  requireRegisteredSender: boolean;
  /** The install's opt-out mention (OPT_OUT_MENTION), for accounts without one of their own. */
  optOutMention: string;
  /** The install's moderation rules, for accounts (and parents) without their own. */
  moderation: ModerationRules;
  /** Where batches' link ranges are published for the redirects (see services/links.ts). */
  redis: RedisClient;
  redisPrefix: string;
  /** LINK_BASE_URL: undefined, links are not shortened. */
  linkBaseUrl: string | undefined;
}

/**
 * Stores a batch (taking its credits) and enqueues its `batches` job (delayed
 * until its `send_at` when it has one, see enqueueBatch), and the events its
 * acceptance wrote (`balance.low`, `batch.moderation`). Once stored it is
 * durable: if Redis is down, the scheduled `requeue-stalled-batches` job
 * enqueues it later (a scheduled batch once its `send_at` has come), and the
 * workers' sweep its events. A batch held for moderation (`moderation` reasons)
 * gets no job: an operator's approval enqueues it.
 */
export async function submitBatch(intake: BatchIntake, batch: Omit<NewBatch, "chunkSize">): Promise<void> {
  const { store, batches, webhooks, logger, chunkSize } = intake;
  const events = await store.batches.accept({ ...batch, chunkSize });
  if (batch.links) {
    const range = { id: batch.id, accountId: batch.accountId, total: batch.recipients.length };
    await publishLinks(intake, publishedRange(range, batch.links));
  }
  if (events.length > 0) {
    await enqueueWebhookEvents(webhooks, events).catch((error: Error) =>
      logger.warn(
        { events: events.length, err: error.message },
        "webhook events not enqueued; the sweep will",
      ),
    );
  }
  if (batch.moderation?.length) {
    logger.info(
      { batchId: batch.id, accountId: batch.accountId, rules: batch.moderation.map((r) => r.rule) },
      "batch held for moderation",
    );
    return;
  }
  await enqueueBatch(batches, { id: batch.id, sendAt: batch.sendAt ?? null }).catch((error: Error) => {
    logger.warn(
      { batchId: batch.id, err: error.message },
      "batch stored but not enqueued; the requeue-stalled-batches job will",
    );
  });
}

/**
 * Accepts an account's batch: stored, its credits taken, enqueued. Returns its id.
 * A marketing body gets the account's opt-out mention; `refuseOutsideHours`: see marketingBody.
 */
export async function createBatch(
  intake: BatchIntake,
  account: Account,
  request: BatchRequest,
  idempotency: Idempotency,
  refuseOutsideHours = false,
): Promise<string> {
  await checkSender(intake, account, request.from, "from");
  const body = await marketingBody(intake, account.id, request, refuseOutsideHours);
  const links = planLinks(
    intake,
    body,
    { shortenUrls: request.shorten_urls, links: request.links },
    "shorten_urls",
  );
  const moderation = await holdReasons(intake, account, {
    sender: request.from,
    body: request.body,
    recipients: request.recipients.length,
  });
  const id = await idempotency.id(() => newId("bat"));
  await submitBatch(intake, {
    id,
    accountId: account.id,
    type: request.type,
    name: request.name ?? null,
    sender: request.from,
    body,
    country: request.country ?? null,
    segments: segmentCount(links.countedBody),
    recipients: request.recipients,
    shortenUrls: request.shorten_urls,
    sendAt: request.send_at ?? null,
    moderation,
    links: await reserveLinks(intake, account, links, request.recipients.length, request.send_at),
  });
  return id;
}

/**
 * Cancels an account's batch (see cancelBatch in @salvo/db): what was not handed
 * off yet ends `canceled` and is refunded. Returns the batch after the cancel.
 */
export async function cancelBatch(
  { store, batches, webhooks, logger }: Pick<BatchIntake, "store" | "batches" | "webhooks" | "logger">,
  accountId: string,
  batchId: string,
): Promise<Batch> {
  const { batch, events } = await store.batches.cancel(accountId, batchId);
  // A scheduled batch's delayed job would find nothing to do at send_at: it need
  // not wait in Redis until then. Best effort (a running job cannot be removed).
  await batches.queue.remove(batchId).catch(() => undefined);
  if (events.length > 0) {
    await enqueueWebhookEvents(webhooks, events).catch((error: Error) =>
      logger.warn(
        { events: events.length, err: error.message },
        "webhook events not enqueued; the sweep will",
      ),
    );
  }
  logger.info({ batchId, pending: batch.pending, canceled: batch.canceled }, "batch canceled");
  return batch;
}
