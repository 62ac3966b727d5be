import { NUL, newSms, readMessageReason } from "@salvo/core";
import type { MessageStatus } from "@salvo/db";
import { Router } from "express";
import { z } from "zod";
import { accountOf, route } from "../http/route";
import type { BatchIntake } from "../services/batches";
import { findSms, sendSms } from "../services/sms";

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
 * classic single-SMS API (see `sendSms`).
 */
export function smsRoutes(intake: BatchIntake): Router {
  const router = Router();

  router.post(
    "/sms",
    route({
      body: newSms,
      idempotent: true,
      handler: async ({ body, res, idempotency }) => {
        const { id, text } = await sendSms(intake, accountOf(res), body, idempotency);
        return {
          status: 202,
          body: {
            id,
            from: body.from,
            to: body.to,
            // As it is sent: its links shortened (shortenUrls), a marketing one's opt-out mention.
            body: body.shortenUrls ? text : body.body,
            shortenUrls: body.shortenUrls,
            isTransactional: body.isTransactional,
            // Not in Sofy's contract: only when the client scheduled it.
            ...(body.send_at ? { send_at: body.send_at.toISOString() } : {}),
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
        const message = await findSms(intake.store, accountOf(res).id, params.id);
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
