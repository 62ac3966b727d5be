// The key layout for Redis Cluster: keys used together in one script share a
// hash tag; groups of keys that are never used together do not.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { floodKey } from "../src/anti-flood";
import { openQueue, QUEUES } from "../src/catalog";
import { redisKey, workersKey } from "../src/keys";
import { closeRedis, createRedis } from "../src/redis";
import { sendLimitKey } from "../src/send-limiter";
import { deleteRedisKeys, testRedisPrefix, testRedisUrl } from "../src/testing";

/** What Redis Cluster hashes: the first `{…}` when it is not empty, else the whole key. */
function hashed(key: string): string {
  const open = key.indexOf("{");
  const close = open < 0 ? -1 : key.indexOf("}", open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

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

  it("keeps an account's anti-flood shards of every hour in one slot, accounts apart", () => {
    const keys = (account: string) =>
      [0, 1, 16_383].flatMap((shard) => [
        floodKey("salvo", account, 500_000, shard),
        floodKey("salvo", account, 499_999, shard),
      ]);
    for (const key of keys("acc_a")) {
      expect(key.startsWith("salvo:flood:{acc_a}:")).toBe(true);
      expect(hashed(key)).toBe("acc_a");
    }
    expect(new Set(keys("acc_b").map(hashed))).toEqual(new Set(["acc_b"]));
  });

  it("keeps every send limit in one slot, so limits can be reserved together", () => {
    const keys = ["provider:simulator", "account:acc_a", "account:acc_b"].map((key) =>
      sendLimitKey("salvo", key),
    );
    expect(keys[0]).toBe("salvo:{send-limit}:provider:simulator");
    expect(new Set(keys.map(hashed))).toEqual(new Set(["send-limit"]));
  });

  it("leaves single keys untagged", () => {
    expect(workersKey("salvo")).toBe("salvo:workers");
    expect(redisKey("salvo", "reconciler")).toBe("salvo:reconciler");
  });

  it("puts everything in one slot under a prefix with a hash tag of its own, groups still whole", async () => {
    const keys = [
      ...(await queueKeys("chunks", "{salvo}")),
      floodKey("{salvo}", "acc_a", 1, 2),
      sendLimitKey("{salvo}", "provider:simulator"),
      workersKey("{salvo}"),
    ];
    for (const key of keys) expect(key.startsWith("{salvo}:")).toBe(true);
    expect(new Set(keys.map(hashed))).toEqual(new Set(["salvo"]));
  });
});
