import { newId } from "@salvo/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "../src/accounts";
import { acceptBatch, stalledBatches } from "../src/batches";
import { expireUnreported } from "../src/expiry";
import {
  applyDeliveryReports,
  type BatchForWork,
  findProviderMessages,
  loadBatchForWork,
  loadChunks,
  markInFlight,
  pauseBatch,
  recordHandoffs,
  recordJudgedMessages,
  resumeBatch,
  type StoredReport,
} from "../src/pipeline";
import { createSql, type Sql } from "../src/sql";
import { createTestDatabase } from "../src/testing";

let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
let sql: Sql;

beforeAll(async () => {
  testDb = await createTestDatabase();
  sql = createSql(testDb.url, { poolSize: 3, name: "salvo-test-db" });
});

afterAll(async () => {
  await sql?.end();
  await testDb?.drop();
});

const TOTAL = 5_000;
const CHUNK = 1_000;

/** A one-segment "Hello" batch to `recipients`, accepted for a new account, as a worker loads it. */
async function acceptedBatch(name: string, recipients: string[], chunkSize: number): Promise<BatchForWork> {
  const { account } = await createAccount(sql, { name, credits: recipients.length });
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
  });
  const batch = await loadBatchForWork(sql, id);
  if (!batch) throw new Error("batch not stored");
  return batch;
}

/**
 * A batch of TOTAL numbers whose every message is recorded as sent, except those
 * in `unsent`, handed to a connector with `validityMs` when given.
 */
async function sentBatch(unsent: Set<number>, validityMs?: number): Promise<BatchForWork> {
  const recipients = Array.from({ length: TOTAL }, (_, i) => `+3361${String(i).padStart(7, "0")}`);
  const batch = await acceptedBatch("reports", recipients, CHUNK);
  for (let chunk = 0; chunk * CHUNK < TOTAL; chunk++) {
    const outcomes = [];
    for (let idx = chunk * CHUNK; idx < (chunk + 1) * CHUNK; idx++) {
      if (!unsent.has(idx)) outcomes.push({ idx, to: recipients[idx] as string, ref: null, accepted: true });
    }
    await recordHandoffs(sql, batch, chunk, outcomes, { validityMs });
  }
  return batch;
}

async function counts(batchId: string) {
  const { rows } = await sql.query(
    `SELECT b.sent, b.delivered, b.undelivered,
            (SELECT count(*)::int FROM messages WHERE batch_id = b.id AND status = 'delivered') AS delivered_rows,
            (SELECT count(*)::int FROM messages WHERE batch_id = b.id AND status = 'undelivered') AS undelivered_rows
       FROM batches b WHERE b.id = $1`,
    [batchId],
  );
  return rows[0];
}

describe("applyDeliveryReports", () => {
  it("applies scattered, unsorted and repeated reports once each, and returns those for unwritten messages", async () => {
    const unsent = new Set([17, 4_321]);
    const batch = await sentBatch(unsent);
    const at = new Date();
    const report = (
      idx: number,
      status: StoredReport["status"] = "delivered",
      reason: string | null = null,
    ) => ({
      batchId: batch.id,
      idx,
      status,
      reason,
      providerCode: status === "delivered" ? "DELIVRD" : "UNDELIV",
      at,
    });
    // Far apart (several statements), out of order, one twice, and two not written yet.
    const reports: StoredReport[] = [
      report(4_999),
      report(3),
      report(2_500, "undelivered", "unknown_subscriber"),
      report(17),
      report(3),
      report(0),
      report(1_024, "undelivered", "rejected"),
      report(4_321),
      ...Array.from({ length: 300 }, (_, i) => report(3_000 + i * 3)),
    ];
    const { unmatched, events, applied } = await applyDeliveryReports(sql, reports);

    expect(events).toEqual([]); // no webhook wants them
    // For metrics: the reports that changed a message (a repeat does not), each with its time since hand-off.
    expect([applied.delivered, applied.undelivered, applied.latenciesMs.length]).toEqual([303, 2, 305]);
    for (const ms of applied.latenciesMs) expect(ms).toBeGreaterThanOrEqual(0);
    expect(unmatched.map((r) => r.idx).sort((a, b) => a - b)).toEqual([17, 4_321]);
    expect(await counts(batch.id)).toEqual({
      sent: TOTAL - 2,
      delivered: 303,
      undelivered: 2,
      delivered_rows: 303,
      undelivered_rows: 2,
    });
    const { rows: npai } = await sql.query("SELECT number FROM npai WHERE account_id = $1", [
      batch.accountId,
    ]);
    expect(npai).toEqual([{ number: "+33610002500" }]);

    // The same reports again change nothing; the unwritten ones are still returned.
    const again = await applyDeliveryReports(sql, reports);
    expect(again.unmatched.map((r) => r.idx).sort((a, b) => a - b)).toEqual([17, 4_321]);
    expect((await counts(batch.id)).delivered).toBe(303);

    const { rows: stored } = await sql.query(
      "SELECT idx, status, reason, provider_code, done_at FROM messages WHERE batch_id = $1 AND idx IN (0, 1024)",
      [batch.id],
    );
    expect(stored.sort((a, b) => a.idx - b.idx)).toEqual([
      { idx: 0, status: "delivered", reason: null, provider_code: "DELIVRD", done_at: at },
      { idx: 1_024, status: "undelivered", reason: "rejected", provider_code: "UNDELIV", done_at: at },
    ]);
  });

  it("applies runs with gaps and the later of two reports for one position, under a generic plan too", async () => {
    const batch = await sentBatch(new Set([2_041]));
    const at = new Date("2026-11-22T10:00:00.000Z");
    const later = new Date("2026-11-22T10:00:05.000Z");
    const report = (idx: number, status: StoredReport["status"], when = at): StoredReport => ({
      batchId: batch.id,
      idx,
      status,
      reason: status === "delivered" ? null : "expired",
      providerCode: status === "delivered" ? "DELIVRD" : "EXPIRED",
      at: when,
    });
    // Every other position of 0-1999 (one run), positions 33 and 40 apart (runs cut at a gap over 32),
    // one position reported twice (the later report wins), one message not written yet.
    const first: StoredReport[] = [
      ...Array.from({ length: 1_000 }, (_, i) => report(i * 2, i % 10 === 0 ? "undelivered" : "delivered")),
      report(2_001, "undelivered"),
      report(2_001, "delivered", later),
      report(2_041, "delivered"),
      report(2_074, "delivered"),
    ];
    // A connection that never plans for the arrays it is given: what the prepared
    // statement gets once PostgreSQL settles on a generic plan.
    const generic = await sql.connect();
    try {
      await generic.query("SET plan_cache_mode = force_generic_plan");
      const { unmatched, applied } = await applyDeliveryReports(generic, first);
      expect(unmatched.map((r) => r.idx)).toEqual([2_041]);
      expect([applied.delivered, applied.undelivered]).toEqual([902, 100]);
      // Messages are read by a range of the primary key, whatever the plan.
      const { rows: plan } = await generic.query(
        `EXPLAIN EXECUTE "salvo-apply-reports"('${batch.id}', 0, 0, '{1}', '{delivered}', '{NULL}', '{NULL}', '{2026-11-22T10:00:00Z}')`,
      );
      const text = plan.map((r) => r["QUERY PLAN"]).join("\n");
      expect(text).toMatch(/Index Scan using messages_pkey on messages m/);
      expect(text).not.toMatch(/Seq Scan on messages/);
      // The same again, with the report that was missing now written: only it changes.
      await recordHandoffs(sql, batch, 2, [{ idx: 2_041, to: "+33610002041", ref: null, accepted: true }]);
      const again = await applyDeliveryReports(generic, first);
      expect(again.unmatched).toEqual([]);
      expect([again.applied.delivered, again.applied.undelivered]).toEqual([1, 0]);
    } finally {
      generic.release();
    }
    expect(await counts(batch.id)).toEqual({
      sent: TOTAL,
      delivered: 903,
      undelivered: 100,
      delivered_rows: 903,
      undelivered_rows: 100,
    });
    const { rows } = await sql.query(
      "SELECT idx, status, provider_code, done_at FROM messages WHERE batch_id = $1 AND idx IN (1, 2, 2001) ORDER BY idx",
      [batch.id],
    );
    expect(rows).toEqual([
      { idx: 1, status: "sent", provider_code: null, done_at: null },
      { idx: 2, status: "delivered", provider_code: "DELIVRD", done_at: at },
      { idx: 2_001, status: "delivered", provider_code: "DELIVRD", done_at: later },
    ]);
  });

  it("writes one dlr event per applied report for each webhook that wants them, none for repeats", async () => {
    const batch = await sentBatch(new Set());
    const webhook = async (id: string, events: string[], enabled = true) =>
      sql.query(
        "INSERT INTO webhooks (id, account_id, url, events, secret, enabled) VALUES ($1, $2, 'https://example.com/', $3, 'whsec_x', $4)",
        [id, batch.accountId, events, enabled],
      );
    await webhook(`whk_a_${batch.id}`, ["dlr", "mo"]);
    await webhook(`whk_b_${batch.id}`, ["dlr"]);
    await webhook(`whk_c_${batch.id}`, ["stop"]);
    await webhook(`whk_d_${batch.id}`, ["dlr"], false);
    const at = new Date("2026-11-22T10:00:00.123Z");
    const reports: StoredReport[] = [
      { batchId: batch.id, idx: 7, status: "delivered", reason: null, providerCode: "DELIVRD", at },
      {
        batchId: batch.id,
        idx: 4_099,
        status: "undelivered",
        reason: "expired",
        providerCode: "EXPIRED",
        at,
      },
    ];

    const { events } = await applyDeliveryReports(sql, reports);
    expect(events).toHaveLength(4);
    expect((await applyDeliveryReports(sql, reports)).events).toEqual([]);

    const { rows } = await sql.query(
      "SELECT webhook_id, type, payload, state FROM webhook_events WHERE id = ANY($1) ORDER BY webhook_id, payload",
      [events],
    );
    expect(rows.map((r) => [r.webhook_id, r.type, r.state])).toEqual([
      [`whk_a_${batch.id}`, "dlr", "pending"],
      [`whk_a_${batch.id}`, "dlr", "pending"],
      [`whk_b_${batch.id}`, "dlr", "pending"],
      [`whk_b_${batch.id}`, "dlr", "pending"],
    ]);
    const bodies = rows.map((r) => JSON.parse(r.payload));
    expect(bodies[0]).toMatchObject({ type: "dlr", timestamp: expect.stringMatching(/Z$/) });
    expect(bodies.map((b) => b.data)).toContainEqual({
      message_id: `msg_${batch.id.slice(4)}_4099`,
      batch_id: batch.id,
      to: "+33610004099",
      status: "undelivered",
      reason: "expired",
      provider_code: "EXPIRED",
      at: "2026-11-22T10:00:00.123Z",
    });
  });
});

describe("recordHandoffs and the in-flight marker", () => {
  it("clears the marker, and marks the chunk done, only while the marker is the one it settles", async () => {
    const recipients = Array.from({ length: 10 }, (_, i) => `+3361200000${i}`);
    const batch = await acceptedBatch("marker", recipients, 10);
    const id = batch.id;
    const outcome = (idx: number) => ({ idx, to: recipients[idx] as string, ref: null, accepted: true });
    const chunk = async () => (await loadChunks(sql, id))[0];

    // A run hands off 0-4, freezes before recording, and loses the chunk; its
    // replacement settles 0-4 (from the provider's answer) and marks 5-9 in flight.
    expect(await markInFlight(sql, id, 0, [0, 1, 2, 3, 4])).toBe("marked");
    await recordHandoffs(sql, batch, 0, [0, 1, 2, 3, 4].map(outcome), { settles: [0, 1, 2, 3, 4] });
    expect(await markInFlight(sql, id, 0, [5, 6, 7, 8, 9])).toBe("marked");
    // The frozen run wakes and records its group late, as its last: the rows are
    // already there (nothing counted twice), and the replacement's marker stays.
    await recordHandoffs(sql, batch, 0, [0, 1, 2, 3, 4].map(outcome), {
      settles: [0, 1, 2, 3, 4],
      chunkDone: true,
    });
    expect(await chunk()).toMatchObject({ inFlight: [5, 6, 7, 8, 9], done: false });
    expect((await loadBatchForWork(sql, id))?.status).toBe("processing");

    await recordHandoffs(sql, batch, 0, [5, 6, 7, 8, 9].map(outcome), {
      settles: [5, 6, 7, 8, 9],
      chunkDone: true,
    });
    expect(await chunk()).toMatchObject({ inFlight: [], done: true });
    const { rows } = await sql.query("SELECT status, pending, sent, cost FROM batches WHERE id = $1", [id]);
    expect(rows[0]).toEqual({ status: "completed", pending: 0, sent: 10, cost: 10 });
  });
});

describe("message rows that already exist", () => {
  it("are left alone, and only the new rows of the same statement are written and counted, on the pool or in a transaction", async () => {
    const recipients = Array.from({ length: 12 }, (_, i) => `+3361300000${String(i).padStart(2, "0")}`);
    const batch = await acceptedBatch("overlap", recipients, 12);
    const outcome = (idx: number) => ({ idx, to: recipients[idx] as string, ref: null, accepted: true });
    const judged = (idx: number) => ({
      idx,
      to: recipients[idx] as string,
      ref: null,
      status: "blacklisted" as const,
      reason: "blacklisted",
    });
    await recordJudgedMessages(sql, batch, [0, 1].map(judged));
    await recordHandoffs(sql, batch, 0, [2, 3, 4].map(outcome));
    // Each of these meets rows written before (a plain INSERT fails, the statement
    // runs again leaving them alone): the judged rows 0-1 stay blacklisted, 2-4 sent once.
    await recordJudgedMessages(sql, batch, [0, 1, 2, 5, 6].map(judged));
    await recordHandoffs(sql, batch, 0, [0, 3, 4, 7, 8].map(outcome));
    // In a transaction, which a failed statement would abort: the same, at once.
    const client = await sql.connect();
    try {
      await client.query("BEGIN");
      await recordHandoffs(client, batch, 0, [7, 8, 9, 10].map(outcome));
      await recordJudgedMessages(client, batch, [9, 11].map(judged));
      await client.query("COMMIT");
    } finally {
      client.release();
    }
    const { rows } = await sql.query<{ idx: number; status: string }>(
      "SELECT idx, status::text FROM messages WHERE batch_id = $1 ORDER BY idx",
      [batch.id],
    );
    expect(rows.map((r) => r.status)).toEqual([
      ...["blacklisted", "blacklisted", "sent", "sent", "sent", "blacklisted", "blacklisted"],
      ...["sent", "sent", "sent", "sent", "blacklisted"],
    ]);
    const counters = await sql.query(
      "SELECT status, pending, sent, blacklisted, cost FROM batches WHERE id = $1",
      [batch.id],
    );
    expect(counters.rows[0]).toEqual({ status: "completed", pending: 0, sent: 7, blacklisted: 5, cost: 7 });
  });
});

describe("provider message ids", () => {
  it("are recorded for accepted messages when a connector is named, and found per connector; refusals keep their code", async () => {
    const recipients = ["+33612000001", "+33612000002", "+33612000003"];
    const batch = await acceptedBatch("provider-ids", recipients, 10);
    const id = batch.id;
    const outcome = (idx: number, providerMessageId?: string) => ({
      idx,
      to: recipients[idx]!,
      ref: null,
      accepted: providerMessageId !== undefined,
      providerMessageId,
    });
    // Without a connector (the simulator's path) nothing is recorded.
    await recordHandoffs(sql, batch, 0, [outcome(0, "sim-x")]);
    await recordHandoffs(sql, batch, 0, [outcome(1, "1A2B"), { ...outcome(2), providerCode: "0x0000000b" }], {
      connector: "smsc-a",
    });
    const { rows } = await sql.query(
      "SELECT idx, status, provider_code FROM messages WHERE batch_id = $1 ORDER BY idx",
      [id],
    );
    expect(rows).toEqual([
      { idx: 0, status: "sent", provider_code: null },
      { idx: 1, status: "sent", provider_code: null },
      { idx: 2, status: "failed", provider_code: "0x0000000b" },
    ]);

    expect(await findProviderMessages(sql, "smsc-a", ["1A2B", "6699", "sim-x"])).toEqual(
      new Map([["1A2B", { batchId: id, idx: 1 }]]),
    );
    expect((await findProviderMessages(sql, "smsc-b", ["1A2B"])).size).toBe(0);
    expect((await findProviderMessages(sql, "simulator", ["sim-x"])).size).toBe(0);
    expect((await findProviderMessages(sql, "smsc-a", [])).size).toBe(0);
  });
});

describe("expireUnreported", () => {
  it("settles messages still sent past their deadline as undelivered, expired, once, whatever comes after", async () => {
    const batch = await sentBatch(new Set([3]), 60_000);
    await sql.query(
      "INSERT INTO webhooks (id, account_id, url, events, secret) VALUES ($1, $2, 'https://example.com/', '{dlr}', 'whsec_x')",
      [`whk_${batch.id}`, batch.accountId],
    );
    // Every message sent has a deadline, its hand-off plus the validity; a retried record adds none.
    const deadlines = async () =>
      (
        await sql.query(
          `SELECT count(*)::int AS n, count(*) FILTER (WHERE d.expires_at - m.sent_at <> interval '60 seconds')::int AS off
             FROM receipt_deadlines d JOIN messages m USING (batch_id, idx) WHERE d.batch_id = $1`,
          [batch.id],
        )
      ).rows[0];
    expect(await deadlines()).toEqual({ n: TOTAL - 1, off: 0 });
    await recordHandoffs(sql, batch, 0, [{ idx: 0, to: "+33610000000", ref: null, accepted: true }], {
      validityMs: 60_000,
    });
    expect((await deadlines()).n).toBe(TOTAL - 1);

    // Ten got their receipt in time.
    const receipt = (idx: number): StoredReport => ({
      batchId: batch.id,
      idx,
      status: "delivered",
      reason: null,
      providerCode: "DELIVRD",
      at: new Date(),
    });
    await applyDeliveryReports(
      sql,
      Array.from({ length: 10 }, (_, idx) => receipt(idx + 10)),
    );
    expect(await expireUnreported(sql, 0, 10_000)).toEqual({ swept: 0, expired: 0, events: [] });

    // The validity period runs out (an hour ago); within the grace, nothing moves yet.
    await sql.query(
      "UPDATE receipt_deadlines SET expires_at = expires_at - interval '1 hour' WHERE batch_id = $1",
      [batch.id],
    );
    expect((await expireUnreported(sql, 7_200_000, 10_000)).swept).toBe(0);
    // Two sweeps at once share the rows (SKIP LOCKED), a third takes the rest.
    const runs = [...(await Promise.all([expireUnreported(sql, 0, 2_000), expireUnreported(sql, 0, 2_000)]))];
    runs.push(await expireUnreported(sql, 0, 2_000));
    expect(runs.map((run) => run.swept).sort()).toEqual([2_000, 2_000, TOTAL - 1 - 4_000].sort());
    expect(runs.reduce((n, run) => n + run.expired, 0)).toBe(TOTAL - 1 - 10);
    expect(runs.flatMap((run) => run.events)).toHaveLength(TOTAL - 1 - 10);
    expect(await deadlines()).toEqual({ n: 0, off: 0 });
    const expected = {
      sent: TOTAL - 1,
      delivered: 10,
      undelivered: TOTAL - 11,
      delivered_rows: 10,
      undelivered_rows: TOTAL - 11,
    };
    expect(await counts(batch.id)).toEqual(expected);
    const { rows } = await sql.query(
      `SELECT count(*)::int AS n FROM messages
        WHERE batch_id = $1 AND status = 'undelivered' AND reason = 'expired' AND provider_code IS NULL
          AND done_at = sent_at + interval '60 seconds' - interval '1 hour'`,
      [batch.id],
    );
    expect(rows[0].n).toBe(TOTAL - 11);

    // A receipt after the expiry changes nothing.
    const late = await applyDeliveryReports(sql, [receipt(0), receipt(4_999)]);
    expect(late).toEqual({
      unmatched: [],
      events: [],
      applied: { delivered: 0, undelivered: 0, latenciesMs: [] },
    });
    expect(await counts(batch.id)).toEqual(expected);
  });
});

describe("a paused batch (outside its sending hours)", () => {
  const status = async (id: string) =>
    (await sql.query<{ status: string }>("SELECT status FROM batches WHERE id = $1", [id])).rows[0]?.status;
  const numbers = ["+33612345670", "+33612345671", "+33612345672"];

  it("is paused only on its way, and resumed only from paused, with an event each time", async () => {
    const batch = await acceptedBatch("pause", numbers, 10);
    await sql.query(
      `INSERT INTO webhooks (id, account_id, url, events, secret) VALUES ($1, $2, 'http://127.0.0.1:9/', $3, 'whsec_x')`,
      [newId("whk"), batch.accountId, ["batch.paused", "batch.resumed"]],
    );
    const opens = "2026-12-08T08:00:00+01:00";
    expect(await resumeBatch(sql, batch.id)).toEqual({ resumed: false, events: [] });
    const paused = await pauseBatch(sql, batch.id, opens); // from accepted
    expect(paused).toEqual({ paused: true, events: [expect.stringMatching(/^evt_/)] });
    expect(await pauseBatch(sql, batch.id, opens)).toEqual({ paused: false, events: [] });
    expect(await status(batch.id)).toBe("paused");
    expect((await resumeBatch(sql, batch.id)).resumed).toBe(true);
    expect(await status(batch.id)).toBe("processing");
    const { rows } = await sql.query<{ payload: string }>(
      "SELECT payload FROM webhook_events WHERE account_id = $1 ORDER BY created_at, type",
      [batch.accountId],
    );
    expect(rows.map((row) => JSON.parse(row.payload))).toEqual([
      expect.objectContaining({
        type: "batch.paused",
        data: { batch_id: batch.id, status: "paused", resumes_at: opens },
      }),
      expect.objectContaining({ type: "batch.resumed", data: { batch_id: batch.id, status: "processing" } }),
    ]);
    await sql.query("UPDATE batches SET status = 'completed' WHERE id = $1", [batch.id]);
    expect((await pauseBatch(sql, batch.id, opens)).paused).toBe(false);
    expect((await resumeBatch(sql, batch.id)).resumed).toBe(false);
  });

  it("pauses a scheduled batch only once its send_at has come", async () => {
    const batch = await acceptedBatch("scheduled", numbers, 10);
    const opens = "2026-12-08T08:00:00+01:00";
    await sql.query(
      "UPDATE batches SET status = 'scheduled', send_at = now() + interval '1 hour' WHERE id = $1",
      [batch.id],
    );
    expect((await pauseBatch(sql, batch.id, opens)).paused).toBe(false);
    expect(await status(batch.id)).toBe("scheduled");
    await sql.query("UPDATE batches SET send_at = now() - interval '1 second' WHERE id = $1", [batch.id]);
    expect((await pauseBatch(sql, batch.id, opens)).paused).toBe(true);
    expect(await status(batch.id)).toBe("paused");
  });

  it("stays paused while messages settle, and completes when its last one does", async () => {
    const batch = await acceptedBatch("settle", numbers, 10);
    await pauseBatch(sql, batch.id, "2026-12-08T08:00:00+01:00");
    const outcome = (idx: number) => ({ idx, to: numbers[idx] as string, ref: null, accepted: true });
    // A group that was on its way when the window closed is recorded after the pause.
    await recordHandoffs(sql, batch, 0, [outcome(0)]);
    expect(await status(batch.id)).toBe("paused");
    await recordJudgedMessages(sql, batch, [
      { idx: 1, to: numbers[1] as string, ref: null, status: "blacklisted", reason: "blacklisted" },
    ]);
    expect(await status(batch.id)).toBe("paused");
    await recordHandoffs(sql, batch, 0, [outcome(2)]);
    expect(await status(batch.id)).toBe("completed");
  });

  it("is read with its account's sending settings, else its parent's", async () => {
    const batch = await acceptedBatch("settings", numbers, 10);
    expect(batch).toMatchObject({ type: "transactional", timeZone: null, sendingWeek: null });
    const week = { windows: [{ days: [1], from: "09:00", to: "10:00" }], holidays: "none" };
    await sql.query("UPDATE accounts SET timezone = 'UTC', sending_hours = $2 WHERE id = $1", [
      batch.accountId,
      JSON.stringify(week),
    ]);
    expect(await loadBatchForWork(sql, batch.id)).toMatchObject({ timeZone: "UTC", sendingWeek: week });
    const child = await acceptedBatch("child", numbers, 10);
    await sql.query("UPDATE accounts SET parent_id = $2 WHERE id = $1", [child.accountId, batch.accountId]);
    expect(await loadBatchForWork(sql, child.id)).toMatchObject({ timeZone: "UTC", sendingWeek: week });
    await sql.query("UPDATE accounts SET timezone = 'Asia/Tokyo' WHERE id = $1", [child.accountId]);
    expect(await loadBatchForWork(sql, child.id)).toMatchObject({
      timeZone: "Asia/Tokyo",
      sendingWeek: week,
    });
  });
});

describe("the requeue sweep (stalledBatches)", () => {
  it("takes stuck batches before paused ones, however long those have been idle", async () => {
    const numbers = ["+33612345670"];
    const paused = await acceptedBatch("sweep-paused", numbers, 10);
    const stuck = await acceptedBatch("sweep-stuck", numbers, 10);
    await pauseBatch(sql, paused.id, "2026-12-08T08:00:00+01:00");
    await sql.query("UPDATE batches SET updated_at = now() - interval '10 hours' WHERE id = $1", [paused.id]);
    await sql.query("UPDATE batches SET updated_at = now() - interval '1 minute' WHERE id = $1", [stuck.id]);
    await sql.query("UPDATE batches SET updated_at = now() WHERE id <> ALL($1)", [[paused.id, stuck.id]]);
    expect(await stalledBatches(sql, 30_000, 1)).toEqual([stuck.id]);
    expect(await stalledBatches(sql, 30_000)).toEqual([stuck.id, paused.id]);
  });
});
