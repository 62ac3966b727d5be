import { Queue } from "bullmq";
import { QUEUES, queuePrefix } from "./catalog";
import type { RedisClient } from "./redis";

/** One queue's jobs by state, and how long its oldest waiting job has waited. */
export interface QueueStats {
  queue: string;
  /** Jobs by BullMQ state: waiting (wait + prioritized), active, delayed, failed. */
  counts: { waiting: number; active: number; delayed: number; failed: number };
  /** Seconds since the oldest job waiting to be taken was added; 0 when none waits. */
  oldestWaitingSeconds: number;
}

const STATES = ["wait", "prioritized", "active", "delayed", "failed"] as const;

/**
 * Reads every queue's depth for /metrics, at scrape time: per queue one
 * getJobCounts (a transaction on the queue's keys) and the first job of its
 * wait list and of its prioritized set. Each queue's keys share a hash tag
 * (see queuePrefix), so every call stays in one Redis Cluster slot.
 */
export function openQueueStats(redis: RedisClient, prefix: string) {
  const queues = Object.values(QUEUES).map(
    (name) => new Queue(name, { connection: redis, prefix: queuePrefix(prefix, name) }),
  );
  const readOne = async (queue: Queue, now: number): Promise<QueueStats> => {
    const [counts, next] = await Promise.all([
      queue.getJobCounts(...STATES),
      // The wait list's oldest job (asc: from its tail), and the prioritized set's first.
      queue.getJobs(["wait", "prioritized"], 0, 0, true),
    ]);
    const oldest = Math.min(...next.flatMap((job) => (job ? [job.timestamp] : [])));
    return {
      queue: queue.name,
      counts: {
        waiting: (counts.wait ?? 0) + (counts.prioritized ?? 0),
        active: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        failed: counts.failed ?? 0,
      },
      oldestWaitingSeconds: Number.isFinite(oldest) ? Math.max(0, (now - oldest) / 1_000) : 0,
    };
  };
  return {
    read(): Promise<QueueStats[]> {
      const now = Date.now();
      return Promise.all(queues.map((queue) => readOne(queue, now)));
    },
    close: () => Promise.allSettled(queues.map((queue) => queue.close())).then(() => undefined),
  };
}

export type OpenQueueStats = ReturnType<typeof openQueueStats>;
