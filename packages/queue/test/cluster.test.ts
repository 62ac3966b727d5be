// Salvo's scripts and queues on a real Redis Cluster of three primaries (local
// redis-server processes): every call's keys must be in one slot, or Redis
// answers CROSSSLOT and the call fails; and the keys spread over the nodes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyAntiFlood } from "../src/anti-flood";
import { openQueue, startConsumer } from "../src/catalog";
import { reserveSendSlots } from "../src/send-limiter";
import { startTestCluster, type TestCluster, testRedisPrefix } from "../src/testing";

const prefix = testRedisPrefix();
let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startTestCluster(3);
});
afterAll(() => cluster?.stop());

/** The nodes holding keys that start with `${prefix}:${start}`. */
async function nodesWith(start: string): Promise<string[]> {
  const byNode = await cluster.keysByNode(prefix);
  return [...byNode]
    .filter(([, keys]) => keys.some((key) => key.startsWith(`${prefix}:${start}`)))
    .map(([n]) => n);
}

describe("on a Redis Cluster", () => {
  it("is a real cluster: a script across two slots is refused", async () => {
    const answer = cluster.client.call("eval", ["return 1", 2, "{a}:x", "{b}:x"]);
    await expect(answer).rejects.toThrow(/CROSSSLOT/);
  });

  it("applies anti-flood in one call per account, accounts spread over the nodes", async () => {
    const accounts = ["acc_1", "acc_2", "acc_3", "acc_4", "acc_5", "acc_6"];
    // Numbers on many shards, the first one three times: the limit is two an hour.
    const numbers = Array.from({ length: 200 }, (_, i) => `+336${String(10_000_000 + i * 7_919)}`);
    for (const accountId of accounts) {
      const flooded: boolean[] = [];
      for (let call = 0; call < 3; call++) {
        const answer = await applyAntiFlood(cluster.client, prefix, {
          accountId,
          now: Date.now(),
          maxPerHour: 2,
          maxSameBodyPerHour: 2,
          bodyHash: "cafe0001",
          recipients: (call === 0 ? numbers : numbers.slice(0, 1)).map((number, i) => ({
            number,
            messageKey: `${accountId}:${call}:${i}`,
          })),
        });
        flooded.push(...answer.map((rule) => rule !== null));
      }
      expect(flooded.filter(Boolean)).toHaveLength(1);
      expect(flooded.at(-1)).toBe(true);
      // Every shard of an account lives on one node.
      expect(await nodesWith(`flood:{${accountId}}:`)).toHaveLength(1);
    }
    expect((await nodesWith("flood:")).length).toBeGreaterThan(1);
  });

  it("reserves an account's and the provider's limits together, atomically", async () => {
    const limits = [
      { key: "provider:simulator", perSecond: 100 },
      { key: "account:acc_1", perSecond: 10 },
    ];
    expect(await reserveSendSlots(cluster.client, prefix, limits, 5)).toBe(0);
    const wait = await reserveSendSlots(cluster.client, prefix, limits, 5);
    expect(wait).toBeGreaterThan(400);
    expect(wait).toBeLessThanOrEqual(500);
  });

  it("runs BullMQ queues, each in its own slot, on several nodes", async () => {
    const batches = openQueue("batches", cluster.client, prefix);
    const chunks = openQueue("chunks", cluster.client, prefix);
    const taken: string[] = [];
    let done: () => void = () => {};
    const all = new Promise<void>((resolve) => {
      done = resolve;
    });
    const expected = 1 + 20;
    const take = async (id: string) => {
      taken.push(id);
      if (taken.length === expected) done();
    };
    const consumers = [
      startConsumer("batches", cluster.client, prefix, async (data) => {
        // Expanding a batch enqueues its chunks, as the worker does.
        await chunks.addBulk(
          Array.from({ length: 20 }, (_, chunk) => ({
            data: { batchId: data.batchId, chunk },
            opts: { jobId: `${data.batchId}-${chunk}`, priority: chunk + 1 },
          })),
        );
        await take(data.batchId);
      }),
      startConsumer("chunks", cluster.client, prefix, (data) => take(`${data.batchId}-${data.chunk}`), {
        concurrency: 4,
      }),
    ];
    try {
      await batches.add({ batchId: "bat_1" }, { jobId: "bat_1" });
      await all;
      expect(new Set(taken).size).toBe(expected);
      expect(await nodesWith("q:{batches}:")).toHaveLength(1);
      expect(await nodesWith("q:{chunks}:")).toHaveLength(1);
      expect(await nodesWith("q:")).toHaveLength(2);
    } finally {
      await Promise.all(consumers.map((consumer) => consumer.close()));
      await Promise.all([batches.close(), chunks.close()]);
    }
  });
});
