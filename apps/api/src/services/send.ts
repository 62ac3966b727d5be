import { setTimeout as sleep } from "node:timers/promises";
import { TooManyRecipientsError } from "@salvo/core";
import type { Account, Batch, Store } from "@salvo/db";
import { type BatchIntake, type BatchRequest, createBatch, recipientCount } from "./batches";
import type { Idempotency } from "./idempotency";

/** The most recipients `POST /v1/send` takes: beyond, the client would wait too long. */
export const MAX_SEND_RECIPIENTS = 10_000;

// Small batches are done in tens of milliseconds: poll fast at first, then back off.
const FIRST_POLL_MS = 20;
const MAX_POLL_MS = 250;

export interface SendDeps extends BatchIntake {
  /** How long a send waits for its batch before answering with what is done so far. */
  timeoutMs: number;
  /** Aborted when the API shuts down: waiting sends answer at once. */
  stopping?: AbortSignal;
}

/**
 * Polls the batch until no message is pending, or `signal` aborts (timeout, the
 * client went away, the API is stopping). A batch held for moderation waits for
 * an operator, not for workers: it is answered at once. Returns the batch as last read.
 */
async function waitForBatch(store: Store, accountId: string, batchId: string, signal: AbortSignal) {
  let batch = await store.batches.find(accountId, batchId);
  for (let pause = FIRST_POLL_MS; batch.pending > 0 && batch.status !== "moderation" && !signal.aborted; ) {
    try {
      await sleep(pause, undefined, { signal });
    } catch {
      break; // aborted
    }
    batch = await store.batches.find(accountId, batchId);
    pause = Math.min(MAX_POLL_MS, Math.ceil(pause * 1.5));
  }
  return batch;
}

/** Refuses a batch too big for `POST /v1/send` (and its simulation): `recipients`, its contact lists' contacts included. */
export function checkSendSize(recipients: number): void {
  if (recipients > MAX_SEND_RECIPIENTS) {
    throw new TooManyRecipientsError(
      `POST /v1/send takes at most ${MAX_SEND_RECIPIENTS.toLocaleString("en")} recipients; send more with POST /v1/batches and poll GET /v1/batches/:id.`,
    );
  }
}

/**
 * Sends a batch of up to 10,000 recipients and waits until every message has
 * been judged and handed off (or `timeoutMs`, or `clientGone`): the batch as
 * last read (`pending` > 0 when the wait ended first) and the account's balance
 * after it. Underneath it is an ordinary batch, which goes on when the wait ends.
 * A scheduled one (`send_at`) is not waited for: it is answered as accepted,
 * every message pending.
 */
export async function sendAndWait(
  deps: SendDeps,
  account: Account,
  request: BatchRequest,
  idempotency: Idempotency,
  clientGone: AbortSignal,
): Promise<{ batch: Batch; credits: number }> {
  const recipients = await recipientCount(deps.store, account.id, request);
  checkSendSize(recipients);
  // Answered once sent: a marketing batch is refused outside the sending hours, not held.
  const id = await createBatch(deps, account, request, idempotency, true, recipients);
  // Aborted already for a scheduled batch: waitForBatch reads it once.
  const signals = [clientGone, request.send_at ? AbortSignal.abort() : AbortSignal.timeout(deps.timeoutMs)];
  if (deps.stopping) signals.push(deps.stopping);
  const batch = await waitForBatch(deps.store, account.id, id, AbortSignal.any(signals));
  // Read after the batch: refunds of unsent messages are in.
  const credits = (await deps.store.accounts.find(account.id))?.credits ?? 0;
  return { batch, credits };
}
