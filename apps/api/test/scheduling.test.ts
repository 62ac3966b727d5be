// send_at, ?status= and POST /v1/batches/:id/cancel through the SDK. No worker
// runs here: a scheduled batch stays `scheduled`, its job delayed in the queue.
import { parisDateTime } from "@salvo/core";
import { closeRedis, createRedis, type OpenQueue, openQueue } from "@salvo/queue";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credits, refusal, startTestApi, type TestApi } from "./harness";
import { sfJson } from "./smsfactor-http";

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

/**
 * When a batch's delayed job is due, as the queue in Redis holds it: its
 * timestamp plus its delay, and its score in the delayed set (BullMQ's due
 * time times 0x1000, plus a sequence number), which must agree.
 */
async function dueAt(batchId: string): Promise<number> {
  const job = await queue.queue.getJob(batchId);
  expect(await job?.getState()).toBe("delayed");
  const due = (job?.timestamp ?? 0) + (job?.opts.delay ?? 0);
  const score = Number(await redis.zscore(queue.queue.toKey("delayed"), batchId));
  expect(Math.floor(score / 0x1000)).toBe(due);
  return due;
}

/** A batch's send_at as PostgreSQL stores it, in milliseconds. */
async function storedSendAt(batchId: string): Promise<number> {
  const [row] = await t.query<{ ms: number }>(
    "SELECT (extract(epoch FROM send_at) * 1000)::float8 AS ms FROM batches WHERE id = $1",
    [batchId],
  );
  return row?.ms as number;
}

describe("a scheduled batch's job", () => {
  // The start's promptness is the queue's: due at send_at exactly, it is handed
  // to the next worker asking from then on (no sweep, no polling interval).
  it("is due at send_at to the millisecond: /v1/batches, /v1/sms and SMSFactor's delay", async () => {
    const { client, token } = await t.newAccount(FAST);
    // Milliseconds that are not a round second, as a client may send them.
    const sendAt = new Date(Date.now() + 3_600_000 + 123);
    sendAt.setUTCMilliseconds(987);
    const { body } = await client.batches.create(batch(sendAt.toISOString()));
    const batchId = body.data.batch_id;
    expect(await storedSendAt(batchId)).toBe(sendAt.getTime());
    expect(await dueAt(batchId)).toBe(sendAt.getTime());

    const smsAt = new Date(sendAt.getTime() + 60_001);
    const sms = await client.sms.send({
      from: "ACME",
      to: "+33612345678",
      body: "Hi",
      send_at: smsAt.toISOString(),
    });
    const smsBatch = sms.body.id.replace(/^msg_/, "bat_").replace(/_0$/, "");
    expect(await dueAt(smsBatch)).toBe(smsAt.getTime());

    // SMSFactor's `delay` is Paris time to the second.
    const delay = parisDateTime(new Date(Date.now() + 2 * 3_600_000));
    const answer = await sfJson(t.api.url, "POST", "/send", {
      token,
      json: {
        sms: {
          message: { sender: "Salvo", text: "Later", delay },
          recipients: { gsm: [{ value: "33612345678" }] },
        },
      },
    });
    expect(answer.status).toBe(1);
    const ticket = answer.ticket as string;
    const delayAt = await storedSendAt(ticket);
    expect(parisDateTime(new Date(delayAt))).toBe(delay);
    expect(await dueAt(ticket)).toBe(delayAt);
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
