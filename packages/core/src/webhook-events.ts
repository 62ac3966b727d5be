/**
 * What an account's webhooks can subscribe to: delivery reports, replies (MO),
 * STOPs, batches that completed, marketing batches paused outside their
 * sending hours and resumed, the balance crossing one of the account's balance
 * alerts, operators' decisions on its senders, and batches held for moderation
 * (`batch.moderation`) or rejected by an operator (`batch.rejected`), and a
 * human's click on a tracked short link (`message.clicked`), and each change of
 * status of a single message sent with `POST /v1/sms` (`sms.status`, Sofy's event).
 */
export const WEBHOOK_EVENT_TYPES = [
  "dlr",
  "mo",
  "stop",
  "batch.completed",
  "batch.paused",
  "batch.resumed",
  "balance.low",
  "sender.approved",
  "sender.refused",
  "batch.moderation",
  "batch.rejected",
  "message.clicked",
  "sms.status",
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * How a webhook's requests are written: Salvo's own events (`salvo`), or as
 * SMSFactor (`smsfactor`) or Sofy (`sofy`) post theirs, so clients written
 * against those APIs receive what they already parse.
 */
export const WEBHOOK_FORMATS = ["salvo", "smsfactor", "sofy"] as const;

export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];
