// Long received messages (MO) over SMPP, end to end: the test SMSC sends a reply in
// parts over a connector's two binds, out of order, one part twice at once and again
// after completion; the worker holds each part before its deliver_sm_resp and records
// exactly one reply with the whole text, matched to the message it answers. A STOP
// in two parts puts the number on the blacklist. A one-part MO the SMSC resends (its
// deliver_sm_resp lost; again on the same bind, then on both at once) is recorded
// once: one reply, one `mo` event.
import { longMo, TestSmsc } from "@salvo/providers/test-smsc";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Stack, startStack, subscribe } from "./stack";

let smsc: TestSmsc;
let stack: Stack;

beforeAll(async () => {
  smsc = await TestSmsc.start();
  const connectors = JSON.stringify([
    {
      name: "smsc-mo",
      provider: "smpp",
      settings: { host: "127.0.0.1", port: smsc.port, systemId: "salvo", password: "secret", binds: 2 },
    },
  ]);
  stack = await startStack({
    api: { SALVO_CONNECTORS: connectors },
    worker: { SALVO_CONNECTORS: connectors },
  });
  await smsc.waitFor(() => smsc.boundSessions === 2);
});
afterAll(async () => {
  await stack?.stopAll();
  await smsc?.close();
});

/** An account that has sent "Hello" from ACME to `recipients`, handed off to the SMSC. */
async function accountThatSent(recipients: string[]) {
  const account = await stack.newAccount({ credits: 1_000, apiRateLimit: 1_000 });
  const { body } = await account.client.batches.create({ from: "ACME", body: "Hello", recipients });
  await account.client.batches.wait(body.data.batch_id, {
    timeoutMs: 20_000,
    until: (batch) => batch.attributes.sent === recipients.length,
  });
  return { ...account, batchId: body.data.batch_id };
}

it("records a 3-part reply once, with its whole text, whatever the order, the binds and the resends", async () => {
  const { client, batchId } = await accountThatSent(["+33612390001"]);
  const texts = ["Merci pour le message, je ", "serai là lundi à 9 h 😀 ", "et je rappellerai. Привет!"];
  const [first, second, third] = longMo("33612390001", "ACME", texts, {
    concatenation: "udh16",
    reference: 0xbeef,
    dataCoding: 8,
  });

  expect(await smsc.deliverSm(third!, 0)).toBe(0);
  expect(await smsc.deliverSm(first!, 1)).toBe(0);
  expect((await client.replies.list()).body.data).toEqual([]);
  // The missing part on both binds at once (the SMSC resent it), and an old one again.
  expect(
    await Promise.all([smsc.deliverSm(second!, 0), smsc.deliverSm(second!, 1), smsc.deliverSm(first!, 0)]),
  ).toEqual([0, 0, 0]);
  // Each deliver_sm_resp came once the part was held: the reply is stored already.
  const { body: page } = await client.replies.list();
  expect(page.data.map((reply) => reply.attributes)).toEqual([
    expect.objectContaining({
      from: "+33612390001",
      to: "ACME",
      body: texts.join(""),
      stop: false,
      batch_id: batchId,
    }),
  ]);
  // A resend after completion changes nothing.
  expect(await smsc.deliverSm(third!, 1)).toBe(0);
  expect(await stack.query('SELECT id FROM replies WHERE "from" = $1', ["+33612390001"])).toHaveLength(1);
});

it("takes a STOP sent in two parts (SAR TLVs, GSM) as a STOP", async () => {
  const { client } = await accountThatSent(["+33612390002"]);
  const parts = longMo("33612390002", "ACME", ["STOP ", "SMS"], {
    concatenation: "sar",
    reference: 3,
    dataCoding: 0,
  });
  for (const part of parts.reverse()) expect(await smsc.deliverSm(part)).toBe(0);
  expect((await client.blacklist.list()).body.data.map((entry) => entry.number)).toEqual(["+33612390002"]);
  const { body: page } = await client.replies.list();
  expect(page.data.map((reply) => [reply.attributes.body, reply.attributes.stop])).toEqual([
    ["STOP SMS", true],
  ]);
});

it("records a one-part MO the SMSC resends once, with one mo event", async () => {
  const { client, accountId, batchId } = await accountThatSent(["+33612390003"]);
  await subscribe(stack, accountId, "hook", ["mo", "stop"]);
  const mo = { source_addr: "33612390003", destination_addr: "ACME", esm_class: 0, data_coding: 0 };
  expect(await smsc.deliverSm({ ...mo, short_message: "Oui, à lundi" })).toBe(0);
  // The SMSC did not get that answer: it sends the message again, then on both binds at once.
  expect(await smsc.deliverSm({ ...mo, short_message: "Oui, à lundi" })).toBe(0);
  expect(
    await Promise.all([0, 1].map((bind) => smsc.deliverSm({ ...mo, short_message: "Oui, à lundi" }, bind))),
  ).toEqual([0, 0]);
  const { body: page } = await client.replies.list();
  expect(page.data.map((reply) => reply.attributes)).toEqual([
    expect.objectContaining({ from: "+33612390003", to: "ACME", body: "Oui, à lundi", batch_id: batchId }),
  ]);
  const events = await stack.query<{ type: string }>(
    "SELECT type FROM webhook_events WHERE account_id = $1",
    [accountId],
  );
  expect(events.map((event) => event.type)).toEqual(["mo"]);
  // Another text from the same handset is a new message.
  expect(await smsc.deliverSm({ ...mo, short_message: "Et mardi ?" })).toBe(0);
  expect((await client.replies.list()).body.data.map((reply) => reply.attributes.body)).toEqual([
    "Et mardi ?",
    "Oui, à lundi",
  ]);
});
