// Salvo's queues on a real Redis Cluster of three primaries (local
// redis-server processes): every call's keys must be in one slot, or Redis
// answers CROSSSLOT and the call fails; and the keys spread over the nodes.
// The limits' scripts: packages/limits/test/cluster.test.ts.
import { describe, expect, it } from "vitest";
import { openQueue, startConsumer } from "../src/catalog";
import { useTestCluster } from "../src/testing";

const local = useTestCluster(3);
const { prefix, nodesWith } = local;

describe("on a Redis Cluster", () => {
  it("is a real cluster: a script across two slots is refused", async () => {
    const answer = local.cluster.client.call("eval", ["return 1", 2, "{a}:x", "{b}:x"]);
    await expect(answer).rejects.toThrow(/CROSSSLOT/);
  });

  it("runs BullMQ queues, each in its own slot, on several nodes", async () => {
    const batches = openQueue("batches", local.cluster.client, prefix);
    const chunks = openQueue("chunks", local.cluster.client, prefix);
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
      startConsumer("batches", local.cluster.client, prefix, async (data) => {
        // Expanding a batch enqueues its chunks, as the worker does.
        await chunks.addBulk(
          Array.from({ length: 20 }, (_, chunk) => ({
            data: { batchId: data.batchId, chunk },
            opts: { jobId: `${data.batchId}-${chunk}`, priority: chunk + 1 },
          })),
        );
        await take(data.batchId);
      }),
      startConsumer("chunks", local.cluster.client, prefix, (data) => take(`${data.batchId}-${data.chunk}`), {
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
