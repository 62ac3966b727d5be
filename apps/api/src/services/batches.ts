import {
  InvalidParameterError,
  isPersonalised,
  type ModerationRules,
  type newBatch,
  newId,
  parseTemplate,
  renderTemplate,
  segmentCount,
} from "@salvo/core";
import type { Account, Batch, NewBatch, Store } from "@salvo/db";
import {
  type BatchChanges,
  enqueueBatch,
  enqueueWebhookEvents,
  type OpenQueue,
  type RedisClient,
} from "@salvo/queue";
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
  /** Batches this process changed (a cancel), announced to their live progress viewers. */
  batchChanges: BatchChanges;
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
  // A batch of contact lists may have taken another range at acceptance (see
  // acceptBatch): the workers publish its range, before sending anything.
  if (batch.links && !batch.contactLists) {
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
 * The segments to reserve per message for a body and its JSON recipients: the
 * body's own, or for a personalised body the most any recipient's text takes
 * (0 without JSON recipients: the lists' bound is added on acceptance). A
 * recipient lacking a field the body shows without a default is refused, named.
 */
export function reservedSegments(body: string, recipients: BatchRequest["recipients"]): number {
  const template = parseTemplate(body);
  if (!isPersonalised(template)) return segmentCount(body);
  let most = 0;
  for (let i = 0; i < recipients.length; i++) {
    const recipient = recipients[i];
    const rendered = renderTemplate(template, typeof recipient === "string" ? undefined : recipient?.[2]);
    if ("missing" in rendered) {
      const field = `recipients.${i}.fields.${rendered.missing}`;
      throw new InvalidParameterError(
        `${field}: the body shows {{${rendered.missing}}} and this recipient has no such field (give it, or a default: {{${rendered.missing}|…}})`,
        field,
      );
    }
    most = Math.max(most, segmentCount(rendered.text));
  }
  return most;
}

/** How many recipients a batch request has: its JSON ones and its contact lists' contacts (the lists checked). */
export async function recipientCount(
  store: Store,
  accountId: string,
  request: BatchRequest,
): Promise<number> {
  const listed = request.contact_lists
    ? await store.batches.checkContactLists(accountId, request.contact_lists)
    : 0;
  return request.recipients.length + listed;
}

/**
 * Accepts an account's batch: stored, its credits taken, enqueued. Returns its id.
 * A marketing body gets the account's opt-out mention; `refuseOutsideHours`: see marketingBody.
 * `recipients`: the count recipientCount gave, when the caller has it already.
 */
export async function createBatch(
  intake: BatchIntake,
  account: Account,
  request: BatchRequest,
  idempotency: Idempotency,
  refuseOutsideHours = false,
  recipients?: number,
): Promise<string> {
  await checkSender(intake, account, request.from, "from");
  const body = await marketingBody(intake, account.id, request, refuseOutsideHours);
  const links = planLinks(
    intake,
    body,
    { shortenUrls: request.shorten_urls, links: request.links },
    "shorten_urls",
  );
  // Counted on the body with its links shortened (every code has the same length).
  const segments = reservedSegments(links.countedBody, request.recipients);
  const total = recipients ?? (await recipientCount(intake.store, account.id, request));
  const moderation = await holdReasons(intake, account, {
    sender: request.from,
    body: request.body,
    recipients: total,
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
    segments,
    recipients: request.recipients,
    ...(request.contact_lists ? { contactLists: request.contact_lists } : {}),
    shortenUrls: request.shorten_urls,
    sendAt: request.send_at ?? null,
    moderation,
    links: await reserveLinks(intake, account, links, total, request.send_at),
  });
  return id;
}

/**
 * Cancels an account's batch (see cancelBatch in @salvo/db): what was not handed
 * off yet ends `canceled` and is refunded. Returns the batch after the cancel.
 */
export async function cancelBatch(
  {
    store,
    batches,
    webhooks,
    logger,
    batchChanges,
  }: Pick<BatchIntake, "store" | "batches" | "webhooks" | "logger" | "batchChanges">,
  accountId: string,
  batchId: string,
): Promise<Batch> {
  const { batch, events } = await store.batches.cancel(accountId, batchId);
  batchChanges.changed(batchId);
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
