import type { StoredReport } from "@salvo/db";
import type { Payload } from "@salvo/queue";
import type { WorkContext } from "../context";
import { dispatchEvents } from "../dispatch-events";
import { NO_CONNECTOR } from "../metrics";

type ProviderGroup = Payload<"deliveries">["byProviderId"][number];

/** How often reports that found no message yet are retried (with growing delays) before being dropped. */
const MAX_ATTEMPTS = 6;

/**
 * Applies a group of delivery reports in bulk. Reports can arrive twice, out of
 * order, or before the hand-off is recorded: applying is idempotent, and reports
 * whose message is not written yet are put aside and retried a few times.
 */
export async function applyReports(
  ctx: Pick<WorkContext, "store" | "deliveries" | "webhooks" | "logger" | "batchChanges" | "metrics">,
  data: Payload<"deliveries">,
): Promise<void> {
  // By the connector that reported them, for metrics (a job nearly always holds one connector's).
  const byConnector = new Map<string, StoredReport[]>();
  const reportsOf = (connector: string | undefined) => {
    const name = connector ?? NO_CONNECTOR;
    const list = byConnector.get(name) ?? [];
    byConnector.set(name, list);
    return list;
  };
  for (const group of data.groups) {
    const stored = reportsOf(group.connector);
    for (const [idx, status, reason, providerCode] of group.entries)
      stored.push({ batchId: group.batchId, idx, status, reason, providerCode, at: new Date(group.at) });
  }
  // Reports by the provider's id: found by any spelling of it; those not recorded
  // yet (a receipt faster than the submit's answer) wait with the unmatched ones.
  const waiting: ProviderGroup[] = [];
  for (const group of data.byProviderId) {
    const stored = reportsOf(group.connector);
    // The id as the receipt wrote it first; its other spellings only for those it missed.
    const found = await ctx.store.pipeline.findProviderMessages(
      group.connector,
      group.entries.map(([ids]) => ids[0] ?? ""),
    );
    const missed = group.entries.filter(([ids]) => !found.has(ids[0] ?? ""));
    if (missed.length > 0) {
      const others = await ctx.store.pipeline.findProviderMessages(
        group.connector,
        missed.flatMap(([ids]) => ids.slice(1)),
      );
      for (const [id, message] of others) found.set(id, message);
    }
    const entries: ProviderGroup["entries"] = [];
    for (const entry of group.entries) {
      const [ids, status, reason, providerCode] = entry;
      const message = ids.map((id) => found.get(id)).find((m) => m !== undefined);
      if (message) stored.push({ ...message, status, reason, providerCode, at: new Date(group.at) });
      else entries.push(entry);
    }
    if (entries.length > 0) waiting.push({ ...group, entries });
  }
  const unmatched: StoredReport[] = [];
  for (const [connector, stored] of byConnector) {
    if (stored.length === 0) continue;
    const result = await ctx.store.pipeline.applyDeliveryReports(stored);
    for (const report of stored) ctx.batchChanges.changed(report.batchId);
    await dispatchEvents(ctx, result.events);
    ctx.metrics.reportsApplied(connector, result.applied);
    unmatched.push(...result.unmatched);
  }
  if (unmatched.length === 0 && waiting.length === 0) return;
  if (data.attempt + 1 >= MAX_ATTEMPTS) {
    const count = unmatched.length + waiting.reduce((n, group) => n + group.entries.length, 0);
    ctx.metrics.reportsDropped(count);
    ctx.logger.warn({ count }, "delivery reports for unknown messages dropped after retries");
    return;
  }
  // A provider id is recorded in the statement that writes its message, so only
  // reports by Salvo's id can find no message once resolved.
  const retry = new Set(unmatched.map((u) => `${u.batchId}:${u.idx}`));
  const groups = data.groups
    .map((group) => ({
      ...group,
      entries: group.entries.filter(([idx]) => retry.has(`${group.batchId}:${idx}`)),
    }))
    .filter((group) => group.entries.length > 0);
  await ctx.deliveries.add(
    { groups, byProviderId: waiting, attempt: data.attempt + 1 },
    { jobId: `retry-${crypto.randomUUID()}`, delay: 500 * 2 ** data.attempt },
  );
}
