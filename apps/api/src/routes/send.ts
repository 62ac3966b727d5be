import { BATCH_TOTAL_PARTS, newBatch } from "@salvo/core";
import type { Batch } from "@salvo/db";
import { Router } from "express";
import { requestIdOf } from "../http/request-log";
import { accountOf, route } from "../http/route";
import { recipientCount } from "../services/batches";
import { checkSendSize, type SendDeps, sendAndWait } from "../services/send";
import { type SimulateDeps, simulateBatch } from "../services/simulate";

/**
 * The counts `/v1/send` answers: `total` and its parts but `pending` (added when
 * the wait timed out). Delivery reports come later: not `delivered`, `undelivered`.
 */
type SendCounter = "total" | Exclude<(typeof BATCH_TOTAL_PARTS)[number], "pending">;
const SEND_COUNTERS: readonly SendCounter[] = [
  "total",
  ...BATCH_TOTAL_PARTS.filter((part): part is Exclude<typeof part, "pending"> => part !== "pending"),
];

function sendResult(batch: Batch, credits: number) {
  const counts = {} as Record<SendCounter, number>;
  for (const name of SEND_COUNTERS) counts[name] = batch[name];
  return { ticket: batch.id, cost: batch.cost, credits, ...counts };
}

/**
 * `POST /v1/send`: a batch of up to 10,000 recipients, answered only once every
 * message has been judged and handed off, with the counts and the balance left,
 * in the envelope of classic SMS APIs (`"status": 1`; errors carry a negative
 * `status`, see `numericErrorStatus`). Underneath it is an ordinary batch.
 */
export function sendRoutes(deps: SendDeps & SimulateDeps & { maxBodyBytes: number }): Router {
  const router = Router();

  router.post(
    "/send",
    route({
      body: newBatch,
      maxBodyBytes: deps.maxBodyBytes,
      // The handler waits for the batch up to timeoutMs: a claim older than that, and some, was abandoned.
      idempotent: { lockMs: deps.timeoutMs + 60_000 },
      handler: async ({ body, res, idempotency }) => {
        // Listening from now on: the client may hang up while the batch is stored.
        const gone = new AbortController();
        const onClose = () => {
          if (!res.writableFinished) gone.abort();
        };
        res.on("close", onClose);
        let sent: Awaited<ReturnType<typeof sendAndWait>>;
        try {
          sent = await sendAndWait(deps, accountOf(res), body, idempotency, gone.signal);
        } finally {
          res.off("close", onClose);
        }
        const { batch, credits } = sent;
        // A client that went away reads no answer, but one is still built: it is
        // what a retry with the request's Idempotency-Key gets.
        if (gone.signal.aborted) {
          deps.logger.info(
            { batchId: batch.id, requestId: requestIdOf(res) },
            "send: the client went away; its batch goes on",
          );
        }
        // Held for an operator: nothing was sent, and retrying would not send it
        // (nor should a client try): -8, with a success HTTP status.
        if (batch.status === "moderation") {
          return {
            status: 200,
            body: {
              status: -8,
              message: `Held for moderation: nothing is sent until an operator approves it (its credits stay reserved); do not retry. See GET /v1/batches/${batch.id}.`,
              ...sendResult(batch, credits),
              pending: batch.pending,
            },
            headers: { Location: `/v1/batches/${batch.id}` },
          };
        }
        if (batch.pending > 0) {
          return {
            status: 202,
            body: {
              status: 1,
              message: `Accepted and still being sent: poll GET /v1/batches/${batch.id} for the final counts.`,
              ...sendResult(batch, credits),
              pending: batch.pending,
            },
            headers: { Location: `/v1/batches/${batch.id}` },
          };
        }
        return { status: 200, body: { status: 1, message: "OK", ...sendResult(batch, credits) } };
      },
    }),
  );

  // What POST /send would answer now, without `ticket` (nothing is stored, taken
  // or sent; an Idempotency-Key is ignored). `credits`: the balance it would leave.
  router.post(
    "/send/simulate",
    route({
      body: newBatch,
      maxBodyBytes: deps.maxBodyBytes,
      handler: async ({ body, res }) => {
        checkSendSize(await recipientCount(deps.store, accountOf(res).id, body));
        const s = await simulateBatch(deps, accountOf(res), body, true);
        const held = s.moderationReasons.length > 0;
        return {
          status: 200,
          body: {
            // As POST /send would answer: -8 for a batch an operator must approve first.
            status: held ? -8 : 1,
            message: held
              ? "Would be held for moderation: nothing would be sent until an operator approves it."
              : "OK",
            cost: s.cost,
            credits: s.creditsAfter,
            total: s.total,
            sent: s.sent,
            failed: 0,
            blacklisted: s.blacklisted,
            duplicated: s.duplicated,
            invalid: s.invalid,
            npai: s.npai,
            flooded: s.flooded,
            not_allowed: s.not_allowed,
            country_limit: s.country_limit,
            canceled: 0,
            rejected: 0,
            segments: s.segments,
            enough_credits: s.enoughCredits,
            moderation_reasons: s.moderationReasons,
          },
        };
      },
    }),
  );

  return router;
}
