import type { StoredReport } from "@salvo/db";
import type { Payload } from "@salvo/queue";
import type { WorkContext } from "../context";
import { dispatchEvents } from "../dispatch-events";

/** How often reports that found no message yet are retried (with growing delays) before being dropped. */
const MAX_ATTEMPTS = 6;

/**
 * Applies a group of delivery reports in bulk. Reports can arrive twice, out of
 * order, or before the hand-off is recorded: applying is idempotent, and reports
 * whose message is not written yet are put aside and retried a few times.
 */
export async function applyReports(
  ctx: Pick<WorkContext, "store" | "deliveries" | "webhooks" | "logger">,
  data: Payload<"deliveries">,
): Promise<void> {
  const stored: StoredReport[] = data.groups.flatMap((group) =>
    group.entries.map(([idx, status, reason, providerCode]) => ({
      batchId: group.batchId,
      idx,
      status,
      reason,
      providerCode,
      at: new Date(group.at),
    })),
  );
  const { unmatched, events } = await ctx.store.pipeline.applyDeliveryReports(stored);
  await dispatchEvents(ctx, events);
  if (unmatched.length === 0) return;
  if (data.attempt + 1 >= MAX_ATTEMPTS) {
    ctx.logger.warn(
      { count: unmatched.length },
      "delivery reports for unknown messages dropped after retries",
    );
    return;
  }
  const retry = new Set(unmatched.map((u) => `${u.batchId}:${u.idx}`));
  const groups = data.groups
    .map((group) => ({
      ...group,
      entries: group.entries.filter(([idx]) => retry.has(`${group.batchId}:${idx}`)),
    }))
    .filter((group) => group.entries.length > 0);
  await ctx.deliveries.add(
    { groups, attempt: data.attempt + 1 },
    { jobId: `retry-${crypto.randomUUID()}`, delay: 500 * 2 ** data.attempt },
  );
}
