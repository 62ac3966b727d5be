import { messageId } from "@salvo/core";
import { SalvoApiError } from "@salvo/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countReplies, type Stack, startStack, subscribe } from "./stack";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ workers: 1 });
});
afterAll(() => stack.stopAll());

async function account() {
  return stack.newAccount({ credits: 1_000, apiRateLimit: 1_000 });
}

async function sendAndWait(
  client: Awaited<ReturnType<typeof account>>["client"],
  from: string,
  recipients: string[],
) {
  const { body } = await client.batches.create({ from, body: "Hello", recipients });
  return client.batches.wait(body.data.batch_id, { timeoutMs: 20_000 });
}

describe("replies (MO)", () => {
  it("are stored with the account and the last message sent to that number from that sender", async () => {
    const { client } = await account();
    const first = await sendAndWait(client, "ACME", ["+33612340001", "+33612340002"]);
    const second = await sendAndWait(client, "ACME", ["+33612340002"]);
    await sendAndWait(client, "OTHER", ["+33612340002"]);

    const { status, body } = await client.simulator.inbound({
      from: "33612340002", // as providers often pass it: international, without the +
      to: "ACME",
      body: "Thanks, see you Monday",
    });
    expect(status).toBe(202);
    expect(body.data.attributes).toMatchObject({
      from: "+33612340002",
      to: "ACME",
      stop: false,
      account_matched: true,
      message_id: messageId(second.id, 0),
      batch_id: second.id,
    });
    await client.simulator.inbound({ from: "+33612340001", to: "ACME", body: "ok" });

    const { body: page } = await client.replies.list();
    expect(page.page).toEqual({ count: 1, number: 1 });
    expect(page.data.map((r) => [r.attributes.from, r.attributes.message_id, r.attributes.body])).toEqual([
      ["+33612340001", messageId(first.id, 0), "ok"],
      ["+33612340002", messageId(second.id, 0), "Thanks, see you Monday"],
    ]);
    // Nothing was put on the blacklist by an ordinary reply.
    expect((await client.blacklist.list()).body.data).toEqual([]);
  });

  it("that answer no message are kept unassigned, listed by no account", async () => {
    const { client } = await account();
    const { body } = await client.simulator.inbound({ from: "+33699990001", to: "NOBODY", body: "STOP" });
    expect(body.data.attributes).toMatchObject({ account_matched: false, message_id: null, stop: true });
    expect((await client.replies.list()).body.data).toEqual([]);
    const stored = await stack.query<{ accountId: string | null }>(
      'SELECT account_id AS "accountId" FROM replies WHERE id = $1',
      [body.data.id],
    );
    expect(stored).toEqual([{ accountId: null }]);
  });

  it("refuse what a provider could not have sent, and store nothing", async () => {
    const { client } = await account();
    const bad: [Record<string, unknown>, string][] = [
      [{ from: "not a number", to: "ACME", body: "hi" }, "from"],
      [{ from: "0612345678", to: "ACME", body: "hi" }, "from"], // national: whose country?
      [{ from: "+33612345678", to: "ACME SHOP!", body: "hi" }, "to"],
      [{ from: "+33612345678", to: "ACME" }, "body"],
      [{ from: "+33612345678", to: "ACME", body: "x".repeat(1_601) }, "body"],
      [{ from: "+33612345678", to: "ACME", body: "a\u0000b" }, "body"],
      [{ from: "+33612345678", to: "ACME", body: "hi", extra: 1 }, "extra"],
    ];
    const before = await countReplies(stack);
    for (const [message, field] of bad) {
      const error = await client
        .call("POST", "/v1/providers/simulator/inbound", message)
        .catch((e: unknown) => e);
      expect(error, JSON.stringify(message)).toBeInstanceOf(SalvoApiError);
      expect((error as SalvoApiError).status).toBe(400);
      expect((error as SalvoApiError).field).toBe(field);
    }
    expect(await countReplies(stack)).toBe(before);
  });
});

describe("STOP", () => {
  it("puts the number on the blacklist of the account it answers, so the next batch counts it blacklisted", async () => {
    const shop = await account();
    const other = await account();
    await sendAndWait(shop.client, "SHOP", ["+33612350001", "+33612350002"]);
    await sendAndWait(other.client, "OTHERCO", ["+33612350001"]);

    const { body } = await shop.client.simulator.inbound({
      from: "+33612350001",
      to: "SHOP",
      body: " Stop. ",
    });
    expect(body.data.attributes).toMatchObject({ stop: true, account_matched: true });
    expect((await shop.client.blacklist.list()).body.data.map((e) => e.number)).toEqual(["+33612350001"]);
    // Only the account whose message it answered.
    expect((await other.client.blacklist.list()).body.data).toEqual([]);

    const next = await sendAndWait(shop.client, "SHOP", ["+33612350001", "+33612350002"]);
    expect(next.attributes).toMatchObject({ total: 2, blacklisted: 1, sent: 1 });
    const ledger = stack.ledger().filter((line) => line.message_id.startsWith(`msg_${next.id.slice(4)}_`));
    expect(ledger.map((line) => line.to)).toEqual(["+33612350002"]);
  });

  // One number per keyword, none ending in 97-99 (the simulator refuses or fails those).
  it.each(["ARRÊT", "arret", "STOP SMS", "unsubscribe!", "Cancel"].map((text, i) => [text, i]))(
    "%j works too",
    async (text, i) => {
      const { client } = await account();
      const number = `+336123610${i}0`;
      await sendAndWait(client, "ACME", [number]);
      await client.simulator.inbound({ from: number, to: "ACME", body: text });
      expect((await client.blacklist.list()).body.data.map((e) => e.number)).toEqual([number]);
    },
  );
});

describe("events for webhooks", () => {
  it("writes an mo event for every reply and a stop event for a STOP, to the webhooks that want them", async () => {
    const { client, accountId } = await account();
    await subscribe(stack, accountId, "mo", ["mo"]);
    await subscribe(stack, accountId, "both", ["mo", "stop"]);
    await subscribe(stack, accountId, "dlr", ["dlr"]);
    const batch = await sendAndWait(client, "ACME", ["+33612370001"]);

    const hello = await client.simulator.inbound({ from: "+33612370001", to: "ACME", body: "hello" });
    const stop = await client.simulator.inbound({ from: "+33612370001", to: "ACME", body: "STOP" });

    const events = await stack.query<{ type: string; webhookId: string; payload: string }>(
      `SELECT type, webhook_id AS "webhookId", payload FROM webhook_events
        WHERE account_id = $1 AND type IN ('mo', 'stop') ORDER BY type, webhook_id, created_at`,
      [accountId],
    );
    expect(events.map((e) => [e.type, e.webhookId.split("_").slice(0, 2).join("_")])).toEqual([
      ["mo", "whk_both"],
      ["mo", "whk_both"],
      ["mo", "whk_mo"],
      ["mo", "whk_mo"],
      ["stop", "whk_both"],
    ]);
    const stopEvent = JSON.parse(events[4]?.payload as string);
    expect(stopEvent).toMatchObject({
      type: "stop",
      data: { number: "+33612370001", to: "ACME", reply_id: stop.body.data.id },
    });
    const moBodies = events.slice(0, 2).map((e) => JSON.parse(e.payload).data);
    expect(moBodies).toContainEqual({
      reply_id: hello.body.data.id,
      from: "+33612370001",
      to: "ACME",
      body: "hello",
      stop: false,
      message_id: messageId(batch.id, 0),
      batch_id: batch.id,
      received_at: hello.body.data.attributes.received_at,
    });
  });
});
