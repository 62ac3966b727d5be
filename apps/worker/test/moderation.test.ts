// A batch held for moderation through the whole stack: the workers never send
// it, even when its job is enqueued by hand; an operator's approval sends it.
import { closeRedis, createRedis, type OpenQueue, openQueue, type RedisClient } from "@salvo/queue";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messagesByStatus, type Stack, startStack, waitFor } from "./stack";

let stack: Stack;
let redis: RedisClient;
let queue: OpenQueue<"batches">;
beforeAll(async () => {
  stack = await startStack({
    workers: 1,
    api: { BATCH_CHUNK_SIZE: "10", MODERATION_BLOCKED_WORDS: "casino" },
  });
  redis = createRedis(stack.env.REDIS_URL);
  queue = openQueue("batches", redis, stack.env.REDIS_PREFIX);
});
afterAll(async () => {
  await queue?.close();
  if (redis) await closeRedis(redis);
  await stack?.stopAll();
});

describe("a held batch", () => {
  it("is not sent by a job enqueued by hand, and is sent once approved", async () => {
    const { client } = await stack.newAccount({ credits: 1_000, apiRateLimit: 1_000 });
    const { token } = await stack.store.adminTokens.create("worker test");
    const admin = stack.client(token);
    const recipients = Array.from({ length: 25 }, (_, i) => `+336124000${String(i).padStart(2, "0")}`);
    const body = "Casino night, moderated";
    const { body: accepted } = await client.batches.create({ from: "ACME", body, recipients });
    const id = accepted.data.batch_id;

    // Its job, enqueued by hand, is taken and done without sending anything.
    await queue.add({ batchId: id }, { jobId: id });
    await waitFor("the hand-made job to be done", async () => (await queue.queue.getJob(id)) === undefined);
    expect((await client.batches.get(id)).body.data.attributes).toMatchObject({
      status: "moderation",
      pending: 25,
    });
    expect(stack.ledger().filter((line) => line.body === body)).toEqual([]);
    expect(await messagesByStatus(stack, id)).toEqual({});

    await admin.admin.moderation.approve(id);
    const done = await client.batches.wait(id, { timeoutMs: 20_000 });
    expect(done.attributes).toMatchObject({ status: "completed", sent: 25, pending: 0, cost: 25 });
    expect(stack.ledger().filter((line) => line.body === body)).toHaveLength(25);
    expect((await client.account.get()).body.data.attributes.credits).toBe(975);
  });
});
