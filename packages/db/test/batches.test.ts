import { NotEnoughCreditsError, NotFoundError, newId } from "@salvo/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "../src/accounts";
import { acceptBatch, findBatch, findSingleMessage } from "../src/batches";
import type { Sql } from "../src/sql";
import { createTestDatabase } from "../src/testing";

let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
let sql: Sql;

beforeAll(async () => {
  testDb = await createTestDatabase();
  sql = testDb.sql;
});

afterAll(async () => {
  await testDb?.drop();
});

async function newBatch(accountId: string, recipients: number) {
  const id = newId("bat");
  await acceptBatch(sql, {
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
    const { account } = await createAccount(testDb.db, { name: "accept", credits: 100 });
    const id = await newBatch(account.id, 25);
    const stored = await testDb.db.batch.findUniqueOrThrow({ where: { id }, include: { chunks: true } });
    expect(stored).toMatchObject({ total: 25, pending: 25, reserved: 50, chunkCount: 3, status: "accepted" });
    expect(stored.chunks.map((c) => [c.idx, c.firstIndex])).toEqual([
      [0, 0],
      [1, 10],
      [2, 20],
    ]);
    expect((await testDb.db.account.findUniqueOrThrow({ where: { id: account.id } })).credits).toBe(50);
  });

  it("writes nothing without enough credits", async () => {
    const { account } = await createAccount(testDb.db, { name: "short", credits: 49 });
    await expect(newBatch(account.id, 25)).rejects.toBeInstanceOf(NotEnoughCreditsError);
    expect(await testDb.db.batch.count({ where: { accountId: account.id } })).toBe(0);
    expect((await testDb.db.account.findUniqueOrThrow({ where: { id: account.id } })).credits).toBe(49);
  });
});

describe("findBatch", () => {
  it("reads every field Prisma reads, with the same types", async () => {
    const { account } = await createAccount(testDb.db, { name: "find", credits: 100 });
    const id = await newBatch(account.id, 3);
    await testDb.db.batch.update({ where: { id }, data: { completedAt: new Date(), sent: 1 } });
    expect(await findBatch(sql, account.id, id)).toEqual(
      await testDb.db.batch.findUniqueOrThrow({ where: { id } }),
    );
  });

  it("does not find another account's batch", async () => {
    const { account: owner } = await createAccount(testDb.db, { name: "owner", credits: 100 });
    const { account: other } = await createAccount(testDb.db, { name: "other" });
    const id = await newBatch(owner.id, 1);
    await expect(findBatch(sql, other.id, id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(findBatch(sql, owner.id, "bat_nope")).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("single messages (POST /v1/sms)", () => {
  async function newSingle(accountId: string, to: string) {
    const id = newId("bat");
    await acceptBatch(sql, {
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
    const { account } = await createAccount(testDb.db, { name: "single", credits: 10 });
    const { account: other } = await createAccount(testDb.db, { name: "other" });
    const id = await newSingle(account.id, "06 12 34 56 78");
    const single = {
      sender: "ACME",
      to: "06 12 34 56 78",
      body: "Hi",
      type: "transactional",
      shortenUrls: true,
    };
    expect(await findSingleMessage(sql, account.id, id)).toEqual({ ...single, status: null, reason: null });
    await testDb.db.message.create({
      data: {
        batchId: id,
        idx: 0,
        accountId: account.id,
        to: "+33612345678",
        status: "failed",
        reason: "x",
        segments: 1,
      },
    });
    expect(await findSingleMessage(sql, account.id, id)).toEqual({
      ...single,
      status: "failed",
      reason: "x",
    });
    expect(await findSingleMessage(sql, other.id, id)).toBeNull();
    await expect(findBatch(sql, account.id, id)).rejects.toBeInstanceOf(NotFoundError);
    expect(await findSingleMessage(sql, account.id, await newBatch(account.id, 1))).toBeNull();
  });
});
