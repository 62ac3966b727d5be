// Webhook events are an outbox: each is written, one row per subscribed webhook,
// in the same transaction as what caused it (a delivery report applied, a reply
// stored, a batch completed), so an event is never lost nor made up by a crash.
// The `webhooks` queue then delivers each row; a sweep re-enqueues any row whose
// job was lost.
import type { WebhookEventType, WebhookFormat } from "@salvo/core";
import type { Queryable } from "./sql";

const NEW_EVENT_ID = `'evt_' || replace(gen_random_uuid()::text, '-', '')`;

/** SQL for a timestamptz as the API writes times: ISO 8601 in UTC, to the millisecond. */
export function isoTimestamp(expression: string): string {
  return `to_char(${expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/**
 * SQL that writes one event of `type` per row of `source` (a CTE or subquery with
 * columns `account_id` and `data`, a json object) and per enabled webhook of that
 * account subscribed to `type`; it returns the new events' ids. The body is
 * `{"type", "timestamp", "data"}`, the shape Standard Webhooks recommends, and is
 * stored as text, so every retry posts the same bytes. `onlyFormat`: written only
 * for webhooks of that format.
 */
export function eventFanOut(type: WebhookEventType, source: string, onlyFormat?: WebhookFormat): string {
  // An event only some formats post (an SMSFactor DLR for a message the provider refused).
  const format = onlyFormat ? ` AND w.format = '${onlyFormat}'` : "";
  return `INSERT INTO webhook_events (id, webhook_id, account_id, type, payload)
          SELECT ${NEW_EVENT_ID}, w.id, w.account_id, '${type}',
                 json_build_object('type', '${type}', 'timestamp', ${isoTimestamp("now()")}, 'data', s.data)::text
            FROM ${source} s
            JOIN webhooks w ON w.account_id = s.account_id AND w.enabled AND '${type}' = ANY(w.events)${format}
          RETURNING id`;
}

/** Writes events of one type for an account (see eventFanOut); returns the ids of the rows written. */
export async function recordEvents(
  sql: Queryable,
  accountId: string,
  type: WebhookEventType,
  data: object[],
): Promise<string[]> {
  if (data.length === 0) return [];
  const { rows } = await sql.query<{ id: string }>(
    `WITH source AS (SELECT $1::text AS account_id, d AS data FROM unnest($2::json[]) AS d),
          written AS (${eventFanOut(type, "source")})
     SELECT id FROM written`,
    [accountId, data.map((d) => JSON.stringify(d))],
  );
  return rows.map((row) => row.id);
}
