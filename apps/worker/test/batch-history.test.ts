// A batch's history through the whole stack: the replies and STOPs matched to its
// messages, the numbers its delivery reports put on the NPAI list, its CSV export;
// and each of them a 404 to another account and for a single message's batch.
import { messageId, parseMessageId } from "@salvo/core";
import { SalvoApiError } from "@salvo/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack, waitFor } from "./stack";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ workers: 1 });
});
afterAll(() => stack.stopAll());

async function account() {
  return stack.newAccount({ credits: 1_000, apiRateLimit: 1_000 });
}
type Client = Awaited<ReturnType<typeof account>>["client"];

/** Sends a batch and waits until every delivery report is in. */
async function sendAndReport(client: Client, from: string, recipients: string[]) {
  const { body } = await client.batches.create({ from, body: "Hello", recipients });
  const id = body.data.batch_id;
  await client.batches.wait(id, { timeoutMs: 20_000 });
  await waitFor("the delivery reports", async () => {
    const { attributes: a } = (await client.batches.get(id)).body.data;
    return a.delivered + a.undelivered === a.sent;
  });
  return id;
}

async function status(request: Promise<unknown>): Promise<number> {
  try {
    await request;
    return 200;
  } catch (error) {
    if (error instanceof SalvoApiError) return error.status;
    throw error;
  }
}

describe("a batch's history", () => {
  let client: Client;
  let batch: string;
  let later: string;
  beforeAll(async () => {
    ({ client } = await account());
    // …99: the simulator reports unknown_subscriber, which puts the number on the NPAI list.
    batch = await sendAndReport(client, "ACME", ["+33612350001", "+33612350002", "+33612350099"]);
    // A later message to …0002 from the same sender: its replies answer this batch, not the first.
    later = await sendAndReport(client, "ACME", ["+33612350002", "+33612350199"]);
    await client.simulator.inbound({ from: "+33612350001", to: "ACME", body: "Thanks!" });
    await client.simulator.inbound({ from: "+33612350001", to: "ACME", body: "STOP" });
    await client.simulator.inbound({ from: "+33612350002", to: "ACME", body: "stop" });
  });

  it("lists the replies matched to its messages, newest first, STOPs included", async () => {
    const { body } = await client.batches.replies(batch);
    expect(body.page).toEqual({ count: 1, number: 1 });
    expect(body.data.map((r) => [r.attributes.from, r.attributes.body, r.attributes.message_id])).toEqual([
      ["+33612350001", "STOP", messageId(batch, 0)],
      ["+33612350001", "Thanks!", messageId(batch, 0)],
    ]);
    expect(body.data.every((r) => r.attributes.batch_id === batch)).toBe(true);
    const { body: other } = await client.batches.replies(later);
    expect(other.data.map((r) => [r.attributes.from, r.attributes.stop])).toEqual([["+33612350002", true]]);
  });

  it("lists the STOPs among them", async () => {
    const { body } = await client.batches.stops(batch);
    expect(body.data.map((r) => [r.attributes.from, r.attributes.stop])).toEqual([["+33612350001", true]]);
    expect((await client.batches.stops(later)).body.data.map((r) => r.attributes.from)).toEqual([
      "+33612350002",
    ]);
  });

  it("lists the numbers its delivery reports put on the NPAI list, with their message", async () => {
    const { body } = await client.batches.npai(batch);
    expect(body.data).toEqual([
      { number: "+33612350099", message_id: messageId(batch, 2), created_at: expect.any(String) },
    ]);
    expect((await client.batches.npai(later)).body.data.map((e) => e.number)).toEqual(["+33612350199"]);
    // A number added by hand has no batch: on the account's list, in no batch's.
    await client.npai.add(["+33612350777"]);
    expect((await client.batches.npai(batch)).body.data).toHaveLength(1);
  });

  it("exports its messages as CSV, with their final statuses", async () => {
    const { body, headers } = await client.batches.exportCsv(batch);
    expect(headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const lines = body.trim().split("\n");
    expect(lines[0]).toBe(
      "id,to,ref,status,reason,duplicate_of,segments,cost,created_at,sent_at,done_at,fields",
    );
    expect(lines.slice(1).map((line) => line.split(",").slice(0, 5))).toEqual([
      [messageId(batch, 0), "+33612350001", "", "delivered", ""],
      [messageId(batch, 1), "+33612350002", "", "delivered", ""],
      [messageId(batch, 2), "+33612350099", "", "undelivered", "unknown_subscriber"],
    ]);
  });

  it("is a 404 to another account, and for a single message's batch", async () => {
    const { client: other } = await account();
    const { body: sms } = await client.sms.send({ from: "ACME", to: "+33612350003", body: "Hi" });
    const single = parseMessageId(sms.id)?.batchId ?? "";
    expect(single).toMatch(/^bat_/);
    for (const id of [batch, single]) {
      const owner = id === batch ? other : client;
      expect(await status(owner.batches.replies(id))).toBe(404);
      expect(await status(owner.batches.stops(id))).toBe(404);
      expect(await status(owner.batches.npai(id))).toBe(404);
      expect(await status(owner.batches.exportCsv(id))).toBe(404);
    }
    // Nothing of the owner's history shows in the other account's.
    expect((await other.replies.list()).body.data).toEqual([]);
    expect((await other.npai.list()).body.data).toEqual([]);
  });
});
