// A worker whose clock runs ahead (clock skew between hosts) takes a scheduled
// batch's delayed job from the real queue before send_at. The expansion, called
// directly on that job (no worker consuming the queue), starts nothing and puts
// the job back in the delayed set for exactly the time PostgreSQL's clock says
// is left (markBatchProcessing's waitMs): not a sweep's interval, not the
// worker's clock. No wall-clock timing is asserted: the skewed clock is frozen.
import { startTestApi, type TestApi } from "@salvo/api/testing";
import type { Store } from "@salvo/db";
import { createNumberNormalizer } from "@salvo/numbers";
import {
  BatchChanges,
  closeRedis,
  createRedis,
  type OpenQueue,
  openQueue,
  type RedisClient,
} from "@salvo/queue";
import { createLogger } from "@salvo/runtime";
import { DelayedError, Worker } from "bullmq";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { parseWorkerEnv } from "../src/env";
import { expandBatch } from "../src/processors/expand-batch";

let t: TestApi;
let redis: RedisClient;
let batches: OpenQueue<"batches">;
let chunks: OpenQueue<"chunks">;
let webhooks: OpenQueue<"webhooks">;
const numbers = createNumberNormalizer(1);
const logger = createLogger("salvo-worker", "warn");
beforeAll(async () => {
  t = await startTestApi();
  redis = createRedis(t.env.REDIS_URL);
  batches = openQueue("batches", redis, t.env.REDIS_PREFIX);
  chunks = openQueue("chunks", redis, t.env.REDIS_PREFIX);
  webhooks = openQueue("webhooks", redis, t.env.REDIS_PREFIX);
});
afterEach(() => {
  vi.useRealTimers();
});
afterAll(async () => {
  await Promise.all([batches?.close(), chunks?.close(), webhooks?.close()]);
  if (redis) await closeRedis(redis);
  await numbers.close();
  await t?.stop();
});

/** The expansion's context on `store`, with the real queues. */
function context(store: Store) {
  return {
    env: parseWorkerEnv({
      DATABASE_URL: t.env.DATABASE_URL,
      REDIS_URL: t.env.REDIS_URL,
      REDIS_PREFIX: t.env.REDIS_PREFIX,
    }),
    store,
    redis,
    logger,
    chunks,
    webhooks,
    numbers,
    batchChanges: new BatchChanges(redis, t.env.REDIS_PREFIX),
    stopping: new AbortController().signal,
  };
}

describe("a scheduled batch's job taken early by a worker whose clock is ahead", () => {
  it("is delayed again by exactly the time left by PostgreSQL's clock, having started nothing", async () => {
    const { client } = await t.newAccount({ credits: 100, apiRateLimit: 10_000 });
    const sendAt = new Date(Date.now() + 60_000);
    const { body } = await client.batches.create({
      from: "ACME",
      body: "Skewed",
      recipients: ["+33612345678", "+33612345679"],
      send_at: sendAt.toISOString(),
    });
    const id = body.data.batch_id;
    expect(await (await batches.queue.getJob(id))?.getState()).toBe("delayed");

    // What markBatchProcessing answers, on the real store.
    const starts: Awaited<ReturnType<Store["pipeline"]["markBatchProcessing"]>>[] = [];
    const store: Store = {
      ...t.store,
      pipeline: {
        ...t.store.pipeline,
        async markBatchProcessing(batchId: string) {
          const start = await t.store.pipeline.markBatchProcessing(batchId);
          starts.push(start);
          return start;
        },
      },
    };

    // This process's clock, frozen five minutes ahead: past send_at for BullMQ,
    // which promotes the delayed job when this worker asks for one.
    const before = Date.now();
    const skewed = before + 5 * 60_000;
    vi.useFakeTimers({ toFake: ["Date"], now: skewed });
    const connection = createRedis(t.env.REDIS_URL, { blocking: true });
    const worker = new Worker("batches", undefined, {
      connection,
      prefix: batches.queue.opts.prefix,
      autorun: false,
    });
    try {
      const token = "skewed-worker";
      const job = await worker.getNextJob(token, { block: false });
      expect(job?.id).toBe(id);
      if (!job) return;
      await expect(expandBatch(context(store), id, job, token)).rejects.toBeInstanceOf(DelayedError);
    } finally {
      vi.useRealTimers();
      await worker.close();
      await closeRedis(connection);
    }
    const after = Date.now();

    // PostgreSQL's clock, not the worker's, measured what is left: between what
    // send_at was from before the call and from after it.
    expect(starts).toHaveLength(1);
    const [start] = starts;
    expect(start?.status).toBe("scheduled");
    const waitMs = start?.waitMs as number;
    expect(waitMs).toBeGreaterThanOrEqual(sendAt.getTime() - after);
    expect(waitMs).toBeLessThanOrEqual(sendAt.getTime() - before);

    // Back in the delayed set, due after exactly that wait on the worker's clock.
    const job = await batches.queue.getJob(id);
    expect(await job?.getState()).toBe("delayed");
    expect(job?.delay).toBe(waitMs);
    const score = Number(await redis.zscore(batches.queue.toKey("delayed"), id));
    expect(Math.floor(score / 0x1000)).toBe(skewed + waitMs);

    // Nothing started: still scheduled, nothing judged, no chunk enqueued.
    const [row] = await t.query<{ status: string; judged: number }>(
      `SELECT b.status, (SELECT count(*)::int FROM batch_chunks c WHERE c.batch_id = b.id AND c.judged IS NOT NULL) AS judged
         FROM batches b WHERE b.id = $1`,
      [id],
    );
    expect(row).toEqual({ status: "scheduled", judged: 0 });
    expect(await chunks.queue.getJobCounts()).toMatchObject({ waiting: 0, prioritized: 0, active: 0 });
  });
});
