// The key layout for Redis Cluster: keys used together in one script share a
// hash tag; groups of keys that are never used together do not. (The limits'
// keys: packages/limits/test/keys.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openQueue, QUEUES } from "../src/catalog";
import { redisKey, workersKey } from "../src/keys";
import { closeRedis, createRedis } from "../src/redis";
import { deleteRedisKeys, hashed, testRedisPrefix, testRedisUrl } from "../src/testing";

const prefix = testRedisPrefix();
let redis: ReturnType<typeof createRedis>;
beforeAll(() => {
  redis = createRedis(testRedisUrl, { blocking: true });
});
afterAll(async () => {
  await deleteRedisKeys(prefix);
  await closeRedis(redis);
});

/** Keys BullMQ uses for a queue opened the way Salvo opens it. */
async function queueKeys(name: (typeof QUEUES)[keyof typeof QUEUES], keyPrefix: string): Promise<string[]> {
  const { queue, close } = openQueue(name, redis, keyPrefix);
  try {
    // Let the queue's own start-up commands finish: left pending, they would reject
    // once afterAll closes the connection (an unhandled "Connection is closed").
    await queue.waitUntilReady();
    return [...Object.values(queue.keys), queue.toKey("1234-0")];
  } finally {
    await close();
  }
}

describe("key layout", () => {
  it("keeps each BullMQ queue in one slot, a slot per queue", async () => {
    const tags = new Set<string>();
    for (const name of Object.values(QUEUES)) {
      const keys = await queueKeys(name, prefix);
      expect(keys.length).toBeGreaterThan(10);
      for (const key of keys) {
        expect(key.startsWith(`${prefix}:q:{${name}}:${name}:`)).toBe(true);
        expect(hashed(key)).toBe(name);
      }
      tags.add(name);
    }
    expect(tags.size).toBe(Object.keys(QUEUES).length);
  });

  it("leaves single keys untagged", () => {
    expect(workersKey("salvo")).toBe("salvo:workers");
    expect(redisKey("salvo", "reconciler")).toBe("salvo:reconciler");
  });

  it("puts everything in one slot under a prefix with a hash tag of its own, groups still whole", async () => {
    const keys = [...(await queueKeys("chunks", "{salvo}")), workersKey("{salvo}")];
    for (const key of keys) expect(key.startsWith("{salvo}:")).toBe(true);
    expect(new Set(keys.map(hashed))).toEqual(new Set(["salvo"]));
  });
});
