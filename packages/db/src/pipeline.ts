// The worker's set-based SQL: a chunk's messages are written, handed off and
// reported in a few statements, never one round trip per message. Every write
// that changes a message's status updates its batch's counters (and refunds the
// account) in the same transaction, so counts always equal the message rows.
import type { RawRecipient } from "./batches";
import { inTransaction, type Sql, type SqlClient } from "./sql";

export interface BatchForWork {
  id: string;
  accountId: string;
  sender: string;
  body: string;
  country: string | null;
  segments: number;
  status: "accepted" | "processing" | "completed";
  defaultCountry: string;
  floodMaxPerHour: number;
  floodMaxSameBodyPerHour: number;
  sendRateLimit: number | null;
}

/** The batch with what processing it needs from its account, or null when it does not exist. */
export async function loadBatchForWork(sql: Sql, batchId: string): Promise<BatchForWork | null> {
  const { rows } = await sql.query(
    `SELECT b.id, b.account_id AS "accountId", b.sender, b.body, b.country, b.segments, b.status,
            a.default_country AS "defaultCountry", a.flood_max_per_hour AS "floodMaxPerHour",
            a.flood_max_same_body_per_hour AS "floodMaxSameBodyPerHour", a.send_rate_limit AS "sendRateLimit"
       FROM batches b JOIN accounts a ON a.id = b.account_id WHERE b.id = $1`,
    [batchId],
  );
  return (rows[0] as BatchForWork | undefined) ?? null;
}

export async function markBatchProcessing(sql: Sql, batchId: string): Promise<void> {
  await sql.query(
    "UPDATE batches SET status = 'processing', updated_at = now() WHERE id = $1 AND status = 'accepted'",
    [batchId],
  );
}

export interface StoredChunk {
  idx: number;
  firstIndex: number;
  recipients: RawRecipient[];
  /** Per recipient: E.164, "!" (invalid) or "=" (duplicated); null until the batch is expanded. */
  judged: string[] | null;
  /** Positions handed to the provider by a run that has not recorded the outcome (yet). */
  inFlight: number[];
  done: boolean;
}

/** Chunks of a batch, in order, from `fromChunk` on, at most `limit` of them. */
export async function loadChunks(
  sql: Sql,
  batchId: string,
  fromChunk = 0,
  limit = 1_000_000,
): Promise<StoredChunk[]> {
  const { rows } = await sql.query(
    `SELECT idx, first_index, recipients, judged, in_flight, done FROM batch_chunks
      WHERE batch_id = $1 AND idx >= $2 ORDER BY idx LIMIT $3`,
    [batchId, fromChunk, limit],
  );
  return rows.map(
    (row: {
      idx: number;
      first_index: number;
      recipients: string;
      judged: string | null;
      in_flight: number[] | null;
      done: boolean;
    }) => ({
      idx: row.idx,
      firstIndex: row.first_index,
      recipients: JSON.parse(row.recipients) as RawRecipient[],
      judged: row.judged === null ? null : (JSON.parse(row.judged) as string[]),
      inFlight: row.in_flight ?? [],
      done: row.done,
    }),
  );
}

/** Stores the expansion's verdicts (E.164, invalid, duplicated) for several chunks at once. */
export async function saveJudgments(
  sql: Sql,
  batchId: string,
  judged: { idx: number; judged: string[] }[],
): Promise<void> {
  if (judged.length === 0) return;
  const indexes = judged.map((j) => j.idx);
  // The range keeps the plan to the index whatever the table's statistics say.
  await sql.query(
    `UPDATE batch_chunks c SET judged = u.judged FROM unnest($4::int[], $5::text[]) AS u(idx, judged)
      WHERE c.batch_id = $1 AND c.idx BETWEEN $2 AND $3 AND c.idx = u.idx AND c.judged IS NULL`,
    [
      batchId,
      Math.min(...indexes),
      Math.max(...indexes),
      indexes,
      judged.map((j) => JSON.stringify(j.judged)),
    ],
  );
}

/** Positions of a chunk whose messages are already written (a retried chunk skips them). */
export async function writtenPositions(
  sql: Sql,
  batchId: string,
  from: number,
  to: number,
): Promise<Set<number>> {
  const { rows } = await sql.query(
    "SELECT idx FROM messages WHERE batch_id = $1 AND idx >= $2 AND idx < $3",
    [batchId, from, to],
  );
  return new Set(rows.map((row: { idx: number }) => row.idx));
}

/** Which of these numbers are on the account's blacklist and NPAI list. */
export async function listedNumbers(
  sql: Sql,
  accountId: string,
  numbers: string[],
): Promise<{ blacklisted: Set<string>; npai: Set<string> }> {
  const blacklisted = new Set<string>();
  const npai = new Set<string>();
  if (numbers.length === 0) return { blacklisted, npai };
  const { rows } = await sql.query(
    `SELECT number, 'b' AS list FROM blacklist WHERE account_id = $1 AND number = ANY($2::text[])
     UNION ALL
     SELECT number, 'n' AS list FROM npai WHERE account_id = $1 AND number = ANY($2::text[])`,
    [accountId, numbers],
  );
  for (const row of rows as { number: string; list: string }[])
    (row.list === "b" ? blacklisted : npai).add(row.number);
  return { blacklisted, npai };
}

/**
 * The judged and hand-off transactions commit without waiting for the WAL flush:
 * if PostgreSQL crashes and loses one, nothing is lost or sent twice, because
 * what it recorded can be rebuilt: judgements are made again (anti-flood answers
 * the same for the same message), and a lost hand-off outcome leaves the chunk's
 * in-flight marker, which was committed durably before the hand-off, so the next
 * run asks the provider. Everything else commits durably.
 */
const ASYNC_COMMIT = "SET LOCAL synchronous_commit = off";

/** Statuses a message can get before any hand-off. */
export type JudgedStatus = "blacklisted" | "duplicated" | "invalid" | "npai" | "flooded";

export interface JudgedMessage {
  idx: number;
  to: string;
  ref: string | null;
  status: JudgedStatus;
}

/**
 * Writes messages that will not be sent (invalid, duplicated, on a list,
 * flooded): they leave `pending` and their reserved credits are refunded. Rows
 * that already exist (a retry, or another worker that took the chunk over) are
 * left alone and only the rows this call inserted are counted, so counters never
 * move twice.
 */
export async function recordJudgedMessages(
  sql: Sql,
  batch: BatchForWork,
  messages: JudgedMessage[],
): Promise<void> {
  if (messages.length === 0) return;
  await inTransaction(sql, async (client) => {
    await client.query(ASYNC_COMMIT);
    const counts = await insertMessages(
      client,
      batch,
      messages.map((m) => ({ ...m, reason: null })),
      false,
    );
    const inserted = Object.values(counts).reduce((sum, n) => sum + n, 0);
    if (inserted > 0) {
      await updateCounters(client, batch, {
        settled: inserted,
        refund: inserted * batch.segments,
        blacklisted: counts.blacklisted ?? 0,
        duplicated: counts.duplicated ?? 0,
        invalid: counts.invalid ?? 0,
        npai: counts.npai ?? 0,
        flooded: counts.flooded ?? 0,
      });
    }
  });
}

/**
 * Records which positions of a chunk are about to be handed to the provider. Done
 * before every hand-off: if the process dies before the outcome is written, the
 * next run knows exactly which messages are in doubt. Only one group can be in
 * flight: false when another is (a run that lost the chunk must not overwrite the
 * marker of the run that owns it now).
 */
export async function markInFlight(
  sql: Sql,
  batchId: string,
  chunk: number,
  positions: number[],
): Promise<boolean> {
  const { rowCount } = await sql.query(
    "UPDATE batch_chunks SET in_flight = $3 WHERE batch_id = $1 AND idx = $2 AND cardinality(in_flight) = 0",
    [batchId, chunk, positions],
  );
  return rowCount === 1;
}

export interface HandoffOutcome {
  idx: number;
  to: string;
  ref: string | null;
  accepted: boolean;
  reason?: string;
}

/**
 * Writes what the provider said for messages handed off: `sent` (cost = segments)
 * or `failed` (refunded), with the batch's counters, and clears the chunk's
 * in-flight marker, all in one transaction. A row that already exists is left
 * alone and not counted, so recording the same outcome twice changes nothing.
 */
export async function recordHandoffs(
  sql: Sql,
  batch: BatchForWork,
  chunk: number,
  outcomes: HandoffOutcome[],
): Promise<void> {
  await inTransaction(sql, async (client) => {
    await client.query(ASYNC_COMMIT);
    if (outcomes.length > 0) {
      const counts = await insertMessages(
        client,
        batch,
        outcomes.map((o) => ({
          idx: o.idx,
          to: o.to,
          ref: o.ref,
          status: o.accepted ? "sent" : "failed",
          reason: o.accepted ? null : (o.reason ?? "rejected_by_provider"),
        })),
        true,
      );
      const sent = counts.sent ?? 0;
      const failed = counts.failed ?? 0;
      if (sent + failed > 0) {
        await updateCounters(client, batch, {
          settled: sent + failed,
          sent,
          failed,
          cost: sent * batch.segments,
          refund: failed * batch.segments,
        });
      }
    }
    await client.query("UPDATE batch_chunks SET in_flight = '{}' WHERE batch_id = $1 AND idx = $2", [
      batch.id,
      chunk,
    ]);
  });
}

/** Marks a chunk whose every message is final. */
export async function markChunkDone(sql: Sql, batchId: string, chunk: number): Promise<void> {
  await sql.query("UPDATE batch_chunks SET done = true WHERE batch_id = $1 AND idx = $2", [batchId, chunk]);
}

interface MessageRow {
  idx: number;
  to: string;
  ref: string | null;
  status: string;
  reason: string | null;
}

/**
 * Inserts message rows in one statement; rows that already exist are left alone.
 * Returns how many rows of each status this call inserted, the only ones to count.
 */
async function insertMessages(
  client: SqlClient,
  batch: BatchForWork,
  rows: MessageRow[],
  handedOff: boolean,
): Promise<Record<string, number>> {
  const { rows: inserted } = await client.query(
    `INSERT INTO messages (batch_id, idx, account_id, "to", ref, status, reason, segments, cost, sent_at)
     SELECT $1, u.idx, $2, u.to, u.ref, u.status::"MessageStatus", u.reason, $3,
            CASE WHEN u.status = 'sent' THEN $3 ELSE 0 END, CASE WHEN $9 THEN now() END
       FROM unnest($4::int[], $5::text[], $6::text[], $7::text[], $8::text[]) AS u(idx, "to", ref, status, reason)
     ON CONFLICT (batch_id, idx) DO NOTHING
     RETURNING status`,
    [
      batch.id,
      batch.accountId,
      batch.segments,
      rows.map((r) => r.idx),
      rows.map((r) => r.to),
      rows.map((r) => r.ref),
      rows.map((r) => r.status),
      rows.map((r) => r.reason),
      handedOff,
    ],
  );
  const counts: Record<string, number> = {};
  for (const row of inserted as { status: string }[]) counts[row.status] = (counts[row.status] ?? 0) + 1;
  return counts;
}

interface CounterChanges {
  /** Messages that left `pending`. */
  settled: number;
  refund?: number;
  cost?: number;
  sent?: number;
  failed?: number;
  blacklisted?: number;
  duplicated?: number;
  invalid?: number;
  npai?: number;
  flooded?: number;
}

async function updateCounters(client: SqlClient, batch: BatchForWork, c: CounterChanges): Promise<void> {
  await client.query(
    `UPDATE batches SET
        pending = pending - $2, sent = sent + $3, failed = failed + $4, blacklisted = blacklisted + $5,
        duplicated = duplicated + $6, invalid = invalid + $7, npai = npai + $8, flooded = flooded + $9,
        cost = cost + $10, updated_at = now(),
        status = CASE WHEN pending - $2 = 0 THEN 'completed'::"BatchStatus" ELSE 'processing'::"BatchStatus" END,
        completed_at = CASE WHEN pending - $2 = 0 THEN now() ELSE completed_at END
      WHERE id = $1`,
    [
      batch.id,
      c.settled,
      c.sent ?? 0,
      c.failed ?? 0,
      c.blacklisted ?? 0,
      c.duplicated ?? 0,
      c.invalid ?? 0,
      c.npai ?? 0,
      c.flooded ?? 0,
      c.cost ?? 0,
    ],
  );
  if (c.refund) {
    await client.query("UPDATE accounts SET credits = credits + $2, updated_at = now() WHERE id = $1", [
      batch.accountId,
      c.refund,
    ]);
  }
}

export interface StoredReport {
  batchId: string;
  idx: number;
  status: "delivered" | "undelivered";
  reason: string | null;
  at: Date;
}

/**
 * Applies delivery reports: `sent` messages become `delivered` or `undelivered`,
 * the batch's counters follow in the same transaction, and an `unknown_subscriber`
 * puts the number on the account's NPAI list. A report for a message that is not
 * `sent` (already reported: ignored; not yet recorded as sent: returned) changes
 * nothing. Returns the reports that found no message yet (to be retried).
 */
export async function applyDeliveryReports(sql: Sql, reports: StoredReport[]): Promise<StoredReport[]> {
  const byBatch = new Map<string, StoredReport[]>();
  for (const report of reports) {
    const list = byBatch.get(report.batchId) ?? [];
    list.push(report);
    byBatch.set(report.batchId, list);
  }
  const unmatched: StoredReport[] = [];
  for (const [batchId, list] of byBatch) {
    await inTransaction(sql, async (client) => {
      const applied: AppliedReport[] = [];
      for (const run of positionRuns(list)) {
        const result = await applyReportRun(client, batchId, run);
        applied.push(...result.applied);
        unmatched.push(...result.unmatched);
      }
      const delivered = applied.filter((r) => r.status === "delivered").length;
      const undelivered = applied.length - delivered;
      if (applied.length > 0) {
        await client.query(
          `UPDATE batches SET delivered = delivered + $2, undelivered = undelivered + $3, updated_at = now() WHERE id = $1`,
          [batchId, delivered, undelivered],
        );
      }
      const unknown = applied.filter((r) => r.reason === "unknown_subscriber");
      if (unknown.length > 0) {
        await client.query(
          `INSERT INTO npai (account_id, number) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING`,
          [unknown.map((r) => r.account_id), unknown.map((r) => r.to)],
        );
      }
    });
  }
  return unmatched;
}

interface AppliedReport {
  idx: number;
  status: string;
  reason: string | null;
  to: string;
  account_id: string;
}

/**
 * Reports sorted by position and cut where two positions are far apart. Each run
 * is applied with a range on the primary key (`idx BETWEEN first AND last`), which
 * every plan uses as an index condition: with `idx = ANY(...)` alone, the planner
 * may read every row of the batch (a million) for each group of reports, as it
 * does when the table's statistics are missing or stale.
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

/** Positions further apart than this start a new statement: a run reads at most this many extra rows per report. */
const MAX_POSITION_GAP = 256;

/** Applies a run of reports; also returns those whose message is not written yet. */
async function applyReportRun(
  client: SqlClient,
  batchId: string,
  run: StoredReport[],
): Promise<{ applied: AppliedReport[]; unmatched: StoredReport[] }> {
  const first = run[0]?.idx;
  const last = run.at(-1)?.idx;
  const { rows } = await client.query(
    `UPDATE messages m SET status = u.status::"MessageStatus", reason = u.reason, done_at = u.at
       FROM unnest($4::int[], $5::text[], $6::text[], $7::timestamptz[]) AS u(idx, status, reason, at)
      WHERE m.batch_id = $1 AND m.idx BETWEEN $2 AND $3 AND m.idx = u.idx AND m.status = 'sent'
     RETURNING m.idx, m.status, m.reason, m."to", m.account_id`,
    [
      batchId,
      first,
      last,
      run.map((r) => r.idx),
      run.map((r) => r.status),
      run.map((r) => r.reason),
      run.map((r) => r.at),
    ],
  );
  const applied = rows as AppliedReport[];
  if (applied.length === run.length) return { applied, unmatched: [] };
  // Not applied: already reported (ignored), or not recorded as sent yet (to retry).
  const done = new Set(applied.map((r) => r.idx));
  const rest = run.filter((r) => !done.has(r.idx));
  const { rows: written } = await client.query(
    "SELECT idx FROM messages WHERE batch_id = $1 AND idx BETWEEN $2 AND $3 AND idx = ANY($4::int[])",
    [batchId, first, last, rest.map((r) => r.idx)],
  );
  const known = new Set((written as { idx: number }[]).map((w) => w.idx));
  return { applied, unmatched: rest.filter((r) => !known.has(r.idx)) };
}
