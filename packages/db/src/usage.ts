import type { Queryable } from "./sql";

/** One bucket of an account's usage: its start (UTC), messages handed off and delivered in it. */
export interface UsageBucket {
  start: Date;
  sent: number;
  delivered: number;
}

/**
 * An account's messages handed off (by `sent_at`) and delivered (by the report's
 * `done_at`) in each of the last `count` UTC hours or days, the current one last,
 * single messages included; with `count` null, in each UTC day of the current
 * calendar month so far. Read from usage_hours (by account and hour: an index
 * range), never from messages.
 */
export async function accountUsage(
  sql: Queryable,
  accountId: string,
  unit: "hour" | "day",
  count: number | null,
): Promise<UsageBucket[]> {
  const { rows } = await sql.query<UsageBucket>({
    name: "salvo-account-usage",
    // One now() for both ends, so the month and its days agree at midnight.
    text: `WITH now_utc AS (SELECT now() AT TIME ZONE 'UTC' AS at
           ), slots AS (
             SELECT (s.at AT TIME ZONE 'UTC') AS start
               FROM now_utc n,
                    generate_series(CASE WHEN $3::int IS NULL THEN date_trunc('month', n.at)
                                         ELSE date_trunc($2, n.at) - ($3::int - 1) * ('1 ' || $2)::interval END,
                                    date_trunc($2, n.at), ('1 ' || $2)::interval) AS s(at)
           ), used AS (
             SELECT date_trunc($2, hour, 'UTC') AS start, sum(sent)::int AS sent, sum(delivered)::int AS delivered
               FROM usage_hours
              WHERE account_id = $1 AND hour >= (SELECT min(start) FROM slots)
              GROUP BY 1
           )
           SELECT s.start, COALESCE(u.sent, 0) AS sent, COALESCE(u.delivered, 0) AS delivered
             FROM slots s LEFT JOIN used u ON u.start = s.start
            ORDER BY s.start`,
    values: [accountId, unit, count],
  });
  return rows;
}
