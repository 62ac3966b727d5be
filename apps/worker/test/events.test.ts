import { messageId } from "@salvo/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack, subscribe } from "./stack";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ workers: 1, api: { BATCH_CHUNK_SIZE: "10" } });
});
afterAll(() => stack.stopAll());

/** Polls until `check` passes (bounded); the events of delivery reports land after the batch completes. */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`still not there after ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("delivery reports and completed batches", () => {
  it("write a dlr event per report and one batch.completed per batch, for the webhooks that want them", async () => {
    const { client, accountId } = await stack.newAccount({ credits: 1_000, apiRateLimit: 1_000 });
    await subscribe(stack, accountId, "all", ["dlr", "batch.completed"]);
    await subscribe(stack, accountId, "mo", ["mo"]);
    // 25 recipients over 3 chunks: delivered, undelivered (98, 99), refused at hand-off (97), invalid.
    const recipients = [
      ...Array.from({ length: 20 }, (_, i) => `+336123800${String(i).padStart(2, "0")}`),
      "+33612380098",
      "+33612380099",
      "+33612380097",
      "not a number",
      "+33612380000", // a repeat
    ];
    const { body: accepted } = await client.batches.create({ from: "ACME", body: "Hi", recipients });
    const batchId = accepted.data.batch_id;
    const done = await client.batches.wait(batchId, {
      timeoutMs: 20_000,
      until: (b) =>
        b.attributes.status === "completed" && b.attributes.delivered + b.attributes.undelivered === 22,
    });
    expect(done.attributes).toMatchObject({
      sent: 22,
      delivered: 20,
      undelivered: 2,
      failed: 1,
      invalid: 1,
      duplicated: 1,
    });

    const events = await eventually(
      () =>
        stack.query<{ type: string; webhookId: string; state: string; payload: string }>(
          `SELECT type, webhook_id AS "webhookId", state, payload FROM webhook_events
            WHERE account_id = $1 ORDER BY created_at`,
          [accountId],
        ),
      (rows) => rows.filter((e) => e.type === "dlr").length === 22,
    );
    expect(events.every((e) => e.webhookId === `whk_all_${accountId}` && e.state === "pending")).toBe(true);
    const completed = events.filter((e) => e.type === "batch.completed");
    expect(completed).toHaveLength(1);
    expect(JSON.parse(completed[0]?.payload as string)).toMatchObject({
      type: "batch.completed",
      data: {
        batch_id: batchId,
        status: "completed",
        total: 25,
        sent: 22,
        failed: 1,
        invalid: 1,
        duplicated: 1,
        cost: 22,
        completed_at: expect.stringMatching(/Z$/),
      },
    });
    const reports = events.filter((e) => e.type === "dlr").map((e) => JSON.parse(e.payload).data);
    expect(reports).toContainEqual({
      message_id: messageId(batchId, 21),
      batch_id: batchId,
      to: "+33612380099",
      status: "undelivered",
      reason: "unknown_subscriber",
      provider_code: "UNDELIV",
      at: expect.stringMatching(/Z$/),
    });
    expect(new Set(reports.map((r) => r.message_id)).size).toBe(22);

    // The provider's code is kept on the message too.
    const [message] = await stack.query(
      `SELECT status, reason, provider_code AS "providerCode" FROM messages WHERE batch_id = $1 AND idx = 20`,
      [batchId],
    );
    expect(message).toMatchObject({ status: "undelivered", reason: "rejected", providerCode: "REJECTD" });
  });

  it("write nothing for an account without webhooks", async () => {
    const { client, accountId } = await stack.newAccount({ credits: 1_000, apiRateLimit: 1_000 });
    const { body } = await client.batches.create({ from: "ACME", body: "Hi", recipients: ["+33612390001"] });
    await client.batches.wait(body.data.batch_id, {
      timeoutMs: 20_000,
      until: (b) => b.attributes.delivered === 1,
    });
    expect(await stack.query("SELECT id FROM webhook_events WHERE account_id = $1", [accountId])).toEqual([]);
  });
});
