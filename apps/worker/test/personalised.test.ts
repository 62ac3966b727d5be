// Personalised sends through the whole stack: bodies with placeholders filled
// from JSON recipients' fields and contact lists' contacts (copied at
// acceptance), each message with its own segments and cost, and the credits
// reserved per message refunded exactly.
import { BATCH_TOTAL_PARTS, MISSING_FIELD, parseMessageId, segmentCount } from "@salvo/core";
import type { Salvo } from "@salvo/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credits, refusal } from "../../api/test/harness";
import { type Stack, startStack } from "./stack";

let stack: Stack;
// The worker starts once the snapshot test has edited its lists (see ensureWorker).
beforeAll(async () => {
  stack = await startStack({ workers: 0 });
});
afterAll(() => stack.stopAll());

let workerStarted = false;
async function ensureWorker() {
  if (workerStarted) return;
  workerStarted = true;
  await stack.addWorker();
}

async function account(startCredits = 1_000) {
  return stack.newAccount({ credits: startCredits, apiRateLimit: 1_000 });
}

const n = (i: number) => `+336123${String(40_000 + i).padStart(5, "0")}`;

/** A list of the account's with these contacts. */
async function contactList(client: Salvo, contacts: { number: string; fields?: Record<string, string> }[]) {
  const { body } = await client.contactLists.create({ name: "Customers", country: "FR" });
  const id = body.data.id;
  if (contacts.length > 0)
    await client.contactLists.addContacts(
      id,
      contacts.map((c) => ({ number: c.number, fields: c.fields ?? {} })),
    );
  return id;
}

/** What the simulator was handed for a batch, by number. */
function handedOff(batchId: string): Map<string, string> {
  return new Map(
    stack
      .ledger()
      .filter((line) => parseMessageId(line.message_id)?.batchId === batchId)
      .map((line) => [line.to, line.body]),
  );
}

async function messages(batchId: string) {
  return stack.query<{
    idx: number;
    to: string;
    status: string;
    reason: string | null;
    segments: number;
    cost: number;
  }>(
    // Sent or since delivered: both handed off, as far as cost goes.
    `SELECT idx, "to", CASE WHEN status = 'delivered' THEN 'sent' ELSE status::text END AS status, reason, segments, cost
       FROM messages WHERE batch_id = $1 ORDER BY idx`,
    [batchId],
  );
}

async function reserved(batchId: string): Promise<number> {
  const [row] = await stack.query<{ reserved: number }>("SELECT reserved FROM batches WHERE id = $1", [
    batchId,
  ]);
  return row?.reserved ?? -1;
}

/** Waits for the batch, checks its counters sum to its total, and returns its attributes. */
async function finished(client: Salvo, batchId: string) {
  await ensureWorker();
  const a = (await client.batches.wait(batchId, { timeoutMs: 20_000 })).attributes;
  expect(a.pending).toBe(0);
  expect(BATCH_TOTAL_PARTS.reduce((sum, part) => sum + (a[part] as number), 0)).toBe(a.total);
  return a;
}

const ORDER =
  "Hello {{first_name}}, your order {{ order | N/A }} is ready for pickup at our Main Street store";

describe("a list snapshot, taken at acceptance", () => {
  it("sends the contacts as they were, whatever happens to the list after", async () => {
    const { client } = await account();
    const list = await contactList(client, [
      { number: n(1), fields: { first_name: "Ana" } },
      { number: n(2), fields: { first_name: "Bruno" } },
      { number: n(3), fields: { first_name: "Chloé" } },
    ]);
    const before = await credits(client);
    const { body } = await client.batches.create({
      from: "ACME",
      body: "Hi {{first_name}}!",
      contact_lists: [list],
    });
    const id = body.data.batch_id;
    // Edited and emptied before any worker ran: the batch keeps what it copied.
    await client.contactLists.addContacts(list, [
      { number: n(1), fields: { first_name: "Changed" } },
      { number: n(4), fields: { first_name: "Added later" } },
    ]);
    await client.contactLists.removeContact(list, n(2));
    await client.contactLists.delete(list);

    const a = await finished(client, id);
    expect([a.total, a.sent]).toEqual([3, 3]);
    expect(handedOff(id)).toEqual(
      new Map([
        [n(1), "Hi Ana!"],
        [n(2), "Hi Bruno!"],
        [n(3), "Hi Chloé!"],
      ]),
    );
    expect(before - (await credits(client))).toBe(a.cost);
    expect(a.cost).toBe(3);
  });
});

describe("templates", () => {
  it("fills JSON recipients' fields and defaults, each message with its own segments; credits exact", async () => {
    const { client } = await account();
    const before = await credits(client);
    const recipients: { to: string; ref?: string; fields: Record<string, string> }[] = [
      { to: n(10), fields: { first_name: "Ana", order: "A-1" } },
      { to: n(11), ref: "r-11", fields: { first_name: "Анна" } }, // Cyrillic: this message alone is UCS-2
      { to: n(12), fields: { first_name: "Bob" } },
    ];
    const texts = [
      "Hello Ana, your order A-1 is ready for pickup at our Main Street store",
      "Hello Анна, your order N/A is ready for pickup at our Main Street store",
      "Hello Bob, your order N/A is ready for pickup at our Main Street store",
    ];
    expect(texts.map(segmentCount)).toEqual([1, 2, 1]);
    const { body } = await client.batches.create({ from: "ACME", body: ORDER, recipients });
    const id = body.data.batch_id;
    // Reserved: the most any message takes (2), for each of the 3.
    expect(await reserved(id)).toBe(6);
    expect(before - (await credits(client))).toBe(6);

    const a = await finished(client, id);
    expect(handedOff(id)).toEqual(new Map(recipients.map((r, i) => [r.to, texts[i] as string])));
    expect((await messages(id)).map((m) => [m.status, m.segments, m.cost])).toEqual([
      ["sent", 1, 1],
      ["sent", 2, 2],
      ["sent", 1, 1],
    ]);
    expect(a.cost).toBe(4);
    expect(before - (await credits(client))).toBe(4);
  });

  it("refuses a JSON recipient without a field the body shows, naming it; nothing taken", async () => {
    const { client } = await account();
    const before = await credits(client);
    const error = await refusal(
      client.batches.create({
        from: "ACME",
        body: "Hi {{first_name}} [info1]",
        recipients: [
          { to: n(20), fields: { first_name: "Ana", info1: "x" } },
          { to: n(21), fields: { info1: "y" } },
        ],
      }),
    );
    expect([error.status, error.code, error.field]).toEqual([
      400,
      "INVALID_PARAMETER",
      "recipients.1.fields.first_name",
    ]);
    // The simulations and POST /v1/send refuse it the same way.
    for (const request of [
      () => client.batches.simulate({ from: "ACME", body: "Hi {{ first_name }}", recipients: [n(20)] }),
      () => client.simulateSend({ from: "ACME", body: "Hi {{ first_name }}", recipients: [n(20)] }),
      () => client.sendNow({ from: "ACME", body: "Hi {{ first_name }}", recipients: [n(20)] }),
    ]) {
      const refused = await refusal(request());
      expect([refused.status, refused.field]).toEqual([400, "recipients.0.fields.first_name"]);
    }
    const plain = await refusal(
      client.batches.create({ from: "ACME", body: "Hi [info2]", recipients: [n(22)] }),
    );
    expect(plain.field).toBe("recipients.0.fields.info2");
    expect(await credits(client)).toBe(before);
    expect((await client.batches.list()).body.data).toHaveLength(0);
  });

  it("counts a contact without a field `invalid` (missing_field), refunded; a repeated number `duplicated`", async () => {
    const { client } = await account();
    const list = await contactList(client, [
      { number: n(30), fields: { first_name: "Ana" } },
      { number: n(31) }, // no first_name, no default: not sent
      { number: n(32), fields: { first_name: "Zoë 😀" } }, // UCS-2
    ]);
    const other = await contactList(client, [{ number: n(30), fields: { first_name: "Again" } }]);
    const before = await credits(client);
    const body = `Dear {{first_name}}, ${"x".repeat(60)}`;
    const { body: created } = await client.batches.create({
      from: "ACME",
      body,
      // JSON recipients first, then each list's contacts in number order.
      recipients: [{ to: n(33), fields: { first_name: "Jo" } }],
      contact_lists: [list, other],
    });
    const id = created.data.batch_id;
    const a = await finished(client, id);
    expect({ total: a.total, sent: a.sent, invalid: a.invalid, duplicated: a.duplicated }).toEqual({
      total: 5,
      sent: 3,
      invalid: 1,
      duplicated: 1,
    });
    const rows = await messages(id);
    expect(rows.map((m) => [m.to, m.status, m.reason?.replace(/:\d+$/, "") ?? null])).toEqual([
      [n(33), "sent", null],
      [n(30), "sent", null],
      [n(31), "invalid", MISSING_FIELD],
      [n(32), "sent", null],
      [n(30), "duplicated", "duplicate_of"],
    ]);
    const zoe = `Dear Zoë 😀, ${"x".repeat(60)}`;
    expect(handedOff(id).get(n(32))).toBe(zoe);
    expect(rows.find((m) => m.to === n(32))?.cost).toBe(segmentCount(zoe));
    expect(segmentCount(zoe)).toBe(2);
    expect(rows.filter((m) => m.status === "sent" && m.to !== n(32)).every((m) => m.cost === 1)).toBe(true);
    expect(a.cost).toBe(4);
    expect(before - (await credits(client))).toBe(a.cost);
    expect(await reserved(id)).toBeGreaterThanOrEqual(5 * 2);
  });

  it("sends a plain body as it is, at the body's segments", async () => {
    const { client } = await account();
    const before = await credits(client);
    const text = "Sale {{ to day }} at 50%: [info9] {{ 1x }} {{ open";
    const { body } = await client.batches.create({ from: "ACME", body: text, recipients: [n(40), n(41)] });
    const a = await finished(client, body.data.batch_id);
    expect([...handedOff(body.data.batch_id).values()]).toEqual([text, text]);
    expect(a.cost).toBe(2);
    expect(before - (await credits(client))).toBe(2);
  });

  it("exports each message's fields as JSON in messages.csv", async () => {
    const { client } = await account();
    const list = await contactList(client, [{ number: n(50), fields: { first_name: "Ana", city: "Lyon" } }]);
    const { body } = await client.batches.create({
      from: "ACME",
      body: "Hi {{first_name}}",
      recipients: [
        { to: n(51), fields: { first_name: 'Bo, "the" one' } },
        { to: n(52), fields: { first_name: "Cy" } },
      ],
      contact_lists: [list],
    });
    const id = body.data.batch_id;
    await finished(client, id);
    const { body: csv } = await client.batches.exportCsv(id);
    const lines = csv.trim().split("\n");
    expect(lines[0]?.endsWith(",fields")).toBe(true);
    expect(lines[1]?.endsWith(`,"{""first_name"":""Bo, \\""the\\"" one""}"`)).toBe(true);
    expect(lines[3]?.endsWith(`,"{""city"":""Lyon"",""first_name"":""Ana""}"`)).toBe(true);
  });
});

describe("contact_lists", () => {
  it("takes only the account's own lists, naming the one refused; nothing taken", async () => {
    const { client } = await account();
    const { client: other } = await account();
    const theirs = await contactList(other, [{ number: n(60) }]);
    const mine = await contactList(client, [{ number: n(61) }]);
    const before = await credits(client);
    for (const lists of [
      [mine, theirs],
      [mine, "cl_unknown"],
    ]) {
      const error = await refusal(client.batches.create({ from: "ACME", body: "Hi", contact_lists: lists }));
      expect([error.status, error.code, error.field]).toEqual([400, "INVALID_PARAMETER", "contact_lists.1"]);
      const simulated = await refusal(
        client.batches.simulate({ from: "ACME", body: "Hi", contact_lists: lists }),
      );
      expect(simulated.field).toBe("contact_lists.1");
    }
    const empty = await contactList(client, []);
    const none = await refusal(client.batches.create({ from: "ACME", body: "Hi", contact_lists: [empty] }));
    expect([none.status, none.field]).toEqual([400, "contact_lists"]);
    const neither = await refusal(client.batches.create({ from: "ACME", body: "Hi" }));
    expect([neither.status, neither.field]).toEqual([400, "recipients"]);
    expect(await credits(client)).toBe(before);
    expect((await client.batches.list()).body.data).toHaveLength(0);
  });
});

describe("simulation and POST /v1/send", () => {
  it("simulates exactly what the batch then does, and sends a list synchronously", async () => {
    const { client } = await account();
    const list = await contactList(client, [
      { number: n(70), fields: { first_name: "Ana" } },
      { number: n(71) },
      { number: n(72), fields: { first_name: "Юлия" } },
    ]);
    const request = {
      from: "ACME",
      body: `Hi {{first_name}}, ${"y".repeat(65)}`,
      recipients: [{ to: n(73), fields: { first_name: "Li" } }],
      contact_lists: [list],
    };
    const before = await credits(client);
    const { body: simulated } = await client.batches.simulate(request);
    const s = simulated.data.attributes;
    expect({ total: s.total, sent: s.sent, invalid: s.invalid, cost: s.cost }).toEqual({
      total: 4,
      sent: 3,
      invalid: 1,
      cost: 1 + 1 + 2,
    });
    expect(s.reserved).toBe(s.segments * 4);
    const { body: sendSimulated } = await client.simulateSend(request);
    expect([sendSimulated.cost, sendSimulated.invalid, sendSimulated.sent]).toEqual([4, 1, 3]);
    expect(await credits(client)).toBe(before);

    await ensureWorker();
    const { body: sent } = await client.sendNow(request);
    expect([sent.sent, sent.invalid, sent.cost]).toEqual([3, 1, 4]);
    expect(sent.credits).toBe(before - 4);
    expect(await credits(client)).toBe(before - 4);
  });
});
