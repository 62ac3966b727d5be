/**
 * What an account's webhooks can subscribe to: delivery reports, replies (MO),
 * STOPs, batches that completed, marketing batches paused outside their
 * sending hours and resumed, the balance crossing one of the account's balance
 * alerts, operators' decisions on its senders, and batches held for moderation
 * (`batch.moderation`) or rejected by an operator (`batch.rejected`), and a
 * human's click on a tracked short link (`message.clicked`).
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
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
