// Sofy's `sms.status` events: each change of status of a single message (sent
// with POST /v1/sms), written in the statement that changes it, like every event.
import { messageIdSql } from "@salvo/core";
import { eventFanOut, isoTimestamp } from "./outbox";

/**
 * SQL writing an `sms.status` event for each row of `messages` (columns idx,
 * status, reason, "to") of `batch` (a row source with the batches' columns)
 * when that batch is a single message. Statuses as Sofy names them: `pending`,
 * `sent`, `delivered`, `undelivered`, and `errored` for every way a message
 * ends unsent (its Salvo status or reason is the `statusReason`).
 */
export function smsStatusEvents(messages: string, batch: string): string {
  return eventFanOut(
    "sms.status",
    `(SELECT b.account_id, json_build_object(
        'id', ${messageIdSql("b.id", "r.idx")},
        'status', CASE WHEN r.status::text IN ('pending', 'sent', 'delivered', 'undelivered') THEN r.status::text
                       ELSE 'errored' END,
        'statusReason', CASE WHEN r.status::text IN ('pending', 'sent', 'delivered') THEN ''
                             ELSE COALESCE(r.reason, r.status::text) END,
        'from', b.sender, 'to', r."to", 'shortenUrls', b.shorten_urls,
        'isTransactional', b.type = 'transactional', 'at', ${isoTimestamp("now()")}) AS data
       FROM ${batch} b, ${messages} r WHERE b.single)`,
  );
}
