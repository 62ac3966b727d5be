// Scheduled batches and cancels on the whole stack: nothing judged or sent
// before send_at (even when its job is forced early, or the sweep runs), a start
// once with two workers (and with worker processes racing copies of its job),
// and cancels that never both send and cancel a message.
import { once } from "node:events";
import { BATCH_TOTAL_PARTS, parseMessageId } from "@salvo/core";
import {
  closeRedis,
  countLiveWorkers,
  createRedis,
  type OpenQueue,
  openQueue,
  type RedisClient,
} from "@salvo/queue";
import type { Salvo } from "@salvo/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messagesByStatus, runCli, type Stack, startStack, subscribe, waitFor } from "./stack";

let stack: Stack;
let redis: RedisClient;
let queue: OpenQueue<"batches">;
beforeAll(async () => {
  // Small chunks handed off in small groups to a slow upstream: a cancel lands
  // in the middle of a chunk's hand-off.
  stack = await startStack({
    workers: 2,
    api: { BATCH_CHUNK_SIZE: "20" },
    worker: { SIMULATOR_HANDOFF_DELAY_MS: "15", HANDOFF_GROUP_SIZE: "4" },
  });
  redis = createRedis(stack.env.REDIS_URL);
  queue = openQueue("batches", redis, stack.env.REDIS_PREFIX);
});
afterAll(async () => {
  await queue?.close();
  if (redis) await closeRedis(redis);
  await stack?.stopAll();
});

let series = 0;
/** `count` numbers no other batch of this file uses (anti-flood counts per number). */
function numbers(count: number): string[] {
  const first = series++ * 1_000;
  return Array.from({ length: count }, (_, i) => `+336130${String(first + i).padStart(5, "0")}`);
}

/** The positions of a batch's messages the simulator was handed. */
function handedOff(batchId: string): number[] {
  return stack
    .ledger()
    .map((line) => parseMessageId(line.message_id))
    .filter((id) => id?.batchId === batchId)
    .map((id) => id?.index as number);
}

async function positionsOf(batchId: string, status: string): Promise<number[]> {
  const rows = await stack.query<{ idx: number }>(
    "SELECT idx FROM messages WHERE batch_id = $1 AND status = $2 ORDER BY idx",
    [batchId, status],
  );
  return rows.map((row) => row.idx);
}

async function completedEvents(accountId: string, batchId: string) {
  const rows = await stack.query<{ payload: string }>(
    "SELECT payload FROM webhook_events WHERE account_id = $1 AND type = 'batch.completed'",
    [accountId],
  );
  return rows
    .map((row) => JSON.parse(row.payload).data as Record<string, unknown>)
    .filter((data) => data.batch_id === batchId);
}

/** Counters against rows, the sum invariant, and the account's credits against what was spent. */
async function expectBooksBalance(client: Salvo, batchId: string, creditsBefore: number) {
  const { attributes: a } = (await client.batches.get(batchId)).body.data;
  expect(BATCH_TOTAL_PARTS.reduce((sum, key) => sum + a[key], 0)).toBe(a.total);
  const rows = await messagesByStatus(stack, batchId);
  const sentRows = (rows.sent ?? 0) + (rows.delivered ?? 0) + (rows.undelivered ?? 0);
  expect(sentRows).toBe(a.sent);
  for (const key of ["failed", "canceled", "invalid", "duplicated", "flooded"] as const) {
    expect(rows[key] ?? 0, key).toBe(a[key]);
  }
  expect(a.cost).toBe(a.sent);
  expect((await client.account.get()).body.data.attributes.credits).toBe(creditsBefore - a.cost);
  return a;
}

describe("a scheduled batch", () => {
  it("is not judged or sent before send_at, even when its job is forced early and the sweep runs; then once", async () => {
    const { client, accountId } = await stack.newAccount({ credits: 1_000, apiRateLimit: 1_000 });
    await subscribe(stack, accountId, "done", ["batch.completed"]);
    const recipients = numbers(30);
    const sendAt = new Date(Date.now() + 4_000);
    const { body } = await client.batches.create({
      from: "ACME",
      body: "Scheduled",
      recipients,
      send_at: sendAt.toISOString(),
    });
    const id = body.data.batch_id;

    // Forced early: promoted out of the delayed set, its job runs now and moves itself back.
    const job = await queue.queue.getJob(id);
    expect(await job?.getState()).toBe("delayed");
    await job?.promote();
    await waitFor("the job to be delayed again", async () => {
      const again = await queue.queue.getJob(id);
      return (await again?.getState()) === "delayed" && again?.processedOn !== undefined;
    });
    // A batch idle for an hour is one the requeue sweep would take, were it due.
    await stack.query("UPDATE batches SET updated_at = now() - interval '1 hour' WHERE id = $1", [id]);
    expect(await stack.store.batches.stalled(0)).not.toContain(id);
    const [early] = await stack.query<{ status: string; judged: number }>(
      `SELECT b.status, (SELECT count(*)::int FROM batch_chunks c WHERE c.batch_id = b.id AND c.judged IS NOT NULL) AS judged
         FROM batches b WHERE b.id = $1`,
      [id],
    );
    expect(early).toEqual({ status: "scheduled", judged: 0 });

    const done = await client.batches.wait(id, { timeoutMs: 30_000 });
    expect(done.attributes).toMatchObject({ status: "completed", sent: 30, pending: 0 });
    const positions = handedOff(id);
    expect(positions).toHaveLength(30);
    expect(new Set(positions).size).toBe(30);
    const first = stack
      .ledger()
      .filter((line) => parseMessageId(line.message_id)?.batchId === id)
      .map((line) => Date.parse(line.at));
    expect(Math.min(...first)).toBeGreaterThanOrEqual(sendAt.getTime());
    expect(await completedEvents(accountId, id)).toHaveLength(1);
  });

  it("whose job was lost is started by the requeue sweep once send_at has come", async () => {
    const { client } = await stack.newAccount({ credits: 1_000, apiRateLimit: 1_000 });
    const { body } = await client.batches.create({
      from: "ACME",
      body: "Lost job",
      recipients: numbers(5),
      send_at: new Date(Date.now() + 1_500).toISOString(),
    });
    const id = body.data.batch_id;
    await (await queue.queue.getJob(id))?.remove();
    expect(await queue.queue.getJob(id)).toBeUndefined();
    await stack.query("UPDATE batches SET updated_at = now() - interval '1 hour' WHERE id = $1", [id]);
    const done = await client.batches.wait(id, { timeoutMs: 30_000 });
    expect(done.attributes).toMatchObject({ status: "completed", sent: 5 });
  });
});

describe("a scheduled batch raced by worker processes", () => {
  it("is started exactly once when copies of its job fall due together on three processes", async () => {
    // Every scheduled -> processing of a batch, as PostgreSQL sees it.
    await stack.query("CREATE TABLE test_batch_starts (batch_id text NOT NULL)");
    await stack.query(
      `CREATE FUNCTION test_batch_started() RETURNS trigger LANGUAGE plpgsql AS
         $$ BEGIN INSERT INTO test_batch_starts VALUES (NEW.id); RETURN NEW; END $$`,
    );
    await stack.query(
      `CREATE TRIGGER test_batch_started AFTER UPDATE OF status ON batches FOR EACH ROW
         WHEN (OLD.status = 'scheduled' AND NEW.status = 'processing') EXECUTE FUNCTION test_batch_started()`,
    );
    // Two worker processes besides this one's two workers, all heart-beating before send_at.
    const processes = [stack.spawnWorker(), stack.spawnWorker()];
    try {
      await waitFor("the worker processes", async () => {
        return (await countLiveWorkers(redis, stack.env.REDIS_PREFIX)) >= 4;
      });
      const { client, accountId } = await stack.newAccount({ credits: 1_000, apiRateLimit: 1_000 });
      await subscribe(stack, accountId, "done", ["batch.completed"]);
      const sendAt = new Date(Date.now() + 2_000);
      const { body } = await client.batches.create({
        from: "ACME",
        body: "Raced",
        recipients: numbers(40),
        send_at: sendAt.toISOString(),
      });
      const id = body.data.batch_id;
      // Copies of its expansion due at the same millisecond (as a hand-enqueued
      // job, or one redelivered after a stall, would be): each worker takes one.
      const job = await queue.queue.getJob(id);
      const due = (job?.timestamp ?? 0) + (job?.opts.delay ?? 0);
      expect(due).toBe(sendAt.getTime());
      const now = Date.now();
      for (let copy = 1; copy <= 5; copy++) {
        await queue.add({ batchId: id }, { jobId: `${id}-copy-${copy}`, delay: due - now, timestamp: now });
      }

      const done = await client.batches.wait(id, { timeoutMs: 30_000 });
      expect(done.attributes).toMatchObject({ status: "completed", sent: 40, pending: 0 });
      expect(await stack.query("SELECT batch_id FROM test_batch_starts WHERE batch_id = $1", [id])).toEqual([
        { batch_id: id },
      ]);
      const positions = handedOff(id);
      expect(positions).toHaveLength(40);
      expect(new Set(positions).size).toBe(40);
      await waitFor("every copy to have run", async () => {
        const left = await Promise.all(
          [id, ...[1, 2, 3, 4, 5].map((copy) => `${id}-copy-${copy}`)].map((jobId) =>
            queue.queue.getJob(jobId),
          ),
        );
        return left.every((job) => job === undefined);
      });
      const events = await waitFor("batch.completed", async () => {
        const written = await completedEvents(accountId, id);
        return written.length > 0 ? written : null;
      });
      expect(events).toHaveLength(1);
    } finally {
      for (const child of processes) {
        if (child.exitCode !== null) continue;
        child.kill("SIGTERM");
        await once(child, "exit");
      }
      await stack.query("DROP TRIGGER test_batch_started ON batches");
    }
  });
});

describe("POST /v1/batches/:id/cancel with workers running", () => {
  it("of a scheduled batch refunds everything, fires batch.completed once, and nothing is ever sent", async () => {
    const { client, accountId } = await stack.newAccount({ credits: 1_000, apiRateLimit: 1_000 });
    await subscribe(stack, accountId, "done", ["batch.completed"]);
    const { body } = await client.batches.create({
      from: "ACME",
      body: "Canceled",
      recipients: numbers(50),
      send_at: new Date(Date.now() + 1_500).toISOString(),
    });
    const id = body.data.batch_id;
    const { body: canceled } = await client.batches.cancel(id);
    expect(canceled.data.attributes).toMatchObject({ status: "canceled", canceled: 50, pending: 0 });
    expect((await client.account.get()).body.data.attributes.credits).toBe(1_000);

    // Its delayed job is gone; one enqueued all the same (by hand, the sweep) runs and does nothing.
    expect(await queue.queue.getJob(id)).toBeUndefined();
    await queue.add({ batchId: id }, { jobId: id });
    await waitFor("the batch's job to run", async () => (await queue.queue.getJob(id)) === undefined, 10_000);
    expect(handedOff(id)).toEqual([]);
    await expectBooksBalance(client, id, 1_000);
    const events = await completedEvents(accountId, id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ status: "canceled", canceled: 50, sent: 0, total: 50 });
  });

  it("settles what a crashed run left in flight, even once its chunk's job is lost: the sweep resumes it", async () => {
    const { client, accountId } = await stack.newAccount({ credits: 1_000, apiRateLimit: 1_000 });
    await subscribe(stack, accountId, "done", ["batch.completed"]);
    const recipients = numbers(10);
    const { body } = await client.batches.create({
      from: "ACME",
      body: "In doubt",
      recipients,
      send_at: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const id = body.data.batch_id;
    // As a run that died mid-hand-off leaves it: chunk 0 judged, positions 0-2 in flight.
    await stack.query(
      "UPDATE batch_chunks SET judged = $2, in_flight = '{0,1,2}' WHERE batch_id = $1 AND idx = 0",
      [id, JSON.stringify(recipients)],
    );
    const { body: canceled } = await client.batches.cancel(id);
    expect(canceled.data.attributes).toMatchObject({ status: "canceled", canceled: 7, pending: 3 });
    expect(await completedEvents(accountId, id)).toEqual([]);

    // No job of the batch is left: the requeue sweep enqueues its expansion, which
    // enqueues chunk 0 again; the simulator never got 0-2, so they end canceled.
    await stack.query("UPDATE batches SET updated_at = now() - interval '1 hour' WHERE id = $1", [id]);
    const done = await client.batches.wait(id, {
      timeoutMs: 20_000,
      until: (b) => b.attributes.pending === 0,
    });
    expect(done.attributes).toMatchObject({ status: "canceled", canceled: 10, sent: 0 });
    expect(handedOff(id)).toEqual([]);
    await expectBooksBalance(client, id, 1_000);
    const events = await waitFor("batch.completed", async () => {
      const written = await completedEvents(accountId, id);
      return written.length > 0 ? written : null;
    });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ status: "canceled", canceled: 10 });
  });

  it("racing the hand-off of the same chunk: no message both sent and canceled, books exact", async () => {
    // Each round cancels a little later: before, during and after hand-offs of its chunks.
    for (let round = 0; round < 6; round++) {
      const { client, accountId } = await stack.newAccount({ credits: 1_000, apiRateLimit: 1_000 });
      await subscribe(stack, accountId, "done", ["batch.completed"]);
      const { body } = await client.batches.create({ from: "ACME", body: "Race", recipients: numbers(60) });
      const id = body.data.batch_id;
      // Rounds 1.. wait for the first hand-offs of the batch, then cancel mid-way.
      if (round > 0) await waitFor("a first hand-off", () => handedOff(id).length >= round * 3, 20_000);
      const canceledAt = await client.batches.cancel(id).then(
        (answer) => answer.body.data.attributes,
        (error: { code?: string }) => {
          // Finished before the cancel: allowed, but then nothing is canceled.
          expect(error.code).toBe("BATCH_NOT_CANCELABLE");
          return null;
        },
      );
      const final = await client.batches.wait(id, {
        timeoutMs: 30_000,
        until: (b) => b.attributes.pending === 0,
      });
      const a = await expectBooksBalance(client, id, 1_000);
      const canceled = await positionsOf(id, "canceled");
      const sent = handedOff(id);
      expect(sent.filter((idx) => canceled.includes(idx))).toEqual([]);
      expect(new Set(sent).size).toBe(sent.length);
      expect(sent.length).toBe(a.sent + a.failed);
      expect(sent.length + canceled.length).toBe(60);
      if (canceledAt) {
        expect(final.attributes.status).toBe("canceled");
        expect(canceledAt.canceled).toBeLessThanOrEqual(a.canceled);
      }
      const events = await waitFor("batch.completed", async () => {
        const written = await completedEvents(accountId, id);
        return written.length > 0 ? written : null;
      });
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        status: final.attributes.status,
        canceled: a.canceled,
        sent: a.sent,
      });
    }
  });
});

describe("the salvo CLI", () => {
  const salvo = (token: string, ...args: string[]) => runCli(stack, token, args, 30_000);

  it("schedules a batch (send --send-at), lists it (batches --status scheduled) and cancels it", async () => {
    const { client, token } = await stack.newAccount({ credits: 100, apiRateLimit: 1_000 });
    const sendAt = new Date(Date.now() + 3_600_000).toISOString();
    const [to1, to2] = numbers(2) as [string, string];
    const id = (
      await salvo(token, "send", "--from", "ACME", "--body", "later", "--to", to1, to2, "--send-at", sendAt)
    ).trim();
    expect(id).toMatch(/^bat_/);

    const listed = await salvo(token, "batches", "--status", "scheduled");
    expect(listed).toContain(`${id} scheduled 0/2`);
    expect(listed).toContain(`send at ${sendAt}`);

    expect(await salvo(token, "cancel", id)).toContain(`${id} canceled 2/2 (100%) canceled 2`);
    expect((await client.account.get()).body.data.attributes.credits).toBe(100);
    expect(await salvo(token, "batches", "--status", "scheduled")).not.toContain(id);
  });
});
