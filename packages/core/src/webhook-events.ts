/**
 * What an account's webhooks can subscribe to: delivery reports, replies (MO),
 * STOPs, and batches that completed. `click` and `balance_alert` come later.
 */
export const WEBHOOK_EVENT_TYPES = ["dlr", "mo", "stop", "batch.completed"] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
