/** Every status a message can have once its fate is known. */
export const MESSAGE_STATUSES = [
  "sent",
  "delivered",
  "undelivered",
  "failed",
  "blacklisted",
  "duplicated",
  "invalid",
  "npai",
  "flooded",
] as const;

export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** A batch's counters that always add up to its `total` (delivery reports split `sent`). */
export const BATCH_TOTAL_PARTS = [
  "pending",
  "sent",
  "failed",
  "blacklisted",
  "duplicated",
  "invalid",
  "npai",
  "flooded",
] as const;
