// A batch's history: the replies and STOPs matched to its messages, the numbers
// its delivery reports put on the NPAI list, and every message for an export.
import { messageId, NotFoundError } from "@salvo/core";
import type { RawRecipient } from "./batches";
import { type InboundMessage, REPLY_COLUMNS } from "./inbound";
import { accountPage } from "./page";
import { MESSAGE_COLUMNS, type Message } from "./rows";
import { type Queryable, selectList } from "./sql";

/** One of the account's batches, not a single message's (POST /v1/sms), else NotFoundError: as findBatch. */
async function checkBatch(sql: Queryable, accountId: string, batchId: string): Promise<void> {
  const { rowCount } = await sql.query(
    "SELECT 1 FROM batches WHERE id = $1 AND account_id = $2 AND NOT single",
    [batchId, accountId],
  );
  if (rowCount === 0) throw new NotFoundError(`No batch ${batchId}.`);
}

/**
 * One page of the replies matched to one of the account's batches (each reply
 * answers the last message sent to its number from its sender, see recordReply),
 * newest first; `stopsOnly`: the STOPs among them, the numbers they blacklisted.
 */
export async function listBatchReplies(
  sql: Queryable,
  accountId: string,
  batchId: string,
  options: { page: number; stopsOnly?: boolean },
) {
  await checkBatch(sql, accountId, batchId);
  const { rows, pages } = await accountPage<InboundMessage>(sql, {
    table: "replies",
    columns: REPLY_COLUMNS,
    where: options.stopsOnly ? "batch_id = $2 AND stop" : "batch_id = $2",
    values: [batchId],
    orderBy: "received_at DESC, id DESC",
    accountId,
    page: options.page,
  });
  return { replies: rows, pages };
}

/** A number one of a batch's delivery reports put on the NPAI list. */
export interface BatchNpaiEntry {
  number: string;
  /** The message whose `unknown_subscriber` report added it. */
  messageId: string;
  createdAt: Date;
}

/**
 * One page of the numbers the delivery reports of one of the account's batches
 * put on its NPAI list (unknown_subscriber), newest first. A number already on
 * the list (added by hand, or by an earlier batch) keeps its first source.
 */
export async function listBatchNpai(sql: Queryable, accountId: string, batchId: string, page: number) {
  await checkBatch(sql, accountId, batchId);
  const { rows, pages } = await accountPage<{ number: string; idx: number; createdAt: Date }>(sql, {
    table: "npai",
    columns: `number, idx, created_at AS "createdAt"`,
    where: "batch_id = $2",
    values: [batchId],
    orderBy: "created_at DESC, number",
    accountId,
    page,
  });
  const entries: BatchNpaiEntry[] = rows.map((r) => ({
    number: r.number,
    messageId: messageId(batchId, r.idx),
    createdAt: r.createdAt,
  }));
  return { entries, pages };
}

const MESSAGE = selectList(MESSAGE_COLUMNS);

/** How many messages an export reads at a time. */
const EXPORT_PAGE = 1_000;

/** A message of an export, with its recipient's fields (for the body's placeholders) as the batch holds them; null: none. */
export type ExportedMessage = Message & { fields: Readonly<Record<string, string>> | null };

/**
 * The fields of the recipients at positions `first` to `last` of a batch, from
 * the chunks that hold them (a page of messages spans one or two chunks).
 */
async function recipientFields(
  sql: Queryable,
  batchId: string,
  first: number,
  last: number,
): Promise<(idx: number) => Readonly<Record<string, string>> | null> {
  const { rows } = await sql.query<{ first_index: number; recipients: string }>(
    `SELECT first_index, recipients FROM batch_chunks
      WHERE batch_id = $1 AND first_index <= $3
        AND idx >= (SELECT max(idx) FROM batch_chunks WHERE batch_id = $1 AND first_index <= $2)
      ORDER BY idx`,
    [batchId, first, last],
  );
  const chunks = rows.map((row) => ({
    firstIndex: row.first_index,
    recipients: JSON.parse(row.recipients) as RawRecipient[],
  }));
  return (idx) => {
    const chunk = chunks.findLast((c) => c.firstIndex <= idx);
    const recipient = chunk?.recipients[idx - chunk.firstIndex];
    return typeof recipient === "object" && recipient.length > 2 ? (recipient[2] ?? null) : null;
  };
}

/**
 * Every message of one of the account's batches, in recipient order, read
 * `pageSize` at a time by keyset on the primary key (never the whole batch in
 * memory, and no transaction held open between pages), each with its
 * recipient's fields. The batch is checked
 * before the first page (NotFoundError), so a caller may await the first
 * `next()` before it answers.
 */
export async function* batchMessages(
  sql: Queryable,
  accountId: string,
  batchId: string,
  pageSize = EXPORT_PAGE,
): AsyncGenerator<ExportedMessage[], void, undefined> {
  await checkBatch(sql, accountId, batchId);
  let after = -1;
  for (;;) {
    const { rows } = await sql.query<Message>(
      `SELECT ${MESSAGE} FROM messages WHERE batch_id = $1 AND idx > $2 ORDER BY idx LIMIT $3`,
      [batchId, after, pageSize],
    );
    if (rows.length === 0) return;
    const fieldsOf = await recipientFields(sql, batchId, rows[0]?.idx ?? 0, rows[rows.length - 1]?.idx ?? 0);
    yield rows.map((row) => ({ ...row, fields: fieldsOf(row.idx) }));
    if (rows.length < pageSize) return;
    after = rows[rows.length - 1]?.idx ?? after;
  }
}
