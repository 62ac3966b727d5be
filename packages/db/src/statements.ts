// Monthly statements of an account (SMSFactor's `GET /account/invoice`,
// `GET /v1/account/statements`): what its credits did in a UTC calendar month,
// from credit_movements, and what it sent, from its batches and messages.
// Salvo issues no tax invoices; these are statements of use.
import type { Queryable } from "./sql";

/** One month of an account, as its statement shows it. */
export interface Statement {
  /** `YYYY-MM`. */
  month: string;
  /** The month's first and last day (UTC), `YYYY-MM-DD`. */
  periodStart: string;
  periodEnd: string;
  /** Credits added by an operator or moved in from the parent or a sub-account. */
  creditsAdded: number;
  /** Credits removed by an operator or moved out to the parent or a sub-account. */
  creditsRemoved: number;
  /** Credits taken by sends, less what was given back (messages not sent, cancelled, rejected). */
  creditsSpent: number;
  /** The balance before the month's first change and after its last; null: no change that month recorded. */
  openingBalance: number | null;
  closingBalance: number | null;
  /** Campaigns (batches, single messages apart) accepted that month. */
  campaigns: number;
  /** Messages handed off that month (single messages too), and how many of them were reported delivered or not. */
  messagesSent: number;
  messagesDelivered: number;
  messagesUndelivered: number;
}

/** The month of a statement id (`2026-11`), or null when it names none. */
function monthOf(id: string): string | null {
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(id);
  return match ? `${match[1]}-${match[2]}-01` : null;
}

// Every month (a date, its first day in UTC) with a movement of credits, a
// campaign or a message handed off; optionally only $2.
const STATEMENTS = `
  WITH credits AS (
    SELECT date_trunc('month', created_at AT TIME ZONE 'UTC')::date AS month,
           COALESCE(sum(change) FILTER (WHERE reason IN ('top_up', 'transfer') AND change > 0), 0)::int AS added,
           COALESCE(-sum(change) FILTER (WHERE reason IN ('top_up', 'transfer') AND change < 0), 0)::int AS removed,
           COALESCE(-sum(change) FILTER (WHERE reason IN ('send', 'refund')), 0)::int AS spent,
           (array_agg(balance - change ORDER BY created_at, id))[1] AS opening,
           (array_agg(balance ORDER BY created_at DESC, id DESC))[1] AS closing
      FROM credit_movements
     WHERE account_id = $1
       AND ($2::date IS NULL OR (created_at >= ($2::date AT TIME ZONE 'UTC')
                                 AND created_at < (($2::date + interval '1 month') AT TIME ZONE 'UTC')))
     GROUP BY 1
  ), campaigns AS (
    SELECT date_trunc('month', created_at AT TIME ZONE 'UTC')::date AS month, count(*)::int AS campaigns
      FROM batches
     WHERE account_id = $1 AND NOT single
       AND ($2::date IS NULL OR (created_at >= ($2::date AT TIME ZONE 'UTC')
                                 AND created_at < (($2::date + interval '1 month') AT TIME ZONE 'UTC')))
     GROUP BY 1
  ), sent AS (
    SELECT date_trunc('month', m.sent_at AT TIME ZONE 'UTC')::date AS month,
           count(*)::int AS sent,
           count(*) FILTER (WHERE m.status = 'delivered')::int AS delivered,
           count(*) FILTER (WHERE m.status = 'undelivered')::int AS undelivered
      FROM batches b JOIN messages m ON m.batch_id = b.id
     WHERE b.account_id = $1 AND m.status IN ('sent', 'delivered', 'undelivered') AND m.sent_at IS NOT NULL
       AND ($2::date IS NULL OR (m.sent_at >= ($2::date AT TIME ZONE 'UTC')
                                 AND m.sent_at < (($2::date + interval '1 month') AT TIME ZONE 'UTC')))
     GROUP BY 1
  )
  SELECT to_char(month, 'YYYY-MM') AS month,
         to_char(month, 'YYYY-MM-DD') AS "periodStart",
         to_char((month + interval '1 month' - interval '1 day')::date, 'YYYY-MM-DD') AS "periodEnd",
         COALESCE(c.added, 0) AS "creditsAdded", COALESCE(c.removed, 0) AS "creditsRemoved",
         COALESCE(c.spent, 0) AS "creditsSpent",
         c.opening AS "openingBalance", c.closing AS "closingBalance",
         COALESCE(k.campaigns, 0) AS campaigns,
         COALESCE(s.sent, 0) AS "messagesSent", COALESCE(s.delivered, 0) AS "messagesDelivered",
         COALESCE(s.undelivered, 0) AS "messagesUndelivered"
    FROM credits c
    FULL JOIN campaigns k USING (month)
    FULL JOIN sent s USING (month)
   ORDER BY month DESC`;

/** The account's statements, one per month with activity, newest first. */
export async function listStatements(sql: Queryable, accountId: string): Promise<Statement[]> {
  const { rows } = await sql.query<Statement>(STATEMENTS, [accountId, null]);
  return rows;
}

/** The account's statement of a month (`2026-11`), or null: no such month, or nothing happened in it. */
export async function findStatement(
  sql: Queryable,
  accountId: string,
  id: string,
): Promise<Statement | null> {
  const month = monthOf(id);
  if (month === null) return null;
  const { rows } = await sql.query<Statement>(STATEMENTS, [accountId, month]);
  return rows[0] ?? null;
}

/** One line of a month's statement in detail (its CSV download), oldest first. */
export interface StatementLine {
  at: Date;
  /** `top_up` or `transfer` (credits added or removed), `campaign` (a batch), `sms` (a single message). */
  kind: "top_up" | "transfer" | "campaign" | "sms";
  /** The batch's id; "" for credits. */
  reference: string;
  /** The campaign's name; "". */
  name: string;
  /** Messages handed off (campaigns and sms); null for credits. */
  messages: number | null;
  /** Credits added (positive) or spent (negative: a batch's actual cost). */
  credits: number;
  /** The balance after credits added or removed; null for sends (their debits and refunds are several). */
  balance: number | null;
}

/**
 * The lines of a month (`2026-11`) of the account: each top-up or transfer,
 * and each batch accepted that month with what it cost; null when the id names
 * no month.
 */
export async function statementLines(
  sql: Queryable,
  accountId: string,
  id: string,
): Promise<StatementLine[] | null> {
  const month = monthOf(id);
  if (month === null) return null;
  const { rows } = await sql.query<StatementLine>(
    `SELECT * FROM (
       SELECT created_at AS at, reason AS kind, '' AS reference, '' AS name, NULL::int AS messages,
              change AS credits, balance
         FROM credit_movements
        WHERE account_id = $1 AND reason IN ('top_up', 'transfer')
          AND created_at >= ($2::date AT TIME ZONE 'UTC')
          AND created_at < (($2::date + interval '1 month') AT TIME ZONE 'UTC')
       UNION ALL
       SELECT created_at, CASE WHEN single THEN 'sms' ELSE 'campaign' END, id, COALESCE(name, ''), sent,
              -cost, NULL
         FROM batches
        WHERE account_id = $1
          AND created_at >= ($2::date AT TIME ZONE 'UTC')
          AND created_at < (($2::date + interval '1 month') AT TIME ZONE 'UTC')
     ) lines
     ORDER BY at, reference`,
    [accountId, month],
  );
  return rows;
}
