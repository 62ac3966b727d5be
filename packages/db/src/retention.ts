// Data retention: what an account asked to keep only so long (its message,
// campaign and list retentions, see @salvo/core retention.ts), deleted by the
// worker's `purge-expired-data` job. Every function deletes one bounded slice in
// one short transaction and says how much it did: the job calls it again until a
// slice comes back short, and may stop between any two. What a slice works on is
// taken with SKIP LOCKED, so workers running the job at once share the work and
// a slice done twice deletes nothing more. Nothing still in flight is touched:
// only batches in a final state with nothing pending, finished before the cutoff.
import { type RetentionKind, retentionInterval, type StoredRetention } from "@salvo/core";
import { atomically, type Queryable } from "./sql";

/** An account's retentions in effect, as PostgreSQL intervals (`"5 months"`); null: kept. */
export interface AccountRetention {
  accountId: string;
  message: string | null;
  campaign: string | null;
  list: string | null;
}

/**
 * The accounts with at least one retention in effect (theirs, else their
 * parent's) that deletes something: messages, campaigns or lists.
 */
export async function accountsWithRetention(sql: Queryable): Promise<AccountRetention[]> {
  const effective = (kind: Exclude<RetentionKind, "survey">) =>
    `COALESCE(a.${kind}_retention, p.${kind}_retention)`;
  const { rows } = await sql.query<{ id: string } & Omit<StoredRetention, "survey">>(
    `SELECT a.id, ${effective("message")} AS message, ${effective("campaign")} AS campaign,
            ${effective("list")} AS list
       FROM accounts a LEFT JOIN accounts p ON p.id = a.parent_id
      WHERE COALESCE(${effective("message")}, '0') <> '0'
         OR COALESCE(${effective("campaign")}, '0') <> '0'
         OR COALESCE(${effective("list")}, '0') <> '0'
      ORDER BY a.id`,
  );
  return rows.map((row) => ({
    accountId: row.id,
    message: retentionInterval(row.message),
    campaign: retentionInterval(row.campaign),
    list: retentionInterval(row.list),
  }));
}

/**
 * A batch that is over (final state, nothing pending) and finished before now −
 * `$2` (an interval), of account `$1`: nothing of it is still in flight.
 */
const FINISHED_BEFORE = `account_id = $1 AND status IN ('completed', 'canceled', 'rejected') AND pending = 0
  AND completed_at < now() - $2::interval AND created_at < now() - $2::interval`;

/** How long a batch's links stay in Redis after they expire (the worker's prune-link-ranges). */
const LINK_RANGE_KEPT = "interval '7 days'";

/**
 * Deletes up to `limit` messages of batch `$1` (the lowest positions first) and
 * what hangs on each: its provider id, its clicks, the replies to it; NPAI
 * entries it caused stay on the account's list, no longer naming it. Receipt
 * deadlines are left to the expiry sweep, which deletes them whatever their
 * message became. Returns how many messages went.
 */
async function deleteMessageSlice(tx: Queryable, batchId: string, limit: number): Promise<number> {
  const { rows } = await tx.query<{ deleted: number }>(
    `WITH gone AS (
       DELETE FROM messages m
        USING (SELECT idx FROM messages WHERE batch_id = $1 ORDER BY idx LIMIT $2) s
        WHERE m.batch_id = $1 AND m.idx = s.idx
       RETURNING m.idx
     ), provider_ids AS (
       DELETE FROM provider_message_ids p USING gone WHERE p.batch_id = $1 AND p.idx = gone.idx
     ), link_clicks AS (
       DELETE FROM link_clicks c USING gone WHERE c.batch_id = $1 AND c.idx = gone.idx
     ), message_clicks AS (
       DELETE FROM message_clicks c USING gone WHERE c.batch_id = $1 AND c.idx = gone.idx
     ), replies AS (
       DELETE FROM replies r USING gone WHERE r.batch_id = $1 AND r.idx = gone.idx
     ), npai AS (
       UPDATE npai n SET batch_id = NULL, idx = NULL FROM gone WHERE n.batch_id = $1 AND n.idx = gone.idx
     )
     SELECT count(*)::int AS deleted FROM gone`,
    [batchId, limit],
  );
  return rows[0]?.deleted ?? 0;
}

/**
 * What a batch keeps once its messages are gone that still names them: replies
 * and NPAI entries without a message row (received for a message not written
 * yet), clicks, provider ids. Run once a batch has no message left.
 */
async function deleteMessageLeftovers(tx: Queryable, batchId: string): Promise<void> {
  await tx.query(
    `WITH provider_ids AS (DELETE FROM provider_message_ids WHERE batch_id = $1),
          link_clicks AS (DELETE FROM link_clicks WHERE batch_id = $1),
          message_clicks AS (DELETE FROM message_clicks WHERE batch_id = $1),
          replies AS (DELETE FROM replies WHERE batch_id = $1)
     UPDATE npai SET batch_id = NULL, idx = NULL WHERE batch_id = $1`,
    [batchId],
  );
}

/** One slice's outcome: rows deleted, and whether there may be more to do. */
export interface PurgeSlice {
  deleted: number;
  more: boolean;
}

/**
 * Message retention, one slice: the messages (and what hangs on them, see
 * deleteMessageSlice) of one of the account's batches finished longer than
 * `interval` ago, up to `limit`. When the batch has none left its chunks (the
 * numbers as received) go too and it is marked `messages_purged_at`: its row and
 * counters stay, so the batch still answers. Replies to no message, received
 * longer ago than `interval`, go as well.
 */
export async function purgeExpiredMessages(
  sql: Queryable,
  accountId: string,
  interval: string,
  limit: number,
): Promise<PurgeSlice> {
  return atomically(sql, async (tx) => {
    const { rowCount: replies } = await tx.query(
      `DELETE FROM replies r
        USING (SELECT id FROM replies
                WHERE account_id = $1 AND batch_id IS NULL AND received_at < now() - $2::interval
                LIMIT $3 FOR UPDATE SKIP LOCKED) s
        WHERE r.id = s.id`,
      [accountId, interval, limit],
    );
    const { rows } = await tx.query<{ id: string }>(
      `SELECT id FROM batches WHERE ${FINISHED_BEFORE} AND messages_purged_at IS NULL
        ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
      [accountId, interval],
    );
    const batchId = rows[0]?.id;
    if (batchId === undefined) return { deleted: replies ?? 0, more: (replies ?? 0) >= limit };
    const deleted = await deleteMessageSlice(tx, batchId, limit);
    if (deleted < limit) {
      await deleteMessageLeftovers(tx, batchId);
      await tx.query("DELETE FROM batch_chunks WHERE batch_id = $1", [batchId]);
      await tx.query("UPDATE batches SET messages_purged_at = now() WHERE id = $1", [batchId]);
    }
    return { deleted: deleted + (replies ?? 0), more: true };
  });
}

/**
 * Campaign retention, one slice: one of the account's batches finished longer
 * than `interval` ago loses up to `limit` messages; once it has none left, it is
 * deleted with its chunks and what named its messages. A batch whose tracked
 * links may still be looked up (not expired, or still in Redis) waits.
 */
export async function purgeExpiredCampaigns(
  sql: Queryable,
  accountId: string,
  interval: string,
  limit: number,
): Promise<PurgeSlice> {
  return atomically(sql, async (tx) => {
    const { rows } = await tx.query<{ id: string }>(
      `SELECT id FROM batches
        WHERE ${FINISHED_BEFORE} AND (links_expire_at IS NULL OR links_expire_at < now() - ${LINK_RANGE_KEPT})
        ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
      [accountId, interval],
    );
    const batchId = rows[0]?.id;
    if (batchId === undefined) return { deleted: 0, more: false };
    const deleted = await deleteMessageSlice(tx, batchId, limit);
    if (deleted < limit) {
      await deleteMessageLeftovers(tx, batchId);
      // Its chunks go with it (ON DELETE CASCADE).
      await tx.query("DELETE FROM batches WHERE id = $1", [batchId]);
    }
    return { deleted: deleted + (deleted < limit ? 1 : 0), more: true };
  });
}

/**
 * List retention, one slice: one of the account's contact lists not changed for
 * longer than `interval`, and with no import under way, loses up to `limit`
 * contacts (its count kept in step); once it has none left, it is deleted with
 * its imports. A list changed meanwhile (a contact added, renamed) is no longer
 * taken. Batches sent to it keep their copy of its contacts.
 */
export async function purgeExpiredLists(
  sql: Queryable,
  accountId: string,
  interval: string,
  limit: number,
): Promise<PurgeSlice> {
  return atomically(sql, async (tx) => {
    const { rows } = await tx.query<{ id: string }>(
      `SELECT l.id FROM contact_lists l
        WHERE l.account_id = $1 AND l.updated_at < now() - $2::interval
          AND NOT EXISTS (SELECT 1 FROM contact_imports i
                           WHERE i.list_id = l.id AND i.status IN ('receiving', 'queued', 'running'))
        ORDER BY l.updated_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
      [accountId, interval],
    );
    const listId = rows[0]?.id;
    if (listId === undefined) return { deleted: 0, more: false };
    const { rowCount } = await tx.query(
      `DELETE FROM contacts c
        USING (SELECT number FROM contacts WHERE list_id = $1 LIMIT $2) s
        WHERE c.list_id = $1 AND c.number = s.number`,
      [listId, limit],
    );
    const deleted = rowCount ?? 0;
    if (deleted < limit) {
      await tx.query("DELETE FROM contact_lists WHERE id = $1", [listId]);
    } else {
      // Not updated_at: the list has not changed for its owner, only shrunk on its way out.
      await tx.query("UPDATE contact_lists SET contact_count = contact_count - $2 WHERE id = $1", [
        listId,
        deleted,
      ]);
    }
    return { deleted: deleted + (deleted < limit ? 1 : 0), more: true };
  });
}
