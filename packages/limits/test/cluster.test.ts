// The limits' scripts on a real Redis Cluster of three primaries (local
// redis-server processes): every call's keys must be in one slot, or Redis
// answers CROSSSLOT and the call fails; and the keys spread over the nodes.
import { useTestCluster } from "@salvo/queue/testing";
import { describe, expect, it } from "vitest";
import { applyAntiFlood } from "../src/anti-flood";
import { reserveSendSlots } from "../src/send-limiter";

const local = useTestCluster(3);
const { prefix, nodesWith } = local;

describe("on a Redis Cluster", () => {
  it("applies anti-flood in one call per account, accounts spread over the nodes", async () => {
    const accounts = ["acc_1", "acc_2", "acc_3", "acc_4", "acc_5", "acc_6"];
    // Numbers on many shards, the first one three times: the limit is two an hour.
    const numbers = Array.from({ length: 200 }, (_, i) => `+336${String(10_000_000 + i * 7_919)}`);
    for (const accountId of accounts) {
      const flooded: boolean[] = [];
      for (let call = 0; call < 3; call++) {
        const answer = await applyAntiFlood(local.cluster.client, prefix, {
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
    expect(await reserveSendSlots(local.cluster.client, prefix, limits, 5)).toBe(0);
    const wait = await reserveSendSlots(local.cluster.client, prefix, limits, 5);
    expect(wait).toBeGreaterThan(400);
    expect(wait).toBeLessThanOrEqual(500);
  });
});
