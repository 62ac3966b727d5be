// Batches held for moderation (anti-fraud), and operators' decisions on them.
// A held batch is stored with its credits reserved and no job; approving it
// hands it to the workers, rejecting it ends every message `rejected` and
// refunds. Both decisions are one guarded transition from `moderation`: of two
// racing decisions (or the same one twice), exactly one finds the batch held.
import { BATCH_COUNTER_NAMES, NotFoundError, NotInModerationError, pageCount, pageWindow } from "@salvo/core";
import { creditsChange } from "./balance";
import { eventFanOut, isoTimestamp } from "./outbox";
import { BATCH_COLUMNS, type Batch } from "./rows";
import { type Queryable, selectList } from "./sql";

const BATCH = selectList(BATCH_COLUMNS, { prefix: "b." });

/** A held batch as operators see it: the batch, and its account's name. */
export type HeldBatch = Batch & { accountName: string };

/** One page of the batches held for moderation, of every account, oldest first. */
export async function listHeldBatches(
  sql: Queryable,
  page: number,
): Promise<{ batches: HeldBatch[]; pages: number }> {
  const { skip, take } = pageWindow(page);
  const [counted, listed] = await Promise.all([
    sql.query<{ total: number }>("SELECT count(*)::int AS total FROM batches WHERE status = 'moderation'"),
    sql.query<HeldBatch>(
      `SELECT ${BATCH}, a.name AS "accountName" FROM batches b JOIN accounts a ON a.id = b.account_id
        WHERE b.status = 'moderation' ORDER BY b.created_at, b.id LIMIT $1 OFFSET $2`,
      [take, skip],
    ),
  ]);
  return { batches: listed.rows, pages: pageCount(counted.rows[0]?.total ?? 0) };
}

// Why a decision found no held batch: there is none, or it is not held (any more).
async function notHeld(sql: Queryable, batchId: string): Promise<never> {
  const { rows } = await sql.query<{ status: string }>("SELECT status FROM batches WHERE id = $1", [batchId]);
  const found = rows[0];
  if (!found) throw new NotFoundError(`No batch ${batchId}.`);
  throw new NotInModerationError(batchId, found.status);
}

/**
 * Approves a held batch: `moderation → accepted`, or `scheduled` when its
 * `send_at` is still ahead. The caller then enqueues its job; should that fail,
 * the requeue sweep picks the batch up (it is no longer held). Returns the batch.
 */
export async function approveHeldBatch(sql: Queryable, batchId: string): Promise<Batch> {
  const { rows } = await sql.query<Batch>(
    `UPDATE batches b
        SET status = CASE WHEN b.send_at > now() THEN 'scheduled' ELSE 'accepted' END::"BatchStatus",
            moderated_at = now(), updated_at = now()
      WHERE b.id = $1 AND b.status = 'moderation'
      RETURNING ${BATCH}`,
    [batchId],
  );
  return rows[0] ?? (await notHeld(sql, batchId));
}

// The batch.rejected event: its reason and final counts (every counter but
// `pending`, 0 once rejected).
const REJECTED_EVENTS = eventFanOut(
  "batch.rejected",
  `(SELECT b.account_id, json_build_object(
      'batch_id', b.id, 'status', b.status, 'reason', b.rejection_reason,
      ${BATCH_COUNTER_NAMES.filter((name) => name !== "pending")
        .map((name) => `'${name}', b.${name}`)
        .join(", ")},
      'cost', b.cost, 'refunded', h.pending * h.segments,
      'created_at', ${isoTimestamp("b.created_at")}, 'rejected_at', ${isoTimestamp("b.moderated_at")}) AS data
     FROM decided b JOIN held h ON h.id = b.id WHERE NOT b.single)`,
);

/**
 * Rejects a held batch, in one statement: `moderation → rejected` with the
 * operator's reason (null: none given); a `rejected` message row (reason `rejected_by_operator`,
 * the number as received) for every recipient, written in SQL from the stored
 * chunks (never a loop per message); `pending` moved to `rejected`; its
 * reserved credits refunded; its `batch.rejected` event written. Returns the
 * batch and the events' ids.
 */
export async function rejectHeldBatch(
  sql: Queryable,
  batchId: string,
  reason: string | null,
): Promise<{ batch: Batch; events: string[] }> {
  const { rows } = await sql.query<Batch & { events: string[] }>(
    `WITH held AS (
       SELECT id, account_id, segments, pending FROM batches
        WHERE id = $1 AND status = 'moderation' FOR UPDATE
     ), decided AS (
       UPDATE batches b
          SET status = 'rejected', rejected = b.rejected + h.pending, pending = 0, rejection_reason = $2,
              moderated_at = now(), completed_at = now(), updated_at = now()
         FROM held h WHERE b.id = h.id
       RETURNING b.*
     ), written AS (
       INSERT INTO messages (batch_id, idx, account_id, "to", ref, status, reason, segments, cost)
       SELECT h.id, c.first_index + r.n - 1, h.account_id,
              CASE WHEN json_typeof(r.v) = 'array' THEN r.v->>0 ELSE r.v#>>'{}' END,
              CASE WHEN json_typeof(r.v) = 'array' THEN r.v->>1 END,
              'rejected', 'rejected_by_operator', h.segments, 0
         FROM held h JOIN batch_chunks c ON c.batch_id = h.id,
              json_array_elements(c.recipients::json) WITH ORDINALITY AS r(v, n)
       ON CONFLICT (batch_id, idx) DO NOTHING
     ), ${creditsChange("refunded", {
       account: "(SELECT account_id FROM held)",
       credits: "a.credits + (SELECT pending * segments FROM held)",
       reason: "refund",
     })}, events AS (${REJECTED_EVENTS})
     SELECT ${selectList(BATCH_COLUMNS)}, ARRAY(SELECT id FROM events) AS events FROM decided`,
    [batchId, reason],
  );
  const row = rows[0];
  if (!row) return await notHeld(sql, batchId);
  const { events, ...batch } = row;
  return { batch, events };
}
