// Every change of an account's credits, and the balance alerts it raises. A
// `balance.low` event is written for each of the account's thresholds that the
// change takes the balance across, from above it to at or below it, in the same
// statement as the change, from the row's balance just before and just after it.
// Changes of one account's row are serialised by PostgreSQL's row lock, so the
// balances form one sequence and each crossing belongs to exactly one change:
// concurrent debits can neither both fire it nor both miss it. Nothing is stored
// about past alerts: a credit that takes the balance back above a threshold
// "re-arms" it simply because the next debit starts above it again.
// The same statement writes the crossing's e-mail and SMS notices (the outbox of
// balance_alert_notices, one row per channel the account has on), which the
// worker's `deliver-balance-alerts` job delivers: written once per crossing,
// delivered until sent.
import { eventFanOut, isoTimestamp } from "./outbox";
import { ACCOUNT_COLUMNS, type Account } from "./rows";
import { type Queryable, selectList } from "./sql";

interface CreditsChange {
  /** SQL of the account's id (a parameter, such as `$2`). */
  account: string;
  /** SQL of the new balance, in terms of `a.credits` (the balance before). */
  credits: string;
  /** More assignments of the same UPDATE (`a` is the account's row), e.g. settings. */
  also?: string[];
  /** A condition on the row (`a`) for the change to happen; none: it always does. */
  where?: string;
  /** Why, as the account's statements show it (credit_movements.reason). */
  reason: CreditReason;
}

/** Why an account's credits changed (credit_movements.reason). */
type CreditReason = "top_up" | "transfer" | "send" | "refund";

/**
 * SQL of the CTEs that change an account's credits, to put in a WITH: `<name>`
 * is the UPDATE, returning `account_id`, `before` and `after` (the balance on
 * either side) when the change was made; `<name>_alerts` writes its
 * `balance.low` events, returning their ids; `<name>_movement` records the
 * change in credit_movements (for statements). Every statement that changes
 * credits is built with it (test/balance.test.ts checks), so no debit can miss
 * its alerts. The row is locked first (FOR UPDATE) so that `before` is the
 * balance this change starts from even under concurrent changes.
 */
export function creditsChange(name: string, change: CreditsChange): string {
  const set = [`credits = ${change.credits}`, "updated_at = now()", ...(change.also ?? [])];
  const crossed = `(SELECT c.account_id, json_build_object(
                            'account_id', c.account_id, 'threshold', t.threshold, 'balance', c.after,
                            'at', ${isoTimestamp("now()")}) AS data
                      FROM ${name} c CROSS JOIN unnest(c.thresholds) AS t(threshold)
                     WHERE c.before > t.threshold AND c.after <= t.threshold)`;
  return `${name}_before AS (
            SELECT id AS account_id, credits AS before FROM accounts WHERE id = ${change.account} FOR UPDATE
          ), ${name} AS (
            UPDATE accounts a SET ${set.join(", ")}
              FROM ${name}_before b WHERE a.id = b.account_id${change.where ? ` AND (${change.where})` : ""}
            RETURNING a.id AS account_id, b.before, a.credits AS after, a.balance_alerts AS thresholds,
                      a.balance_alert_by_email AS by_email, a.balance_alert_by_sms AS by_sms
          ), ${name}_alerts AS (${eventFanOut("balance.low", crossed)}), ${name}_notices AS (
            INSERT INTO balance_alert_notices (id, account_id, channel, threshold, balance)
            SELECT 'bal_' || replace(gen_random_uuid()::text, '-', ''), c.account_id, ch.channel, t.threshold, c.after
              FROM ${name} c CROSS JOIN unnest(c.thresholds) AS t(threshold)
                   CROSS JOIN LATERAL (VALUES ('email', c.by_email), ('sms', c.by_sms)) AS ch(channel, enabled)
             WHERE ch.enabled AND c.before > t.threshold AND c.after <= t.threshold
          ), ${name}_movement AS (
            INSERT INTO credit_movements (account_id, reason, change, balance)
            SELECT account_id, '${change.reason}', after - before, after FROM ${name} WHERE after <> before
          )`;
}

const ACCOUNT = selectList(ACCOUNT_COLUMNS);

/** Where an account's balance alerts go besides its webhooks: each field absent is kept as it is. */
export interface BalanceAlertChannels {
  byEmail?: boolean;
  /** Null: none. */
  email?: string | null;
  bySms?: boolean;
  /** E.164; null: none. */
  phone?: string | null;
}

const CHANNEL_COLUMNS = {
  byEmail: "balance_alert_by_email",
  email: "balance_alert_email",
  bySms: "balance_alert_by_sms",
  phone: "balance_alert_phone",
} as const satisfies Record<keyof BalanceAlertChannels, string>;

/**
 * Replaces an account's balance alerts (distinct, highest first; an empty list:
 * none; undefined: kept) and sets the `channels` given, and returns the account,
 * or null when there is none. Setting a threshold above the balance fires
 * nothing: only a debit that crosses it does.
 */
export async function setBalanceAlerts(
  sql: Queryable,
  accountId: string,
  thresholds: number[] | undefined,
  channels: BalanceAlertChannels = {},
): Promise<Account | null> {
  const values: unknown[] = [accountId];
  const set = ["updated_at = now()"];
  if (thresholds !== undefined) {
    values.push([...new Set(thresholds)].sort((a, b) => b - a));
    set.push(`balance_alerts = $${values.length}`);
  }
  for (const [field, column] of Object.entries(CHANNEL_COLUMNS)) {
    const value = channels[field as keyof BalanceAlertChannels];
    if (value === undefined) continue;
    values.push(value);
    set.push(`${column} = $${values.length}`);
  }
  const { rows } = await sql.query<Account>(
    `UPDATE accounts SET ${set.join(", ")} WHERE id = $1 RETURNING ${ACCOUNT}`,
    values,
  );
  return rows[0] ?? null;
}
