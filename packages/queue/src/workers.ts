import { workersKey } from "./keys";
import type { RedisClient } from "./redis";

/** Workers whose heartbeat has not lapsed. */
export async function countLiveWorkers(redis: RedisClient, prefix: string): Promise<number> {
  return redis.zcount(workersKey(prefix), Date.now(), "+inf");
}
