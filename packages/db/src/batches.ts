import {
  BatchNotCancelableError,
  type BatchStatus,
  isFinalBatchStatus,
  type ModerationReason,
  messageId,
  NotEnoughCreditsError,
  NotFoundError,
  pageCount,
  pageWindow,
} from "@salvo/core";
import { creditsChange } from "./balance";
import { eventFanOut, isoTimestamp } from "./outbox";
import { accountPage } from "./page";
import { withdrawMessages } from "./pipeline";
import { BATCH_COLUMNS, type Batch, MESSAGE_COLUMNS, type Message, type MessageStatus } from "./rows";
import { atomically, type Queryable, selectList } from "./sql";

/** A recipient as the API received it: a number, or a number and the client's reference. */
export type RawRecipient = string | [to: string, ref: string];

export interface NewBatch {
  id: string;
  accountId: string;
  type: "transactional" | "marketing";
  sender: string;
  body: string;
  country: string | null;
  segments: number;
  recipients: RawRecipient[];
  chunkSize: number;
  /** A message of `POST /v1/sms`: a batch of one, invisible to batch listings. */
  single?: boolean;
  /** The client's name or label for it (`name`), trimmed; absent or null: none. */
  name?: string | null;
  shortenUrls?: boolean;
  /** When to start sending: the batch is stored `scheduled` until then. Absent or null: at once (`accepted`). */
  sendAt?: Date | null;
  /** The moderation rules it breaks: stored `moderation` (held for an operator, no job) when there are any. */
  moderation?: ModerationReason[];
  /** Its tracked links (see allocateLinkIds): absent or null, none. */
  links?: { base: number; urls: string[]; prefix: string; expiresAt: Date } | null;
}

// A `batch.moderation` event when the `batch` CTE stored a held batch (single
// messages, POST /v1/sms, have no batch events).
const HELD_EVENTS = eventFanOut(
  "batch.moderation",
  `(SELECT b.account_id, json_build_object(
      'batch_id', b.id, 'status', b.status, 'total', b.total, 'reserved', b.reserved,
      'reasons', b.moderation_reasons, 'created_at', ${isoTimestamp("b.created_at")}) AS data
     FROM batch b WHERE b.status = 'moderation' AND NOT b.single)`,
);

// The debit of a batch's cost ($10), unless it is stored already (`existing`).
const DEBIT = creditsChange("debited", {
  account: "$2",
  credits: "a.credits - $10",
  where: "a.credits >= $10 AND NOT EXISTS (SELECT 1 FROM existing)",
});

/**
 * Stores a batch and its raw recipients, after taking its full cost (segments ×
 * recipients) from the account's credits. The credit check and the debit are one
 * conditional UPDATE, so concurrent batches can never take the balance below
 * zero; without enough credits nothing is written. One statement (hence one
 * transaction) does it all: the request waits for one round trip, not five.
 * A batch whose id exists already (an idempotent request retried after its first
 * attempt stored it, see bindIdempotencyResource) is left as it is: nothing is
 * debited or written again. A batch that breaks moderation rules is stored
 * `moderation` with its reasons (its credits reserved all the same) and its
 * `batch.moderation` event written. Returns the ids of the events written
 * (`balance.low` from the debit, see creditsChange; `batch.moderation`).
 */
export async function acceptBatch(sql: Queryable, batch: NewBatch): Promise<string[]> {
  const total = batch.recipients.length;
  const cost = batch.segments * total;
  const chunks: RawRecipient[][] = [];
  for (let first = 0; first < total; first += batch.chunkSize) {
    chunks.push(batch.recipients.slice(first, first + batch.chunkSize));
  }
  // The chunks travel as ONE json text, split by PostgreSQL: a json value's
  // elements keep their text as written, so each chunk's row is the JSON array
  // of its recipients. (A text[] of per-chunk JSON texts would be escaped into
  // an array literal by node-postgres, a string of millions of pieces that
  // held 150 MB of heap for a million recipients; this one is 17 MB, flat.)
  // Data-modifying CTEs all run to completion; the batch and its chunks are
  // inserted only when the debit returned the account's row.
  const { rows } = await sql.query<{ debited: number; existed: boolean; events: string[] }>({
    name: "salvo-accept-batch",
    text: `WITH existing AS (
             SELECT id FROM batches WHERE id = $1 AND account_id = $2
           ), ${DEBIT}, batch AS (
             INSERT INTO batches (id, account_id, type, sender, body, country, segments, total, chunk_count, reserved, pending,
                                  single, shorten_urls, send_at, status, moderation_reasons, name,
                                  link_base, link_urls, link_prefix, links_expire_at)
             SELECT $1, debited.account_id, $3, $4, $5, $6, $7, $8, $9, $10, $8, $13, $14, $15::timestamptz,
                    CASE WHEN $16::jsonb IS NOT NULL THEN 'moderation'
                         WHEN $15::timestamptz IS NULL THEN 'accepted' ELSE 'scheduled' END::"BatchStatus",
                    $16::jsonb, $17, $18::bigint, $19::text[], $20, $21::timestamptz
               FROM debited RETURNING *
           ), held_events AS (${HELD_EVENTS}), chunks AS (
             INSERT INTO batch_chunks (batch_id, idx, first_index, recipients)
             SELECT batch.id, c.n - 1, (c.n - 1) * $12, c.recipients::text
               FROM batch, json_array_elements($11::json) WITH ORDINALITY AS c(recipients, n)
           )
           SELECT (SELECT count(*)::int FROM debited) AS debited, EXISTS (SELECT 1 FROM existing) AS existed,
                  ARRAY(SELECT id FROM debited_alerts UNION ALL SELECT id FROM held_events) AS events`,
    values: [
      batch.id,
      batch.accountId,
      batch.type,
      batch.sender,
      batch.body,
      batch.country,
      batch.segments,
      total,
      chunks.length,
      cost,
      JSON.stringify(chunks),
      batch.chunkSize,
      batch.single ?? false,
      batch.shortenUrls ?? false,
      batch.sendAt ?? null,
      batch.moderation?.length ? JSON.stringify(batch.moderation) : null,
      batch.name ?? null,
      batch.links?.base ?? null,
      batch.links?.urls ?? null,
      batch.links?.prefix ?? null,
      batch.links?.expiresAt ?? null,
    ],
  });
  if (rows[0]?.existed) return [];
  if (rows[0]?.debited !== 1) {
    throw new NotEnoughCreditsError(`This batch costs ${cost} credits; the account does not have them.`);
  }
  return rows[0].events;
}

// The text is the same for the life of a process, as a named prepared statement's must be.
const BATCH = selectList(BATCH_COLUMNS);

/**
 * One of the account's batches; another account's id, or a single message's
 * batch (`POST /v1/sms`), is not found. Raw SQL as a
 * named prepared statement: clients poll it many times a second, and it costs
 * the API and PostgreSQL less than Prisma's query.
 */
export async function findBatch(sql: Queryable, accountId: string, batchId: string): Promise<Batch> {
  const { rows } = await sql.query<Batch>({
    name: "salvo-find-batch",
    text: `SELECT ${BATCH} FROM batches WHERE id = $1 AND account_id = $2 AND NOT single`,
    values: [batchId, accountId],
  });
  const batch = rows[0];
  if (!batch) throw new NotFoundError(`No batch ${batchId}.`);
  return batch;
}

/** What `GET /v1/batches` may keep; every filter given must match (AND). */
export interface BatchFilter {
  status?: BatchStatus;
  type?: "transactional" | "marketing";
  /** The sender id or number, exactly. */
  sender?: string;
  /** Created at or after / strictly before. */
  createdAfter?: Date;
  createdBefore?: Date;
  /** A piece of its name, case-insensitive. */
  q?: string;
}

/** `text` as a LIKE pattern matching itself anywhere: its `\`, `%` and `_` escaped. */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * One page of the account's batches, newest first, kept by `filter` (single
 * messages are not batches to the caller). Each filter is a fixed condition
 * that is true when its parameter is null, so the statement's text is the same
 * whichever are given; the account's (account_id, created_at DESC, id DESC)
 * index serves them all (the name is matched on the account's batches only, no
 * index of its own: an account's batches are thousands, not millions).
 */
export async function listBatches(sql: Queryable, accountId: string, page: number, filter: BatchFilter = {}) {
  const { rows, pages } = await accountPage<Batch>(sql, {
    table: "batches",
    columns: BATCH,
    where: `NOT single
      AND ($2::"BatchStatus" IS NULL OR status = $2::"BatchStatus")
      AND ($3::"BatchType" IS NULL OR type = $3::"BatchType")
      AND ($4::text IS NULL OR sender = $4)
      AND ($5::timestamptz IS NULL OR created_at >= $5)
      AND ($6::timestamptz IS NULL OR created_at < $6)
      AND ($7::text IS NULL OR name ILIKE $7)`,
    values: [
      filter.status ?? null,
      filter.type ?? null,
      filter.sender ?? null,
      filter.createdAfter ?? null,
      filter.createdBefore ?? null,
      filter.q === undefined ? null : containsPattern(filter.q),
    ],
    orderBy: "created_at DESC, id DESC",
    accountId,
    page,
  });
  return { batches: rows, pages };
}

/**
 * Cancels one of the account's batches that is not over yet (any status but
 * completed, canceled, rejected; else BatchNotCancelableError): it becomes
 * `canceled` and every message not handed off yet is withdrawn at once
 * (withdrawMessages: `canceled` rows, refunded). One transaction, which first
 * locks the batch's row FOR UPDATE: a hand-off marking its group in flight
 * (markInFlight) either went first, and that group settles with the provider's
 * answer, or waits and then hands off nothing. Returns the batch after the
 * cancel and the ids of the events written.
 */
export async function cancelBatch(
  sql: Queryable,
  accountId: string,
  batchId: string,
): Promise<{ batch: Batch; events: string[] }> {
  return atomically(sql, async (tx) => {
    const { rows } = await tx.query<{ status: BatchStatus }>(
      "SELECT status FROM batches WHERE id = $1 AND account_id = $2 AND NOT single FOR UPDATE",
      [batchId, accountId],
    );
    const status = rows[0]?.status;
    if (status === undefined) throw new NotFoundError(`No batch ${batchId}.`);
    if (isFinalBatchStatus(status)) throw new BatchNotCancelableError(batchId, status);
    await tx.query("UPDATE batches SET status = 'canceled', updated_at = now() WHERE id = $1", [batchId]);
    // A statement of its own, after the lock: its snapshot has every in-flight marker written before it.
    const events = await withdrawMessages(tx, batchId);
    return { batch: await findBatch(tx, accountId, batchId), events };
  });
}

const MESSAGE = selectList(MESSAGE_COLUMNS);
const OF_STATUS = `batch_id = $1 AND ($2::"MessageStatus" IS NULL OR status = $2)`;

/** One page of a batch's messages in recipient order, optionally of one status. */
export async function listMessages(
  sql: Queryable,
  accountId: string,
  batchId: string,
  options: { status?: MessageStatus; page: number },
) {
  const batch = await sql.query("SELECT 1 FROM batches WHERE id = $1 AND account_id = $2 AND NOT single", [
    batchId,
    accountId,
  ]);
  if (batch.rowCount === 0) throw new NotFoundError(`No batch ${batchId}.`);
  const { skip, take } = pageWindow(options.page);
  const status = options.status ?? null;
  const [counted, listed] = await Promise.all([
    sql.query<{ total: number }>(`SELECT count(*)::int AS total FROM messages WHERE ${OF_STATUS}`, [
      batchId,
      status,
    ]),
    sql.query<Message>(`SELECT ${MESSAGE} FROM messages WHERE ${OF_STATUS} ORDER BY idx LIMIT $3 OFFSET $4`, [
      batchId,
      status,
      take,
      skip,
    ]),
  ]);
  return {
    messages: listed.rows.map((m) => ({ ...m, id: messageId(m.batchId, m.idx) })),
    pages: pageCount(counted.rows[0]?.total ?? 0),
  };
}

/** A message of `POST /v1/sms` as its sender sees it; `status` is null until its fate is known. */
export interface SingleMessage {
  sender: string;
  /** The number as the client sent it. */
  to: string;
  body: string;
  type: "transactional" | "marketing";
  shortenUrls: boolean;
  status: MessageStatus | null;
  reason: string | null;
  /** Its tracked links (see BatchForWork's), null without. */
  links: { base: number; urls: string[]; prefix: string; secret: string } | null;
}

/**
 * The single message that is position 0 of batch `batchId`, or null when the
 * account has no such single message. One read of primary keys: clients poll it.
 */
export async function findSingleMessage(
  sql: Queryable,
  accountId: string,
  batchId: string,
): Promise<SingleMessage | null> {
  const { rows } = await sql.query<SingleMessage>({
    name: "salvo-find-single-message",
    text: `SELECT b.sender, c.recipients::json->>0 AS "to", b.body, b.type, b.shorten_urls AS "shortenUrls",
                  m.status, m.reason,
                  CASE WHEN b.link_base IS NOT NULL THEN json_build_object(
                    'base', b.link_base::float8, 'urls', b.link_urls, 'prefix', b.link_prefix,
                    'secret', (SELECT l.secret FROM link_counter l)) END AS links
             FROM batches b
             JOIN batch_chunks c ON c.batch_id = b.id AND c.idx = 0
             LEFT JOIN messages m ON m.batch_id = b.id AND m.idx = 0
            WHERE b.id = $1 AND b.account_id = $2 AND b.single`,
    values: [batchId, accountId],
  });
  return rows[0] ?? null;
}

/**
 * Up to `limit` unfinished batches whose row has not changed for `idleMs` (their
 * job lost, never enqueued, or stuck behind a crash), the longest idle first.
 * Only batches a worker should be working on are due: `accepted`, `processing`,
 * `paused` (its jobs wait for the next opening), a `scheduled` one whose
 * `send_at` has come, and a withdrawn one (`canceled`, `rejected`) still waiting
 * for messages that were in flight at the withdrawal (their chunk's job lost
 * with a crash: the expansion enqueues it again, see expandBatch). A batch held
 * for moderation, or scheduled later, is left out, so that nothing re-enqueues it early.
 * Paused batches come last: they stay idle all night by design, and must not
 * crowd out a batch that is truly stuck (re-enqueued, a paused one only checks
 * its hours and waits again).
 */
export async function stalledBatches(sql: Queryable, idleMs: number, limit = 1_000): Promise<string[]> {
  const { rows } = await sql.query<{ id: string }>(
    `SELECT id FROM batches
      WHERE (status IN ('accepted', 'processing', 'paused') OR (status = 'scheduled' AND send_at <= now())
             OR (status IN ('canceled', 'rejected') AND pending > 0))
        AND updated_at < now() - make_interval(secs => $1)
      ORDER BY status = 'paused', updated_at LIMIT $2`,
    [Math.max(1, idleMs / 1000), limit],
  );
  return rows.map((row) => row.id);
}
