// Salvo unchanged on a Redis Cluster of three primaries (local redis-server
// processes): the API and two workers (one in this process, one a process of its
// own) send batches with flooded numbers under a provider's and an account's rate
// limits. Every
// script and queue call must keep to one slot, or Redis answers CROSSSLOT and
// the batch never completes.
import { startTestCluster, type TestCluster } from "@salvo/queue/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "./stack";

const PROVIDER_LIMIT = 1_500;
let cluster: TestCluster;
let stack: Stack;
beforeAll(async () => {
  cluster = await startTestCluster(3);
  const redis = {
    REDIS_URL: cluster.url,
    REDIS_CLUSTER: "true",
    REDIS_CLUSTER_NODES: cluster.nodes.slice(1).join(","),
  };
  stack = await startStack({
    workers: 1,
    api: { ...redis, BATCH_CHUNK_SIZE: "250" },
    worker: { ...redis, PROVIDER_MAX_MPS: String(PROVIDER_LIMIT) },
  });
  stack.spawnWorker();
});
afterAll(async () => {
  await stack?.stopAll();
  await cluster?.stop();
});

function numbers(count: number, base: number): string[] {
  return Array.from({ length: count }, (_, i) => `+336${String(base + i).padStart(8, "0")}`);
}

/** The nodes holding keys of this stack that start with `start` (after the prefix). */
async function nodesWith(start: string): Promise<string[]> {
  const prefix = stack.env.REDIS_PREFIX;
  const byNode = await cluster.keysByNode(prefix);
  return [...byNode]
    .filter(([, keys]) => keys.some((key) => key.startsWith(`${prefix}:${start}`)))
    .map(([n]) => n);
}

describe("on a Redis Cluster", () => {
  it("sends batches to completion: anti-flood, rate limit, queues and throttle across the nodes", async () => {
    const anonymous = stack.client();
    await expect
      .poll(
        async () =>
          ((await anonymous.ready().catch(() => undefined)) as { workers?: number } | undefined)?.workers,
        {
          timeout: 20_000,
          interval: 100,
        },
      )
      .toBe(2);

    const limit = 1_000;
    const limited = await stack.newAccount({ credits: 20_000, apiRateLimit: 1_000 });
    const other = await stack.newAccount({ credits: 20_000, apiRateLimit: 1_000 });
    await stack.store.accounts.update(limited.accountId, { sendRateLimit: limit, floodMaxPerHour: 1 });
    await stack.store.accounts.update(other.accountId, { floodMaxPerHour: 1 });

    // A first batch per account: its numbers get their one message of the hour.
    // (None ends in 97-99, which the simulator refuses or reports unknown: NPAI.)
    const earlier = [...numbers(90, 10_000), ...numbers(90, 10_100)];
    const first = await Promise.all(
      [limited, other].map(async ({ client }) => {
        const { body } = await client.batches.create({ from: "FIRST", body: "first", recipients: earlier });
        return client.batches.wait(body.data.batch_id, { timeoutMs: 20_000 });
      }),
    );
    for (const batch of first) expect(batch.attributes).toMatchObject({ status: "completed", flooded: 0 });
    // The API throttle counts in the cluster too (its keys live a second).
    expect((await nodesWith("api-throttle:")).length).toBeGreaterThan(0);

    // Then each sends those numbers again with 2,820 new ones: the 180 are flooded.
    const [limitedBatch, otherBatch] = await Promise.all(
      [
        { account: limited, from: "LIMITED", base: 100_000 },
        { account: other, from: "OTHER", base: 200_000 },
      ].map(async ({ account, from, base }) => {
        const { body } = await account.client.batches.create({
          from,
          body: "second",
          recipients: [...earlier, ...numbers(2_820, base)],
        });
        return account.client.batches.wait(body.data.batch_id, { timeoutMs: 30_000 });
      }),
    );
    for (const batch of [limitedBatch!, otherBatch!]) {
      expect(batch.attributes).toMatchObject({ status: "completed", total: 3_000, pending: 0, flooded: 180 });
      // Numbers ending in 97 are refused at hand-off: sent + failed are every message not flooded.
      expect(batch.attributes.sent + batch.attributes.failed).toBe(2_820);
    }

    // Every message handed off once; neither the provider's limit nor the limited
    // account's ever exceeded (by more than 5%) in any one-second window.
    const ledger = stack.ledger();
    const ids = ledger.map((line) => line.message_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(2 * 180 + 2 * 2_820);
    const busiest = (from?: string) => {
      const times = ledger
        .filter((line) => from === undefined || line.from === from)
        .map((line) => Date.parse(line.at))
        .sort((a, b) => a - b);
      let most = 0;
      for (let start = 0, end = 0; start < times.length; start++) {
        while (end < times.length && (times[end] as number) < (times[start] as number) + 1_000) end++;
        most = Math.max(most, end - start);
      }
      return most;
    };
    expect(busiest()).toBeLessThanOrEqual(PROVIDER_LIMIT * 1.05);
    expect(busiest("LIMITED")).toBeLessThanOrEqual(limit * 1.05);
    expect(busiest("LIMITED")).toBeGreaterThan(limit * 0.5);

    // Delivery reports go through the cluster too.
    const reported = await limited.client.batches.wait(limitedBatch!.id, {
      timeoutMs: 20_000,
      until: (batch) => batch.attributes.delivered + batch.attributes.undelivered === batch.attributes.sent,
    });
    expect(reported.attributes.delivered).toBeGreaterThan(0);

    // The keys really spread: each account's anti-flood state on one node, each
    // queue on one node, and the queues over several.
    for (const { accountId } of [limited, other])
      expect(await nodesWith(`flood:{${accountId}}:`)).toHaveLength(1);
    expect(await nodesWith("q:{batches}:")).toHaveLength(1);
    expect(await nodesWith("q:{chunks}:")).toHaveLength(1);
    // The job schedulers (periodic work) live in their queue's slot.
    expect(await nodesWith("q:{maintenance}:maintenance:repeat")).toHaveLength(1);
    expect(await nodesWith("q:{maintenance}:")).toHaveLength(1);
    expect((await nodesWith("q:")).length).toBeGreaterThan(1);
  }, 60_000);
});
