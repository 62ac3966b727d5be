// The worker's set-based SQL: a chunk's messages are written, handed off and
// reported in a few statements, never one round trip per message. Every write
// that changes a message's status updates its batch's counters (and refunds the
// account) in the same transaction, so counts always equal the message rows.
import {
  BATCH_COUNTER_NAMES,
  type BatchStatus,
  JUDGED_STATUSES,
  type JudgedStatus,
  messageIdSql,
  type SendingWeek,
} from "@salvo/core";
import pg from "pg";
import { creditsChange } from "./balance";
import type { RawRecipient } from "./batches";
import { ALLOWED_COUNTRIES_SQL, COUNTRY_LIMITS_SQL, withAllowedCountries } from "./countries";
import { eventFanOut, isoTimestamp } from "./outbox";
import type { BatchType } from "./rows";
import { smsStatusEvents } from "./sms-status";
import { arrayLiteral, atomically, type Queryable } from "./sql";

// A `refund` CTE's credits (account_id, change, balance) in the statements' movements: a
// refund raises no balance alert, so it is a plain UPDATE rather than a creditsChange.
const REFUND_MOVEMENT = `refund_movement AS (
  INSERT INTO credit_movements (account_id, reason, change, balance)
  SELECT account_id, 'refund', change, balance FROM refund WHERE change <> 0
)`;

export interface BatchForWork {
  id: string;
  accountId: string;
  sender: string;
  body: string;
  country: string | null;
  /** Segments reserved per message (a personalised body's message costs its own, see recordHandoffs). */
  segments: number;
  /** A message of `POST /v1/sms`: its body is sent as written. */
  single: boolean;
  status: BatchStatus;
  /** Messages without a row yet (the counter). */
  pending: number;
  /** When a scheduled batch starts; null: as soon as accepted. */
  sendAt: Date | null;
  /** When it was accepted. */
  createdAt: Date;
  defaultCountry: string;
  floodMaxPerHour: number;
  floodMaxSameBodyPerHour: number;
  sendRateLimit: number | null;
  /** Countries the account may send to (its own setting, else its parent's, else its default country's, see defaultAllowedCountries). */
  allowedCountries: string[];
  /** Most messages a UTC month per country (its own, else its parent's, else none). */
  countryLimits: Record<string, number>;
  type: BatchType;
  /** The account's sending hours (a marketing batch goes out within them): its own, else its parent's, else null. */
  timeZone: string | null;
  sendingWeek: SendingWeek | null;
  /** Its tracked links (see @salvo/core links.ts), with the secret keying their codes; null without links. */
  links: {
    base: number;
    /** Link ids of the batch: total × URLs. */
    size: number;
    urls: string[];
    prefix: string;
    /** When they stop redirecting (epoch ms). */
    expiresAt: number;
    secret: string;
    shortenUrls: boolean;
  } | null;
}

// A batch with what processing it needs from its account (BatchForWork).
const BATCH_FOR_WORK = `b.id, b.account_id AS "accountId", b.sender, b.body, b.country, b.segments, b.single, b.status,
  b.pending, b.send_at AS "sendAt", b.created_at AS "createdAt",
  a.default_country AS "defaultCountry", a.flood_max_per_hour AS "floodMaxPerHour",
  a.flood_max_same_body_per_hour AS "floodMaxSameBodyPerHour", a.send_rate_limit AS "sendRateLimit",
  ${ALLOWED_COUNTRIES_SQL} AS "allowedCountries", ${COUNTRY_LIMITS_SQL} AS "countryLimits",
  b.type, COALESCE(a.timezone, (SELECT p.timezone FROM accounts p WHERE p.id = a.parent_id)) AS "timeZone",
  COALESCE(a.sending_hours, (SELECT p.sending_hours FROM accounts p WHERE p.id = a.parent_id)) AS "sendingWeek",
  CASE WHEN b.link_base IS NOT NULL THEN json_build_object(
    'base', b.link_base::float8, 'size', b.total * cardinality(b.link_urls), 'urls', b.link_urls,
    'prefix', b.link_prefix, 'expiresAt', round(extract(epoch FROM b.links_expire_at) * 1000),
    'shortenUrls', b.shorten_urls,
    'secret', (SELECT l.secret FROM link_counter l)) END AS links`;

/** The batch with what processing it needs from its account, or null when it does not exist. */
export async function loadBatchForWork(sql: Queryable, batchId: string): Promise<BatchForWork | null> {
  const { rows } = await sql.query({
    name: "salvo-load-batch-for-work",
    text: `SELECT ${BATCH_FOR_WORK} FROM batches b JOIN accounts a ON a.id = b.account_id WHERE b.id = $1`,
    values: [batchId],
  });
  const row = rows[0] as BatchRow | undefined;
  return row ? withAllowedCountries(row) : null;
}

/** BatchForWork as read: allowedCountries null when neither the account nor its parent set any. */
type BatchRow = Omit<BatchForWork, "allowedCountries"> & { allowedCountries: string[] | null };

/**
 * What sending a chunk starts from, in one round trip: the batch (with its
 * account's settings), the chunk, and the positions of the chunk whose messages
 * are already written (a retried chunk skips them). Null when either is missing.
 */
export async function loadChunkForSending(
  sql: Queryable,
  batchId: string,
  chunk: number,
): Promise<{ batch: BatchForWork; chunk: StoredChunk; written: Set<number> } | null> {
  const { rows } = await sql.query({
    name: "salvo-load-chunk-for-sending",
    text: `SELECT ${BATCH_FOR_WORK}, c.idx, c.first_index, c.recipients, c.judged, c.in_flight, c.done,
                  ARRAY(SELECT m.idx FROM messages m
                         WHERE m.batch_id = c.batch_id AND m.idx >= c.first_index
                           AND m.idx < c.first_index + json_array_length(c.recipients::json)) AS written
             FROM batch_chunks c JOIN batches b ON b.id = c.batch_id JOIN accounts a ON a.id = b.account_id
            WHERE c.batch_id = $1 AND c.idx = $2`,
    values: [batchId, chunk],
  });
  const row = rows[0] as (BatchRow & ChunkRow & { written: number[] }) | undefined;
  if (!row) return null;
  const { idx, first_index, recipients, judged, in_flight, done, written, ...batch } = row;
  return {
    batch: withAllowedCountries(batch),
    chunk: toStoredChunk({ idx, first_index, recipients, judged, in_flight, done }),
    written: new Set(written),
  };
}

/**
 * Starts a batch: `accepted`, or `scheduled` with its `send_at` come by
 * PostgreSQL's clock, becomes `processing`. A guarded UPDATE: of workers racing
 * to start a batch one does. Returns the status as this call leaves it (as read
 * before, when another call changed it meanwhile), and for a batch still
 * `scheduled`, how long until its `send_at` (0 when due; null without a batch).
 */
export async function markBatchProcessing(
  sql: Queryable,
  batchId: string,
): Promise<{ status: BatchStatus; waitMs: number } | null> {
  const { rows } = await sql.query<{ status: BatchStatus; waitMs: number | null }>({
    name: "salvo-mark-batch-processing",
    text: `WITH started AS (
       UPDATE batches SET status = 'processing', updated_at = now()
        WHERE id = $1 AND (status = 'accepted' OR (status = 'scheduled' AND send_at <= now()))
       RETURNING status
     )
     SELECT COALESCE((SELECT status FROM started), b.status) AS status,
            GREATEST(0, ceil(extract(epoch FROM b.send_at - now()) * 1000))::float8 AS "waitMs"
       FROM batches b WHERE b.id = $1`,
    values: [batchId],
  });
  const row = rows[0];
  return row ? { status: row.status, waitMs: row.status === "scheduled" ? (row.waitMs ?? 0) : 0 } : null;
}

/**
 * Holds a marketing batch outside its sending hours: `paused` until a worker
 * finds them open (resumeBatch). Only a batch on its way is paused (a scheduled
 * one once its `send_at` has come); `paused`
 * says whether this call did, and then a `batch.paused` event is written for
 * each webhook that wants it (`resumesAt`: when they open, as the API writes it;
 * not for single messages). Returns the events' ids too.
 */
export async function pauseBatch(
  sql: Queryable,
  batchId: string,
  resumesAt: string,
): Promise<{ paused: boolean; events: string[] }> {
  const { rows } = await sql.query<{ changed: number; events: string[] }>(
    `WITH changed AS (
       UPDATE batches SET status = 'paused', updated_at = now()
        WHERE id = $1 AND (status IN ('accepted', 'processing') OR (status = 'scheduled' AND send_at <= now()))
       RETURNING id, account_id, single
     ), events AS (${eventFanOut(
       "batch.paused",
       `(SELECT account_id, json_build_object('batch_id', id, 'status', 'paused', 'resumes_at', $2::text) AS data
           FROM changed WHERE NOT single)`,
     )})
     SELECT (SELECT count(*)::int FROM changed) AS changed, ARRAY(SELECT id FROM events) AS events`,
    [batchId, resumesAt],
  );
  return { paused: rows[0]?.changed === 1, events: rows[0]?.events ?? [] };
}

/**
 * A paused batch goes on (its sending hours are open): `processing` again, with a
 * `batch.resumed` event when this call resumed it (see pauseBatch).
 */
export async function resumeBatch(
  sql: Queryable,
  batchId: string,
): Promise<{ resumed: boolean; events: string[] }> {
  const { rows } = await sql.query<{ changed: number; events: string[] }>(
    `WITH changed AS (
       UPDATE batches SET status = 'processing', updated_at = now() WHERE id = $1 AND status = 'paused'
       RETURNING id, account_id, single
     ), events AS (${eventFanOut(
       "batch.resumed",
       `(SELECT account_id, json_build_object('batch_id', id, 'status', 'processing') AS data
           FROM changed WHERE NOT single)`,
     )})
     SELECT (SELECT count(*)::int FROM changed) AS changed, ARRAY(SELECT id FROM events) AS events`,
    [batchId],
  );
  return { resumed: rows[0]?.changed === 1, events: rows[0]?.events ?? [] };
}

export interface StoredChunk {
  idx: number;
  firstIndex: number;
  recipients: RawRecipient[];
  /** Per recipient: E.164, "!…" (invalid) or "=…" (duplicated), see `judge.ts` in `@salvo/core`; null until the batch is expanded. */
  judged: string[] | null;
  /** Positions handed to the provider by a run that has not recorded the outcome (yet). */
  inFlight: number[];
  done: boolean;
}

/** Chunks of a batch, in order, from `fromChunk` on, at most `limit` of them. */
export async function loadChunks(
  sql: Queryable,
  batchId: string,
  fromChunk = 0,
  limit = 1_000_000,
): Promise<StoredChunk[]> {
  const { rows } = await sql.query({
    name: "salvo-load-chunks",
    text: `SELECT idx, first_index, recipients, judged, in_flight, done FROM batch_chunks
            WHERE batch_id = $1 AND idx >= $2 ORDER BY idx LIMIT $3`,
    values: [batchId, fromChunk, limit],
  });
  return (rows as ChunkRow[]).map(toStoredChunk);
}

interface ChunkRow {
  idx: number;
  first_index: number;
  recipients: string;
  judged: string | null;
  in_flight: number[] | null;
  done: boolean;
}

function toStoredChunk(row: ChunkRow): StoredChunk {
  return {
    idx: row.idx,
    firstIndex: row.first_index,
    recipients: JSON.parse(row.recipients) as RawRecipient[],
    judged: row.judged === null ? null : (JSON.parse(row.judged) as string[]),
    inFlight: row.in_flight ?? [],
    done: row.done,
  };
}

/** Stores the expansion's verdicts (E.164, invalid, duplicated) for several chunks at once. */
export async function saveJudgments(
  sql: Queryable,
  batchId: string,
  judged: { idx: number; judged: string[] }[],
): Promise<void> {
  if (judged.length === 0) return;
  const indexes = judged.map((j) => j.idx);
  // The range keeps the plan to the index whatever the table's statistics say.
  // A prepared statement: a call holds one expansion step's chunks (at most 20),
  // so even a generic plan comparing each verdict with each chunk stays small.
  await sql.query({
    name: "salvo-save-judgments",
    text: `UPDATE batch_chunks c SET judged = u.judged FROM unnest($4::int[], $5::text[]) AS u(idx, judged)
            WHERE c.batch_id = $1 AND c.idx BETWEEN $2 AND $3 AND c.idx = u.idx AND c.judged IS NULL`,
    values: [
      batchId,
      Math.min(...indexes),
      Math.max(...indexes),
      indexes,
      judged.map((j) => JSON.stringify(j.judged)),
    ],
  });
}

/** Which of these numbers are on the account's blacklist and NPAI list. */
export async function listedNumbers(
  sql: Queryable,
  accountId: string,
  numbers: string[],
): Promise<{ blacklisted: Set<string>; npai: Set<string> }> {
  const blacklisted = new Set<string>();
  const npai = new Set<string>();
  if (numbers.length === 0) return { blacklisted, npai };
  const { rows } = await sql.query({
    name: "salvo-listed-numbers",
    text: `SELECT number, 'b' AS list FROM blacklist WHERE account_id = $1 AND number = ANY($2::text[])
           UNION ALL
           SELECT number, 'n' AS list FROM npai WHERE account_id = $1 AND number = ANY($2::text[])`,
    values: [accountId, arrayLiteral(numbers)],
  });
  for (const row of rows as { number: string; list: string }[])
    (row.list === "b" ? blacklisted : npai).add(row.number);
  return { blacklisted, npai };
}

/**
 * The judged and hand-off statements commit without waiting for the WAL flush:
 * if PostgreSQL crashes and loses one, nothing is lost or sent twice, because
 * what it recorded can be rebuilt: judgements are made again (anti-flood answers
 * the same for the same message), and a lost hand-off outcome leaves the chunk's
 * in-flight marker, which was committed durably before the hand-off, so the next
 * run asks the provider. Everything else commits durably.
 *
 * Each is one statement, in its own transaction: `set_config(…, true)` in its
 * result turns `synchronous_commit` off for that transaction only, which is read
 * when it commits (the statement returns exactly one row, so it always runs).
 */
const ASYNC_COMMIT = "set_config('synchronous_commit', 'off', true)";

/*
 * Lock order. A hand-off's and a report's statements both change the batch's row
 * and its `usage_hours` row of the hour, and run at once on the same batch: each
 * takes the batch's row first. PostgreSQL runs a data-modifying CTE that nothing
 * reads at the end of the statement, in reverse order of appearance, so a usage
 * CTE that did not read `counters` ran before it in one statement and after it in
 * the other: two orders, hence deadlocks (each a second's wait, PostgreSQL's
 * `deadlock_timeout`, then a retry), which the benchmark measured by the dozen a
 * run (bench/RESULTS.md). Reading `counters` makes usage wait for the batch's row.
 */

// A batch is completed by the write that settles its last pending message
// (`c.settled` messages of batch `b` settled by this statement). A withdrawn
// batch (`canceled`, `rejected`) keeps its status, and gets its completion time
// when the messages in flight at the withdrawal settle; other statuses than
// `accepted` (`paused`, …) are not this write's to change.
const COMPLETION = `status = CASE WHEN b.status IN ('canceled', 'rejected') THEN b.status
                           WHEN b.pending - c.settled = 0 THEN 'completed'::"BatchStatus"
                           WHEN b.status = 'accepted' THEN 'processing'::"BatchStatus"
                           ELSE b.status END,
                 completed_at = CASE WHEN b.pending - c.settled = 0 THEN now() ELSE b.completed_at END`;

// A `batch.completed` event for each webhook that wants it, when the `counters`
// CTE (RETURNING b.*, only when it settled messages) took the batch's `pending`
// to 0: it completed, or a withdrawal (`canceled`, `rejected`) settled its last
// message. Single messages (POST /v1/sms) have none. Every counter but `pending`,
// 0 by then.
const COMPLETED_EVENTS = eventFanOut(
  "batch.completed",
  `(SELECT b.account_id, json_build_object(
      'batch_id', b.id, 'status', b.status,
      ${BATCH_COUNTER_NAMES.filter((name) => name !== "pending")
        .map((name) => `'${name}', b.${name}`)
        .join(", ")},
      'cost', b.cost, 'created_at', ${isoTimestamp("b.created_at")},
      'completed_at', ${isoTimestamp("b.completed_at")}) AS data
     FROM counters b WHERE b.pending = 0 AND NOT b.single)`,
);

// `sms.status` events for the messages the `inserted` CTE wrote, when their batch
// ($1) is a single message (POST /v1/sms): sent, or errored (refused, judged,
// or withdrawn: canceled, rejected).
const SINGLE_STATUS_EVENTS = smsStatusEvents("inserted", "(SELECT * FROM batches WHERE id = $1)");

// A delivery report for each message the provider refused at hand-off (`failed`),
// for SMSFactor-format webhooks only: SMSFactor reports those with a DLR (status
// REJECTED…), where Salvo's own `dlr` event is for reports from the network.
const REFUSED_DLR_EVENTS = eventFanOut(
  "dlr",
  `(SELECT b.account_id, json_build_object(
      'message_id', ${messageIdSql("b.id", "i.idx")},
      'batch_id', CASE WHEN b.single THEN NULL ELSE b.id END,
      'to', i."to", 'status', 'failed', 'reason', i.reason, 'provider_code', NULL,
      'at', ${isoTimestamp("now()")}) AS data
     FROM batches b, inserted i WHERE b.id = $1 AND i.status = 'failed')`,
  "smsfactor",
);

// Per judged status (each the name of its counter): its count among the rows
// inserted (`counts` CTE), and its counter's update from it.
const JUDGED_COUNTS = JUDGED_STATUSES.map(
  (status) => `count(*) FILTER (WHERE status = '${status}')::int AS ${status}`,
).join(", ");
const JUDGED_COUNTERS = JUDGED_STATUSES.map((status) => `${status} = b.${status} + c.${status}`).join(", ");

export interface JudgedMessage {
  idx: number;
  to: string;
  ref: string | null;
  status: JudgedStatus;
  /** Why it is not sent: a code of the "Message reasons" table of docs/api.md. */
  reason: string;
  /** Its own segments when its text was rendered (a personalised body); absent: the batch's. */
  segments?: number;
}

/**
 * Writes messages that will not be sent (invalid, duplicated, on a list,
 * flooded): they leave `pending` and their reserved credits are refunded. Rows
 * that already exist (a retry, or another worker that took the chunk over) are
 * left alone and only the rows this call inserted are counted, so counters never
 * move twice. Returns the ids of the `batch.completed` events written when this
 * completed the batch.
 */
export async function recordJudgedMessages(
  sql: Queryable,
  batch: BatchForWork,
  messages: JudgedMessage[],
): Promise<string[]> {
  if (messages.length === 0) return [];
  const { rows } = await insertingOnce<{ events: string[] }>(sql, (mode) => ({
    name: `salvo-record-judged-${mode}`,
    // The batch's row is locked first: a cancel (which holds it while it writes
    // `canceled` rows) and this write then never wait for each other's rows.
    text: `WITH locked AS (
             SELECT 1 FROM batches WHERE id = $1 FOR NO KEY UPDATE
           ), inserted AS (${insertMessages("NULL::text[]", "$10::int[]", mode, "WHERE EXISTS (SELECT 1 FROM locked)")}),
           counts AS (
             SELECT count(*)::int AS settled, ${JUDGED_COUNTS}
               FROM inserted
           ), counters AS (
             UPDATE batches b SET
                 pending = b.pending - c.settled, ${JUDGED_COUNTERS}, updated_at = now(),
                 ${COMPLETION}
               FROM counts c WHERE b.id = $1 AND c.settled > 0
             RETURNING b.*
           ), refund AS (
             UPDATE accounts a SET credits = a.credits + c.settled * $3, updated_at = now()
               FROM counts c WHERE a.id = $2 AND c.settled > 0
             RETURNING a.id AS account_id, c.settled * $3 AS change, a.credits AS balance
           ), ${REFUND_MOVEMENT}, events AS (${COMPLETED_EVENTS}),
           sms_events AS (${SINGLE_STATUS_EVENTS})
           SELECT ${ASYNC_COMMIT}, ARRAY(SELECT id FROM events UNION ALL SELECT id FROM sms_events) AS events
             FROM counts`,
    values: [...insertValues(batch, messages, false), messages.map((m) => m.segments ?? null)],
  }));
  return rows[0]?.events ?? [];
}

/**
 * Records which positions of a chunk are about to be handed to the provider. Done
 * before every hand-off: if the process dies before the outcome is written, the
 * next run knows exactly which messages are in doubt. Answers:
 * - `marked`: hand them off;
 * - `busy`: another group is in flight (a run that lost the chunk must not
 *   overwrite the marker of the run that owns it now);
 * - `withdrawn`: the batch was canceled or rejected: hand off nothing more (see
 *   withdrawMessages for what becomes of the rest).
 *
 * The batch's row is read with a key-share lock, which waits for a withdrawal's
 * FOR UPDATE (cancelBatch) and is waited for by it: a group is marked before a
 * withdrawal, which then leaves it to settle, or refused after it, never both.
 */
export async function markInFlight(
  sql: Queryable,
  batchId: string,
  chunk: number,
  positions: number[],
): Promise<"marked" | "busy" | "withdrawn"> {
  const { rows } = await sql.query<{ withdrawn: boolean; marked: boolean }>({
    name: "salvo-mark-in-flight",
    text: `WITH batch AS (
             SELECT status IN ('canceled', 'rejected') AS withdrawn FROM batches WHERE id = $1 FOR KEY SHARE
           ), marked AS (
             UPDATE batch_chunks SET in_flight = $3
              WHERE batch_id = $1 AND idx = $2 AND cardinality(in_flight) = 0
                AND EXISTS (SELECT 1 FROM batch WHERE NOT withdrawn)
             RETURNING 1
           )
           SELECT COALESCE((SELECT withdrawn FROM batch), false) AS withdrawn,
                  EXISTS (SELECT 1 FROM marked) AS marked`,
    values: [batchId, chunk, arrayLiteral(positions)],
  });
  const row = rows[0];
  return row?.withdrawn ? "withdrawn" : row?.marked ? "marked" : "busy";
}

// The refund of messages withdrawn: $2 credits to account $1.
const WITHDRAWAL_REFUND = creditsChange("refunded", {
  account: "$1",
  credits: "a.credits + $2",
  reason: "refund",
});

/**
 * Withdraws what is left of a `canceled` or `rejected` batch (of one chunk, or
 * of all): every position that has no message row and is not in its chunk's
 * in-flight marker gets a row of the batch's status (reason the same, cost 0;
 * `to` the judged E.164 number when the chunk is judged, else the number as
 * received), leaves `pending` for that counter, and its credits are refunded;
 * chunks with nothing in flight are marked done. Set-based: one statement
 * whatever the size of the batch. Messages in flight settle with their hand-off's
 * outcome; the write that settles the last one fires `batch.completed` (as this
 * one does when it leaves nothing pending). A batch in any other status is left
 * alone. Returns the ids of the events written.
 *
 * Two statements in one transaction: the rows (which hold the batch's row for
 * as long as a million inserts take), then the refund, so the account's row is
 * locked only from then to the commit, not while the rows are written.
 */
export async function withdrawMessages(
  sql: Queryable,
  batchId: string,
  chunk: number | null = null,
): Promise<string[]> {
  return atomically(sql, (tx) => withdraw(tx, batchId, chunk));
}

async function withdraw(sql: Queryable, batchId: string, chunk: number | null): Promise<string[]> {
  const { rows } = await sql.query<{
    settled: number;
    accountId: string;
    segments: number;
    events: string[];
  }>({
    name: "salvo-withdraw-messages",
    text: `WITH batch AS (
             SELECT id, account_id, segments, status FROM batches
              WHERE id = $1 AND status IN ('canceled', 'rejected') FOR NO KEY UPDATE
           ), chunks AS (
             SELECT c.idx, c.first_index, c.recipients, c.judged, c.in_flight FROM batch_chunks c
              WHERE c.batch_id = $1 AND NOT c.done AND ($2::int IS NULL OR c.idx = $2)
                AND EXISTS (SELECT 1 FROM batch)
           ), inserted AS (
             INSERT INTO messages (batch_id, idx, account_id, "to", ref, status, reason, segments, cost)
             SELECT $1, c.first_index + e.n::int - 1, b.account_id,
                    CASE WHEN e.verdict LIKE '+%' THEN e.verdict
                         WHEN json_typeof(e.recipient) = 'array' THEN e.recipient->>0
                         ELSE e.recipient #>> '{}' END,
                    CASE WHEN json_typeof(e.recipient) = 'array' THEN e.recipient->>1 END,
                    b.status::text::"MessageStatus", b.status::text, b.segments, 0
               FROM batch b, chunks c,
                    ROWS FROM (json_array_elements(c.recipients::json), json_array_elements_text(c.judged::json))
                      WITH ORDINALITY AS e(recipient, verdict, n)
              WHERE e.recipient IS NOT NULL AND c.first_index + e.n::int - 1 <> ALL (c.in_flight)
                -- Rows already written are left out, not merely skipped by ON CONFLICT: its
                -- check would wait for a delivery report updating one, which waits for
                -- the batch's row this holds (a deadlock).
                AND NOT EXISTS (SELECT 1 FROM messages m
                                 WHERE m.batch_id = $1 AND m.idx = c.first_index + e.n::int - 1)
             ON CONFLICT (batch_id, idx) DO NOTHING
             RETURNING idx, status, reason, "to"
           ), counts AS (
             SELECT count(*)::int AS settled FROM inserted
           ), counters AS (
             UPDATE batches b SET
                 pending = b.pending - c.settled,
                 canceled = b.canceled + CASE WHEN b.status = 'canceled' THEN c.settled ELSE 0 END,
                 rejected = b.rejected + CASE WHEN b.status = 'rejected' THEN c.settled ELSE 0 END,
                 updated_at = now(),
                 completed_at = CASE WHEN b.pending - c.settled = 0 THEN now() ELSE b.completed_at END
               FROM counts c WHERE b.id = $1 AND c.settled > 0
             RETURNING b.*
           ), done AS (
             UPDATE batch_chunks SET done = true
              WHERE batch_id = $1 AND idx IN (SELECT idx FROM chunks WHERE cardinality(in_flight) = 0)
           ), events AS (${COMPLETED_EVENTS}),
           sms_events AS (${SINGLE_STATUS_EVENTS})
           SELECT c.settled, b.account_id AS "accountId", b.segments,
                  ARRAY(SELECT id FROM events UNION ALL SELECT id FROM sms_events) AS events
             FROM counts c, batch b`,
    values: [batchId, chunk],
  });
  const row = rows[0];
  if (!row || row.settled === 0) return row?.events ?? [];
  const refund = await sql.query<{ events: string[] }>({
    name: "salvo-withdrawal-refund",
    text: `WITH ${WITHDRAWAL_REFUND} SELECT ARRAY(SELECT id FROM refunded_alerts) AS events`,
    values: [row.accountId, row.settled * row.segments],
  });
  return [...row.events, ...(refund.rows[0]?.events ?? [])];
}

export interface HandoffOutcome {
  idx: number;
  to: string;
  ref: string | null;
  accepted: boolean;
  reason?: string;
  /** The provider's raw code for a refusal (an SMPP `command_status`), kept in `provider_code`. */
  providerCode?: string;
  /** The provider's id for an accepted message, recorded when `recordHandoffs` is given a connector. */
  providerMessageId?: string;
  /** Its own segments (a personalised body's rendered text): what it costs when sent; absent: the batch's. */
  segments?: number;
}

/**
 * Writes what the provider said for messages handed off: `sent` (cost = segments)
 * or `failed` (refunded), with the batch's counters, and clears the chunk's
 * in-flight marker (and marks the chunk done after its last group), all in one
 * statement, hence one transaction and one round trip. A row that already exists
 * is left alone and not counted, so recording the same outcome twice changes
 * nothing. Commits without waiting for the WAL flush (see ASYNC_COMMIT). Returns
 * the ids of the `batch.completed` events written when this completed the batch.
 *
 * `settles` is the marker this write settles (the group's positions, as marked):
 * the marker is cleared and the chunk marked done only while it is still that
 * one. A run that lost the chunk while frozen, and records late, must not clear
 * the marker of the run that owns the chunk now, nor mark the chunk done under it.
 *
 * `connector`, for a connector whose reports name the provider's id: each accepted
 * message's `providerMessageId` is recorded under it (an id the SMSC reuses points
 * to its latest message).
 *
 * `validityMs`, for a connector that awaits a final report of each message: every
 * message this call records as `sent` (with a provider id or in doubt) gets its
 * deadline, its hand-off time plus this (see expireUnreported).
 */
export async function recordHandoffs(
  sql: Queryable,
  batch: BatchForWork,
  chunk: number,
  outcomes: HandoffOutcome[],
  options: { chunkDone?: boolean; settles?: number[]; connector?: string; validityMs?: number } = {},
): Promise<string[]> {
  const identified = options.connector === undefined ? [] : outcomes.filter((o) => o.providerMessageId);
  const { rows } = await insertingOnce<{ events: string[] }>(sql, (mode) => ({
    name: `salvo-record-handoffs-${mode}`,
    // Each message reserved $3 (the batch's segments): one sent costs its own
    // segments and the rest of its reservation comes back; one failed, all of it.
    text: `WITH inserted AS (${insertMessages("$16::text[]", "$18::int[]", mode)}),
           counts AS (
             SELECT count(*)::int AS settled, count(*) FILTER (WHERE status = 'sent')::int AS sent,
                    count(*) FILTER (WHERE status = 'failed')::int AS failed,
                    COALESCE(sum(cost), 0)::int AS spent, COALESCE(sum(GREATEST($3 - cost, 0)), 0)::int AS refunded
               FROM inserted
           ), counters AS (
             UPDATE batches b SET
                 pending = b.pending - c.settled, sent = b.sent + c.sent, failed = b.failed + c.failed,
                 cost = b.cost + c.spent, updated_at = now(),
                 ${COMPLETION}
               FROM counts c WHERE b.id = $1 AND c.settled > 0
             RETURNING b.*
           ), refund AS (
             UPDATE accounts a SET credits = a.credits + c.refunded, updated_at = now()
               FROM counts c WHERE a.id = $2 AND c.refunded > 0
             RETURNING a.id AS account_id, c.refunded AS change, a.credits AS balance
           ), ${REFUND_MOVEMENT}, chunk AS (
             UPDATE batch_chunks SET in_flight = '{}', done = done OR $11
              WHERE batch_id = $1 AND idx = $10 AND in_flight = $12::int[]
           ), provider_ids AS (
             INSERT INTO provider_message_ids (connector, provider_message_id, batch_id, idx)
             SELECT $13::text, u.id, $1, u.idx FROM unnest($14::int[], $15::text[]) AS u(idx, id)
             ON CONFLICT (connector, provider_message_id) DO UPDATE SET batch_id = EXCLUDED.batch_id, idx = EXCLUDED.idx
           ), usage AS (
             -- The hour's hand-offs (sent_at = now()), for GET /v1/account/usage. Read
             -- from counters, so written under the batch's row lock (see "Lock order").
             INSERT INTO usage_hours (batch_id, hour, account_id, sent)
             SELECT $1, date_trunc('hour', now(), 'UTC'), $2, c.sent FROM counts c, counters WHERE c.sent > 0
             ON CONFLICT (batch_id, hour) DO UPDATE SET sent = usage_hours.sent + EXCLUDED.sent
           ), deadlines AS (
             INSERT INTO receipt_deadlines (expires_at, batch_id, idx)
             SELECT now() + $17::int * interval '1 millisecond', $1, i.idx FROM inserted i
              WHERE i.status = 'sent' AND $17::int IS NOT NULL
           ), events AS (${COMPLETED_EVENTS}),
           sms_events AS (${SINGLE_STATUS_EVENTS}),
           refused_dlrs AS (${REFUSED_DLR_EVENTS})
           SELECT ${ASYNC_COMMIT},
                  ARRAY(SELECT id FROM events UNION ALL SELECT id FROM sms_events UNION ALL SELECT id FROM refused_dlrs)
                    AS events
             FROM counts`,
    values: [
      ...insertValues(
        batch,
        outcomes.map((o) => ({
          idx: o.idx,
          to: o.to,
          ref: o.ref,
          segments: o.segments,
          status: o.accepted ? "sent" : "failed",
          reason: o.accepted ? null : (o.reason ?? "rejected_by_provider"),
        })),
        true,
      ),
      chunk,
      options.chunkDone ?? false,
      arrayLiteral(options.settles ?? []),
      options.connector ?? "",
      arrayLiteral(identified.map((o) => o.idx)),
      arrayLiteral(identified.map((o) => o.providerMessageId)),
      arrayLiteral(outcomes.map((o) => o.providerCode ?? null)),
      options.validityMs ?? null,
      arrayLiteral(outcomes.map((o) => o.segments ?? null)),
    ],
  }));
  return rows[0]?.events ?? [];
}

/** Marks a chunk whose every message is final. */
export async function markChunkDone(sql: Queryable, batchId: string, chunk: number): Promise<void> {
  await sql.query("UPDATE batch_chunks SET done = true WHERE batch_id = $1 AND idx = $2", [batchId, chunk]);
}

interface MessageRow {
  idx: number;
  to: string;
  ref: string | null;
  status: string;
  reason: string | null;
  segments?: number | undefined;
}

// Inserts message rows from arrays ($4-$8, see insertValues, the provider's
// codes from `codes` and each message's own segments from `segments` (null: the
// batch's, $3), parameters of the caller's). `mode` (see insertingOnce): "new"
// fails on a row that already exists, "skip" leaves it alone. RETURNING gives the
// position, status and cost of each row this call inserted: the only ones to
// count. `where` may hold the rows back until a condition (such as a lock) is met.
const insertMessages = (codes: string, segments: string, mode: InsertMode, where = "") =>
  `INSERT INTO messages (batch_id, idx, account_id, "to", ref, status, reason, segments, cost, sent_at, provider_code)
     SELECT $1, u.idx, $2, u.to, u.ref, u.status::"MessageStatus", u.reason, COALESCE(u.segments, $3),
            CASE WHEN u.status = 'sent' THEN COALESCE(u.segments, $3) ELSE 0 END, CASE WHEN $9 THEN now() END,
            u.provider_code
       FROM unnest($4::int[], $5::text[], $6::text[], $7::text[], $8::text[], ${codes}, ${segments})
              AS u(idx, "to", ref, status, reason, provider_code, segments)
     ${where}
     ${mode === "skip" ? "ON CONFLICT (batch_id, idx) DO NOTHING" : ""}
     RETURNING idx, status, cost, reason, "to"`;

/** How a statement inserts message rows: "new" (none exists yet) or "skip" (leave those that do). */
type InsertMode = "new" | "skip";

/**
 * Runs a statement that inserts message rows as "new" (a plain INSERT), and
 * again as "skip" (ON CONFLICT DO NOTHING) if a row already existed, which then
 * failed it whole, changing nothing. Rows rarely exist already: a run leaves out
 * the positions its chunk has written (loadChunkForSending), so only a run that
 * lost its chunk to another and records late meets them. A plain INSERT checks
 * uniqueness as it inserts into the primary key; ON CONFLICT first probes the
 * index for every row, takes a speculative-insertion lock and confirms each
 * insertion in the WAL: 10% of PostgreSQL's time on the pipeline
 * (bench/RESULTS.md, `pnpm bench:pg`). In a caller's transaction, which the
 * failure would abort, the statement runs as "skip" at once.
 */
async function insertingOnce<R extends pg.QueryResultRow>(
  sql: Queryable,
  statement: (mode: InsertMode) => pg.QueryConfig,
): Promise<pg.QueryResult<R>> {
  if (!(sql instanceof pg.Pool)) return sql.query<R>(statement("skip"));
  try {
    return await sql.query<R>(statement("new"));
  } catch (error) {
    const { code, table } = error as { code?: string; table?: string };
    if (code !== "23505" || table !== "messages") throw error;
    return sql.query<R>(statement("skip"));
  }
}

function insertValues(batch: BatchForWork, rows: MessageRow[], handedOff: boolean): unknown[] {
  return [
    batch.id,
    batch.accountId,
    batch.segments,
    arrayLiteral(rows.map((r) => r.idx)),
    arrayLiteral(rows.map((r) => r.to)),
    arrayLiteral(rows.map((r) => r.ref)),
    arrayLiteral(rows.map((r) => r.status)),
    arrayLiteral(rows.map((r) => r.reason)),
    handedOff,
  ];
}

/**
 * The messages that `connector` knows by these provider ids, as a map from the id
 * (as asked) to the message's batch and position; ids not recorded are absent.
 */
export async function findProviderMessages(
  sql: Queryable,
  connector: string,
  providerMessageIds: string[],
): Promise<Map<string, { batchId: string; idx: number }>> {
  const found = new Map<string, { batchId: string; idx: number }>();
  if (providerMessageIds.length === 0) return found;
  // One primary-key probe per id, whatever the statistics say: written as
  // `provider_message_id = ANY($2)`, a table never analyzed (autovacuum off, or not
  // yet run on a young table) is planned as a scan of every id of the connector,
  // a cost that grows with the table (bench/RESULTS.md, bench:smpp).
  const { rows } = await sql.query<{ provider_message_id: string; batch_id: string; idx: number }>({
    name: "salvo-find-provider-messages",
    text: `SELECT p.provider_message_id, p.batch_id, p.idx
             FROM unnest($2::text[]) AS wanted(id)
             CROSS JOIN LATERAL (
               SELECT provider_message_id, batch_id, idx FROM provider_message_ids
                WHERE connector = $1 AND provider_message_id = wanted.id
                LIMIT 1
             ) p`,
    values: [connector, providerMessageIds],
  });
  for (const row of rows) found.set(row.provider_message_id, { batchId: row.batch_id, idx: row.idx });
  return found;
}

export interface StoredReport {
  batchId: string;
  idx: number;
  status: "delivered" | "undelivered";
  reason: string | null;
  /** The provider's own status or error code. */
  providerCode: string | null;
  at: Date;
}

/**
 * Applies delivery reports: `sent` messages become `delivered` or `undelivered`
 * with the provider's code and time, the batch's counters follow in the same
 * transaction, an `unknown_subscriber` puts the number on the account's NPAI
 * list, and a `dlr` event is written for each of the account's webhooks that
 * wants it. A report for a message that is not `sent` (already reported: ignored;
 * not yet recorded as sent: returned) changes nothing. Returns the reports that
 * found no message yet (to be retried) and the ids of the events written.
 */
export async function applyDeliveryReports(
  sql: Queryable,
  reports: StoredReport[],
): Promise<{ unmatched: StoredReport[]; events: string[]; applied: AppliedReports }> {
  const byBatch = new Map<string, StoredReport[]>();
  for (const report of reports) {
    const list = byBatch.get(report.batchId) ?? [];
    list.push(report);
    byBatch.set(report.batchId, list);
  }
  const unmatched: StoredReport[] = [];
  const events: string[] = [];
  const applied: AppliedReports = { delivered: 0, undelivered: 0, latenciesMs: [] };
  for (const [batchId, list] of byBatch) {
    for (const run of positionRuns(list)) {
      const result = await applyReportRun(sql, batchId, run);
      unmatched.push(...result.unmatched);
      events.push(...result.events);
      applied.delivered += result.applied.delivered;
      applied.undelivered += result.applied.undelivered;
      for (const ms of result.applied.latenciesMs) applied.latenciesMs.push(ms);
    }
  }
  return { unmatched, events, applied };
}

/** The reports that changed a message (for metrics): by status, and each one's time since its hand-off. */
interface AppliedReports {
  delivered: number;
  undelivered: number;
  /** Milliseconds from each message's hand-off (`sent_at`) to its report's time. */
  latenciesMs: number[];
}

/**
 * Reports sorted by position and cut where two positions are far apart: each run
 * is applied by one statement over a range of the primary key
 * (`idx BETWEEN first AND last`), which reads at most MAX_POSITION_GAP rows
 * without a report per report.
 */
function positionRuns(reports: StoredReport[]): StoredReport[][] {
  const sorted = [...reports].sort((a, b) => a.idx - b.idx);
  const runs: StoredReport[][] = [];
  let run: StoredReport[] = [];
  for (const report of sorted) {
    const last = run.at(-1);
    if (last && report.idx - last.idx > MAX_POSITION_GAP) {
      runs.push(run);
      run = [];
    }
    run.push(report);
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/**
 * Positions further apart than this start a new statement. A run's arrays hold a
 * slot per position of its range (see applyReportRun), so this also bounds them
 * to this many empty slots per report.
 */
const MAX_POSITION_GAP = 32;

/**
 * Applies a run of reports in one statement (one transaction, one round trip):
 * the messages, the batch's counters, the NPAI list, the webhook events. Returns
 * the reports whose message is not written yet (to retry); those already applied
 * are ignored.
 *
 * The reports come as arrays with one slot per position of the run's range
 * (position p in slot p - first + 1), so that each message row finds its report
 * by subscript: the statement reads the range of the primary key and joins
 * nothing. A prepared statement is then safe with any plan, generic ones included
 * (a join of the reports to the messages, planned without the arrays' sizes, may
 * compare every report with every row of the range): it is parsed and planned once
 * per connection instead of every run, which cost more than the updates
 * themselves for small runs (bench/RESULTS.md). Those arrays are of fixed-width
 * elements without NULLs, which PostgreSQL subscripts in constant time: a slot
 * holds the number of its report's outcome (0: no report; of two reports for one
 * position, the later one's) and its time; the outcomes (status, reason, code),
 * few in a run, are listed once.
 */
async function applyReportRun(
  sql: Queryable,
  batchId: string,
  run: StoredReport[],
): Promise<{ unmatched: StoredReport[]; events: string[]; applied: AppliedReports }> {
  const first = run[0]?.idx ?? 0;
  const last = run.at(-1)?.idx ?? first;
  const outcomeOf = new Array<number>(last - first + 1).fill(0);
  const at = new Array<string>(last - first + 1).fill(NO_TIME);
  const outcomes = new Map<string, number>();
  const statuses: string[] = [];
  const reasons: (string | null)[] = [];
  const codes: (string | null)[] = [];
  for (const report of run) {
    const key = JSON.stringify([report.status, report.reason, report.providerCode]);
    let outcome = outcomes.get(key);
    if (outcome === undefined) {
      outcome = outcomes.size + 1;
      outcomes.set(key, outcome);
      statuses.push(report.status);
      reasons.push(report.reason);
      codes.push(report.providerCode);
    }
    outcomeOf[report.idx - first] = outcome;
    at[report.idx - first] = report.at.toISOString();
  }
  const outcome = "($4::int[])[m.idx - $2 + 1]";
  const { rows } = await sql.query<{
    present: number[];
    events: string[];
    delivered: number[] | null;
    undelivered: number[] | null;
  }>({
    name: "salvo-apply-reports",
    text: `WITH applied AS (
             UPDATE messages m SET status = ($5::text[])[${outcome}]::"MessageStatus",
                    reason = ($6::text[])[${outcome}], provider_code = ($7::text[])[${outcome}],
                    done_at = ($8::timestamptz[])[m.idx - $2 + 1]
              WHERE m.batch_id = $1 AND m.idx BETWEEN $2 AND $3 AND ${outcome} > 0 AND m.status = 'sent'
             RETURNING m.idx, m.status, m.reason, m.provider_code, m.done_at, m."to", m.account_id, m.sent_at
           ), counters AS (
             UPDATE batches SET
                 delivered = delivered + (SELECT count(*) FROM applied WHERE status = 'delivered'),
                 undelivered = undelivered + (SELECT count(*) FROM applied WHERE status = 'undelivered'),
                 updated_at = now()
              WHERE id = $1 AND EXISTS (SELECT 1 FROM applied)
             RETURNING single
           ), usage AS (
             -- Deliveries by the UTC hour of their report (done_at), for GET /v1/account/usage,
             -- written under the batch's row lock (see "Lock order"). date_bin from a UTC
             -- midnight is date_trunc('hour', done_at, 'UTC') without a time zone's rules per row.
             INSERT INTO usage_hours (batch_id, hour, account_id, delivered)
             SELECT $1, date_bin('1 hour', done_at, '2000-01-01 00:00:00+00'), min(account_id), count(*)
               FROM applied WHERE status = 'delivered' AND EXISTS (SELECT 1 FROM counters) GROUP BY 2
             ON CONFLICT (batch_id, hour) DO UPDATE SET delivered = usage_hours.delivered + EXCLUDED.delivered
           ), unknown_subscribers AS (
             -- With its source message: GET /v1/batches/:id/npai.
             INSERT INTO npai (account_id, number, batch_id, idx)
             SELECT account_id, "to", $1, idx FROM applied WHERE reason = 'unknown_subscriber'
             ON CONFLICT DO NOTHING
           ), events AS (
             ${eventFanOut(
               "dlr",
               `(SELECT a.account_id, json_build_object(
                   'message_id', ${messageIdSql("$1", "a.idx")},
                   'batch_id', CASE WHEN c.single THEN NULL ELSE $1 END,
                   'to', a."to", 'status', a.status, 'reason', a.reason,
                   'provider_code', a.provider_code, 'at', ${isoTimestamp("a.done_at")}) AS data
                 FROM applied a, counters c)`,
             )}
           ), sms_events AS (
             ${smsStatusEvents("applied", "(SELECT * FROM batches WHERE id = $1)")}
           )
           -- The reports' messages written (in the statement's snapshot, applied ones
           -- included): a report without one is for a message not written yet.
           SELECT ARRAY(SELECT m.idx FROM messages m
                         WHERE m.batch_id = $1 AND m.idx BETWEEN $2 AND $3 AND ${outcome} > 0)
                    AS present,
                  ARRAY(SELECT id FROM events UNION ALL SELECT id FROM sms_events) AS events,
                  -- For metrics: each report's time since the hand-off (ms), by status.
                  ${latencies("delivered")} AS delivered, ${latencies("undelivered")} AS undelivered`,
    values: [
      batchId,
      first,
      last,
      arrayLiteral(outcomeOf),
      arrayLiteral(statuses),
      arrayLiteral(reasons),
      arrayLiteral(codes),
      arrayLiteral(at),
    ],
  });
  const row = rows[0];
  const present = new Set(row?.present ?? []);
  const delivered = row?.delivered ?? [];
  const undelivered = row?.undelivered ?? [];
  return {
    unmatched: run.filter((r) => !present.has(r.idx)),
    events: row?.events ?? [],
    applied: {
      delivered: delivered.length,
      undelivered: undelivered.length,
      latenciesMs: [...delivered, ...undelivered],
    },
  };
}

/** The time of a slot without a report (never read: its outcome is 0). */
const NO_TIME = "1970-01-01T00:00:00.000Z";

const latencies = (status: string) =>
  `(SELECT array_agg(GREATEST(0, round(EXTRACT(EPOCH FROM done_at - COALESCE(sent_at, done_at)) * 1000))::int)
      FROM applied WHERE status = '${status}')`;
