import { randomBytes } from "node:crypto";
import { createRedis } from "./redis";

/** The Redis tests run against: REDIS_URL's, or the local default. */
export const testRedisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** A key prefix of its own for one test file, so files share Redis safely. */
export function testRedisPrefix(): string {
  return `salvo-test-${randomBytes(4).toString("hex")}`;
}

/** Deletes every key under a test prefix. */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = createRedis(testRedisUrl, { blocking: true });
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}
