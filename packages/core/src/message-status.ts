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
  "not_allowed",
  "country_limit",
  "canceled",
  "rejected",
] as const;

export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/**
 * The reason of a `duplicated` message. Stored as `duplicate_of:<position>`, the
 * position (0-based, as in message ids) of the number's first occurrence in its
 * batch; bare `duplicate_of` for messages judged before positions were kept.
 */
export const DUPLICATE_OF = "duplicate_of";

/** A message's reason as stored, split into its code and, for a duplicate, the position it repeats. */
export function readMessageReason(stored: string | null): {
  reason: string | null;
  duplicateOf: number | null;
} {
  if (stored === null || !stored.startsWith(`${DUPLICATE_OF}:`)) return { reason: stored, duplicateOf: null };
  const position = Number(stored.slice(DUPLICATE_OF.length + 1));
  return { reason: DUPLICATE_OF, duplicateOf: Number.isSafeInteger(position) ? position : null };
}
