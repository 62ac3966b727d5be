import { purgeExpiredIdempotencyKeys, purgeSettledWebhookEvents, stalledBatches } from "@salvo/db";
import { redisKey } from "@salvo/queue";
import type { WorkContext } from "./context";
import { sweepWebhookEvents } from "./processors/webhooks";

/**
 * Nothing accepted is lost: every unfinished batch that has made no progress for a
 * while (its job lost with a Redis restart, never enqueued because Redis was down
 * when it was accepted, or stuck behind a crash) gets its expansion job again.
 * Expansion is idempotent and jobs are keyed by batch and chunk, so re-enqueueing
 * a batch that is in fact progressing costs nothing. Likewise, pending webhook
 * events overdue for their attempt and without a job get one again,
 * idempotency keys past their 24 hours are purged, and so are webhook events
 * settled longer ago than WEBHOOK_RETENTION_DAYS. One worker at a time does it
 * (a Redis lock), on a timer.
 */
export function startReconciler(ctx: WorkContext): { stop(): void } {
  const interval = ctx.env.RECONCILE_INTERVAL_MS;
  const lockKey = redisKey(ctx.env.REDIS_PREFIX, "reconciler");
  const run = async () => {
    const mine = await ctx.redis.set(lockKey, "1", "PX", Math.max(interval - 50, 50), "NX");
    if (mine !== "OK") return;
    const stalled = await stalledBatches(ctx.sql, interval * 2);
    await ctx.batches.addBulk(stalled.map((batchId) => ({ data: { batchId }, opts: { jobId: batchId } })));
    if (stalled.length > 0)
      ctx.logger.info({ batches: stalled.length }, "re-enqueued batches without recent progress");
    const events = await sweepWebhookEvents(ctx, interval * 2);
    if (events > 0) ctx.logger.info({ events }, "re-enqueued webhook events whose job was gone");
    const keys = await purgeExpiredIdempotencyKeys(ctx.sql);
    if (keys > 0) ctx.logger.info({ keys }, "purged expired idempotency keys");
    const settled = await purgeSettledWebhookEvents(ctx.sql, ctx.env.WEBHOOK_RETENTION_DAYS);
    if (settled > 0) ctx.logger.info({ events: settled }, "purged webhook events past their retention");
  };
  const timer = setInterval(() => {
    run().catch((error: Error) => ctx.logger.warn({ err: error.message }, "reconciler run failed"));
  }, interval);
  return { stop: () => clearInterval(timer) };
}
