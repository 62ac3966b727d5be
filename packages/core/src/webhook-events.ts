/**
 * What an account's webhooks can subscribe to: delivery reports, replies (MO),
 * STOPs, batches that completed, and the balance crossing one of the account's
 * balance alerts. `click` comes later.
 */
export const WEBHOOK_EVENT_TYPES = ["dlr", "mo", "stop", "batch.completed", "balance.low"] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
