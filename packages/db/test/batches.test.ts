import { NotEnoughCreditsError, NotFoundError, newId } from "@salvo/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BATCH_COLUMNS } from "../src/rows";
import type { Store } from "../src/store";
import { createTestDatabase } from "../src/testing";

let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
let store: Store;

beforeAll(async () => {
  testDb = await createTestDatabase();
  store = testDb.store;
});

async function credits(accountId: string) {
  return (await store.accounts.find(accountId))?.credits;
}

afterAll(async () => {
  await testDb?.drop();
});

async function newBatch(accountId: string, recipients: number) {
  const id = newId("bat");
  await store.batches.accept({
    id,
    accountId,
    type: "marketing",
    sender: "ACME",
    body: "Hello",
    country: "FR",
    segments: 2,
    recipients: Array.from({ length: recipients }, (_, i) => `+3361${String(i).padStart(7, "0")}`),
    chunkSize: 10,
  });
  return id;
}

describe("acceptBatch", () => {
  it("takes the cost and stores the batch with its chunks", async () => {
    const { account } = await store.accounts.create({ name: "accept", credits: 100 });
    const id = await newBatch(account.id, 25);
    const stored = await store.batches.find(account.id, id);
    expect(stored).toMatchObject({ total: 25, pending: 25, reserved: 50, chunkCount: 3, status: "accepted" });
    const chunks = await testDb.query<{ idx: number; first_index: number }>(
      "SELECT idx, first_index FROM batch_chunks WHERE batch_id = $1 ORDER BY idx",
      [id],
    );
    expect(chunks.map((c) => [c.idx, c.first_index])).toEqual([
      [0, 0],
      [1, 10],
      [2, 20],
    ]);
    expect(await credits(account.id)).toBe(50);
  });

  it("writes nothing without enough credits", async () => {
    const { account } = await store.accounts.create({ name: "short", credits: 49 });
    await expect(newBatch(account.id, 25)).rejects.toBeInstanceOf(NotEnoughCreditsError);
    expect(await testDb.query("SELECT 1 FROM batches WHERE account_id = $1", [account.id])).toHaveLength(0);
    expect(await credits(account.id)).toBe(49);
  });
});

describe("findBatch", () => {
  it("reads every column of the batch, typed", async () => {
    const { account } = await store.accounts.create({ name: "find", credits: 100 });
    const id = await newBatch(account.id, 3);
    const completedAt = new Date("2026-12-01T10:00:00.123Z");
    await testDb.query("UPDATE batches SET completed_at = $2, sent = 1 WHERE id = $1", [id, completedAt]);
    const batch = await store.batches.find(account.id, id);
    expect(Object.keys(batch).sort()).toEqual(Object.keys(BATCH_COLUMNS).sort());
    expect(batch).toMatchObject({
      id,
      accountId: account.id,
      type: "marketing",
      sender: "ACME",
      country: "FR",
      segments: 2,
      total: 3,
      sent: 1,
      single: false,
      shortenUrls: false,
      completedAt,
    });
    expect(batch.createdAt).toBeInstanceOf(Date);
  });

  it("does not find another account's batch", async () => {
    const { account: owner } = await store.accounts.create({ name: "owner", credits: 100 });
    const { account: other } = await store.accounts.create({ name: "other" });
    const id = await newBatch(owner.id, 1);
    await expect(store.batches.find(other.id, id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.batches.find(owner.id, "bat_nope")).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("single messages (POST /v1/sms)", () => {
  async function newSingle(accountId: string, to: string) {
    const id = newId("bat");
    await store.batches.accept({
      id,
      accountId,
      type: "transactional",
      sender: "ACME",
      body: "Hi",
      country: "FR",
      segments: 1,
      recipients: [to],
      chunkSize: 10,
      single: true,
      shortenUrls: true,
    });
    return id;
  }

  it("are found as messages, with the number as sent, and never as batches", async () => {
    const { account } = await store.accounts.create({ name: "single", credits: 10 });
    const { account: other } = await store.accounts.create({ name: "other" });
    const id = await newSingle(account.id, "06 12 34 56 78");
    const single = {
      sender: "ACME",
      to: "06 12 34 56 78",
      body: "Hi",
      type: "transactional",
      shortenUrls: true,
      // Shortening asked, but no link in the text: none taken.
      links: null,
    };
    expect(await store.batches.findSingleMessage(account.id, id)).toEqual({
      ...single,
      status: null,
      reason: null,
    });
    await testDb.query(
      `INSERT INTO messages (batch_id, idx, account_id, "to", status, reason, segments)
       VALUES ($1, 0, $2, '+33612345678', 'failed', 'x', 1)`,
      [id, account.id],
    );
    expect(await store.batches.findSingleMessage(account.id, id)).toEqual({
      ...single,
      status: "failed",
      reason: "x",
    });
    expect(await store.batches.findSingleMessage(other.id, id)).toBeNull();
    await expect(store.batches.find(account.id, id)).rejects.toBeInstanceOf(NotFoundError);
    expect(await store.batches.findSingleMessage(account.id, await newBatch(account.id, 1))).toBeNull();
  });
});
