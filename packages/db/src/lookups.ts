// What an account knows of numbers, for SMSFactor's `POST /lookup` and
// `POST /v1/lookup`: its NPAI list, its blacklist and the last message it
// handed off to each. Salvo queries no HLR: this is all it can say.
import type { Queryable } from "./sql";

/** One number as the account knows it. */
export interface NumberKnowledge {
  /** E.164, as asked. */
  number: string;
  npai: boolean;
  blacklisted: boolean;
  /** The last message handed off to it: `sent` (no report yet), `delivered` or `undelivered`; null: none. */
  lastStatus: "sent" | "delivered" | "undelivered" | null;
  /** Why that message was not delivered (`unknown_subscriber`, `expired`…), as its report said. */
  lastReason: string | null;
  /** When it was handed off. */
  lastSentAt: Date | null;
  /** When its report arrived. */
  lastReportAt: Date | null;
}

/**
 * What the account knows of each E.164 number, in one statement: each number
 * is one probe of the NPAI and blacklist keys and of messages' `to` index.
 */
export async function lookupNumbers(
  sql: Queryable,
  accountId: string,
  numbers: string[],
): Promise<NumberKnowledge[]> {
  const { rows } = await sql.query<NumberKnowledge>(
    `SELECT n.number,
            EXISTS (SELECT 1 FROM npai WHERE account_id = $1 AND number = n.number) AS npai,
            EXISTS (SELECT 1 FROM blacklist WHERE account_id = $1 AND number = n.number) AS blacklisted,
            last.status AS "lastStatus", last.reason AS "lastReason",
            last.sent_at AS "lastSentAt", last.done_at AS "lastReportAt"
       FROM unnest($2::text[]) AS n(number)
       LEFT JOIN LATERAL (
         SELECT m.status::text AS status, m.reason, m.sent_at, m.done_at
           FROM messages m
          WHERE m."to" = n.number AND m.account_id = $1
            AND m.status IN ('sent', 'delivered', 'undelivered') AND m.sent_at IS NOT NULL
          ORDER BY m.sent_at DESC
          LIMIT 1
       ) last ON true`,
    [accountId, numbers],
  );
  return rows;
}
