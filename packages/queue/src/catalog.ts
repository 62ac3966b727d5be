import { type Job, Queue, type QueueOptions, UnrecoverableError, Worker, type WorkerOptions } from "bullmq";
import { z } from "zod";
import { hashTag, redisKey } from "./keys";
import type { RedisClient } from "./redis";

/**
 * Salvo's queues and the payload of each job. Names are part of the data in
 * Redis: renaming a queue needs a migration. Jobs carry ids, never bulk data:
 * workers read the rest from PostgreSQL.
 */
export const QUEUES = {
  /** One job per batch: judge its numbers (invalid, duplicated) and enqueue its chunks. */
  batches: "batches",
  /** One job per chunk of a batch: filter, hand off and record its messages. */
  chunks: "chunks",
  /** Delivery reports from providers, applied in bulk. */
  deliveries: "deliveries",
  /** One job per webhook event (an outbox row in PostgreSQL): post it, signed, until it is delivered. */
  webhooks: "webhooks",
} as const;

export const expandBatchJob = z.object({ batchId: z.string().min(1) });

export const sendChunkJob = z.object({ batchId: z.string().min(1), chunk: z.number().int().min(0) });

/**
 * Delivery reports, grouped by batch and time, each entry `[position in the batch,
 * status, reason, provider's code]`: a quarter of the size of one object per
 * report, which matters with a million reports queued at once.
 */
export const deliveryReportsJob = z.object({
  groups: z.array(
    z.object({
      batchId: z.string(),
      at: z.number(),
      entries: z.array(
        z.tuple([
          z.number().int().min(0),
          z.enum(["delivered", "undelivered"]),
          z.string().nullable(),
          z.string().nullable(),
        ]),
      ),
    }),
  ),
  /** How many times these reports found no message yet (they are retried briefly). */
  attempt: z.number().int().min(0).default(0),
});

/** The event's row holds everything else: its webhook, its exact body, its state. */
export const webhookEventJob = z.object({ eventId: z.string().min(1) });

const payloads = {
  [QUEUES.batches]: expandBatchJob,
  [QUEUES.chunks]: sendChunkJob,
  [QUEUES.deliveries]: deliveryReportsJob,
  [QUEUES.webhooks]: webhookEventJob,
};

type QueueName = (typeof QUEUES)[keyof typeof QUEUES];
export type Payload<Q extends QueueName> = z.infer<(typeof payloads)[Q]>;

/**
 * BullMQ's key prefix for one queue: `<REDIS_PREFIX>:q:{<queue>}`, so its keys
 * read `salvo:q:{chunks}:chunks:wait`. BullMQ's scripts touch many keys of a
 * queue at once: the hash tag keeps them in one Redis Cluster slot, and a tag per
 * queue spreads the queues over the cluster's nodes.
 */
function bullPrefix(prefix: string, queue: QueueName): string {
  return redisKey(prefix, "q", hashTag(queue));
}

const retention = { removeOnComplete: true, removeOnFail: 10_000 } as const;

/**
 * A webhook event is retried on the worker's schedule (WEBHOOK_RETRY_SCHEDULE_MS)
 * by the custom backoff of that name, given to the webhooks consumer. The
 * processor decides when an event has had its last attempt: `attempts` here is
 * only a ceiling, for jobs that keep failing for other reasons (PostgreSQL down).
 */
const WEBHOOK_BACKOFF = "webhook";
const jobDefaults: { [Q in QueueName]?: { attempts: number; backoff: { type: string } } } = {
  [QUEUES.webhooks]: { attempts: 100, backoff: { type: WEBHOOK_BACKOFF } },
};

/**
 * How long a job stays owned by a worker that stopped renewing its lock (killed,
 * frozen) before another worker takes it over.
 */
export const JOB_LOCK_MS = 15_000;

/** A producer for one queue; payloads are checked when enqueued. */
export function openQueue<Q extends QueueName>(
  name: Q,
  redis: RedisClient,
  prefix: string,
  options: Partial<QueueOptions> = {},
) {
  const queue = new Queue(name, {
    connection: redis,
    prefix: bullPrefix(prefix, name),
    defaultJobOptions: {
      attempts: 20,
      backoff: { type: "exponential", delay: 1_000 },
      ...retention,
      ...jobDefaults[name],
    },
    ...options,
  });
  return {
    queue,
    add(data: Payload<Q>, opts: { jobId: string; priority?: number; delay?: number }) {
      return queue.add(name, payloads[name].parse(data) as never, opts);
    },
    addBulk(jobs: { data: Payload<Q>; opts: { jobId: string; priority?: number; delay?: number } }[]) {
      return queue.addBulk(
        jobs.map((job) => ({ name, data: payloads[name].parse(job.data) as never, opts: job.opts })),
      );
    },
    close: () => queue.close(),
  };
}

export type OpenQueue<Q extends QueueName> = ReturnType<typeof openQueue<Q>>;

/**
 * A consumer for one queue. Payloads are checked again when taken; an invalid one
 * can never succeed, so it fails at once instead of being retried.
 */
export function startConsumer<Q extends QueueName>(
  name: Q,
  redis: RedisClient,
  prefix: string,
  handle: (data: Payload<Q>, job: Job, token: string | undefined) => Promise<void>,
  options: Partial<WorkerOptions> = {},
): Worker {
  return new Worker(
    name,
    async (job, token) => {
      const parsed = payloads[name].safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError(`invalid ${name} payload: ${parsed.error.message}`);
      await handle(parsed.data as Payload<Q>, job, token);
    },
    {
      // Must be a connection made with maxRetriesPerRequest: null (createRedis's `blocking`).
      connection: redis,
      prefix: bullPrefix(prefix, name),
      // A worker killed mid-job loses its lock after lockDuration; another takes the
      // job over. Stalls are expected under kill -9, so they never fail a job.
      lockDuration: JOB_LOCK_MS,
      stalledInterval: JOB_LOCK_MS / 3,
      maxStalledCount: 1_000,
      ...options,
    },
  );
}

/**
 * Enqueues the delivery of webhook events already written to PostgreSQL. The job
 * id is the event's, so enqueueing one twice (a retry, the sweep) is harmless.
 */
export function enqueueWebhookEvents(queue: OpenQueue<"webhooks">, eventIds: string[]) {
  return queue.addBulk(eventIds.map((eventId) => ({ data: { eventId }, opts: { jobId: eventId } })));
}
