/**
 * What an account's webhooks can subscribe to: delivery reports, replies (MO),
 * STOPs, batches that completed, and operators' decisions on its senders.
 * `click` and `balance_alert` come later.
 */
export const WEBHOOK_EVENT_TYPES = [
  "dlr",
  "mo",
  "stop",
  "batch.completed",
  "sender.approved",
  "sender.refused",
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
