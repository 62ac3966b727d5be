// Balance alerts on real PostgreSQL: a `balance.low` event per threshold a debit
// crosses, written with the debit, once per crossing however many connections
// debit at once, and re-armed by credits that take the balance back above it.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { newId } from "@salvo/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStore, type Store } from "../src/store";
import { createTestDatabase } from "../src/testing";

let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
/** A store with a pool of many connections: concurrent debits really run at once. */
let store: Store;

beforeAll(async () => {
  testDb = await createTestDatabase();
  store = createStore(testDb.url, { poolSize: 20, name: "salvo-test-balance" });
});

afterAll(async () => {
  await store?.close();
  await testDb?.drop();
});

/** A new account with these credits and thresholds, and a webhook subscribed to `balance.low`. */
async function alertedAccount(credits: number, thresholds: number[]): Promise<string> {
  const { account } = await store.accounts.create({ name: "alerts", credits });
  await store.accounts.setBalanceAlerts(account.id, thresholds);
  await store.webhooks.create({
    id: newId("whk"),
    accountId: account.id,
    url: "https://example.com/events",
    events: ["balance.low"],
    secret: "sealed",
  });
  return account.id;
}

/** A one-segment batch to `recipients` numbers: a debit of that many credits; returns its events' ids. */
function debit(accountId: string, recipients: number, id = newId("bat")): Promise<string[]> {
  return store.batches.accept({
    id,
    accountId,
    type: "transactional",
    sender: "ACME",
    body: "Hello",
    country: null,
    segments: 1,
    recipients: Array.from({ length: recipients }, (_, i) => `+3361${String(i).padStart(7, "0")}`),
    chunkSize: 1_000,
  });
}

interface Alert {
  id: string;
  account_id: string;
  threshold: number;
  balance: number;
  at: string;
}

/** The account's `balance.low` events, as their bodies carry them, oldest first. */
async function alerts(accountId: string): Promise<Alert[]> {
  const rows = await testDb.query<{ id: string; payload: string }>(
    "SELECT id, payload FROM webhook_events WHERE account_id = $1 AND type = 'balance.low' ORDER BY created_at, id",
    [accountId],
  );
  return rows.map((row) => {
    const event = JSON.parse(row.payload) as { type: string; data: Omit<Alert, "id"> };
    expect(event.type).toBe("balance.low");
    return { id: row.id, ...event.data };
  });
}

describe("balance alerts", () => {
  it("are stored distinct, highest first, and can be cleared", async () => {
    const { account } = await store.accounts.create({ name: "settings", credits: 10 });
    expect((await store.accounts.setBalanceAlerts(account.id, [100, 500, 100]))?.balanceAlerts).toEqual([
      500, 100,
    ]);
    expect((await store.accounts.find(account.id))?.balanceAlerts).toEqual([500, 100]);
    expect((await store.accounts.setBalanceAlerts(account.id, []))?.balanceAlerts).toEqual([]);
    expect(await store.accounts.setBalanceAlerts("acc_none", [1])).toBeNull();
  });

  it("fire once when a debit crosses a threshold, and not for a debit that stays above", async () => {
    const accountId = await alertedAccount(1_000, [500]);
    expect(await debit(accountId, 400)).toEqual([]); // 1000 → 600
    const events = await debit(accountId, 100); // 600 → 500: at the threshold is below it
    const written = await alerts(accountId);
    expect(written.map((a) => a.id)).toEqual(events);
    expect(written).toEqual([
      { id: events[0], account_id: accountId, threshold: 500, balance: 500, at: expect.any(String) },
    ]);
    expect(Date.parse(written[0]?.at ?? "")).not.toBeNaN();
    expect(await debit(accountId, 100)).toEqual([]); // 500 → 400: crossed already
    expect(await alerts(accountId)).toHaveLength(1);
  });

  it("fire one event per threshold when one debit crosses several", async () => {
    const accountId = await alertedAccount(600, [500, 100, 20]);
    const events = await debit(accountId, 550); // 600 → 50
    expect(events).toHaveLength(2);
    const written = await alerts(accountId);
    expect(written.map((a) => [a.threshold, a.balance]).sort()).toEqual([
      [100, 50],
      [500, 50],
    ]);
  });

  it("are re-armed by a top-up above the threshold, and not by one that stays at or below it", async () => {
    const accountId = await alertedAccount(150, [100]);
    await debit(accountId, 60); // 150 → 90: fires
    await store.accounts.update(accountId, { addCredits: 10 }); // → 100: still at the threshold
    await debit(accountId, 10); // 100 → 90: no crossing
    expect(await alerts(accountId)).toHaveLength(1);
    await store.accounts.update(accountId, { addCredits: 50 }); // → 140: re-armed, nothing on the way up
    expect(await alerts(accountId)).toHaveLength(1);
    await debit(accountId, 40); // 140 → 100: fires again
    expect((await alerts(accountId)).map((a) => a.balance)).toEqual([90, 100]);
  });

  it("fire for an operator's removal of credits, and when the balance is set below", async () => {
    const accountId = await alertedAccount(1_000, [500, 100]);
    await store.accounts.update(accountId, { addCredits: -600 }); // → 400
    await store.accounts.update(accountId, { credits: 50 }); // → 50
    await store.accounts.update(accountId, { credits: 900 }); // up: re-arms both
    await store.accounts.update(accountId, { credits: 0, name: "renamed" }); // crosses both
    const written = (await alerts(accountId)).map((a) => [a.threshold, a.balance]);
    expect(written.slice(0, 2)).toEqual([
      [500, 400],
      [100, 50],
    ]);
    expect(written.slice(2).sort()).toEqual([
      [100, 0],
      [500, 0],
    ]);
    expect((await store.accounts.find(accountId))?.name).toBe("renamed");
  });

  it("are re-armed by the pipeline's refunds, which never fire", async () => {
    const accountId = await alertedAccount(10, [5]);
    const batchId = newId("bat");
    await debit(accountId, 8, batchId); // 10 → 2: fires
    const batch = await store.pipeline.loadBatch(batchId);
    if (!batch) throw new Error("batch not stored");
    // Every message judged invalid: 8 credits back, 2 → 10.
    const judged = Array.from({ length: 8 }, (_, idx) => ({
      idx,
      to: "+33",
      ref: null,
      status: "invalid" as const,
      reason: "invalid_number",
    }));
    await store.pipeline.recordJudgedMessages(batch, judged);
    expect((await store.accounts.find(accountId))?.credits).toBe(10);
    expect(await alerts(accountId)).toHaveLength(1);
    await debit(accountId, 5); // 10 → 5: fires again
    expect(await alerts(accountId)).toHaveLength(2);
  });

  it("fire exactly once when 50 concurrent debits on many connections cross a threshold together", async () => {
    // 50 debits of 10 from 1,000: the threshold 750 is crossed by the 25th, whichever it is.
    const accountId = await alertedAccount(1_000, [750]);
    const results = await Promise.all(Array.from({ length: 50 }, () => debit(accountId, 10)));
    expect(results.flat()).toHaveLength(1);
    expect(await alerts(accountId)).toEqual([
      { id: results.flat()[0], account_id: accountId, threshold: 750, balance: 750, at: expect.any(String) },
    ]);
    expect((await store.accounts.find(accountId))?.credits).toBe(500);
  });

  it("write nothing for an account without a webhook subscribed to them", async () => {
    const { account } = await store.accounts.create({ name: "no webhook", credits: 100 });
    await store.accounts.setBalanceAlerts(account.id, [50]);
    expect(await debit(account.id, 60)).toEqual([]);
  });
});

describe("every change of credits", () => {
  // A statement that sets credits without creditsChange could debit without its
  // alerts: only balance.ts writes `credits =`, but for refunds, which only add.
  it("is built with creditsChange, but for refunds that only add", () => {
    const src = path.join(import.meta.dirname, "../src");
    const offenders: string[] = [];
    for (const file of readdirSync(src).filter((name) => name.endsWith(".ts") && name !== "balance.ts")) {
      const text = readFileSync(path.join(src, file), "utf8");
      for (const match of text.matchAll(/\bcredits\s*=(?!=)\s*([^,\n]*)/g)) {
        // A count times a price, or a sum of non-negative refunds (a personalised batch's, see recordHandoffs).
        if (!/^a\.credits \+ c\.\w+( \* \$\d+)?$/.test(match[1]?.trim() ?? ""))
          offenders.push(`${file}: ${match[0]}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
