// Single messages (POST /v1/sms) and synchronous sends (POST /v1/send) through
// the whole stack: API, workers, simulator. A single message is judged, charged
// and sent exactly like a batch message; a synchronous send answers the same
// counts as GET /v1/batches/:id, once nothing is pending.
import { BATCH_TOTAL_PARTS } from "@salvo/core";
import type { Salvo, Sms } from "@salvo/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "./stack";

let stack: Stack;
beforeAll(async () => {
  // Small chunks, so a send of a few dozen recipients spans several chunk jobs.
  stack = await startStack({ workers: 2, api: { BATCH_CHUNK_SIZE: "10" } });
});
afterAll(() => stack?.stopAll());

const WAIT = { timeoutMs: 20_000, intervalMs: 20 };

async function credits(client: Salvo): Promise<number> {
  return (await client.account.get()).body.data.attributes.credits;
}

/** Sends one message and waits for its final status (after its delivery report, if it gets one). */
async function sendAndWait(client: Salvo, to: string, final: (sms: Sms) => boolean): Promise<Sms> {
  const { status, body } = await client.sms.send({ from: "ACME", to, body: "Your code is 1234" });
  expect([status, body.status, body.statusReason]).toEqual([202, "pending", ""]);
  return client.sms.wait(body.id, { ...WAIT, until: final });
}

const settled = (sms: Sms) => !["pending", "sent"].includes(sms.status);

describe("POST /v1/sms, then GET /v1/sms/:id", () => {
  let client: Salvo;
  let accountId: string;
  beforeAll(async () => {
    ({ client, accountId } = await stack.newAccount({ credits: 100, apiRateLimit: 1_000 }));
  });

  it("moves from pending to sent, then delivered; handed off once, one credit spent", async () => {
    const before = await credits(client);
    const { body: accepted } = await client.sms.send({ from: "ACME", to: "06 12 34 56 01", body: "Hello" });
    const seen = new Set<string>([accepted.status]);
    const final = await client.sms.wait(accepted.id, {
      ...WAIT,
      until: (sms) => {
        seen.add(sms.status);
        return sms.status === "delivered";
      },
    });
    expect(final).toEqual({ ...accepted, status: "delivered", statusReason: "" });
    expect(seen.has("pending")).toBe(true);
    expect([...seen].every((status) => ["pending", "sent", "delivered"].includes(status))).toBe(true);
    expect(stack.ledger().filter((line) => line.message_id === accepted.id)).toEqual([
      expect.objectContaining({ to: "+33612345601", from: "ACME", body: "Hello" }),
    ]);
    expect(await credits(client)).toBe(before - 1);
  });

  it("a number the provider refuses (…97) is failed, with the reason, and refunded", async () => {
    const before = await credits(client);
    const sms = await sendAndWait(client, "+33612345697", settled);
    expect([sms.status, sms.statusReason]).toEqual(["failed", "rejected_by_provider"]);
    expect(await credits(client)).toBe(before);
  });

  it("an unknown subscriber (…99) is undelivered, with the reason", async () => {
    const sms = await sendAndWait(client, "0612345699", settled);
    expect([sms.status, sms.statusReason]).toEqual(["undelivered", "unknown_subscriber"]);
  });

  it("a blacklisted number is blacklisted, never handed off, and refunded", async () => {
    await client.blacklist.add(["+33612345611"]);
    const before = await credits(client);
    const sms = await sendAndWait(client, "06 12 34 56 11", settled);
    expect([sms.status, sms.statusReason]).toEqual(["blacklisted", "blacklisted"]);
    expect(stack.ledger().some((line) => line.message_id === sms.id)).toBe(false);
    expect(await credits(client)).toBe(before);
  });

  it("a number on the NPAI list is npai", async () => {
    await client.npai.add(["+33612345622"]);
    const sms = await sendAndWait(client, "+33612345622", settled);
    expect([sms.status, sms.statusReason]).toEqual(["npai", "npai"]);
  });

  it("anti-flood counts single messages like any other", async () => {
    await stack.store.accounts.update(accountId, { floodMaxSameBodyPerHour: 1 });
    try {
      // The account's settings are cached by the API, but judged by the workers from PostgreSQL.
      expect((await sendAndWait(client, "+33612345633", settled)).status).toBe("delivered");
      const flooded = await sendAndWait(client, "+33612345633", settled);
      expect([flooded.status, flooded.statusReason]).toEqual(["flooded", "flooded_same_body"]);
    } finally {
      await stack.store.accounts.update(accountId, { floodMaxSameBodyPerHour: 6 });
    }
  });

  it("is never listed as a batch, even once sent", async () => {
    const { body } = await client.batches.list();
    expect(body.data).toEqual([]);
  });
});

describe("POST /v1/send", () => {
  it("answers, once nothing is pending, the counts GET /v1/batches/:ticket reports, and the balance after", async () => {
    const { client } = await stack.newAccount({ credits: 1_000, apiRateLimit: 1_000 });
    await client.blacklist.add(["+33611111111"]);
    await client.npai.add(["+33622222222"]);
    const recipients = [
      "+33612345601",
      { to: "06 12 34 56 02", ref: "crm-2" },
      "+33612345697", // refused by the provider: failed
      "+33612345698", // sent, later undelivered
      "not a number", // invalid
      "+3361", // invalid
      "0612345601", // duplicated
      "+33612345601", // duplicated
      "+33611111111", // blacklisted
      "06 22 22 22 22", // npai
      ...Array.from({ length: 25 }, (_, i) => `+336400000${String(i).padStart(2, "0")}`),
    ];
    const before = await credits(client);

    const { status, body } = await client.sendNow({ from: "ACME", body: "Sale today", recipients });
    expect(status).toBe(200);
    const { body: batch } = await client.batches.get(body.ticket);
    const a = batch.data.attributes;
    expect(a.pending).toBe(0);
    expect(body).toEqual({
      status: 1,
      message: "OK",
      ticket: batch.data.id,
      cost: a.cost,
      credits: await credits(client),
      total: a.total,
      sent: a.sent,
      failed: a.failed,
      blacklisted: a.blacklisted,
      duplicated: a.duplicated,
      invalid: a.invalid,
      npai: a.npai,
      flooded: a.flooded,
      not_allowed: a.not_allowed,
      country_limit: a.country_limit,
      canceled: a.canceled,
      rejected: a.rejected,
    });
    expect(body).toMatchObject({
      total: 35,
      sent: 28,
      failed: 1,
      blacklisted: 1,
      duplicated: 2,
      invalid: 2,
      npai: 1,
      flooded: 0,
      cost: 28,
      credits: before - 28,
    });
    const parts = BATCH_TOTAL_PARTS.filter((part) => part !== "pending");
    expect(parts.reduce((sum, part) => sum + body[part], 0)).toBe(body.total);
    // Every message handed off was handed off once, before the answer.
    const handedOff = stack.ledger().filter((line) => line.message_id.includes(body.ticket.slice(4)));
    expect(handedOff).toHaveLength(body.sent + body.failed);
  });

  it("answers the same counts as POST /v1/batches for the same input", async () => {
    const { client } = await stack.newAccount({ credits: 1_000, apiRateLimit: 1_000 });
    await client.blacklist.add(["+33655555555"]);
    const input = {
      from: "ACME",
      body: "Same input",
      country: "FR",
      recipients: ["0655555555", "0655555556", "0655555556", "06555", "+33655555597", "0655555558"],
    };
    const { body: sent } = await client.sendNow(input);
    const { body: accepted } = await client.batches.create(input);
    const a = (await client.batches.wait(accepted.data.batch_id, WAIT)).attributes;
    // Every counter of the batch's total but `pending` (nothing is pending once /v1/send answers).
    for (const key of ["total", ...BATCH_TOTAL_PARTS.filter((part) => part !== "pending")] as const) {
      expect([key, sent[key]]).toEqual([key, a[key]]);
    }
    expect(sent).toMatchObject({ total: 6, sent: 2, failed: 1, blacklisted: 1, duplicated: 1, invalid: 1 });
  });
});

describe("POST /v1/send/simulate and POST /v1/batches/simulate", () => {
  it("foresee the counts the real send then gets, anti-flood included, without moving them", async () => {
    const { client, accountId } = await stack.newAccount({ credits: 1_000, apiRateLimit: 1_000 });
    await stack.store.accounts.update(accountId, { floodMaxSameBodyPerHour: 1 });
    await client.blacklist.add(["+33677777771"]);
    await client.npai.add(["+33677777772"]);
    const body = "Simulated first";
    // One message already counted for …73: a second with the same body is flooded.
    await client.sendNow({ from: "ACME", body, recipients: ["+33677777773"] });
    const input = {
      from: "ACME",
      body,
      recipients: [
        "+33677777771", // blacklisted
        "06 77 77 77 72", // npai
        "+33677777773", // flooded
        "+33677777774",
        "0677777774", // duplicated
        "+33677777797", // refused by the provider: failed, foreseen as sent
        "nope", // invalid
        ...Array.from({ length: 20 }, (_, i) => `+336780000${String(i).padStart(2, "0")}`),
      ],
    };
    const before = await credits(client);
    const { body: batchSimulation } = await client.batches.simulate(input);
    const { body: simulated } = await client.simulateSend(input);
    // Simulated twice: nothing counted, the same answer.
    const { credits_after, reserved, credits: now, ...counts } = batchSimulation.data.attributes;
    expect([now, credits_after, reserved]).toEqual([before, simulated.credits, 27]);
    expect(simulated).toMatchObject(counts);
    expect(await credits(client)).toBe(before);

    const { body: real } = await client.sendNow(input);
    expect(simulated).toEqual({
      status: 1,
      message: "OK",
      cost: real.cost + real.failed, // the refused message is refunded
      credits: real.credits - real.failed,
      total: real.total,
      sent: real.sent + real.failed,
      failed: 0,
      blacklisted: real.blacklisted,
      duplicated: real.duplicated,
      invalid: real.invalid,
      npai: real.npai,
      flooded: real.flooded,
      not_allowed: real.not_allowed,
      country_limit: real.country_limit,
      canceled: real.canceled,
      rejected: real.rejected,
      segments: 1,
      enough_credits: true,
      moderation_reasons: [],
    });
    expect(real).toMatchObject({ total: 27, sent: 21, failed: 1, flooded: 1, duplicated: 1, invalid: 1 });
  });
});
