// Scheduled batches and cancels at the store: the guarded start, the set-based
// withdrawal, and its serialisation with the hand-off's in-flight marker.
import { BATCH_TOTAL_PARTS, newId } from "@salvo/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "../src/accounts";
import { acceptBatch, cancelBatch, type RawRecipient } from "../src/batches";
import {
  loadBatchForWork,
  loadChunks,
  markBatchProcessing,
  markInFlight,
  recordHandoffs,
  recordJudgedMessages,
  saveJudgments,
} from "../src/pipeline";
import { createSql, type Sql } from "../src/sql";
import { createTestDatabase } from "../src/testing";
import { createWebhook } from "../src/webhooks";

let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
let sql: Sql;

beforeAll(async () => {
  testDb = await createTestDatabase();
  sql = createSql(testDb.url, { poolSize: 4, name: "salvo-test-cancel" });
});

afterAll(async () => {
  await sql?.end();
  await testDb?.drop();
});

/** A new account with exactly the credits of its one-segment batch, which is accepted (scheduled with `sendAt`). */
async function accepted(name: string, recipients: RawRecipient[], chunkSize: number, sendAt?: Date) {
  const { account } = await createAccount(sql, { name, credits: recipients.length });
  await createWebhook(sql, {
    id: newId("whk"),
    accountId: account.id,
    url: "http://127.0.0.1:9/hook",
    events: ["batch.completed"],
    secret: "whsec_x",
  });
  const id = newId("bat");
  await acceptBatch(sql, {
    id,
    accountId: account.id,
    type: "transactional",
    sender: "ACME",
    body: "Hello",
    country: null,
    segments: 1,
    recipients,
    chunkSize,
    sendAt,
  });
  const batch = await loadBatchForWork(sql, id);
  if (!batch) throw new Error("batch not stored");
  return { accountId: account.id, batch };
}

async function row(batchId: string) {
  const { rows } = await sql.query("SELECT * FROM batches WHERE id = $1", [batchId]);
  return rows[0] as Record<string, number | string | Date | null>;
}

async function credits(accountId: string): Promise<number> {
  const { rows } = await sql.query<{ credits: number }>("SELECT credits FROM accounts WHERE id = $1", [
    accountId,
  ]);
  return rows[0]?.credits ?? -1;
}

async function completedEvents(accountId: string) {
  const { rows } = await sql.query<{ payload: string }>(
    "SELECT payload FROM webhook_events WHERE account_id = $1 AND type = 'batch.completed'",
    [accountId],
  );
  return rows.map((r) => JSON.parse(r.payload).data as Record<string, unknown>);
}

/** The batch's parts add up to its total, and each counter equals its rows. */
async function expectCountersMatchRows(batchId: string) {
  const batch = await row(batchId);
  const parts = BATCH_TOTAL_PARTS.reduce((sum, part) => sum + Number(batch[part]), 0);
  expect(parts).toBe(batch.total);
  const { rows } = await sql.query<{ status: string; n: number }>(
    "SELECT status, count(*)::int AS n FROM messages WHERE batch_id = $1 GROUP BY status",
    [batchId],
  );
  for (const { status, n } of rows) expect(batch[status], status).toBe(n);
  expect(Number(batch.pending)).toBe(Number(batch.total) - rows.reduce((sum, r) => sum + r.n, 0));
}

const numbers = (count: number, prefix = "+33612") =>
  Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(6, "0")}`);

describe("a scheduled batch", () => {
  it("is stored scheduled and starts only once its send_at has come, by one of racing calls", async () => {
    const sendAt = new Date(Date.now() + 60_000);
    const { batch } = await accepted("scheduled", numbers(3), 10, sendAt);
    expect(batch).toMatchObject({ status: "scheduled", sendAt });

    const early = await markBatchProcessing(sql, batch.id);
    expect(early?.status).toBe("scheduled");
    expect(early?.waitMs).toBeGreaterThan(50_000);
    expect(early?.waitMs).toBeLessThanOrEqual(60_000);

    await sql.query("UPDATE batches SET send_at = now() - interval '1 second' WHERE id = $1", [batch.id]);
    const starts = await Promise.all([
      markBatchProcessing(sql, batch.id),
      markBatchProcessing(sql, batch.id),
      markBatchProcessing(sql, batch.id),
    ]);
    for (const start of starts) expect(start?.status).toBe("processing");
    expect((await row(batch.id)).status).toBe("processing");
  });
});

describe("cancelBatch", () => {
  it("withdraws a whole scheduled batch in one statement: canceled rows, refunded, batch.completed once", async () => {
    const recipients: RawRecipient[] = numbers(25_000).map((n, i) => (i % 2 ? [n, `ref-${i}`] : n));
    const { accountId, batch } = await accepted("big", recipients, 1_000, new Date(Date.now() + 86_400_000));
    expect(await credits(accountId)).toBe(0);

    const { batch: after, events } = await cancelBatch(sql, accountId, batch.id);
    expect(after).toMatchObject({ status: "canceled", pending: 0, canceled: 25_000, sent: 0, cost: 0 });
    expect(after.completedAt).toBeInstanceOf(Date);
    expect(events).toHaveLength(1);
    expect(await credits(accountId)).toBe(25_000);
    await expectCountersMatchRows(batch.id);
    const { rows } = await sql.query(
      `SELECT idx, "to", ref, status, reason, cost FROM messages WHERE batch_id = $1 AND idx IN (0, 1, 24999) ORDER BY idx`,
      [batch.id],
    );
    expect(rows).toEqual([
      { idx: 0, to: "+33612000000", ref: null, status: "canceled", reason: "canceled", cost: 0 },
      { idx: 1, to: "+33612000001", ref: "ref-1", status: "canceled", reason: "canceled", cost: 0 },
      { idx: 24999, to: "+33612024999", ref: "ref-24999", status: "canceled", reason: "canceled", cost: 0 },
    ]);
    expect((await loadChunks(sql, batch.id)).every((chunk) => chunk.done)).toBe(true);
    const [event] = await completedEvents(accountId);
    expect(event).toMatchObject({ batch_id: batch.id, status: "canceled", canceled: 25_000, total: 25_000 });

    // Over: a second cancel is refused and changes nothing.
    await expect(cancelBatch(sql, accountId, batch.id)).rejects.toMatchObject({
      code: "BATCH_NOT_CANCELABLE",
      status: 409,
    });
    expect(await credits(accountId)).toBe(25_000);
    expect(await completedEvents(accountId)).toHaveLength(1);
  });

  it("leaves the group in flight to settle, and the hand-off marks nothing after it", async () => {
    const recipients = numbers(10, "0612");
    const { accountId, batch } = await accepted("in-flight", recipients, 10);
    await markBatchProcessing(sql, batch.id);
    const e164 = recipients.map((n) => `+336${n.slice(2)}`);
    await saveJudgments(sql, batch.id, [{ idx: 0, judged: e164 }]);
    // 9 is judged blacklisted; 0-4 are being handed off when the cancel comes.
    await recordJudgedMessages(sql, batch, [
      { idx: 9, to: e164[9] as string, ref: null, status: "blacklisted", reason: "blacklisted" },
    ]);
    expect(await markInFlight(sql, batch.id, 0, [0, 1, 2, 3, 4])).toBe("marked");

    const { batch: after, events } = await cancelBatch(sql, accountId, batch.id);
    expect(after).toMatchObject({ status: "canceled", pending: 5, canceled: 4, blacklisted: 1 });
    expect(after.completedAt).toBeNull();
    expect(events).toEqual([]);
    expect(await credits(accountId)).toBe(5);
    const { rows } = await sql.query(`SELECT "to" FROM messages WHERE batch_id = $1 AND idx = 5`, [batch.id]);
    expect(rows[0]).toEqual({ to: e164[5] });

    // The in-flight group settles with the provider's answer; nothing else may be marked.
    const outcome = (idx: number) => ({ idx, to: e164[idx] as string, ref: null, accepted: idx !== 4 });
    const settled = await recordHandoffs(sql, batch, 0, [0, 1, 2, 3, 4].map(outcome), {
      settles: [0, 1, 2, 3, 4],
    });
    expect(settled).toHaveLength(1);
    expect(await markInFlight(sql, batch.id, 0, [5])).toBe("withdrawn");
    const final = await row(batch.id);
    expect(final).toMatchObject({ status: "canceled", pending: 0, sent: 4, failed: 1, canceled: 4, cost: 4 });
    expect(final.completed_at).toBeInstanceOf(Date);
    expect(await credits(accountId)).toBe(6);
    await expectCountersMatchRows(batch.id);
    const events2 = await completedEvents(accountId);
    expect(events2).toHaveLength(1);
    expect(events2[0]).toMatchObject({ status: "canceled", sent: 4, failed: 1, canceled: 4, blacklisted: 1 });
  });

  it("serialises with markInFlight: each group is either marked or its messages canceled", async () => {
    for (let round = 0; round < 20; round++) {
      const recipients = numbers(20);
      const { accountId, batch } = await accepted(`race-${round}`, recipients, 20);
      await markBatchProcessing(sql, batch.id);
      const [marked] = await Promise.all([
        markInFlight(sql, batch.id, 0, [0, 1, 2, 3, 4]),
        cancelBatch(sql, accountId, batch.id),
      ]);
      const { rows } = await sql.query<{ idx: number }>(
        "SELECT idx FROM messages WHERE batch_id = $1 AND idx < 5",
        [batch.id],
      );
      if (marked === "marked") expect(rows).toEqual([]);
      else expect(rows).toHaveLength(5);
      await expectCountersMatchRows(batch.id);
    }
  });

  it("refuses a completed batch (409) and another account's (404)", async () => {
    const { accountId, batch } = await accepted("done", numbers(1), 10);
    await recordHandoffs(sql, batch, 0, [{ idx: 0, to: "+33612000000", ref: null, accepted: true }], {
      chunkDone: true,
    });
    await expect(cancelBatch(sql, accountId, batch.id)).rejects.toMatchObject({
      code: "BATCH_NOT_CANCELABLE",
    });
    const other = await accepted("other", numbers(1), 10);
    await expect(cancelBatch(sql, other.accountId, batch.id)).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await row(batch.id)).status).toBe("completed");
  });
});
