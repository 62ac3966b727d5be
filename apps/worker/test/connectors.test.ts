// Adding a provider is one folder and one registry line: here a provider of the
// test's own, registered in the test, sends batches end to end (real API, worker,
// Redis and PostgreSQL) through a connector of it, and hands in a reply and a STOP
// both ways: through its own HTTP callback, and from the worker (reportInbound).
import { messageId } from "@salvo/core";
import {
  defineProvider,
  type InboundMessage,
  type OutboundMessage,
  registerProvider,
} from "@salvo/providers";
import { afterAll, beforeAll, expect, it } from "vitest";
import { z } from "zod";
import { countReplies, type Stack, startStack, subscribe, waitFor } from "./stack";

const handedOff = new Map<string, OutboundMessage[]>();
/** Per connector (by its label): a handset's SMS reaching the provider, as an SMPP deliver_sm would. */
const upstream = new Map<string, (messages: InboundMessage[]) => Promise<void>>();

registerProvider(
  defineProvider({
    name: "test-echo",
    settingsSchema: z.strictObject({ label: z.string() }),
    // Its own callback shape, as a real provider has: `{msisdn, shortcode, text}`.
    inboundSchema: z
      .strictObject({ msisdn: z.string(), shortcode: z.string(), text: z.string() })
      .transform(({ msisdn, shortcode, text }) => ({ from: msisdn, to: shortcode, body: text })),
    create(settings, context) {
      upstream.set(settings.label, (messages) => context.reportInbound(messages));
      return {
        name: "test-echo",
        async send(messages) {
          for (const message of messages) {
            const key = `${settings.label}:${message.body}`;
            handedOff.set(key, [...(handedOff.get(key) ?? []), message]);
          }
          await context.reportDeliveries(
            messages.map((m) => ({
              messageId: m.id,
              status: "delivered",
              providerCode: "OK",
              at: new Date(),
            })),
            0,
          );
          return messages.map((m) => ({ id: m.id, accepted: true, providerMessageId: `echo-${m.id}` }));
        },
        async close() {},
      };
    },
  }),
);

const connectors = JSON.stringify([
  {
    name: "echo-main",
    provider: "test-echo",
    maxMps: 1_000,
    settings: { label: "main" },
  },
  { name: "echo-spare", provider: "test-echo", settings: { label: "spare" } },
]);

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    api: { SALVO_CONNECTORS: connectors },
    worker: { SALVO_CONNECTORS: connectors },
  });
});
afterAll(() => stack.stopAll());

it("sends a batch through the default connector of a provider registered in one line, and takes its replies", async () => {
  const { client, accountId } = await stack.newAccount({ credits: 1_000, apiRateLimit: 1_000 });
  await subscribe(stack, accountId, "hook", ["mo", "stop"]);
  const recipients = ["+33612370001", "+33612370002", "+33612370003"];
  const { body } = await client.batches.create({ from: "ECHO", body: "please reply", recipients });
  const batchId = body.data.batch_id;
  const delivered = await waitFor("the batch delivered", async () => {
    const { body: batch } = await client.batches.get(batchId);
    return batch.data.attributes.delivered === 3 ? batch.data.attributes : undefined;
  });
  expect(delivered).toMatchObject({ total: 3, sent: 3, delivered: 3, pending: 0, status: "completed" });
  expect(handedOff.get("main:please reply")?.map((m) => m.to)).toEqual(recipients);

  // The handsets answer STOP; the provider hands it in from the worker. Once
  // reportInbound resolves the STOPs are stored, matched and blacklisted.
  await upstream.get("main")!(recipients.map((to) => ({ from: to.slice(1), to: "ECHO", body: "STOP" })));
  const { body: page } = await client.replies.list();
  const replies = page.data;
  expect(replies.map((r) => [r.attributes.from, r.attributes.stop, r.attributes.message_id]).sort()).toEqual(
    recipients.map((to, idx) => [to, true, messageId(batchId, idx)]),
  );
  expect((await client.blacklist.list()).body.data.map((e) => e.number).sort()).toEqual(recipients);
  const events = await stack.query<{ type: string }>(
    "SELECT type FROM webhook_events WHERE account_id = $1",
    [accountId],
  );
  expect(events.map((e) => e.type).sort()).toEqual(["mo", "mo", "mo", "stop", "stop", "stop"]);
  // A number no one can answer is refused (logged), not retried: the rest still goes in.
  const before = await countReplies(stack);
  await upstream.get("main")!([
    { from: "12", to: "ECHO", body: "hi" },
    { from: "33612370005", to: "ECHO", body: "hi" },
  ]);
  expect(await countReplies(stack)).toBe(before + 1);

  // Its HTTP callback, parsed by the provider's own schema, at the connector's path.
  const { status, body: reply } = await client.call<{ data: { attributes: Record<string, unknown> } }>(
    "POST",
    "/v1/providers/echo-main/inbound",
    { msisdn: "33612370009", shortcode: "ECHO", text: "hello" },
  );
  expect(status).toBe(202);
  expect(reply.data.attributes).toMatchObject({
    from: "+33612370009",
    to: "ECHO",
    body: "hello",
    stop: false,
  });
  // The default connector's provider has no simulator callback.
  await expect(client.call("POST", "/v1/providers/simulator/inbound", {})).rejects.toMatchObject({
    status: 404,
  });

  // The next batch skips the blacklisted numbers.
  const next = await client.batches.create({
    from: "ECHO",
    body: "again",
    recipients: [...recipients, "+33612370004"],
  });
  const done = await client.batches.wait(next.body.data.batch_id, { timeoutMs: 20_000 });
  expect(done.attributes).toMatchObject({ total: 4, blacklisted: 3 });
  expect(handedOff.get("main:again")?.map((m) => m.to)).toEqual(["+33612370004"]);
  // Every batch went through the default (first) connector; the other one is open but idle.
  expect([...handedOff.keys()].filter((key) => !key.startsWith("main:"))).toEqual([]);
});
