// An account's batches searched as SMSFactor's campaign history shows them
// (GET /smsfactor/campaigns): a window of rows (start, length) under filters, with
// what only the history adds to a batch row (its STOP replies, the numbers its
// delivery reports put on the NPAI list).
import { BATCH_COLUMNS, type Batch } from "./rows";
import { type Queryable, selectList } from "./sql";

/** What the campaign history may filter on and sort by; every filter given must match. */
export interface CampaignSearch {
  start: number;
  length: number;
  /** Sending date (send_at, else created_at) at or after / at or before. */
  dateFrom?: Date;
  dateTo?: Date;
  /** Recipients (`total`) at least / at most. */
  totalMin?: number;
  totalMax?: number;
  /** A message of it went (or goes) to this number, E.164. */
  destination?: string;
  /** A piece of its text, case-insensitive. */
  text?: string;
  sort: { by: "id" | "date" | "text" | "cost" | "status"; descending: boolean };
}

/** A batch with its history's counts and the contact lists it was sent to. */
export type Campaign = Batch & {
  /** The ids of the contact lists it was sent to, as given (none: its recipients were given one by one). */
  contactLists: string[];
  /** Its STOP replies. */
  stops: number;
  /** Numbers its delivery reports put on the NPAI list. */
  reportedNpai: number;
};

const CAMPAIGN = selectList(BATCH_COLUMNS, { prefix: "b." });
const HISTORY_COUNTS = `
  coalesce(b.contact_lists, '{}') AS "contactLists",
  (SELECT count(*)::int FROM replies r WHERE r.batch_id = b.id AND r.stop) AS stops,
  (SELECT count(*)::int FROM npai n WHERE n.batch_id = b.id) AS "reportedNpai"`;

// Sorting columns: fixed texts chosen by name, never the client's.
const SORT_COLUMNS = {
  id: "b.id",
  date: "coalesce(b.send_at, b.created_at)",
  text: "b.body",
  cost: "b.cost",
  status: "b.status",
} as const;

/**
 * A window of the account's batches (single messages are not campaigns), with
 * the number of its batches in all (`records`) and of those the filters keep
 * (`matching`), as SMSFactor's `totalRecords` / `totalDisplayRecords`.
 */
export async function searchCampaigns(
  sql: Queryable,
  accountId: string,
  search: CampaignSearch,
): Promise<{ campaigns: Campaign[]; records: number; matching: number }> {
  const where = `b.account_id = $1 AND NOT b.single
    AND ($2::timestamptz IS NULL OR coalesce(b.send_at, b.created_at) >= $2)
    AND ($3::timestamptz IS NULL OR coalesce(b.send_at, b.created_at) <= $3)
    AND ($4::int IS NULL OR b.total >= $4)
    AND ($5::int IS NULL OR b.total <= $5)
    AND ($6::text IS NULL OR EXISTS (SELECT 1 FROM messages m WHERE m.batch_id = b.id AND m."to" = $6))
    AND ($7::text IS NULL OR b.body ILIKE $7)`;
  const values = [
    accountId,
    search.dateFrom ?? null,
    search.dateTo ?? null,
    search.totalMin ?? null,
    search.totalMax ?? null,
    search.destination ?? null,
    search.text === undefined ? null : `%${search.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
  ];
  const direction = search.sort.descending ? "DESC" : "ASC";
  const [page, counts] = await Promise.all([
    sql.query<Campaign>(
      `SELECT ${CAMPAIGN}, ${HISTORY_COUNTS} FROM batches b WHERE ${where}
        ORDER BY ${SORT_COLUMNS[search.sort.by]} ${direction}, b.id ${direction}
        OFFSET $8 LIMIT $9`,
      [...values, search.start, search.length],
    ),
    sql.query<{ records: number; matching: number }>(
      `SELECT (SELECT count(*)::int FROM batches WHERE account_id = $1 AND NOT single) AS records,
              (SELECT count(*)::int FROM batches b WHERE ${where}) AS matching`,
      values,
    ),
  ]);
  return {
    campaigns: page.rows,
    records: counts.rows[0]?.records ?? 0,
    matching: counts.rows[0]?.matching ?? 0,
  };
}

/** One of the account's batches with its history's counts; null when it has none of that id. */
export async function findCampaign(
  sql: Queryable,
  accountId: string,
  batchId: string,
): Promise<Campaign | null> {
  const { rows } = await sql.query<Campaign>(
    `SELECT ${CAMPAIGN}, ${HISTORY_COUNTS} FROM batches b WHERE b.id = $1 AND b.account_id = $2 AND NOT b.single`,
    [batchId, accountId],
  );
  return rows[0] ?? null;
}

/** A reply to one of a campaign's messages, with the fields its recipient was sent with. */
export interface CampaignReply {
  from: string;
  body: string;
  receivedAt: Date;
  /** The recipient's fields as the batch holds them (`info1`…); null: none. */
  fields: Record<string, string> | null;
}

/**
 * The replies (or only the STOPs) to one of the account's batches, oldest first,
 * each with its recipient's fields, read from the batch's chunk at the message's
 * position (`["number", ref, {fields}]`). Null when the account has no such batch.
 */
export async function listCampaignReplies(
  sql: Queryable,
  accountId: string,
  batchId: string,
  stopsOnly: boolean,
): Promise<CampaignReply[] | null> {
  if (!(await findCampaign(sql, accountId, batchId))) return null;
  const { rows } = await sql.query<CampaignReply>(
    `SELECT r."from", r.body, r.received_at AS "receivedAt",
            (SELECT CASE WHEN json_typeof(c.recipients::json -> (r.idx - c.first_index)) = 'array'
                         THEN (c.recipients::json -> (r.idx - c.first_index)) -> 2 END
               FROM batch_chunks c
              WHERE c.batch_id = r.batch_id AND c.first_index <= r.idx
              ORDER BY c.first_index DESC LIMIT 1) AS fields
       FROM replies r
      WHERE r.batch_id = $1 AND r.account_id = $2 AND ($3::boolean IS FALSE OR r.stop)
      ORDER BY r.received_at, r.id`,
    [batchId, accountId, stopsOnly],
  );
  return rows;
}
