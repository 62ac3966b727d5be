import { InvalidParameterError, isStopKeyword, messageIdSql, newId, normalizePhoneNumber } from "@salvo/core";
import { eventFanOut, isoTimestamp } from "./outbox";
import { accountPage } from "./page";
import { atomically, type Queryable } from "./sql";

/** An inbound message (MO) as received, before it is stored. */
interface ReceivedMessage {
  /** The replying number, E.164. */
  from: string;
  /** The sender id or number the reply was sent to. */
  to: string;
  body: string;
  /** Its text is a stop keyword (see isStopKeyword in @salvo/core). */
  stop: boolean;
}

/** An inbound message (MO) as stored: a reply to a message sent, a STOP, or neither. */
export interface InboundMessage {
  id: string;
  accountId: string | null;
  batchId: string | null;
  idx: number | null;
  from: string;
  to: string;
  body: string;
  stop: boolean;
  receivedAt: Date;
}

export const REPLY_COLUMNS = `id, account_id AS "accountId", batch_id AS "batchId", idx, "from", "to", body, stop,
  received_at AS "receivedAt"`;

/**
 * Stores an inbound message (MO) with the account and message it answers: the
 * last message handed off to that number from that sender. A STOP puts the
 * number on that account's blacklist in the same transaction, so no batch judged
 * after this returns reaches it. `mo` events (and `stop` ones for a STOP) are
 * written for the account's webhooks; their ids are returned to be enqueued. A
 * reply that answers no message is kept without an account.
 */
async function recordReply(
  sql: Queryable,
  inbound: ReceivedMessage,
): Promise<{ reply: InboundMessage; events: string[] }> {
  const { rows } = await sql.query<{ reply: InboundMessage; events: string[] }>({
    name: "salvo-record-reply",
    text: `WITH answered AS (
             SELECT m.account_id, m.batch_id, m.idx, b.single FROM messages m JOIN batches b ON b.id = m.batch_id
              WHERE m."to" = $2 AND b.sender = $3 AND m.status IN ('sent', 'delivered', 'undelivered')
              ORDER BY m.sent_at DESC, m.batch_id DESC, m.idx DESC LIMIT 1
           ), reply AS (
             INSERT INTO replies (id, account_id, batch_id, idx, "from", "to", body, stop)
             SELECT $1, a.account_id, a.batch_id, a.idx, $2, $3, $4, $5
               FROM (SELECT 1) AS one LEFT JOIN answered a ON true
             RETURNING ${REPLY_COLUMNS}
           ), stopped AS (
             INSERT INTO blacklist (account_id, number)
             SELECT "accountId", "from" FROM reply WHERE stop AND "accountId" IS NOT NULL
             ON CONFLICT DO NOTHING
           ), mo AS (
             ${eventFanOut(
               "mo",
               `(SELECT r."accountId" AS account_id, json_build_object(
                   'reply_id', r.id, 'from', r."from", 'to', r."to", 'body', r.body, 'stop', r.stop,
                   'message_id', CASE WHEN r."batchId" IS NULL THEN NULL
                                      ELSE ${messageIdSql('r."batchId"', "r.idx")} END,
                   'batch_id', CASE WHEN a.single THEN NULL ELSE r."batchId" END,
                   'received_at', ${isoTimestamp('r."receivedAt"')}) AS data
                 FROM reply r LEFT JOIN answered a ON true)`,
             )}
           ), stop AS (
             ${eventFanOut(
               "stop",
               `(SELECT r."accountId" AS account_id, json_build_object(
                   'number', r."from", 'to', r."to", 'body', r.body, 'reply_id', r.id,
                   'at', ${isoTimestamp('r."receivedAt"')}) AS data
                 FROM reply r WHERE r.stop)`,
             )}
           )
           SELECT row_to_json(reply) AS reply,
                  ARRAY(SELECT id FROM mo UNION ALL SELECT id FROM stop) AS events
             FROM reply`,
    values: [newId("rpl"), inbound.from, inbound.to, inbound.body, inbound.stop],
  });
  const row = rows[0];
  if (!row) throw new Error("the reply was not stored");
  return { reply: { ...row.reply, receivedAt: new Date(row.reply.receivedAt) }, events: row.events };
}

/**
 * Records a message a provider received (MO), whichever way it came in (a provider's
 * HTTP callback through the API, or a connection a worker holds): the sender's number,
 * international with or without its `+` as providers write it, is put in E.164 (else
 * InvalidParameterError on `from`), and a stop keyword makes it a STOP. See recordReply.
 */
export function receiveInbound(
  sql: Queryable,
  received: { from: string; to: string; body: string },
): Promise<{ reply: InboundMessage; events: string[] }> {
  const from = senderNumber(received.from);
  return recordReply(sql, { from, to: received.to, body: received.body, stop: isStopKeyword(received.body) });
}

/** The sender's number in E.164, else InvalidParameterError on `from`. */
function senderNumber(received: string): string {
  const from = normalizePhoneNumber(received, undefined);
  if (!from) throw new InvalidParameterError("from: not a valid international phone number", "from");
  return from;
}

/**
 * Records a one-part message received through `connector` (see receiveInbound) unless
 * the same sender, recipient and text was recorded through it within the last
 * `windowMs`: that is the upstream's resend of a message its protocol gives no id
 * (SMPP), and changes nothing (null). The fingerprint (a SHA-256 of the text, not the
 * text) is written in the reply's transaction, so a crash cannot keep one without the
 * other, and its key makes exactly one of two copies arriving at once record it.
 */
export async function receiveInboundOnce(
  sql: Queryable,
  received: { connector: string; from: string; to: string; body: string; windowMs: number },
): Promise<{ reply: InboundMessage; events: string[] } | null> {
  const from = senderNumber(received.from);
  const { connector, to, body, windowMs } = received;
  return atomically(sql, async (tx) => {
    // A copy still in flight holds the key's lock until it commits (then this one
    // updates nothing) or rolls back (then this one inserts).
    const fresh = await tx.query(
      `INSERT INTO inbound_fingerprints AS f (connector, "from", "to", body_hash, expires_at)
       VALUES ($1, $2, $3, sha256(convert_to($4, 'UTF8')), now() + $5 * interval '1 millisecond')
       ON CONFLICT (connector, "from", "to", body_hash) DO UPDATE SET expires_at = excluded.expires_at
       WHERE f.expires_at <= now()`,
      [connector, from, to, body, windowMs],
    );
    if (fresh.rowCount === 0) return null;
    return recordReply(tx, { from, to, body, stop: isStopKeyword(body) });
  });
}

/** Where a part of a long inbound message belongs: the concatenation its UDH or SAR TLVs carry. */
interface InboundPart {
  reference: number;
  total: number;
  /** From 1 to total. */
  number: number;
}

/** How long a completed message's parts stay as the marker that makes a resent part change nothing. */
const COMPLETED_PARTS_KEPT = "interval '1 hour'";
/** How long the parts of a message that never completes are held. */
const INCOMPLETE_PARTS_KEPT = "interval '24 hours'";

/**
 * Holds one part of a long message received through `connector`, and once every
 * part is in, records the message with its parts' texts joined in order (see
 * receiveInbound) in the same transaction. Parts of one message are taken one at
 * a time (a transaction-scoped advisory lock), so when the last two arrive at once
 * on two binds or workers exactly one of them completes it. A part already held
 * (a resend, before or after completion) changes nothing. Resolves with null
 * while parts are missing.
 */
export async function receiveInboundPart(
  sql: Queryable,
  received: { connector: string; from: string; to: string; body: string; part: InboundPart },
): Promise<{ reply: InboundMessage; events: string[] } | null> {
  const from = senderNumber(received.from);
  const { connector, to, body, part } = received;
  const group = [connector, from, to, part.reference, part.total];
  const sameGroup = `connector = $1 AND "from" = $2 AND "to" = $3 AND reference = $4 AND total = $5`;
  return atomically(sql, async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [JSON.stringify(group)]);
    const inserted = await tx.query(
      `INSERT INTO inbound_parts (connector, "from", "to", reference, total, number, body)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
      [...group, part.number, body],
    );
    // Held already: nothing new, whether the message is complete or not.
    if (inserted.rowCount === 0) return null;
    const { rows } = await tx.query<{ parts: number; text: string }>(
      `SELECT count(*)::int AS parts, string_agg(body, '' ORDER BY number) AS text
         FROM inbound_parts WHERE ${sameGroup} AND completed_at IS NULL`,
      group,
    );
    const held = rows[0];
    if (!held || held.parts < part.total) return null;
    await tx.query(`UPDATE inbound_parts SET body = '', completed_at = now() WHERE ${sameGroup}`, group);
    return recordReply(tx, { from, to, body: held.text, stop: isStopKeyword(held.text) });
  });
}

/**
 * Deletes the parts of messages completed more than an hour ago (a resend of one
 * of their parts after that would be held as a new message's, and swept) and of
 * messages still incomplete after 24 hours.
 */
export async function purgeInboundParts(sql: Queryable, limit = 10_000): Promise<number> {
  const { rowCount } = await sql.query(
    `DELETE FROM inbound_parts p
      USING (SELECT connector, "from", "to", reference, total, number FROM inbound_parts
              WHERE completed_at < now() - ${COMPLETED_PARTS_KEPT} OR received_at < now() - ${INCOMPLETE_PARTS_KEPT}
              LIMIT $1) old
      WHERE (p.connector, p."from", p."to", p.reference, p.total, p.number)
          = (old.connector, old."from", old."to", old.reference, old.total, old.number)`,
    [limit],
  );
  return rowCount ?? 0;
}

/** Deletes the fingerprints of one-part messages whose resend window has ended (see receiveInboundOnce). */
export async function purgeInboundFingerprints(sql: Queryable, limit = 10_000): Promise<number> {
  const { rowCount } = await sql.query(
    `DELETE FROM inbound_fingerprints f
      USING (SELECT connector, "from", "to", body_hash FROM inbound_fingerprints
              WHERE expires_at <= now() LIMIT $1) old
      WHERE (f.connector, f."from", f."to", f.body_hash) = (old.connector, old."from", old."to", old.body_hash)
        AND f.expires_at <= now()`,
    [limit],
  );
  return rowCount ?? 0;
}

/** One page of the account's replies, newest first. */
export async function listReplies(sql: Queryable, accountId: string, page: number) {
  const { rows, pages } = await accountPage<InboundMessage>(sql, {
    table: "replies",
    columns: REPLY_COLUMNS,
    orderBy: "received_at DESC, id DESC",
    accountId,
    page,
  });
  return { replies: rows, pages };
}
