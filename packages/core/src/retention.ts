// Data retention (SMSFactor's `/retention`): how long an account's messages,
// campaigns (batches) and contact lists are kept before the worker's
// `purge-expired-data` job deletes them. Surveys are stored and shown only:
// Salvo has none.
import { z } from "zod";

/** What a retention governs, in SMSFactor's words and order. */
export const RETENTION_KINDS = ["message", "list", "survey", "campaign"] as const;
export type RetentionKind = (typeof RETENTION_KINDS)[number];

/** "Kept until deleted": the default, and what "0" (or "0d", "0m", "0y") sets. */
export const KEEP_FOREVER = "0";

const UNITS = { d: "days", m: "months", y: "years" } as const;
/** The longest retention, per unit: ten years. */
const MOST = { d: 3_650, m: 120, y: 10 } as const;

const DURATION_HELP =
  'expected a duration such as "2d" (days), "5m" (months) or "1y" (years), at most 10 years, or "0" to keep until deleted';

/**
 * One retention as a client writes it, normalised: `<n>d`, `<n>m` or `<n>y` (any
 * case, surrounding spaces ignored), or "0" (also `0d`, `0m`, `0y`): kept until
 * deleted.
 */
export const retentionDuration = z.string().transform((text, ctx) => {
  const match = /^\s*(\d{1,5})\s*([dmy])?\s*$/i.exec(text);
  const count = Number(match?.[1]);
  const unit = match?.[2]?.toLowerCase() as keyof typeof UNITS | undefined;
  if (match && count === 0) return KEEP_FOREVER;
  if (!match || unit === undefined || count > MOST[unit]) {
    ctx.addIssue({ code: "custom", message: DURATION_HELP });
    return z.NEVER;
  }
  return `${count}${unit}`;
});

/** Retentions an account sets on itself; a kind left out stays as it is, null follows the parent's. */
export const retentionUpdate = z.strictObject({
  message: retentionDuration.nullable().optional(),
  list: retentionDuration.nullable().optional(),
  survey: retentionDuration.nullable().optional(),
  campaign: retentionDuration.nullable().optional(),
});
export type RetentionUpdate = z.infer<typeof retentionUpdate>;

/** Retentions as stored on one account: null where it follows its parent's (or, top-level, keeps). */
export type StoredRetention = Record<RetentionKind, string | null>;

/** Where a retention in effect comes from: set on the account, its parent's, or the default (kept). */
export type RetentionSource = "account" | "parent" | "default";

/** The retentions in effect for an account from its own and its parent's (null for a top-level account). */
export function effectiveRetention(
  own: StoredRetention,
  parent: StoredRetention | null,
): { retention: Record<RetentionKind, string>; sources: Record<RetentionKind, RetentionSource> } {
  const retention = {} as Record<RetentionKind, string>;
  const sources = {} as Record<RetentionKind, RetentionSource>;
  for (const kind of RETENTION_KINDS) {
    const inherited = parent?.[kind] ?? null;
    retention[kind] = own[kind] ?? inherited ?? KEEP_FOREVER;
    sources[kind] = own[kind] !== null ? "account" : inherited !== null ? "parent" : "default";
  }
  return { retention, sources };
}

/**
 * A retention as a PostgreSQL interval (`"5m"` → `"5 months"`), or null for
 * "0" (kept until deleted) and anything that is not a stored retention.
 */
export function retentionInterval(retention: string | null): string | null {
  const match = /^(\d+)([dmy])$/.exec(retention ?? "");
  if (!match || Number(match[1]) === 0) return null;
  return `${match[1]} ${UNITS[match[2] as keyof typeof UNITS]}`;
}
