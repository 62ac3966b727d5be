/**
 * What an account's webhooks can subscribe to: delivery reports, replies (MO),
 * STOPs, batches that completed, the balance crossing one of the account's
 * balance alerts, and operators' decisions on its senders. `click` comes later.
 */
export const WEBHOOK_EVENT_TYPES = [
  "dlr",
  "mo",
  "stop",
  "batch.completed",
  "balance.low",
  "sender.approved",
  "sender.refused",
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
