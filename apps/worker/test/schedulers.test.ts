// Periodic work as BullMQ job schedulers: two workers started together create
// one scheduler per task, each task's job runs once per period across both, and
// the stalled-batch task finds a batch stored without a job. Real Redis and
// PostgreSQL; RECONCILE_INTERVAL_MS is 1 s in the stack.
import { newId } from "@salvo/core";
import { CATALOG, closeRedis, createRedis, type OpenQueue, openQueue, type RedisClient } from "@salvo/queue";
import { QueueEvents } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack, waitFor } from "./stack";

const TASKS = Object.keys(CATALOG.maintenance.schedules).sort();

let stack: Stack;
let redis: RedisClient;
let maintenance: OpenQueue<"maintenance">;
let events: QueueEvents;
/** Ids of the maintenance jobs that completed, in order, each as often as it completed. */
const completed: string[] = [];

beforeAll(async () => {
  stack = await startStack({ workers: 0 });
  redis = createRedis(stack.env.REDIS_URL, { blocking: true });
  maintenance = openQueue("maintenance", redis, stack.env.REDIS_PREFIX);
  events = new QueueEvents("maintenance", { connection: redis, prefix: maintenance.queue.opts.prefix });
  events.on("completed", ({ jobId }) => completed.push(jobId));
  await events.waitUntilReady();
});
afterAll(async () => {
  await stack.stopAll();
  await events.close();
  await maintenance.close();
  await closeRedis(redis);
});

/** `repeat:<scheduler>:<period's time>`, BullMQ's id for one run of a scheduler. */
function runsOf(task: string): number[] {
  return completed
    .filter((id) => id.startsWith(`repeat:${task}:`))
    .map((id) => Number(id.slice(`repeat:${task}:`.length)));
}

describe("scheduled jobs", () => {
  it("two workers started together create one scheduler per task; each task runs once a period", async () => {
    const { accountId, client } = await stack.newAccount({ credits: 100, apiRateLimit: 1_000 });
    // Stored as the API stores a batch when Redis is down: no job.
    const batchId = newId("bat");
    await stack.store.batches.accept({
      id: batchId,
      accountId,
      type: "transactional",
      sender: "ACME",
      body: "found by the scheduler",
      country: "FR",
      segments: 1,
      recipients: ["+33612500001", "+33612500002"],
      chunkSize: 10,
    });

    await Promise.all([stack.addWorker(), stack.addWorker()]);
    const schedulers = await maintenance.queue.getJobSchedulers();
    expect(schedulers.map((s) => s.key).sort()).toEqual(TASKS);
    for (const scheduler of schedulers)
      expect(scheduler).toMatchObject({ name: scheduler.key, every: 1_000 });

    // The stalled-batch task enqueues the batch; it is sent to completion.
    const done = await client.batches.wait(batchId, {
      timeoutMs: 20_000,
      until: (b) => b.attributes.status === "completed",
    });
    expect(done.attributes).toMatchObject({ total: 2, sent: 2, pending: 0 });

    // Every task has run several periods, each period's job once, on one of the two workers.
    await waitFor("three runs of every task", () => TASKS.every((task) => runsOf(task).length >= 3));
    for (const task of TASKS) {
      const runs = runsOf(task);
      expect(new Set(runs).size, task).toBe(runs.length);
      const sorted = [...runs].sort((a, b) => a - b);
      for (let i = 1; i < sorted.length; i++)
        expect((sorted[i] as number) - (sorted[i - 1] as number), task).toBeGreaterThanOrEqual(1_000);
    }
  }, 40_000);

  it("re-upserting keeps one scheduler per task and applies a changed period", async () => {
    await maintenance.upsertSchedulers({ ...stack.workerEnv, RECONCILE_INTERVAL_MS: 2_000 });
    let schedulers = await maintenance.queue.getJobSchedulers();
    expect(schedulers.map((s) => s.key).sort()).toEqual(TASKS);
    for (const scheduler of schedulers) expect(scheduler.every).toBe(2_000);

    // As a worker started with today's setting would.
    await stack.addWorker();
    schedulers = await maintenance.queue.getJobSchedulers();
    expect(schedulers.map((s) => s.key).sort()).toEqual(TASKS);
    for (const scheduler of schedulers) expect(scheduler.every).toBe(1_000);
  });

  it("puts the schedulers back, within a heartbeat, when Redis lost them", async () => {
    // (A heartbeat may put the first back before the last is removed.)
    for (const task of TASKS) expect(await maintenance.queue.removeJobScheduler(task)).toBe(true);
    await waitFor(
      "the schedulers again",
      async () => (await maintenance.queue.getJobSchedulersCount()) === TASKS.length,
    );
    const schedulers = await maintenance.queue.getJobSchedulers();
    expect(schedulers.map((s) => s.key).sort()).toEqual(TASKS);
    // And they run again.
    const before = completed.length;
    await waitFor("a run of every task", () =>
      TASKS.every((task) => completed.slice(before).some((id) => id.startsWith(`repeat:${task}:`))),
    );
  });
});
