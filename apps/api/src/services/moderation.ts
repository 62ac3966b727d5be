import {
  ageInDays,
  type ModerationReason,
  type ModerationRules,
  moderationReasons,
  resolveModerationRules,
} from "@salvo/core";
import type { Account, Batch, Store } from "@salvo/db";
import { type BatchChanges, enqueueBatch, enqueueWebhookEvents, type OpenQueue } from "@salvo/queue";
import type { Logger } from "@salvo/runtime";
import type { ApiEnv } from "../env";

/** The install's moderation rules, from the API's env. */
export function installModerationRules(env: ApiEnv): ModerationRules {
  return {
    newAccountDays: env.MODERATION_NEW_ACCOUNT_DAYS,
    newAccountMaxRecipients: env.MODERATION_NEW_ACCOUNT_MAX_RECIPIENTS,
    blockedWords: env.MODERATION_BLOCKED_WORDS,
    blockedDomains: env.MODERATION_BLOCKED_DOMAINS,
    unregisteredSenders: env.MODERATION_UNREGISTERED_SENDERS,
  };
}

/**
 * Why a batch of this account must be held for an operator (none: send it).
 * The account's rules are its own, else its parent's, else the install's; its
 * age is its top-level account's (a new sub-account of a long-standing customer
 * is not a new customer). Reads the parent, and the sender only when that rule is on.
 */
export async function holdReasons(
  { store, moderation }: { store: Store; moderation: ModerationRules },
  account: Account,
  batch: { sender: string; body: string; recipients: number },
): Promise<ModerationReason[]> {
  const parent = account.parentId ? await store.accounts.find(account.parentId) : null;
  const rules = resolveModerationRules(moderation, account.moderation, parent?.moderation);
  const senderRegistered = rules.unregisteredSenders
    ? await store.senders.isApproved(account.id, batch.sender)
    : true;
  return moderationReasons(rules, {
    accountAgeDays: ageInDays((parent ?? account).createdAt),
    recipients: batch.recipients,
    body: batch.body,
    sender: batch.sender,
    senderRegistered,
  });
}

/** What an operator's decision needs: the store, and the queues it hands work to. */
export interface ModerationDeps {
  store: Store;
  batches: OpenQueue<"batches">;
  webhooks: OpenQueue<"webhooks">;
  logger: Logger;
  /** Batches decided here, announced to their live progress viewers. */
  batchChanges: BatchChanges;
}

/**
 * Approves a held batch (NotInModerationError when it is not held, e.g. another
 * operator decided first) and enqueues its job. Once approved it is durable: if
 * Redis is down, the requeue-stalled-batches job enqueues it later.
 */
export async function approveBatch(
  { store, batches, logger, batchChanges }: ModerationDeps,
  batchId: string,
  /** Who decided (an admin token's id), for the log. */
  by: string,
): Promise<Batch> {
  const batch = await store.moderation.approve(batchId);
  batchChanges.changed(batchId);
  await enqueueBatch(batches, batch).catch((error: Error) =>
    logger.warn(
      { batchId, err: error.message },
      "approved batch not enqueued; the requeue-stalled-batches job will",
    ),
  );
  logger.info(
    { batchId, accountId: batch.accountId, status: batch.status, adminToken: by },
    "moderation: batch approved",
  );
  return batch;
}

/**
 * Rejects a held batch: every message `rejected`, its credits refunded, its
 * `batch.rejected` event written (and enqueued; the workers' sweep otherwise).
 */
export async function rejectBatch(
  { store, webhooks, logger, batchChanges }: ModerationDeps,
  batchId: string,
  reason: string | null,
  /** Who decided (an admin token's id), for the log. */
  by: string,
): Promise<Batch> {
  const { batch, events } = await store.moderation.reject(batchId, reason);
  batchChanges.changed(batchId);
  if (events.length > 0) {
    await enqueueWebhookEvents(webhooks, events).catch((error: Error) =>
      logger.warn(
        { events: events.length, err: error.message },
        "webhook events not enqueued; the sweep will",
      ),
    );
  }
  logger.info(
    { batchId, accountId: batch.accountId, rejected: batch.rejected, adminToken: by },
    "moderation: batch rejected",
  );
  return batch;
}
