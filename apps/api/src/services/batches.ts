import { type newBatch, newId, segmentCount } from "@salvo/core";
import type { Account, NewBatch, Store } from "@salvo/db";
import { enqueueWebhookEvents, type OpenQueue } from "@salvo/queue";
import type { Logger } from "@salvo/runtime";
import type { z } from "zod";
import type { Idempotency } from "./idempotency";
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
}

/**
 * Stores a batch (taking its credits) and enqueues its `batches` job, and the
 * `balance.low` events its debit wrote. Once stored it is durable: if Redis is
 * down, the scheduled `requeue-stalled-batches` job enqueues it later, and the
 * workers' sweep its events.
 */
export async function submitBatch(
  { store, batches, webhooks, logger, chunkSize }: BatchIntake,
  batch: Omit<NewBatch, "chunkSize">,
): Promise<void> {
  const events = await store.batches.accept({ ...batch, chunkSize });
  if (events.length > 0) {
    await enqueueWebhookEvents(webhooks, events).catch((error: Error) =>
      logger.warn(
        { events: events.length, err: error.message },
        "webhook events not enqueued; the sweep will",
      ),
    );
  }
  await batches.add({ batchId: batch.id }, { jobId: batch.id }).catch((error: Error) => {
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
  const id = await idempotency.id(() => newId("bat"));
  await submitBatch(intake, {
    id,
    accountId: account.id,
    type: request.type,
    sender: request.from,
    body,
    country: request.country ?? null,
    segments: segmentCount(body),
    recipients: request.recipients,
  });
  return id;
}
