import {
  BatchNotCancelableError,
  type BatchStatus,
  type FieldLengths,
  GSM_BASIC_CHARACTERS,
  GSM_EXTENSION_CHARACTERS,
  InvalidParameterError,
  isFinalBatchStatus,
  isPersonalised,
  MAX_RECIPIENTS,
  type ModerationReason,
  messageId,
  NotEnoughCreditsError,
  NotFoundError,
  pageCount,
  pageWindow,
  parseTemplate,
  segmentBound,
  segmentCount,
  templateFields,
  withPlaceholderLinks,
} from "@salvo/core";
import { creditsChange } from "./balance";
import { allocateLinkIds } from "./links";
import { eventFanOut, isoTimestamp } from "./outbox";
import { accountPage } from "./page";
import { withdrawMessages } from "./pipeline";
import { BATCH_COLUMNS, type Batch, MESSAGE_COLUMNS, type Message, type MessageStatus } from "./rows";
import { smsStatusEvents } from "./sms-status";
import { atomically, type Queryable, selectList } from "./sql";

/**
 * A recipient as the API received it, or a contact as a list held it at
 * acceptance: a number, a number and the client's reference, or a number, a
 * reference (null: none) and the fields its message's placeholders show.
 */
export type RawRecipient =
  | string
  | [to: string, ref: string]
  | [to: string, ref: string | null, fields: Readonly<Record<string, string>>];

export interface NewBatch {
  id: string;
  accountId: string;
  type: "transactional" | "marketing";
  sender: string;
  body: string;
  country: string | null;
  /**
   * Segments reserved per message: the body's, or for a personalised body the
   * most any of `recipients` renders to (the lists' bound is added here, see
   * acceptBatch). Each message costs its own and the rest is refunded.
   */
  segments: number;
  recipients: RawRecipient[];
  /** The account's contact lists whose contacts follow `recipients`, copied as they are now. */
  contactLists?: string[];
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
  links?: {
    base: number;
    /** Link ids taken from `base` on: at least the batch's messages × URLs (see acceptBatch). */
    ids: number;
    urls: string[];
    prefix: string;
    expiresAt: Date;
  } | null;
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

// Sofy's first `sms.status` of a single message (POST /v1/sms), `pending`, when the
// `batch` CTE stored it; its number, the only recipient of the first chunk ($11),
// as the request wrote it (and the answer of POST /v1/sms showed it).
const SINGLE_PENDING_EVENTS = smsStatusEvents(
  // Read only for a single message ($13): a batch's first recipient may hold what
  // no text can (a NUL, counted invalid later), which ->> would refuse.
  `(SELECT 0 AS idx, 'pending'::text AS status, NULL::text AS reason,
           CASE WHEN $13 THEN COALESCE($11::json->0->0->>0, $11::json->0->>0) END AS "to")`,
  "batch",
);

// The debit of a batch's cost ($10), unless it is stored already (`existing`).
const DEBIT = creditsChange("debited", {
  account: "$2",
  credits: "a.credits - $10",
  where: "a.credits >= $10 AND NOT EXISTS (SELECT 1 FROM existing)",
  reason: "send",
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
 *
 * `contactLists`: their contacts (number and fields) are copied into the
 * batch's chunks after its JSON recipients, in the same transaction, so later
 * edits of the lists change nothing of it; the reservation per message is then
 * at least the lists' bound (see snapshotStats). An id that is not one of the
 * account's lists, lists without contacts, or more than MAX_RECIPIENTS in all
 * are refused (InvalidParameterError) with nothing written.
 */
export async function acceptBatch(sql: Queryable, batch: NewBatch): Promise<string[]> {
  if (!batch.contactLists?.length) return insertBatch(sql, batch, { contacts: 0, segments: batch.segments });
  const lists = batch.contactLists;
  // The lists are held (FOR SHARE, which every write of their contacts waits
  // for) from their count to the copy of their contacts, in one transaction.
  return atomically(sql, async (tx) => {
    // Segments are counted on the text with its links shortened (codes all have the same length).
    const counted = batch.links
      ? withPlaceholderLinks(batch.body, batch.links.prefix, batch.shortenUrls ?? false)
      : batch.body;
    const listed = await snapshotStats(tx, batch.accountId, lists, counted);
    const total = batch.recipients.length + listed.contacts;
    if (total === 0)
      throw new InvalidParameterError("contact_lists: the lists have no contacts", "contact_lists");
    if (total > MAX_RECIPIENTS)
      throw new InvalidParameterError(
        `contact_lists: at most ${MAX_RECIPIENTS} recipients per batch, the lists' contacts included (this one has ${total})`,
        "contact_lists",
      );
    // The links' range was taken for the lists' counts before this transaction
    // held them: lists grown since get a range of the right size (its own
    // statement, on another connection: the counter's row is never held long).
    const ids = batch.links ? total * batch.links.urls.length : 0;
    const links =
      batch.links && ids > batch.links.ids
        ? { ...batch.links, ids, base: (await allocateLinkIds(sql, ids)).base }
        : batch.links;
    return insertBatch(
      tx,
      { ...batch, links },
      {
        contacts: listed.contacts,
        segments: Math.max(batch.segments, listed.segments),
      },
    );
  });
}

/** A regular-expression bracket expression of `chars` (`^` first: of every other character). */
function bracket(chars: string, negated = false): string {
  return `[${negated ? "^" : ""}${[...chars].map((c) => (/[\\[\]^-]/.test(c) ? `\\${c}` : c)).join("")}]`;
}

// For PostgreSQL's regular expressions (7 times as fast as translate() over a
// million values): a GSM-7 extension character (2 septets), and a character
// outside GSM 03.38 (the escape included), which makes a message UCS-2.
const GSM_EXTENSION_CHARACTER = bracket(GSM_EXTENSION_CHARACTERS);
const NOT_GSM_CHARACTER = bracket(
  (GSM_BASIC_CHARACTERS + GSM_EXTENSION_CHARACTERS).replace("\u001b", ""),
  true,
);

/**
 * The sum of the lists' contact counts, when every id is one of the account's
 * lists; else InvalidParameterError naming the first that is not (`lock`: held
 * until the end of the caller's transaction).
 */
export async function checkContactLists(
  sql: Queryable,
  accountId: string,
  lists: string[],
  lock: "FOR SHARE" | "" = "",
): Promise<number> {
  const held = await sql.query<{ id: string; contact_count: number }>(
    `SELECT id, contact_count FROM contact_lists WHERE id = ANY($1::text[]) AND account_id = $2 ${lock}`,
    [lists, accountId],
  );
  const found = new Set(held.rows.map((row) => row.id));
  const unknown = lists.findIndex((id) => !found.has(id));
  if (unknown >= 0)
    throw new InvalidParameterError(
      `contact_lists.${unknown}: no contact list ${lists[unknown]} on this account`,
      `contact_lists.${unknown}`,
    );
  return held.rows.reduce((sum, row) => sum + row.contact_count, 0);
}

/**
 * How many contacts the account's lists hold, and the most segments any of their
 * messages can take: from aggregates of the lengths of the fields the body
 * shows (segmentBound), never a pass over the contacts in Node. An id that is not
 * one of the account's lists is refused, naming it.
 */
export async function snapshotStats(
  sql: Queryable,
  accountId: string,
  lists: string[],
  body: string,
): Promise<{ contacts: number; segments: number }> {
  await checkContactLists(sql, accountId, lists, "FOR SHARE");
  const counted = await sql.query<{ contacts: number }>(
    "SELECT count(*)::int AS contacts FROM contacts WHERE list_id = ANY($1::text[])",
    [lists],
  );
  const contacts = counted.rows[0]?.contacts ?? 0;
  const template = parseTemplate(body);
  if (!isPersonalised(template)) return { contacts, segments: segmentCount(body) };
  // Units: UTF-16 code units (an astral character is 2); septets as if GSM-7
  // (an extension character is 2); ucs2: some character outside GSM 03.38.
  const { rows } = await sql.query<{ name: string } & FieldLengths>(
    `SELECT f.name, max(length(x.v) + CASE WHEN x.ucs2 THEN regexp_count(x.v, '[\\U00010000-\\U0010FFFF]') ELSE 0 END)::int AS units,
            max(length(x.v) + regexp_count(x.v, $3))::int AS septets, bool_or(x.ucs2) AS ucs2
       FROM contacts c CROSS JOIN unnest($2::text[]) AS f(name)
            CROSS JOIN LATERAL (SELECT c.fields->>f.name AS v) y
            CROSS JOIN LATERAL (SELECT y.v, y.v ~ $4 AS ucs2) x
      WHERE c.list_id = ANY($1::text[]) AND x.v IS NOT NULL
      GROUP BY f.name`,
    [lists, templateFields(template), GSM_EXTENSION_CHARACTER, NOT_GSM_CHARACTER],
  );
  const lengths = new Map(rows.map(({ name, ...field }) => [name, field]));
  return { contacts, segments: contacts === 0 ? 0 : segmentBound(template, lengths) };
}

/**
 * The one statement that takes a batch's credits and stores it, its chunks of
 * JSON recipients, then (`listed.contacts` > 0) its chunks of the lists'
 * contacts, copied by PostgreSQL in list order then number order.
 */
async function insertBatch(
  sql: Queryable,
  batch: NewBatch,
  listed: { contacts: number; segments: number },
): Promise<string[]> {
  const total = batch.recipients.length + listed.contacts;
  const segments = listed.segments;
  const cost = segments * total;
  const chunks: RawRecipient[][] = [];
  for (let first = 0; first < batch.recipients.length; first += batch.chunkSize) {
    chunks.push(batch.recipients.slice(first, first + batch.chunkSize));
  }
  const listChunks = Math.ceil(listed.contacts / batch.chunkSize);
  // The chunks travel as ONE json text, split by PostgreSQL: a json value's
  // elements keep their text as written, so each chunk's row is the JSON array
  // of its recipients. (A text[] of per-chunk JSON texts would be escaped into
  // an array literal by node-postgres, a string of millions of pieces that
  // held 150 MB of heap for a million recipients; this one is 17 MB, flat.)
  // The lists' contacts follow, chunkSize to a chunk, aggregated in SQL
  // (`list_chunks`): they never come to Node.
  // Data-modifying CTEs all run to completion; the batch and its chunks are
  // inserted only when the debit returned the account's row.
  const { rows } = await sql.query<{ debited: number; existed: boolean; events: string[] }>({
    name: "salvo-accept-batch",
    text: `WITH existing AS (
             SELECT id FROM batches WHERE id = $1 AND account_id = $2
           ), ${DEBIT}, batch AS (
             INSERT INTO batches (id, account_id, type, sender, body, country, segments, total, chunk_count, reserved, pending,
                                  single, shorten_urls, send_at, status, moderation_reasons, name,
                                  link_base, link_urls, link_prefix, links_expire_at, contact_lists)
             SELECT $1, debited.account_id, $3, $4, $5, $6, $7, $8, $9, $10, $8, $13, $14, $15::timestamptz,
                    CASE WHEN $16::jsonb IS NOT NULL THEN 'moderation'
                         WHEN $15::timestamptz IS NULL THEN 'accepted' ELSE 'scheduled' END::"BatchStatus",
                    $16::jsonb, $17, $22::bigint, $23::text[], $24, $25::timestamptz, $18::text[]
               FROM debited RETURNING *
           ), held_events AS (${HELD_EVENTS}), sms_pending AS (${SINGLE_PENDING_EVENTS}), chunks AS (
             INSERT INTO batch_chunks (batch_id, idx, first_index, recipients)
             SELECT batch.id, c.n - 1, (c.n - 1) * $12, c.recipients::text
               FROM batch, json_array_elements($11::json) WITH ORDINALITY AS c(recipients, n)
           ), list_chunks AS (
             INSERT INTO batch_chunks (batch_id, idx, first_index, recipients)
             SELECT batch.id, $19 + g.n, $20 + g.n * $12, g.recipients
               FROM batch, (
                 SELECT (s.rn - 1) / $12 AS n,
                        json_agg(json_build_array(s.number, NULL, s.fields) ORDER BY s.rn)::text AS recipients
                   FROM (SELECT c.number, c.fields, row_number() OVER (ORDER BY l.ord, c.number) AS rn
                           FROM unnest($18::text[]) WITH ORDINALITY AS l(id, ord)
                           JOIN contacts c ON c.list_id = l.id) s
                  GROUP BY 1
               ) g
              WHERE $21
           )
           SELECT (SELECT count(*)::int FROM debited) AS debited, EXISTS (SELECT 1 FROM existing) AS existed,
                  ARRAY(SELECT id FROM debited_alerts UNION ALL SELECT id FROM held_events
                        UNION ALL SELECT id FROM sms_pending) AS events`,
    values: [
      batch.id,
      batch.accountId,
      batch.type,
      batch.sender,
      batch.body,
      batch.country,
      segments,
      total,
      chunks.length + listChunks,
      cost,
      JSON.stringify(chunks),
      batch.chunkSize,
      batch.single ?? false,
      batch.shortenUrls ?? false,
      batch.sendAt ?? null,
      batch.moderation?.length ? JSON.stringify(batch.moderation) : null,
      batch.name ?? null,
      batch.contactLists ?? [],
      chunks.length,
      batch.recipients.length,
      listed.contacts > 0,
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
// Of one status, and a search: `$3` digits of its number, or `$4` its ref exactly.
const OF_STATUS = `batch_id = $1 AND ($2::"MessageStatus" IS NULL OR status = $2)
  AND ($4::text IS NULL OR ($3::text <> '' AND strpos("to", $3) > 0) OR ref = $4)`;

/** One page of a batch's messages in recipient order, optionally of one status. */
export async function listMessages(
  sql: Queryable,
  accountId: string,
  batchId: string,
  options: { status?: MessageStatus; page: number; q?: string },
) {
  const batch = await sql.query("SELECT 1 FROM batches WHERE id = $1 AND account_id = $2 AND NOT single", [
    batchId,
    accountId,
  ]);
  if (batch.rowCount === 0) throw new NotFoundError(`No batch ${batchId}.`);
  const { skip, take } = pageWindow(options.page);
  const status = options.status ?? null;
  const q = options.q || null;
  const digits = q && /^[\d\s+]+$/.test(q) ? q.replace(/[\s+]/g, "") : "";
  const filter = [batchId, status, digits, q];
  const [counted, listed] = await Promise.all([
    sql.query<{ total: number }>(`SELECT count(*)::int AS total FROM messages WHERE ${OF_STATUS}`, filter),
    sql.query<Message>(`SELECT ${MESSAGE} FROM messages WHERE ${OF_STATUS} ORDER BY idx LIMIT $5 OFFSET $6`, [
      ...filter,
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
