import { parseMessageId } from "@salvo/core";
import { applyDeliveryReports, type StoredReport } from "@salvo/db";
import type { Payload } from "@salvo/queue";
import type { WorkContext } from "../context";

/** How often reports that found no message yet are retried (with growing delays) before being dropped. */
const MAX_ATTEMPTS = 6;

/**
 * Applies a group of delivery reports in bulk. Reports can arrive twice, out of
 * order, or before the hand-off is recorded: applying is idempotent, and reports
 * whose message is not `sent` yet are put aside and retried a few times.
 */
export async function applyReports(ctx: WorkContext, data: Payload<"deliveries">): Promise<void> {
  const stored: StoredReport[] = [];
  for (const report of data.reports) {
    const id = parseMessageId(report.messageId);
    if (!id) {
      ctx.logger.warn(
        { messageId: report.messageId },
        "delivery report for an id that is not Salvo's; ignored",
      );
      continue;
    }
    stored.push({
      batchId: id.batchId,
      idx: id.index,
      status: report.status,
      reason: report.reason ?? null,
      at: new Date(report.at),
    });
  }
  const unmatched = await applyDeliveryReports(ctx.sql, stored);
  if (unmatched.length === 0) return;
  if (data.attempt + 1 >= MAX_ATTEMPTS) {
    ctx.logger.warn(
      { count: unmatched.length },
      "delivery reports for unknown messages dropped after retries",
    );
    return;
  }
  const retry = new Set(unmatched.map((u) => `${u.batchId}:${u.idx}`));
  const reports = data.reports.filter((r) => {
    const id = parseMessageId(r.messageId);
    return id && retry.has(`${id.batchId}:${id.index}`);
  });
  await ctx.deliveries.add(
    { reports, attempt: data.attempt + 1 },
    { jobId: `retry-${crypto.randomUUID()}`, delay: 500 * 2 ** data.attempt },
  );
}
