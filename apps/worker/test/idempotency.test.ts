// Idempotency keys through the whole stack: a synchronous send retried with its
// key, or sent several times at once, hands each message off once; the
// reconciler purges keys past their 24 hours.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "./stack";

let stack: Stack;

async function countBatches(accountId: string): Promise<number> {
  const [row] = await stack.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM batches WHERE account_id = $1",
    [accountId],
  );
  return row?.n ?? 0;
}

async function countKeys(accountId: string, key: string): Promise<number> {
  const [row] = await stack.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM idempotency_keys WHERE account_id = $1 AND key = $2",
    [accountId, key],
  );
  return row?.n ?? 0;
}
beforeAll(async () => {
  stack = await startStack({ workers: 1 });
});
afterAll(() => stack?.stopAll());

const recipients = ["+33612345601", "+33612345602", "+33612345603"];

describe("POST /v1/send with an Idempotency-Key", () => {
  it("replays the finished send's answer; nothing is sent or charged again", async () => {
    const { client, accountId } = await stack.newAccount({ credits: 100, apiRateLimit: 1_000 });
    const send = { from: "ACME", body: "Once only", recipients };
    const first = await client.sendNow(send, { idempotencyKey: "send-1" });
    expect([first.status, first.body.sent, first.body.credits]).toEqual([200, 3, 97]);

    const again = await client.sendNow(send, { idempotencyKey: "send-1" });
    expect([again.status, again.body, again.headers.get("idempotent-replayed")]).toEqual([
      200,
      first.body,
      "true",
    ]);
    expect(await countBatches(accountId)).toBe(1);
    expect((await client.account.get()).body.data.attributes.credits).toBe(97);
    const handedOff = stack.ledger().filter((line) => line.body === "Once only");
    expect(handedOff.map((line) => line.to).sort()).toEqual(recipients);
  });

  it("sends once when the same send arrives five times at once", async () => {
    const { client, accountId } = await stack.newAccount({ credits: 100, apiRateLimit: 1_000 });
    const send = { from: "ACME", body: "Five at once", recipients };
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => client.sendNow(send, { idempotencyKey: "send-2" })),
    );
    expect(new Set(answers.map((a) => JSON.stringify([a.status, a.body])))).toEqual(
      new Set([JSON.stringify([200, answers[0]?.body])]),
    );
    expect(answers.filter((a) => a.headers.get("idempotent-replayed") === "true")).toHaveLength(4);
    expect(await countBatches(accountId)).toBe(1);
    expect(stack.ledger().filter((line) => line.body === "Five at once")).toHaveLength(3);
  });
});

describe("the reconciler", () => {
  it("purges idempotency keys older than 24 hours, and only those", async () => {
    const { client, accountId } = await stack.newAccount({ credits: 100, apiRateLimit: 1_000 });
    const batch = { from: "ACME", body: "Kept a day", recipients: recipients.slice(0, 1) };
    await client.batches.create(batch, { idempotencyKey: "old" });
    await client.batches.create(batch, { idempotencyKey: "recent" });
    await stack.query(
      "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE account_id = $1 AND key = 'old'",
      [accountId],
    );
    // RECONCILE_INTERVAL_MS is 1 s in the stack.
    await expect.poll(() => countKeys(accountId, "old"), { timeout: 10_000 }).toBe(0);
    expect(await countKeys(accountId, "recent")).toBe(1);
  });
});
