// send_at, ?status= and POST /v1/batches/:id/cancel through the SDK. No worker
// runs here: a scheduled batch stays `scheduled`, its job delayed in the queue.
import { closeRedis, createRedis, type OpenQueue, openQueue } from "@salvo/queue";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credits, refusal, startTestApi, type TestApi } from "./harness";

let t: TestApi;
let redis: Redis;
let queue: OpenQueue<"batches">;
beforeAll(async () => {
  t = await startTestApi();
  redis = createRedis(t.env.REDIS_URL);
  queue = openQueue("batches", redis, t.env.REDIS_PREFIX);
});
afterAll(async () => {
  await queue?.close();
  if (redis) await closeRedis(redis);
  await t?.stop();
});

const FAST = { credits: 100, apiRateLimit: 10_000 };
const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();
const batch = (send_at?: string) => ({
  from: "ACME",
  body: "Hello",
  recipients: ["+33612345678", "+33612345679", { to: "0612345680", ref: "r-1" }],
  send_at,
});

describe("send_at", () => {
  it.each([
    ["in the past", "2020-01-01T00:00:00Z", "must be in the future"],
    ["more than 90 days ahead", new Date(Date.now() + 91 * 86_400_000).toISOString(), "at most 90 days"],
    ["without an offset", "2027-01-05T10:00:00", "with its offset"],
    ["not a date", "tomorrow", "RFC 3339"],
  ])("%s is a 400 naming send_at, with nothing stored or charged", async (_, sendAt, message) => {
    const { client, accountId } = await t.newAccount(FAST);
    for (const request of [
      () => client.batches.create(batch(sendAt)),
      () => client.sendNow(batch(sendAt)),
      () => client.sms.send({ from: "ACME", to: "+33612345678", body: "Hi", send_at: sendAt }),
      () => client.batches.simulate(batch(sendAt)),
    ]) {
      const error = await refusal(request());
      expect(error).toMatchObject({ status: 400, code: "INVALID_PARAMETER", field: "send_at" });
      expect(error.message).toContain(message);
    }
    expect(await t.count("batches", { account_id: accountId })).toBe(0);
    expect(await credits(client)).toBe(100);
  });

  it("stores a scheduled batch, charged at acceptance, its job delayed until send_at, listed by status", async () => {
    const { client } = await t.newAccount(FAST);
    const sendAt = inMinutes(60);
    const { body } = await client.batches.create(batch(sendAt));
    const id = body.data.batch_id;
    const { body: read } = await client.batches.get(id);
    expect(read.data.attributes).toMatchObject({ status: "scheduled", pending: 3, send_at: sendAt });
    expect(await credits(client)).toBe(97);

    const job = await queue.queue.getJob(id);
    expect(await job?.getState()).toBe("delayed");
    expect(job?.delay).toBeGreaterThan(59 * 60_000);

    const now = await client.batches.create(batch());
    const scheduled = await client.batches.list({ status: "scheduled" });
    expect(scheduled.body.data.map((b) => b.id)).toEqual([id]);
    const accepted = await client.batches.list({ status: "accepted" });
    expect(accepted.body.data.map((b) => b.id)).toEqual([now.body.data.batch_id]);
    expect(accepted.body.data[0]?.attributes.send_at).toBeNull();
    expect((await client.batches.list()).body.data).toHaveLength(2);

    const error = await refusal(client.batches.list({ status: "waiting" as never }));
    expect(error).toMatchObject({ status: 400, field: "status" });
  });

  it("on /v1/send answers at once, every message pending; on /v1/sms echoes it", async () => {
    const { client } = await t.newAccount(FAST);
    const sendAt = inMinutes(5);
    const { status, body } = await client.sendNow(batch(sendAt));
    expect(status).toBe(202);
    expect(body).toMatchObject({ status: 1, total: 3, pending: 3, sent: 0, cost: 0, credits: 97 });
    const { body: read } = await client.batches.get(body.ticket);
    expect(read.data.attributes.status).toBe("scheduled");

    const sms = await client.sms.send({ from: "ACME", to: "+33612345678", body: "Hi", send_at: sendAt });
    expect(sms.body).toMatchObject({ status: "pending", send_at: sendAt });
  });
});

describe("POST /v1/batches/:id/cancel", () => {
  it("cancels a scheduled batch entirely, refunded, answering the counts after it; then 409", async () => {
    const { client } = await t.newAccount(FAST);
    const { body } = await client.batches.create(batch(inMinutes(30)));
    const id = body.data.batch_id;

    const { status, body: canceled } = await client.batches.cancel(id);
    expect(status).toBe(200);
    expect(canceled.data.attributes).toMatchObject({
      status: "canceled",
      total: 3,
      pending: 0,
      canceled: 3,
      sent: 0,
      cost: 0,
    });
    expect(canceled.data.attributes.completed_at).not.toBeNull();
    expect(await credits(client)).toBe(100);
    expect(await queue.queue.getJob(id)).toBeUndefined();
    const messages = await client.batches.messages(id, { status: "canceled" });
    expect(messages.body.data.map((m) => [m.attributes.to, m.attributes.ref, m.attributes.reason])).toEqual([
      ["+33612345678", null, "canceled"],
      ["+33612345679", null, "canceled"],
      ["0612345680", "r-1", "canceled"],
    ]);
    expect((await client.batches.list({ status: "scheduled" })).body.data).toEqual([]);

    const again = await refusal(client.batches.cancel(id));
    expect(again).toMatchObject({ status: 409, code: "BATCH_NOT_CANCELABLE" });
    expect(await credits(client)).toBe(100);
  });

  it("is 404 for another account's batch, a single message's or an unknown id", async () => {
    const { client } = await t.newAccount(FAST);
    const other = await t.newAccount(FAST);
    const { body } = await client.batches.create(batch(inMinutes(30)));
    expect(await refusal(other.client.batches.cancel(body.data.batch_id))).toMatchObject({ status: 404 });
    const sms = await client.sms.send({ from: "ACME", to: "+33612345678", body: "Hi" });
    const singleBatch = sms.body.id.replace(/^msg_/, "bat_").replace(/_0$/, "");
    expect(await refusal(client.batches.cancel(singleBatch))).toMatchObject({ status: 404 });
    expect(await refusal(client.batches.cancel("bat_nope"))).toMatchObject({ status: 404 });
    expect((await client.batches.get(body.data.batch_id)).body.data.attributes.status).toBe("scheduled");
  });
});
