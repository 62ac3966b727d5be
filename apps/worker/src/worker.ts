import { randomUUID } from "node:crypto";
import { closeDb, createDb } from "@salvo/db";
import { closeRedis, createRedis, workersKey } from "@salvo/queue";
import type { Logger } from "@salvo/runtime";
import type { WorkerEnv } from "./env";

interface RunningWorker {
  id: string;
  /** Stops taking work, finishes or releases what it holds, then closes Redis and PostgreSQL. */
  close(): Promise<void>;
}

/**
 * Starts one worker process's share of the fleet. Every worker is alike and
 * stateless: start as many as needed, on any host, against the same Redis and
 * PostgreSQL. Each announces itself with a heartbeat key that expires when it dies.
 */
export async function startWorker(env: WorkerEnv, logger: Logger): Promise<RunningWorker> {
  const id = randomUUID();
  const db = createDb(env.DATABASE_URL, { poolSize: env.DATABASE_POOL_SIZE });
  const redis = createRedis(env.REDIS_URL, { name: "salvo-worker", blocking: true });
  redis.on("error", (error) => logger.warn({ err: error.message }, "redis connection error"));

  const key = workersKey(env.REDIS_PREFIX);
  const beat = () =>
    redis
      .multi()
      .zadd(key, Date.now() + env.HEARTBEAT_INTERVAL_MS * 3, id)
      // Dead workers' entries are pruned by whoever beats next.
      .zremrangebyscore(key, "-inf", Date.now())
      .exec()
      .catch((error: Error) => logger.warn({ err: error.message }, "heartbeat failed"));
  await beat();
  const heartbeat = setInterval(beat, env.HEARTBEAT_INTERVAL_MS);
  logger.info({ workerId: id }, "worker started");

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      clearInterval(heartbeat);
      await redis.zrem(key, id).catch(() => {});
      await Promise.allSettled([closeRedis(redis), closeDb(db)]);
      logger.info({ workerId: id }, "worker stopped");
    })();
    return closing;
  };
  return { id, close };
}
