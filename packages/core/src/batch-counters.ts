import type { MessageStatus } from "./message-status";

/**
 * A batch's counters, one line each, in the order the API shows them. A
 * counter's name is its column (`batches.<name>`), its Prisma field and its API
 * attribute: lower-case words joined by `_` (as SMSFactor's send response
 * names `not_allowed` and `country_limit`). Every other list of counters (SQL column
 * lists, the API's batch resource and `/v1/send` answer, the SDK's types,
 * bench/chaos.ts's checks) is derived from this table.
 *
 * - `part`: one of the parts that always add up to `total` (delivery reports
 *   split `sent` into `delivered` and `undelivered`, which are not parts).
 * - `rows`: the statuses of the message rows it counts (`pending` counts the
 *   recipients that have no row yet: 0 once the batch is done).
 * - `set`: the write that moves it: `acceptance` (the batch is stored),
 *   `judging` (a message refused before any hand-off), `hand-off` (the
 *   provider's answer), `report` (a delivery report), `withdrawal` (messages not handed off,
 *   taken back: the account cancelled the batch, or an operator rejected it),
 *   `click` (a recipient's first human click on one of its tracked links).
 * - `clicked` counts messages, not message rows of a status: those clicked at
 *   least once by a human (`message_clicks`); like `delivered`, not a part.
 */
export const BATCH_COUNTERS = {
  total: { part: false, rows: null, set: "acceptance" },
  pending: { part: true, rows: [], set: "acceptance" },
  sent: { part: true, rows: ["sent", "delivered", "undelivered"], set: "hand-off" },
  delivered: { part: false, rows: ["delivered"], set: "report" },
  undelivered: { part: false, rows: ["undelivered"], set: "report" },
  failed: { part: true, rows: ["failed"], set: "hand-off" },
  blacklisted: { part: true, rows: ["blacklisted"], set: "judging" },
  duplicated: { part: true, rows: ["duplicated"], set: "judging" },
  invalid: { part: true, rows: ["invalid"], set: "judging" },
  npai: { part: true, rows: ["npai"], set: "judging" },
  flooded: { part: true, rows: ["flooded"], set: "judging" },
  not_allowed: { part: true, rows: ["not_allowed"], set: "judging" },
  country_limit: { part: true, rows: ["country_limit"], set: "judging" },
  canceled: { part: true, rows: ["canceled"], set: "withdrawal" },
  rejected: { part: true, rows: ["rejected"], set: "withdrawal" },
  clicked: { part: false, rows: [], set: "click" },
} as const satisfies Record<
  string,
  {
    part: boolean;
    /** null: every row (`total`). */
    rows: readonly MessageStatus[] | null;
    set: "acceptance" | "judging" | "hand-off" | "report" | "withdrawal" | "click";
  }
>;

type Table = typeof BATCH_COUNTERS;

export type BatchCounter = keyof Table;

/** A batch's counts, one number per counter. */
export type BatchCounts = Record<BatchCounter, number>;

/** The counters in the table's order. */
export const BATCH_COUNTER_NAMES = Object.keys(BATCH_COUNTERS) as BatchCounter[];

type TotalPart = { [K in BatchCounter]: Table[K]["part"] extends true ? K : never }[BatchCounter];

/** A batch's counters that always add up to its `total`: `total = pending + sent + failed + …`. */
export const BATCH_TOTAL_PARTS = BATCH_COUNTER_NAMES.filter(
  (name): name is TotalPart => BATCH_COUNTERS[name].part,
);

/** Statuses a message can get before any hand-off, each the name of the counter it moves. */
export type JudgedStatus = {
  [K in BatchCounter]: Table[K]["set"] extends "judging" ? K : never;
}[BatchCounter];

/** The counters (and statuses) of messages refused before any hand-off. */
export const JUDGED_STATUSES = BATCH_COUNTER_NAMES.filter(
  (name): name is JudgedStatus => BATCH_COUNTERS[name].set === "judging",
);

/** The counts of a batch row (or any object holding them), in the table's order. */
export function batchCounts(row: BatchCounts): BatchCounts {
  const counts = {} as BatchCounts;
  for (const name of BATCH_COUNTER_NAMES) counts[name] = row[name];
  return counts;
}
