/**
 * What an account's webhooks can subscribe to: delivery reports, replies (MO),
 * STOPs, batches that completed, marketing batches paused outside their
 * sending hours and resumed, the balance crossing one of the account's balance
 * alerts, and operators' decisions on its senders. `click` comes later.
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
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
