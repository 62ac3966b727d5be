import { setTimeout as sleep } from "node:timers/promises";
import { BATCH_TOTAL_PARTS, newId, TooManyRecipientsError } from "@salvo/core";
import { type Batch, type Db, findAccount, findBatch, type Sql } from "@salvo/db";
import { Router } from "express";
import { idempotentId } from "../http/idempotency";
import { requestIdOf } from "../http/request-log";
import { accountOf, route } from "../http/route";
import { type BatchIntake, newBatch, requestedBatch, submitBatch } from "./batches";

/** The most recipients `POST /v1/send` takes: beyond, the client would wait too long. */
const MAX_SEND_RECIPIENTS = 10_000;

// Small batches are done in tens of milliseconds: poll fast at first, then back off.
const FIRST_POLL_MS = 20;
const MAX_POLL_MS = 250;

interface SendDeps extends BatchIntake {
  db: Db;
  maxBodyBytes: number;
  /** How long a request waits for its batch before answering 202 with what is done so far. */
  timeoutMs: number;
  /** Aborted when the API shuts down: waiting requests answer at once. */
  stopping?: AbortSignal;
}

/**
 * Polls the batch until no message is pending, or `signal` aborts (timeout, the
 * client went away, the API is stopping). Returns the batch as last read.
 */
async function waitForBatch(sql: Sql, accountId: string, batchId: string, signal: AbortSignal) {
  let batch = await findBatch(sql, accountId, batchId);
  for (let pause = FIRST_POLL_MS; batch.pending > 0 && !signal.aborted; ) {
    try {
      await sleep(pause, undefined, { signal });
    } catch {
      break; // aborted
    }
    batch = await findBatch(sql, accountId, batchId);
    pause = Math.min(MAX_POLL_MS, Math.ceil(pause * 1.5));
  }
  return batch;
}

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
export function sendRoutes(deps: SendDeps): Router {
  const router = Router();

  router.post(
    "/send",
    route({
      body: newBatch,
      maxBodyBytes: deps.maxBodyBytes,
      // The handler waits for the batch up to timeoutMs: a claim older than that, and some, was abandoned.
      idempotent: { lockMs: deps.timeoutMs + 60_000 },
      handler: async ({ body, res }) => {
        if (body.recipients.length > MAX_SEND_RECIPIENTS) {
          throw new TooManyRecipientsError(
            `POST /v1/send takes at most ${MAX_SEND_RECIPIENTS.toLocaleString("en")} recipients; send more with POST /v1/batches and poll GET /v1/batches/:id.`,
          );
        }
        const account = accountOf(res);
        const id = await idempotentId(res, () => newId("bat"));
        // Listening from now on: the client may hang up while the batch is stored.
        const gone = new AbortController();
        const onClose = () => {
          if (!res.writableFinished) gone.abort();
        };
        res.on("close", onClose);
        let batch: Batch;
        try {
          await submitBatch(deps, requestedBatch(id, account.id, body));
          const signals = [gone.signal, AbortSignal.timeout(deps.timeoutMs)];
          if (deps.stopping) signals.push(deps.stopping);
          batch = await waitForBatch(deps.sql, account.id, id, AbortSignal.any(signals));
        } finally {
          res.off("close", onClose);
        }
        // A client that went away reads no answer, but one is still built: it is
        // what a retry with the request's Idempotency-Key gets.
        if (gone.signal.aborted) {
          deps.logger.info(
            { batchId: id, requestId: requestIdOf(res) },
            "send: the client went away; its batch goes on",
          );
        }
        // Read after the batch: refunds of unsent messages are in.
        const credits = (await findAccount(deps.db, account.id))?.credits ?? 0;
        if (batch.pending > 0) {
          return {
            status: 202,
            body: {
              status: 1,
              message: `Accepted and still being sent: poll GET /v1/batches/${id} for the final counts.`,
              ...sendResult(batch, credits),
              pending: batch.pending,
            },
            headers: { Location: `/v1/batches/${id}` },
          };
        }
        return { status: 200, body: { status: 1, message: "OK", ...sendResult(batch, credits) } };
      },
    }),
  );

  return router;
}
