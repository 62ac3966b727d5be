// Delivery of the balance alerts by e-mail and SMS written by creditsChange (the
// outbox of balance_alert_notices). A worker claims due notices for a lease, so
// two workers never deliver one at once, and settles each: sent, failed for good,
// or due again after a backoff. The destination is read from the account when it
// is delivered (it is never copied into the notice).
import type { Queryable } from "./sql";

export type BalanceAlertChannel = "email" | "sms";

/** A notice claimed for delivery, with what delivering it needs from its account. */
export interface ClaimedBalanceAlert {
  id: string;
  accountId: string;
  channel: BalanceAlertChannel;
  threshold: number;
  balance: number;
  /** This attempt's number, from 1. */
  attempts: number;
  /** An SMS notice's batch, once chosen (see chooseBatch). */
  batchId: string | null;
  accountName: string;
  defaultCountry: string;
  /** The account's destination for this channel now; null: the channel is off (or has none). */
  destination: string | null;
}

/**
 * Claims up to `limit` notices due now (not sent, not failed, past their backoff,
 * unclaimed or with an expired claim) for `leaseMs`, counting the attempt.
 * SKIP LOCKED: concurrent claimers take different notices.
 */
export async function claimBalanceAlerts(
  sql: Queryable,
  limit: number,
  leaseMs: number,
): Promise<ClaimedBalanceAlert[]> {
  const { rows } = await sql.query<ClaimedBalanceAlert>(
    `WITH due AS (
       SELECT id FROM balance_alert_notices
        WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now()
          AND (claimed_until IS NULL OR claimed_until < now())
        ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED
     )
     UPDATE balance_alert_notices n
        SET claimed_until = now() + make_interval(secs => $2::double precision / 1000), attempts = n.attempts + 1
       FROM due, accounts a
      WHERE n.id = due.id AND a.id = n.account_id
     RETURNING n.id, n.account_id AS "accountId", n.channel, n.threshold, n.balance, n.attempts,
               n.batch_id AS "batchId", a.name AS "accountName", a.default_country AS "defaultCountry",
               CASE WHEN n.channel = 'email' AND a.balance_alert_by_email THEN a.balance_alert_email
                    WHEN n.channel = 'sms' AND a.balance_alert_by_sms THEN a.balance_alert_phone END AS destination`,
    [limit, leaseMs],
  );
  return rows;
}

/**
 * The batch of an SMS notice: `candidate` the first time, the one chosen before
 * on a retry (so a crash between submitting it and settling the notice cannot
 * submit a second batch).
 */
export async function chooseBalanceAlertBatch(
  sql: Queryable,
  id: string,
  candidate: string,
): Promise<string> {
  const { rows } = await sql.query<{ batchId: string }>(
    `UPDATE balance_alert_notices SET batch_id = COALESCE(batch_id, $2) WHERE id = $1 RETURNING batch_id AS "batchId"`,
    [id, candidate],
  );
  return rows[0]?.batchId ?? candidate;
}

/**
 * Settles a claimed notice: `sent`; `failed` for good, with why; or `retry`, due
 * again in `retryInMs`, with why. `error` names a cause, never a destination.
 */
export async function settleBalanceAlert(
  sql: Queryable,
  id: string,
  outcome:
    | { state: "sent" }
    | { state: "failed"; error: string }
    | { state: "retry"; error: string; retryInMs: number },
): Promise<void> {
  if (outcome.state === "sent") {
    await sql.query(
      "UPDATE balance_alert_notices SET sent_at = now(), claimed_until = NULL, last_error = NULL WHERE id = $1",
      [id],
    );
  } else if (outcome.state === "failed") {
    await sql.query(
      "UPDATE balance_alert_notices SET failed_at = now(), claimed_until = NULL, last_error = $2 WHERE id = $1",
      [id, outcome.error],
    );
  } else {
    await sql.query(
      `UPDATE balance_alert_notices
          SET claimed_until = NULL, last_error = $2,
              next_attempt_at = now() + make_interval(secs => $3::double precision / 1000)
        WHERE id = $1`,
      [id, outcome.error, outcome.retryInMs],
    );
  }
}
