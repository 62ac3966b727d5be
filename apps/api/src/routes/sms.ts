import {
  INVALID_NUMBER_REASONS,
  InvalidParameterError,
  invalidNumberReason,
  messageId,
  NotFoundError,
  newId,
  normalizePhoneNumber,
  parseMessageId,
  readMessageReason,
  segmentCount,
} from "@salvo/core";
import { findSingleMessage, type MessageStatus } from "@salvo/db";
import { Router } from "express";
import { z } from "zod";
import { idempotentId } from "../http/idempotency";
import { accountOf, route } from "../http/route";
import { type BatchIntake, messageBody, NUL, sender, submitBatch } from "./batches";

const newSms = z.strictObject({
  from: sender,
  to: z.string(),
  body: messageBody,
  shortenUrls: z.boolean().default(false),
  // As a batch's `type`: transactional unless said otherwise.
  isTransactional: z.boolean().default(true),
});

const smsParams = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .refine((id) => !id.includes(NUL), "not a message id"),
});

/**
 * What a single message can be to its sender. `invalid` and `duplicated` cannot
 * happen to a number checked at acceptance, but a message must still show as done.
 */
function smsStatus(status: MessageStatus | null, stored: string | null) {
  if (status === null) return { status: "pending", statusReason: "" };
  const { reason } = readMessageReason(stored);
  if (status === "invalid" || status === "duplicated")
    return { status: "failed", statusReason: reason ?? status };
  return { status, statusReason: reason ?? "" };
}

/**
 * `POST /v1/sms` and `GET /v1/sms/:id`: one message, with the contract of a
 * classic single-SMS API. Underneath it is a batch of one (`single`), judged,
 * limited and charged by the workers exactly like any batch message, and hidden
 * from batch listings.
 */
export function smsRoutes(intake: BatchIntake): Router {
  const router = Router();

  router.post(
    "/sms",
    route({
      body: newSms,
      idempotent: true,
      handler: async ({ body, res }) => {
        const account = accountOf(res);
        // The only per-number check made while the client waits: a number that is not
        // valid. Everything else (lists, anti-flood, limits) is the workers'.
        if (normalizePhoneNumber(body.to, account.defaultCountry) === null) {
          const reason = invalidNumberReason(body.to, account.defaultCountry);
          throw new InvalidParameterError(
            `to: not a valid phone number: ${INVALID_NUMBER_REASONS[reason]} (${reason}; a national number is read with country ${account.defaultCountry}).`,
            "to",
          );
        }
        const batchId = await idempotentId(res, () => newId("bat"));
        await submitBatch(intake, {
          id: batchId,
          accountId: account.id,
          type: body.isTransactional ? "transactional" : "marketing",
          sender: body.from,
          body: body.body,
          // The country the number was just checked with, so the worker reads it the same way.
          country: account.defaultCountry,
          segments: segmentCount(body.body),
          recipients: [body.to],
          single: true,
          shortenUrls: body.shortenUrls,
        });
        const id = messageId(batchId, 0);
        return {
          status: 202,
          body: {
            id,
            from: body.from,
            to: body.to,
            body: body.body,
            shortenUrls: body.shortenUrls,
            isTransactional: body.isTransactional,
            status: "pending",
            statusReason: "",
          },
          headers: { Location: `/v1/sms/${id}` },
        };
      },
    }),
  );

  router.get(
    "/sms/:id",
    route({
      params: smsParams,
      handler: async ({ params, res }) => {
        const parsed = parseMessageId(params.id);
        const message =
          parsed?.index === 0 ? await findSingleMessage(intake.sql, accountOf(res).id, parsed.batchId) : null;
        if (!message) throw new NotFoundError(`No message ${params.id}.`);
        return {
          status: 200,
          body: {
            id: params.id,
            from: message.sender,
            to: message.to,
            body: message.body,
            shortenUrls: message.shortenUrls,
            isTransactional: message.type === "transactional",
            ...smsStatus(message.status, message.reason),
          },
        };
      },
    }),
  );

  return router;
}
