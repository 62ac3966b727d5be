// The sub-accounts repository on a real PostgreSQL: usage counted by calendar
// month in UTC whatever the session's time zone, and transfers that keep the sum
// of two balances under concurrent batches (the API's tests cover the routes).
import { newId } from "@salvo/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSql } from "../src/sql";
import { createStore, type Store } from "../src/store";
import { createTestDatabase } from "../src/testing";

let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
let store: Store;

beforeAll(async () => {
  testDb = await createTestDatabase();
  store = testDb.store;
});

afterAll(async () => {
  await testDb?.drop();
});

let batchCount = 0;

/** A batch of `recipients` one-segment messages, accepted (its cost debited) for the account. */
function acceptBatch(accountId: string, recipients: number) {
  return store.batches.accept({
    id: `bat_sub_${++batchCount}`,
    accountId,
    type: "transactional",
    sender: "ACME",
    body: "hi",
    country: null,
    segments: 1,
    recipients: Array.from({ length: recipients }, (_, i) => `+3361234${String(i).padStart(4, "0")}`),
    chunkSize: 1_000,
  });
}

describe("usage", () => {
  it("counts by calendar month in UTC, even on a session 14 hours ahead of it", async () => {
    const { account: parent } = await store.accounts.create({ name: "Reseller", credits: 100 });
    const sub = await store.subAccounts.create(parent.id, { name: "Shop", credits: 50 });
    for (let i = 0; i < 3; i++) await acceptBatch(sub.id, 1);
    const month = "date_trunc('month', now() AT TIME ZONE 'UTC')";
    // At the first instant of this UTC month; a millisecond before it (already
    // this month in Kiritimati, UTC+14); at the first instant of the previous one.
    const starts = [
      `${month} AT TIME ZONE 'UTC'`,
      `(${month} AT TIME ZONE 'UTC') - interval '1 millisecond'`,
      `(${month} - interval '1 month') AT TIME ZONE 'UTC'`,
    ];
    for (const [i, start] of starts.entries()) {
      await testDb.query(`UPDATE batches SET cost = $2, created_at = ${start} WHERE id = $1`, [
        `bat_sub_${batchCount - 2 + i}`,
        10 ** i,
      ]);
    }
    const kiritimatiUrl = `${testDb.url}?options=-c%20TimeZone%3DPacific%2FKiritimati`;
    const kiritimati = createStore(kiritimatiUrl, { poolSize: 1 });
    const sql = createSql(kiritimatiUrl, { poolSize: 1 });
    try {
      expect((await sql.query("SHOW TimeZone")).rows).toEqual([{ TimeZone: "Pacific/Kiritimati" }]);
      for (const reader of [store, kiritimati]) {
        expect(await reader.subAccounts.find(parent.id, sub.id)).toMatchObject({
          usageThisMonth: 1,
          usagePreviousMonth: 110,
        });
      }
    } finally {
      await Promise.all([kiritimati.close(), sql.end()]);
    }
  });
});

describe("balance alerts", () => {
  /** The thresholds of the account's `balance.low` events, oldest first. */
  async function crossed(accountId: string): Promise<number[]> {
    const rows = await testDb.query<{ payload: string }>(
      "SELECT payload FROM webhook_events WHERE account_id = $1 AND type = 'balance.low' ORDER BY created_at, id",
      [accountId],
    );
    return rows.map((row) => (JSON.parse(row.payload) as { data: { threshold: number } }).data.threshold);
  }

  it("are raised by the side giving credits: the parent at creation and transfers in, the sub-account moving them back", async () => {
    /** Subscribes a webhook of the account to `balance.low`: events are written for subscribers only. */
    const subscribe = (accountId: string) =>
      store.webhooks.create({
        id: newId("whk"),
        accountId,
        url: "https://example.com/events",
        events: ["balance.low"],
        secret: "sealed",
      });
    const { account: parent } = await store.accounts.create({ name: "Reseller", credits: 1_000 });
    await store.accounts.setBalanceAlerts(parent.id, [500, 100]);
    await subscribe(parent.id);
    const sub = await store.subAccounts.create(parent.id, { name: "Shop", credits: 600 }); // 1,000 → 400: crosses 500
    expect(sub.balanceAlerts).toEqual([]);
    await store.accounts.setBalanceAlerts(sub.id, [50]);
    await subscribe(sub.id);
    await store.subAccounts.transferCredits(parent.id, sub.id, 1); // 400 → 399: nothing more
    await store.subAccounts.transferCredits(parent.id, sub.id, 300); // 399 → 99: crosses 100
    await store.subAccounts.transferCredits(parent.id, sub.id, -860); // sub 901 → 41: crosses 50
    expect(await crossed(parent.id)).toEqual([500, 100]);
    expect(await crossed(sub.id)).toEqual([50]);
  });
});

describe("transferCredits", () => {
  it("keeps the sum of both balances, neither below zero, under concurrent transfers and batches", async () => {
    const { account: parent } = await store.accounts.create({ name: "Reseller", credits: 200 });
    const sub = await store.subAccounts.create(parent.id, { name: "Shop", credits: 100 });
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 60; i++) {
      work.push(store.subAccounts.transferCredits(parent.id, sub.id, i % 2 ? -13 : 11));
      if (i % 2 === 0) work.push(acceptBatch(i % 4 ? parent.id : sub.id, 3));
    }
    const settled = await Promise.allSettled(work);
    for (const result of settled) {
      if (result.status === "rejected") expect(result.reason).toMatchObject({ code: "NOT_ENOUGH_CREDITS" });
    }
    const [row] = await testDb.query<{ parent: number; sub: number; reserved: number }>(
      `SELECT (SELECT credits FROM accounts WHERE id = $1) AS parent, (SELECT credits FROM accounts WHERE id = $2) AS sub,
              (SELECT COALESCE(sum(reserved), 0)::int FROM batches WHERE account_id IN ($1, $2)) AS reserved`,
      [parent.id, sub.id],
    );
    expect(row?.parent).toBeGreaterThanOrEqual(0);
    expect(row?.sub).toBeGreaterThanOrEqual(0);
    expect((row?.parent ?? 0) + (row?.sub ?? 0) + (row?.reserved ?? 0)).toBe(200);
  });
});
