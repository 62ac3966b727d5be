/**
 * Every status a batch can have, as `batches.status` stores it:
 * - `accepted`: stored, not picked up by a worker yet;
 * - `scheduled`: waiting for its `send_at`; nothing judged or sent before it;
 * - `moderation`: held for an operator; nothing sent, credits stay reserved;
 * - `processing`: being judged and sent;
 * - `paused`: a marketing batch outside its account's sending hours, resuming at the next opening;
 * - `completed`: no message is pending any more;
 * - `canceled`: cancelled by its account; every message not handed off ended `canceled`;
 * - `rejected`: rejected by an operator; every message ended `rejected`.
 */
export const BATCH_STATUSES = [
  "accepted",
  "scheduled",
  "moderation",
  "processing",
  "paused",
  "completed",
  "canceled",
  "rejected",
] as const;

export type BatchStatus = (typeof BATCH_STATUSES)[number];

/** The statuses a batch ends in: nothing of it is pending, sent or refunded any more. */
export const FINAL_BATCH_STATUSES = [
  "completed",
  "canceled",
  "rejected",
] as const satisfies readonly BatchStatus[];

/** Whether a batch in this status is over (its counters change only with delivery reports). */
export function isFinalBatchStatus(status: BatchStatus): boolean {
  return (FINAL_BATCH_STATUSES as readonly BatchStatus[]).includes(status);
}
