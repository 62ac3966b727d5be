// Tenancy across every route: account A owns one of everything, made the way a
// user makes it (a batch and a single message sent by the workers, a synchronous
// send, a token, blacklist and NPAI entries, a contact list, a STOP and a reply from numbers it
// sent to, a webhook with deliveries); account B then tries every route with A's
// ids. Each answers 404 as for an id that exists nowhere, no list of B's shows
// anything of A's, none of A's events reach B's webhook, and A's things are as
// they were. Also: no GET ever shows a webhook's secret.
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { messageId } from "@salvo/core";
import { type Salvo, SalvoApiError } from "@salvo/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack, waitFor } from "./stack";

let stack: Stack;
const posted: { path: string; body: string }[] = [];
const receiver = createServer((req, res) => {
  let body = "";
  req.on("data", (chunk: Buffer) => {
    body += chunk.toString();
  });
  req.on("end", () => {
    posted.push({ path: req.url ?? "/", body });
    res.writeHead(200).end("ok");
  });
});
let receiverUrl: string;

interface Owned {
  client: Salvo;
  accountId: string;
  token: string;
  extraTokenId: string;
  batchId: string;
  sendTicket: string;
  smsId: string;
  webhookId: string;
  secret: string;
  contactListId: string;
}
let a: Owned;
let b: { client: Salvo; accountId: string; token: string; webhookId: string };

const SENT = ["+33612345601", "+33612345602"];
const SMS_TO = "+33612345603";
const BLACKLISTED = "+33612345604";
const NPAI = "+33612345605";
const CONTACT = "+33612345606";

async function refusal(request: Promise<unknown>) {
  const error = await request.then(
    () => new Error("expected a refusal"),
    (e: unknown) => e,
  );
  if (!(error instanceof SalvoApiError)) throw error;
  return { status: error.status, code: error.code };
}

beforeAll(async () => {
  stack = await startStack({ workers: 1 });
  receiver.listen(0, "127.0.0.1");
  await once(receiver, "listening");
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

  const options = { credits: 1_000, apiRateLimit: 1_000 };
  const ownerAccount = await stack.newAccount(options);
  const otherAccount = await stack.newAccount(options);
  const owner = ownerAccount.client;
  const other = otherAccount.client;
  const events = ["dlr", "mo", "stop", "batch.completed"] as const;
  // Both listen before anything happens: B's webhook must hear nothing of A's.
  const ownerHook = (await owner.webhooks.create({ url: `${receiverUrl}/a`, events: [...events] })).body.data;
  const otherHook = (await other.webhooks.create({ url: `${receiverUrl}/b`, events: [...events] })).body.data;

  const extra = (await owner.tokens.create({ label: "a-extra" })).body.data;
  const batch = (await owner.batches.create({ from: "ACME", body: "Hello", recipients: SENT })).body.data;
  await owner.batches.wait(batch.batch_id, { timeoutMs: 20_000 });
  const sms = (await owner.sms.send({ from: "ACME", to: SMS_TO, body: "Hi" })).body;
  await owner.sms.wait(sms.id, { timeoutMs: 20_000 });
  const sent = (await owner.sendNow({ from: "ACME", body: "Now", recipients: [SMS_TO] })).body;
  await owner.blacklist.add([BLACKLISTED]);
  await owner.npai.add([NPAI]);
  const contactList = (await owner.contactLists.create({ name: "A's clients" })).body.data;
  await owner.contactLists.addContacts(contactList.id, [{ number: CONTACT, fields: { first_name: "Ana" } }]);
  // Replies from numbers A sent to: an ordinary one, and a STOP that blacklists for A.
  const reply = (await owner.simulator.inbound({ from: SENT[0] as string, to: "ACME", body: "Thanks" })).body;
  expect(reply.data.attributes.account_matched).toBe(true);
  await owner.simulator.inbound({ from: SENT[1] as string, to: "ACME", body: "STOP" });
  // Every delivery report in, so that nothing of A's changes from here on.
  await waitFor("delivery reports", async () => {
    const [first, ticket, single] = await Promise.all([
      owner.batches.get(batch.batch_id),
      owner.batches.get(sent.ticket),
      owner.sms.get(sms.id),
    ]);
    return (
      first.body.data.attributes.delivered === SENT.length &&
      ticket.body.data.attributes.delivered === 1 &&
      single.body.status === "delivered"
    );
  });
  await waitFor("A's webhook deliveries", async () => {
    const { body } = await owner.webhooks.deliveries(ownerHook.id);
    return body.data.length >= 4;
  });

  a = {
    client: owner,
    accountId: ownerAccount.accountId,
    token: ownerAccount.token,
    extraTokenId: extra.id,
    batchId: batch.batch_id,
    sendTicket: sent.ticket,
    smsId: sms.id,
    webhookId: ownerHook.id,
    secret: ownerHook.attributes.secret,
    contactListId: contactList.id,
  };
  b = {
    client: other,
    accountId: otherAccount.accountId,
    token: otherAccount.token,
    webhookId: otherHook.id,
  };
}, 90_000);

afterAll(async () => {
  receiver.closeAllConnections();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  await stack?.stopAll();
});

/** Everything A can see of its own, through every GET route. */
async function everythingOf(owner: Owned) {
  const { client } = owner;
  const tokens = (await client.tokens.list()).body.data.map((t) => [t.id, t.attributes.revoked_at]);
  return {
    account: (await client.account.get()).body.data,
    tokens,
    batches: (await client.batches.list()).body,
    batch: (await client.batches.get(owner.batchId)).body,
    messages: (await client.batches.messages(owner.batchId)).body,
    ticket: (await client.batches.get(owner.sendTicket)).body,
    sms: (await client.sms.get(owner.smsId)).body,
    blacklist: (await client.blacklist.list()).body,
    npai: (await client.npai.list()).body,
    contactLists: (await client.contactLists.list()).body,
    contactList: (await client.contactLists.get(owner.contactListId)).body,
    contacts: (await client.contactLists.contacts(owner.contactListId)).body,
    replies: (await client.replies.list()).body,
    webhooks: (await client.webhooks.list()).body,
    webhook: (await client.webhooks.get(owner.webhookId)).body,
  };
}

describe("another account's ids", () => {
  it("answer 404 on every route that takes one, and change nothing", async () => {
    const before = await everythingOf(a);
    const other = b.client;
    const batchMessage = messageId(a.batchId, 0);
    const attempts: [string, () => Promise<unknown>][] = [
      ["DELETE /v1/tokens/:id (an extra token)", () => other.tokens.revoke(a.extraTokenId)],
      [
        "DELETE /v1/tokens/:id (the token in use)",
        () => other.tokens.revoke(a.token.split(".")[0] as string),
      ],
      ["GET /v1/batches/:id", () => other.batches.get(a.batchId)],
      ["GET /v1/batches/:id (a send's ticket)", () => other.batches.get(a.sendTicket)],
      ["GET /v1/batches/:id/messages", () => other.batches.messages(a.batchId)],
      [
        "GET /v1/batches/:id/messages?status=",
        () => other.batches.messages(a.batchId, { status: "delivered" }),
      ],
      ["GET /v1/batches/:id/messages?page=", () => other.batches.messages(a.sendTicket, { page: 1 })],
      ["GET /v1/batches/:id/replies", () => other.batches.replies(a.batchId)],
      ["GET /v1/batches/:id/stops", () => other.batches.stops(a.batchId)],
      ["GET /v1/batches/:id/npai", () => other.batches.npai(a.batchId)],
      ["GET /v1/batches/:id/messages.csv", () => other.batches.exportCsv(a.batchId)],
      ["GET /v1/batches/:id/messages.csv (a send's ticket)", () => other.batches.exportCsv(a.sendTicket)],
      ["GET /v1/sms/:id", () => other.sms.get(a.smsId)],
      ["GET /v1/sms/:id (a batch's message)", () => other.sms.get(batchMessage)],
      ["DELETE /v1/blacklist/:number", () => other.blacklist.remove(BLACKLISTED)],
      ["DELETE /v1/blacklist/:number (A's STOP)", () => other.blacklist.remove(SENT[1] as string)],
      ["DELETE /v1/npai/:number", () => other.npai.remove(NPAI)],
      ["GET /v1/contact-lists/:id", () => other.contactLists.get(a.contactListId)],
      ["PATCH /v1/contact-lists/:id", () => other.contactLists.update(a.contactListId, { name: "B's" })],
      [
        "POST /v1/contact-lists/:id/contacts",
        () => other.contactLists.addContacts(a.contactListId, [{ number: CONTACT }]),
      ],
      ["GET /v1/contact-lists/:id/contacts", () => other.contactLists.contacts(a.contactListId)],
      [
        "DELETE /v1/contact-lists/:id/contacts/:number",
        () => other.contactLists.removeContact(a.contactListId, CONTACT),
      ],
      ["POST /v1/contact-lists/:id/clean", () => other.contactLists.clean(a.contactListId)],
      ["GET /v1/contact-lists/:id/export", () => other.contactLists.export(a.contactListId)],
      ["DELETE /v1/contact-lists/:id", () => other.contactLists.delete(a.contactListId)],
      ["GET /v1/webhooks/:id", () => other.webhooks.get(a.webhookId)],
      ["GET /v1/webhooks/:id/deliveries", () => other.webhooks.deliveries(a.webhookId)],
      ["POST /v1/webhooks/:id/enable", () => other.webhooks.enable(a.webhookId)],
      ["DELETE /v1/webhooks/:id", () => other.webhooks.delete(a.webhookId)],
    ];
    for (const [route, attempt] of attempts) {
      expect([route, await refusal(attempt())]).toEqual([route, { status: 404, code: "NOT_FOUND" }]);
    }
    // Exactly as for ids that exist nowhere.
    expect(await refusal(other.batches.get("bat_01JD3ZZZZZZZZZZZZZZZZZZZZZ"))).toEqual({
      status: 404,
      code: "NOT_FOUND",
    });

    expect(await everythingOf(a)).toEqual(before);
    // A's tokens still work, both of them.
    await expect(stack.client(a.token).account.get()).resolves.toMatchObject({ status: 200 });
  });

  it("never show in another account's lists", async () => {
    const other = b.client;
    const aIds = JSON.stringify([
      a.batchId,
      a.sendTicket,
      a.smsId,
      a.webhookId,
      a.extraTokenId,
      a.accountId,
      a.contactListId,
    ]);
    const lists = {
      tokens: (await other.tokens.list()).body,
      batches: (await other.batches.list()).body,
      blacklist: (await other.blacklist.list()).body,
      npai: (await other.npai.list()).body,
      contactLists: (await other.contactLists.list()).body,
      replies: (await other.replies.list()).body,
      webhooks: (await other.webhooks.list()).body,
      deliveries: (await other.webhooks.deliveries(b.webhookId)).body,
      account: (await other.account.get()).body,
    };
    expect(lists.batches.data).toEqual([]);
    expect(lists.blacklist.data).toEqual([]);
    expect(lists.npai.data).toEqual([]);
    expect(lists.contactLists.data).toEqual([]);
    expect(lists.replies.data).toEqual([]);
    expect(lists.deliveries.data).toEqual([]);
    expect(lists.tokens.data.map((t) => t.attributes.label)).toEqual(["default"]);
    expect(lists.webhooks.data.map((w) => w.id)).toEqual([b.webhookId]);
    expect(lists.account.data).toMatchObject({ id: b.accountId, attributes: { credits: 1_000 } });
    const text = JSON.stringify(lists);
    for (const id of JSON.parse(aIds) as string[]) expect(text).not.toContain(id);
    for (const number of [...SENT, SMS_TO, BLACKLISTED, NPAI, CONTACT]) expect(text).not.toContain(number);

    // A's own lists hold all of it.
    expect((await a.client.replies.list()).body.data).toHaveLength(2);
    expect((await a.client.blacklist.list()).body.data.map((e) => e.number).sort()).toEqual(
      [BLACKLISTED, SENT[1]].sort(),
    );
  });

  it("send none of A's events to B's webhook", () => {
    expect(posted.filter((p) => p.path === "/a").length).toBeGreaterThan(0);
    expect(posted.filter((p) => p.path === "/b")).toEqual([]);
  });

  it("cannot be paired with another account's secret", async () => {
    const [aTokenId] = a.token.split(".");
    const bSecret = b.token.split(".")[1] as string;
    for (const auth of ["bearer", "basic", "api-key-headers"] as const) {
      const mixed = stack.client(`${aTokenId}.${bSecret}`, auth);
      expect(await refusal(mixed.account.get())).toEqual({ status: 401, code: "UNAUTHORIZED" });
    }
  });
});

describe("webhook secrets", () => {
  it("are shown when the webhook is created, and by no other answer", async () => {
    expect(a.secret).toMatch(/^whsec_/);
    const answers = {
      ...(await everythingOf(a)),
      deliveries: (await a.client.webhooks.deliveries(a.webhookId)).body,
      enabled: (await a.client.webhooks.enable(a.webhookId)).body,
    };
    const text = JSON.stringify(answers);
    expect(text).not.toContain(a.secret);
    expect(text).not.toContain(a.secret.slice("whsec_".length));
    expect(text).not.toMatch(/"secret"/);
    // Nor what is posted with it.
    expect(posted.map((p) => p.body).join("\n")).not.toContain(a.secret.slice("whsec_".length));
  });
});
