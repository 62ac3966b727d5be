import { type FirstPositions, isFinalBatchStatus, judgeNumbers, rememberVerdicts } from "@salvo/core";
import { publishLinkRange } from "@salvo/queue";
import { DelayedError, type Job } from "bullmq";
import type { WorkContext } from "../context";
import { releaseJob } from "../release";
import { sendingHoursUntil } from "../sending-hours";

/** Chunks read, judged and enqueued at a time: sending starts before a big batch is fully judged. */
const CHUNKS_PER_STEP = 20;
/** BullMQ's highest priority number. */
const LOWEST_PRIORITY = 2_097_151;

/**
 * Expands a batch: reads its recipients in order, judges every number (invalid,
 * and why, or a repeat of an earlier one in the same batch, and which: the
 * rules and the verdicts' format are `@salvo/core`'s `judge.ts`) and enqueues a job per chunk.
 * Runs in one place per batch, so "earlier" is exact across chunk boundaries.
 * Idempotent: verdicts already stored are reused and chunks already done are
 * skipped, so a retry (or the requeue-stalled-batches job) can run it again at any time.
 *
 * Fairness: chunk k of every batch has priority k+1, so a new small batch's first
 * chunks go ahead of a big batch's later ones instead of waiting behind them.
 *
 * A marketing batch outside its account's sending hours is paused and its job
 * delayed to their next opening (see sendingHoursUntil); its chunks check again.
 * A batch held for moderation is left as it is (nothing judged or enqueued).
 *
 * A worker that is stopping gives the job back between two steps: the next run
 * resumes from the stored verdicts.
 *
 * A scheduled batch starts only once its `send_at` has come by PostgreSQL's
 * clock (markBatchProcessing, a guarded UPDATE that one of racing workers wins):
 * a job that runs early (enqueued by hand, a worker's clock ahead) moves itself
 * back to the delayed set until then, having judged and sent nothing.
 */
export async function expandBatch(
  ctx: Pick<
    WorkContext,
    "store" | "chunks" | "numbers" | "logger" | "stopping" | "webhooks" | "redis" | "env" | "batchChanges"
  >,
  batchId: string,
  job: Job,
  token: string | undefined,
): Promise<void> {
  const batch = await ctx.store.pipeline.loadBatch(batchId);
  // A withdrawn batch (canceled, rejected) still pending waits for messages in
  // flight at the withdrawal: the steps below enqueue their chunks again (the
  // only ones not done), whose jobs settle them.
  if (!batch || (isFinalBatchStatus(batch.status) && batch.pending === 0)) return;
  // Held for an operator: never sent, even by a job enqueued by hand; approving enqueues it again.
  if (batch.status === "moderation") {
    ctx.logger.warn({ batchId }, "a batch held for moderation was not expanded");
    return;
  }
  // A marketing batch outside its sending hours waits, paused, before anything is judged.
  await sendingHoursUntil(ctx, batch, job, token);
  const start = await ctx.store.pipeline.markBatchProcessing(batchId);
  ctx.batchChanges.changed(batchId);
  if (start?.status === "scheduled" && start.waitMs > 0) {
    ctx.logger.info({ batchId, waitMs: start.waitMs }, "a scheduled batch's job ran early; delayed again");
    if (!token) return;
    await job.moveToDelayed(Date.now() + start.waitMs, token);
    throw new DelayedError();
  }
  // Its links must redirect before any is sent: published again here (the API's
  // publish at acceptance is best effort), and again by every retry (idempotent).
  if (batch.links) {
    const { base, size, urls, expiresAt } = batch.links;
    await publishLinkRange(ctx.redis, ctx.env.REDIS_PREFIX, {
      batchId,
      accountId: batch.accountId,
      base,
      size,
      urls,
      expiresAt,
    });
  }
  const country = batch.country ?? batch.defaultCountry;
  const seen: FirstPositions = new Map();

  for (let from = 0; ; from += CHUNKS_PER_STEP) {
    if (ctx.stopping.aborted && token) {
      ctx.logger.info({ batchId, fromChunk: from }, "released a batch's expansion on shutdown");
      await releaseJob(job, token);
    }
    const chunks = await ctx.store.pipeline.loadChunks(batchId, from, CHUNKS_PER_STEP);
    if (chunks.length === 0) break;
    // Numbers are normalized off the main thread, a step at once; repeats are
    // found here, in order, so "earlier" stays exact across steps.
    // A chunk done without verdicts was withdrawn (a cancel): nothing of it is judged or sent.
    const unjudged = chunks.filter((chunk) => !chunk.judged && !chunk.done);
    const numbers = await ctx.numbers.normalize(
      unjudged.flatMap((chunk) =>
        chunk.recipients.map((recipient) => (typeof recipient === "string" ? recipient : recipient[0])),
      ),
      country,
    );
    const fresh: { idx: number; judged: string[] }[] = [];
    let next = 0;
    for (const chunk of chunks) {
      if (chunk.judged) {
        rememberVerdicts(chunk.judged, chunk.firstIndex, seen);
        continue;
      }
      if (chunk.done) continue;
      const count = chunk.recipients.length;
      fresh.push({ idx: chunk.idx, judged: judgeNumbers(numbers, next, count, chunk.firstIndex, seen) });
      next += count;
    }
    await ctx.store.pipeline.saveJudgments(batchId, fresh);
    const pending = chunks.filter((chunk) => !chunk.done);
    if (pending.length > 0) {
      await ctx.chunks.addBulk(
        pending.map((chunk) => ({
          data: { batchId, chunk: chunk.idx },
          opts: { jobId: `${batchId}-${chunk.idx}`, priority: Math.min(chunk.idx + 1, LOWEST_PRIORITY) },
        })),
      );
    }
  }
}
