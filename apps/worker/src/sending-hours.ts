import { setTimeout } from "node:timers/promises";
import { accountSendingHours, isFinalBatchStatus, localTimestamp, sendingWindowAt } from "@salvo/core";
import type { BatchForWork } from "@salvo/db";
import { DelayedError, type Job } from "bullmq";
import type { WorkContext } from "./context";
import { dispatchEvents } from "./dispatch-events";

type Batch = Pick<BatchForWork, "id" | "type" | "status" | "timeZone" | "sendingWeek">;

/**
 * Until when (epoch ms) this batch may hand messages off: forever for a
 * transactional one; for a marketing one, the end of the account's sending window
 * it is in. Outside its windows the batch is `paused` and its job moved to the
 * delayed set until the next opening (BullMQ's DelayedError ends the run without
 * failing the job or taking an attempt); the run at the opening sets it back to
 * `processing`. Call it where nothing is in flight: before judging, before a group.
 * Without a job lock (a direct call) it waits in place instead.
 */
export async function sendingHoursUntil(
  ctx: Pick<WorkContext, "store" | "logger" | "webhooks" | "batchChanges">,
  batch: Batch,
  job: Job,
  token: string | undefined,
): Promise<number> {
  // A batch that is over (canceled…) is not held: whatever settles it goes on at once.
  if (batch.type !== "marketing" || isFinalBatchStatus(batch.status)) return Number.POSITIVE_INFINITY;
  const hours = accountSendingHours(batch.timeZone, batch.sendingWeek);
  const now = new Date();
  const { open, closes } = sendingWindowAt(now, hours);
  if (open > now) {
    const resumesAt = localTimestamp(open, hours.time_zone);
    const { paused, events } = await ctx.store.pipeline.pauseBatch(batch.id, resumesAt);
    if (paused) {
      ctx.logger.info({ batchId: batch.id, resumesAt }, "paused a marketing batch outside its sending hours");
      ctx.batchChanges.changed(batch.id);
    }
    await dispatchEvents(ctx, events);
    if (token) {
      await job.moveToDelayed(open.getTime(), token);
      throw new DelayedError();
    }
    await setTimeout(open.getTime() - now.getTime());
    return sendingHoursUntil(ctx, { ...batch, status: "paused" }, job, token);
  }
  // Only a batch read as paused is written to: the others are on their way already.
  if (batch.status === "paused") {
    const { resumed, events } = await ctx.store.pipeline.resumeBatch(batch.id);
    if (resumed) {
      ctx.logger.info({ batchId: batch.id }, "resumed a marketing batch: its sending hours are open");
      ctx.batchChanges.changed(batch.id);
    }
    await dispatchEvents(ctx, events);
  }
  return closes.getTime();
}
