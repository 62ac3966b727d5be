import type { Redis } from "ioredis";
import { workersKey } from "./keys";

/** Workers whose heartbeat has not lapsed. */
export async function countLiveWorkers(redis: Redis, prefix: string): Promise<number> {
  return redis.zcount(workersKey(prefix), Date.now(), "+inf");
}
