import { NotFoundError, newId, type SenderState } from "@salvo/core";
import { eventFanOut, isoTimestamp } from "./outbox";
import { accountPage } from "./page";
import { SENDER_COLUMNS, type Sender } from "./rows";
import { type Queryable, selectList } from "./sql";

const SENDER = selectList(SENDER_COLUMNS);

/**
 * Asks to register `sender` for an account: a new `pending` sender, or the one
 * the account already has with that text (`created: false`), whatever its state.
 * Concurrent requests for the same sender make one row (the unique index decides).
 */
export async function requestSender(
  sql: Queryable,
  accountId: string,
  sender: string,
): Promise<{ sender: Sender; created: boolean }> {
  const { rows } = await sql.query<Sender & { created: boolean }>(
    `WITH inserted AS (
       INSERT INTO senders (id, account_id, sender) VALUES ($1, $2, $3)
       ON CONFLICT (account_id, sender) DO NOTHING
       RETURNING *
     )
     SELECT ${SENDER}, true AS created FROM inserted
     UNION ALL
     SELECT ${SENDER}, false AS created FROM senders WHERE account_id = $2 AND sender = $3`,
    [newId("snd"), accountId, sender],
  );
  // The statement sees the table as it was before it ran: the inserted row comes
  // from the CTE only, an existing one from the table only. A row inserted by a
  // concurrent request after this one started is in neither: read it now.
  const found = rows[0] ?? (await existingSender(sql, accountId, sender));
  const { created, ...row } = found;
  return { sender: row, created };
}

async function existingSender(sql: Queryable, accountId: string, sender: string) {
  const { rows } = await sql.query<Sender & { created: boolean }>(
    `SELECT ${SENDER}, false AS created FROM senders WHERE account_id = $1 AND sender = $2`,
    [accountId, sender],
  );
  if (!rows[0]) throw new Error(`sender ${sender} was neither inserted nor found`);
  return rows[0];
}

/** One page of an account's senders, newest first. */
export async function listSenders(sql: Queryable, accountId: string, page: number) {
  const { rows, pages } = await accountPage<Sender>(sql, {
    table: "senders",
    columns: SENDER,
    orderBy: "created_at DESC, id DESC",
    accountId,
    page,
  });
  return { senders: rows, pages };
}

/** Withdraws one of an account's senders; another account's, or none, is not found. */
export async function deleteSender(sql: Queryable, accountId: string, id: string): Promise<void> {
  const { rowCount } = await sql.query("DELETE FROM senders WHERE account_id = $1 AND id = $2", [
    accountId,
    id,
  ]);
  if (!rowCount) throw new NotFoundError(`No sender ${id}.`);
}

/** Whether `from` is an approved sender of the account: names exactly, numbers with or without `+`. */
export async function isApprovedSender(sql: Queryable, accountId: string, from: string): Promise<boolean> {
  const { rows } = await sql.query<{ approved: boolean }>({
    name: "salvo-approved-sender",
    text: `SELECT EXISTS (
             SELECT 1 FROM senders WHERE account_id = $1 AND state = 'approved'
                AND ltrim(sender, '+') = ltrim($2, '+')
           ) AS approved`,
    values: [accountId, from],
  });
  return rows[0]?.approved === true;
}

/** Every account's senders, oldest first (for operators: the CLI), optionally of one state or account. */
export async function listAllSenders(
  sql: Queryable,
  filter: { state?: SenderState; accountId?: string } = {},
): Promise<Sender[]> {
  const { rows } = await sql.query<Sender>(
    `SELECT ${SENDER} FROM senders
      WHERE ($1::"SenderState" IS NULL OR state = $1) AND ($2::text IS NULL OR account_id = $2)
      ORDER BY created_at, id`,
    [filter.state ?? null, filter.accountId ?? null],
  );
  return rows;
}

/**
 * An operator's decision on a sender (a new one replaces the last); returns it
 * as stored. Its `sender.approved` or `sender.refused` event is written in the
 * same statement, for the account's webhooks that subscribe to it.
 */
export async function decideSender(
  sql: Queryable,
  id: string,
  decision: { state: "approved" } | { state: "refused"; reason: string },
): Promise<Sender> {
  const { rows } = await sql.query<Sender>(
    `WITH decided AS (
       UPDATE senders SET state = $2, reason = $3, decided_at = now() WHERE id = $1 RETURNING *
     ), source AS (
       SELECT account_id, json_build_object(
                'id', id, 'sender', sender, 'state', state, 'reason', reason,
                'decided_at', ${isoTimestamp("decided_at")}) AS data
         FROM decided
     ), written AS (${eventFanOut(`sender.${decision.state}`, "source")})
     SELECT ${SENDER} FROM decided`,
    [id, decision.state, decision.state === "refused" ? decision.reason : null],
  );
  if (!rows[0]) throw new NotFoundError(`No sender ${id}.`);
  return rows[0];
}
