// What a webhook format other than Salvo's needs and the stored event does not
// say (see renderEvent in @salvo/webhooks): read at delivery, from rows that do
// not change once the event is written.
import { parseMessageId } from "@salvo/core";
import type { Queryable } from "./sql";

/** A message as SMSFactor's requests name it: its batch (the ticket), its ref (gsmsmsid), its fields. */
interface MessageFacts {
  batchId: string;
  ref: string | null;
  fields: Record<string, unknown> | null;
}

/**
 * The account's message an event is about: by its id (`message_id`), or the one
 * a reply answers (`reply_id`); null when there is none. `withFields`: the
 * recipient's named fields too, read from its chunk as accepted.
 */
export async function findMessageFacts(
  sql: Queryable,
  accountId: string,
  about: { messageId?: string | null; replyId?: string | null },
  withFields: boolean,
): Promise<MessageFacts | null> {
  let position: { batchId: string; index: number } | null = null;
  if (about.messageId) position = parseMessageId(about.messageId);
  else if (about.replyId) {
    const { rows } = await sql.query<{ batchId: string | null; idx: number | null }>(
      `SELECT batch_id AS "batchId", idx FROM replies WHERE id = $1 AND account_id = $2`,
      [about.replyId, accountId],
    );
    const reply = rows[0];
    if (reply?.batchId && reply.idx !== null) position = { batchId: reply.batchId, index: reply.idx };
  }
  if (!position) return null;
  // A recipient with fields is stored as ["number", "ref", {fields}] in its chunk.
  const { rows } = await sql.query<MessageFacts>(
    `SELECT m.batch_id AS "batchId", m.ref,
            CASE WHEN json_typeof(r.recipient) = 'array' THEN r.recipient->2 END AS fields
       FROM messages m
       LEFT JOIN LATERAL (
         SELECT c.recipients::json -> (m.idx - c.first_index) AS recipient
           FROM batch_chunks c WHERE $4 AND c.batch_id = m.batch_id AND c.first_index <= m.idx
          ORDER BY c.first_index DESC LIMIT 1
       ) r ON true
      WHERE m.batch_id = $1 AND m.idx = $2 AND m.account_id = $3`,
    [position.batchId, position.index, accountId, withFields],
  );
  const row = rows[0];
  if (!row) return null;
  const fields =
    row.fields && typeof row.fields === "object" && !Array.isArray(row.fields) ? row.fields : null;
  return { batchId: row.batchId, ref: row.ref, fields };
}
