import { parseMessageId } from "@salvo/core";
import type { StoredReport } from "@salvo/db";
import type { DeliveryReport } from "@salvo/providers";
import type { Payload } from "@salvo/queue";
import type { WorkContext } from "../context";
import { dispatchEvents } from "../dispatch-events";

/** How often reports that found no message yet are retried (with growing delays) before being dropped. */
const MAX_ATTEMPTS = 6;

type Group = Payload<"deliveries">["groups"][number];

/** Groups provider reports by batch and time for the `deliveries` queue; ids that are not Salvo's are dropped. */
export function groupReports(reports: DeliveryReport[], onForeign: (messageId: string) => void): Group[] {
  const groups = new Map<string, Group>();
  for (const report of reports) {
    const id = parseMessageId(report.messageId);
    if (!id) {
      onForeign(report.messageId);
      continue;
    }
    const at = report.at.getTime();
    const key = `${id.batchId}@${at}`;
    let group = groups.get(key);
    if (!group) {
      group = { batchId: id.batchId, at, entries: [] };
      groups.set(key, group);
    }
    group.entries.push([id.index, report.status, report.reason ?? null, report.providerCode ?? null]);
  }
  return [...groups.values()];
}

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
