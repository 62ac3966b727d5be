import { Redis, type RedisOptions } from "ioredis";

/**
 * A Redis connection. `blocking` connections (BullMQ workers) retry commands for
 * ever while Redis is away; the others fail fast so an HTTP request never hangs
 * on a missing Redis.
 */
export function createRedis(url: string, options: { blocking?: boolean; name?: string } = {}): Redis {
  const common: RedisOptions = {
    connectionName: options.name,
    lazyConnect: false,
    // Reconnect with a capped backoff; Redis restarts are survived, not fatal.
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  };
  return options.blocking
    ? new Redis(url, { ...common, maxRetriesPerRequest: null, enableReadyCheck: false })
    : new Redis(url, {
        ...common,
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
        connectTimeout: 2_000,
      });
}

/** Closes a connection, falling back to a hard disconnect when Redis is gone. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === "end") return;
  try {
    await Promise.race([redis.quit(), new Promise((_, reject) => setTimeout(reject, 1_000).unref())]);
  } catch {
    redis.disconnect();
  }
}
