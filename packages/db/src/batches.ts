import { messageId, NotEnoughCreditsError, NotFoundError, pageCount, pageWindow } from "@salvo/core";
import type { Db } from "./client";
import type { Batch, Message, MessageStatus } from "./generated/prisma/client";
import { inTransaction, type Sql } from "./sql";

export type { Batch, Message, MessageStatus };

/** A recipient as the API received it: a number, or a number and the client's reference. */
export type RawRecipient = string | [to: string, ref: string];

interface NewBatch {
  id: string;
  accountId: string;
  type: "transactional" | "marketing";
  sender: string;
  body: string;
  country: string | null;
  segments: number;
  recipients: RawRecipient[];
  chunkSize: number;
}

/**
 * Stores a batch and its raw recipients in one transaction, after taking its full
 * cost (segments × recipients) from the account's credits. The credit check and
 * the debit are one conditional UPDATE, so concurrent batches can never take the
 * balance below zero; without enough credits nothing is written.
 */
export async function acceptBatch(sql: Sql, batch: NewBatch): Promise<void> {
  const total = batch.recipients.length;
  const cost = batch.segments * total;
  const chunkIndexes: number[] = [];
  const firstIndexes: number[] = [];
  const chunkTexts: string[] = [];
  for (let first = 0, chunk = 0; first < total; first += batch.chunkSize, chunk++) {
    chunkIndexes.push(chunk);
    firstIndexes.push(first);
    chunkTexts.push(JSON.stringify(batch.recipients.slice(first, first + batch.chunkSize)));
  }
  await inTransaction(sql, async (client) => {
    const debited = await client.query(
      "UPDATE accounts SET credits = credits - $2, updated_at = now() WHERE id = $1 AND credits >= $2",
      [batch.accountId, cost],
    );
    if (debited.rowCount === 0) {
      throw new NotEnoughCreditsError(`This batch costs ${cost} credits; the account does not have them.`);
    }
    await client.query(
      `INSERT INTO batches (id, account_id, type, sender, body, country, segments, total, chunk_count, reserved, pending)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $8)`,
      [
        batch.id,
        batch.accountId,
        batch.type,
        batch.sender,
        batch.body,
        batch.country,
        batch.segments,
        total,
        chunkIndexes.length,
        cost,
      ],
    );
    await client.query(
      `INSERT INTO batch_chunks (batch_id, idx, first_index, recipients)
       SELECT $1, u.idx, u.first_index, u.recipients FROM unnest($2::int[], $3::int[], $4::text[]) AS u(idx, first_index, recipients)`,
      [batch.id, chunkIndexes, firstIndexes, chunkTexts],
    );
  });
}

/** One of the account's batches; another account's id is not found. */
export async function findBatch(db: Db, accountId: string, batchId: string): Promise<Batch> {
  const batch = await db.batch.findFirst({ where: { id: batchId, accountId } });
  if (!batch) throw new NotFoundError(`No batch ${batchId}.`);
  return batch;
}

/** One page of the account's batches, newest first. */
export async function listBatches(db: Db, accountId: string, page: number) {
  const [total, batches] = await db.$transaction([
    db.batch.count({ where: { accountId } }),
    db.batch.findMany({
      where: { accountId },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      ...pageWindow(page),
    }),
  ]);
  return { batches, pages: pageCount(total) };
}

/** One page of a batch's messages in recipient order, optionally of one status. */
export async function listMessages(
  db: Db,
  accountId: string,
  batchId: string,
  options: { status?: MessageStatus; page: number },
) {
  const batch = await findBatch(db, accountId, batchId);
  const where = { batchId: batch.id, ...(options.status ? { status: options.status } : {}) };
  const [total, messages] = await db.$transaction([
    db.message.count({ where }),
    db.message.findMany({ where, orderBy: { idx: "asc" }, ...pageWindow(options.page) }),
  ]);
  return {
    messages: messages.map((m) => ({ ...m, id: messageId(m.batchId, m.idx) })),
    pages: pageCount(total),
  };
}
