import {
  INVALID_NUMBER_REASONS,
  InvalidParameterError,
  invalidNumberReason,
  linkCodec,
  messageId,
  NotFoundError,
  newId,
  type newSms,
  normalizePhoneNumber,
  parseMessageId,
  segmentCount,
  withTrackedLinks,
} from "@salvo/core";
import type { Account, SingleMessage, Store } from "@salvo/db";
import type { z } from "zod";
import { type BatchIntake, submitBatch } from "./batches";
import type { Idempotency } from "./idempotency";
import { planLinks, reserveLinks } from "./links";
import { holdReasons } from "./moderation";
import { checkSender } from "./senders";
import { marketingBody } from "./sending-hours";

/** A single message as requested (`POST /v1/sms`), parsed. */
type SmsRequest = z.output<typeof newSms>;

/**
 * Sends one message: underneath, a batch of one (`single`), judged, limited and
 * charged by the workers exactly like any batch message, and hidden from batch
 * listings. Returns the message's id and its text as sent (its links shortened).
 */
export async function sendSms(
  intake: BatchIntake,
  account: Account,
  request: SmsRequest,
  idempotency: Idempotency,
): Promise<{ id: string; text: string }> {
  // The only per-number check made while the client waits: a number that is not
  // valid. Everything else (lists, anti-flood, limits) is the workers'.
  if (normalizePhoneNumber(request.to, account.defaultCountry) === null) {
    const reason = invalidNumberReason(request.to, account.defaultCountry);
    throw new InvalidParameterError(
      `to: not a valid phone number: ${INVALID_NUMBER_REASONS[reason]} (${reason}; a national number is read with country ${account.defaultCountry}).`,
      "to",
    );
  }
  await checkSender(intake, account, request.from, "from");
  const type = request.isTransactional ? "transactional" : "marketing";
  const body = await marketingBody(intake, account.id, { type, body: request.body });
  const links = planLinks(intake, body, { shortenUrls: request.shortenUrls }, "shortenUrls");
  const moderation = await holdReasons(intake, account, {
    sender: request.from,
    body: request.body,
    recipients: 1,
  });
  const batchId = await idempotency.id(() => newId("bat"));
  const reserved = await reserveLinks(intake, account, links, 1, request.send_at);
  await submitBatch(intake, {
    id: batchId,
    accountId: account.id,
    type,
    sender: request.from,
    body,
    // The country the number was just checked with, so the worker reads it the same way.
    country: account.defaultCountry,
    segments: segmentCount(links.countedBody),
    recipients: [request.to],
    single: true,
    shortenUrls: request.shortenUrls,
    sendAt: request.send_at ?? null,
    moderation,
    links: reserved,
  });
  const tracked = reserved && {
    prefix: reserved.prefix,
    firstId: reserved.base,
    urls: reserved.urls.length,
    shortenUrls: request.shortenUrls,
    codec: linkCodec(reserved.secret),
  };
  return { id: messageId(batchId, 0), text: withTrackedLinks(body, tracked, 0) };
}

/**
 * An account's single message by its id, its body as sent (its short links in
 * place); NotFoundError when there is none.
 */
export async function findSms(store: Store, accountId: string, id: string): Promise<SingleMessage> {
  const parsed = parseMessageId(id);
  const message =
    parsed?.index === 0 ? await store.batches.findSingleMessage(accountId, parsed.batchId) : null;
  if (!message) throw new NotFoundError(`No message ${id}.`);
  const { links } = message;
  if (!links) return message;
  const tracked = {
    prefix: links.prefix,
    firstId: links.base,
    urls: links.urls.length,
    shortenUrls: message.shortenUrls,
    codec: linkCodec(links.secret),
  };
  return { ...message, body: withTrackedLinks(message.body, tracked, 0) };
}
