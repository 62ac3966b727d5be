import { parseMessageId } from "@salvo/core";
import type { StoredReport } from "@salvo/db";
import type { DeliveryReport } from "@salvo/providers";
import type { Payload } from "@salvo/queue";
import type { WorkContext } from "../context";
import { dispatchEvents } from "../dispatch-events";

/** How often reports that found no message yet are retried (with growing delays) before being dropped. */
const MAX_ATTEMPTS = 6;

type Payload_ = Payload<"deliveries">;
type Group = Payload_["groups"][number];
type ProviderGroup = Payload_["byProviderId"][number];

/**
 * Groups a connector's reports for the `deliveries` queue: by batch and time those
 * naming Salvo's id (ids that are not Salvo's are dropped), by time those naming
 * the provider's id, which the job resolves to messages.
 */
export function groupReports(
  reports: DeliveryReport[],
  connector: string,
  onForeign: (messageId: string) => void,
): Pick<Payload_, "groups" | "byProviderId"> {
  const groups = new Map<string, Group>();
  const byProviderId = new Map<number, ProviderGroup>();
  for (const report of reports) {
    const at = report.at.getTime();
    const reason = report.reason ?? null;
    const providerCode = report.providerCode ?? null;
    if (report.messageId === undefined) {
      let group = byProviderId.get(at);
      if (!group) {
        group = { connector, at, entries: [] };
        byProviderId.set(at, group);
      }
      const ids = [report.providerMessageId, ...(report.equivalentIds ?? [])];
      group.entries.push([ids, report.status, reason, providerCode]);
      continue;
    }
    const id = parseMessageId(report.messageId);
    if (!id) {
      onForeign(report.messageId);
      continue;
    }
    const key = `${id.batchId}@${at}`;
    let group = groups.get(key);
    if (!group) {
      group = { batchId: id.batchId, at, entries: [] };
      groups.set(key, group);
    }
    group.entries.push([id.index, report.status, reason, providerCode]);
  }
  return { groups: [...groups.values()], byProviderId: [...byProviderId.values()] };
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
  // Reports by the provider's id: found by any spelling of it; those not recorded
  // yet (a receipt faster than the submit's answer) wait with the unmatched ones.
  const waiting: ProviderGroup[] = [];
  for (const group of data.byProviderId) {
    const found = await ctx.store.pipeline.findProviderMessages(
      group.connector,
      group.entries.flatMap(([ids]) => ids),
    );
    const entries: ProviderGroup["entries"] = [];
    for (const entry of group.entries) {
      const [ids, status, reason, providerCode] = entry;
      const message = ids.map((id) => found.get(id)).find((m) => m !== undefined);
      if (message) stored.push({ ...message, status, reason, providerCode, at: new Date(group.at) });
      else entries.push(entry);
    }
    if (entries.length > 0) waiting.push({ ...group, entries });
  }
  const { unmatched, events } = await ctx.store.pipeline.applyDeliveryReports(stored);
  await dispatchEvents(ctx, events);
  if (unmatched.length === 0 && waiting.length === 0) return;
  if (data.attempt + 1 >= MAX_ATTEMPTS) {
    ctx.logger.warn(
      { count: unmatched.length + waiting.reduce((n, group) => n + group.entries.length, 0) },
      "delivery reports for unknown messages dropped after retries",
    );
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
