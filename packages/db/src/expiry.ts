// Messages whose connector will never report on them any more: handed to an
// upstream that keeps trying for its validity period and sends a final receipt,
// yet none came (its own upstream dropped it, or the submit's answer was lost and
// the message is in doubt, without an id a receipt could name).
import { applyDeliveryReports, type StoredReport } from "./pipeline";
import { atomically, type Queryable } from "./sql";

/**
 * Takes up to `limit` receipt deadlines past due by `graceMs`, oldest first, and
 * settles those whose message is still `sent` as `undelivered`, reason `expired`,
 * through applyDeliveryReports (counters, NPAI, `dlr` events), in one
 * transaction; the deadlines are deleted whatever their message's status. Rows
 * are taken with SKIP LOCKED, so sweeps running at once share the work. A receipt
 * applied before or after finds the message no longer `sent` and changes nothing.
 * Returns how many deadlines were taken and messages expired, and the events written.
 */
export async function expireUnreported(
  sql: Queryable,
  graceMs: number,
  limit: number,
): Promise<{ swept: number; expired: number; events: string[] }> {
  return atomically(sql, async (tx) => {
    const { rows } = await tx.query<{ batch_id: string; idx: number; expires_at: Date; unreported: boolean }>(
      {
        name: "salvo-expire-unreported",
        text: `WITH due AS (
               SELECT expires_at, batch_id, idx FROM receipt_deadlines
                WHERE expires_at < now() - $1::int * interval '1 millisecond'
                ORDER BY expires_at LIMIT $2
                  FOR UPDATE SKIP LOCKED
             )
             DELETE FROM receipt_deadlines d USING due
              WHERE d.expires_at = due.expires_at AND d.batch_id = due.batch_id AND d.idx = due.idx
             RETURNING d.batch_id, d.idx, d.expires_at,
                       EXISTS (SELECT 1 FROM messages m
                                WHERE m.batch_id = d.batch_id AND m.idx = d.idx AND m.status = 'sent') AS unreported`,
        values: [graceMs, limit],
      },
    );
    // Most messages had their receipt long ago: only the others go through the report path.
    const reports: StoredReport[] = rows
      .filter((row) => row.unreported)
      .map((row) => ({
        batchId: row.batch_id,
        idx: row.idx,
        status: "undelivered",
        reason: "expired",
        providerCode: null,
        // When the upstream gave up on it, not when Salvo noticed.
        at: row.expires_at,
      }));
    // Batches in one order in every sweep: two at once then lock their counters in that order, never crosswise.
    reports.sort((a, b) => (a.batchId < b.batchId ? -1 : a.batchId > b.batchId ? 1 : 0));
    const { events, applied } = await applyDeliveryReports(tx, reports);
    return { swept: rows.length, expired: applied.undelivered, events };
  });
}
