// The store's side of moderation: a held batch is stored with its reasons and
// event, decisions are guarded transitions (exactly one of many concurrent ones
// wins, on separate connections), and a rejection is set-based SQL.
import { NotInModerationError } from "@salvo/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Store } from "../src/store";
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

let n = 0;
async function heldBatch(recipients: number, credits = recipients) {
  const { account } = await store.accounts.create({ name: "held", credits });
  const id = `bat_TEST${String(n++).padStart(22, "0")}`;
  await store.batches.accept({
    id,
    accountId: account.id,
    type: "marketing",
    sender: "ACME",
    body: "casino",
    country: null,
    segments: 1,
    recipients: Array.from({ length: recipients }, (_, i) => `+336${String(10_000_000 + i)}`),
    chunkSize: 1_000,
    moderation: [{ rule: "blocked_word", word: "casino" }],
  });
  return { accountId: account.id, id };
}

const creditsOf = async (accountId: string) => (await store.accounts.find(accountId))?.credits;

describe("decisions on a held batch", () => {
  it("race on separate connections: exactly one of twenty wins", async () => {
    const { accountId, id } = await heldBatch(50);
    const decisions = Array.from({ length: 20 }, (_, i) =>
      i % 2 === 0 ? store.moderation.approve(id) : store.moderation.reject(id, "no"),
    );
    const settled = await Promise.allSettled(decisions);
    expect(settled.filter((s) => s.status === "fulfilled")).toHaveLength(1);
    for (const lost of settled.filter((s) => s.status === "rejected")) {
      expect(lost.reason).toBeInstanceOf(NotInModerationError);
    }
    const [batch] = await testDb.query<{ status: string; rejected: number; pending: number }>(
      "SELECT status, rejected, pending FROM batches WHERE id = $1",
      [id],
    );
    const [{ rows } = { rows: -1 }] = await testDb.query<{ rows: number }>(
      "SELECT count(*)::int AS rows FROM messages WHERE batch_id = $1",
      [id],
    );
    if (batch?.status === "rejected") {
      expect([batch.rejected, batch.pending, rows, await creditsOf(accountId)]).toEqual([50, 0, 50, 50]);
    } else {
      expect([batch?.status, batch?.pending, rows, await creditsOf(accountId)]).toEqual([
        "accepted",
        50,
        0,
        0,
      ]);
    }
  });

  it("rejects 200,000 recipients in one statement, refunding them exactly", async () => {
    const { accountId, id } = await heldBatch(200_000);
    expect(await creditsOf(accountId)).toBe(0);
    const { batch } = await store.moderation.reject(id, null);
    expect(batch).toMatchObject({ status: "rejected", rejected: 200_000, pending: 0, rejectionReason: null });
    expect(await creditsOf(accountId)).toBe(200_000);
    const [counted] = await testDb.query<{ rows: number; first: string; last: string }>(
      `SELECT count(*)::int AS rows, min("to") AS first, max("to") AS last FROM messages
        WHERE batch_id = $1 AND status = 'rejected'`,
      [id],
    );
    expect(counted).toEqual({ rows: 200_000, first: "+33610000000", last: "+33610199999" });
  });

  it("approves into scheduled when send_at is still ahead", async () => {
    const { id } = await heldBatch(1);
    await testDb.query("UPDATE batches SET send_at = now() + interval '1 hour' WHERE id = $1", [id]);
    expect((await store.moderation.approve(id)).status).toBe("scheduled");
  });
});
