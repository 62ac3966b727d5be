// SMSFactor's sending routes (/smsfactor/send…) without workers: what is stored
// for each form of request (an ordinary batch, visible in /v1/batches), the
// answers in JSON and XML, and every refusal with its code. Sends that finish
// (answered once handed off) are checked with real workers in
// apps/worker/test/smsfactor-send.test.ts.

import { parisDateTime } from "@salvo/core";
import type { Salvo } from "@salvo/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credits, startTestApi, type TestApi } from "./harness";
import { type SfInit, sfJson, sfRequest, sfXml } from "./smsfactor-http";

// No worker here: a send waits this long for its batch, then answers what is known.
const SEND_TIMEOUT_MS = 300;
const MENTION = "STOP au 36180";
let t: TestApi;
beforeAll(async () => {
  t = await startTestApi({
    SEND_TIMEOUT_MS: String(SEND_TIMEOUT_MS),
    OPT_OUT_MENTION: MENTION,
    LINK_BASE_URL: "https://s.example/",
    MODERATION_BLOCKED_WORDS: "casino",
  });
});
afterAll(() => t?.stop());

interface Account {
  token: string;
  accountId: string;
  client: Salvo;
}
async function newAccount(credits = 1_000): Promise<Account> {
  return t.newAccount({ apiRateLimit: 10_000, credits });
}

const json = (a: Account, method: string, path: string, init: SfInit & { json?: unknown } = {}) =>
  sfJson(t.api.url, method, path, { token: a.token, ...init });
const xml = (a: Account, method: string, path: string, init: SfInit & { xml?: string } = {}) =>
  sfXml(t.api.url, method, path, { token: a.token, ...init });

const sms = (message: Record<string, unknown>, gsm: unknown[]) => ({
  sms: { message: { sender: "Salvo", ...message }, recipients: { gsm } },
});

/** A batch row as stored. */
const batchRow = (id: string) =>
  t.row<{ body: string; type: string; sendAt: Date | null; total: number; sender: string; status: string }>(
    "batches",
    { id },
  );

/** The recipients a batch was accepted with, as its chunks keep them. */
async function storedRecipients(id: string): Promise<unknown[]> {
  const rows = await t.query<{ recipients: string }>(
    "SELECT recipients FROM batch_chunks WHERE batch_id = $1 ORDER BY idx",
    [id],
  );
  return rows.flatMap((row) => JSON.parse(row.recipients) as unknown[]);
}

/** `Y-m-d` in Paris, `days` from now, on the first day from then whose weekday is `weekday` (0 = Sunday). */
function parisDay(days: number, weekday: number): string {
  const FIXED_HOLIDAYS = ["01-01", "05-01", "05-08", "07-14", "08-15", "11-01", "11-11", "12-25"];
  for (let d = days; ; d++) {
    const date = parisDateTime(new Date(Date.now() + d * 86_400_000)).slice(0, 10);
    const day = new Date(`${date}T12:00:00Z`).getUTCDay();
    if (day === weekday && !FIXED_HOLIDAYS.includes(date.slice(5))) return date;
  }
}

const COUNTS = [
  "total",
  "sent",
  "blacklisted",
  "duplicated",
  "npai",
  "invalid",
  "not_allowed",
  "flood",
  "country_limit",
];

describe("sending: each form is an ordinary batch", () => {
  let a: Account;
  beforeAll(async () => {
    a = await newAccount();
  });

  it("GET /send (token in the query, the PHP SDK's [] body): a batch of one, gsmsmsid as its ref", async () => {
    const answer = await sfJson(
      t.api.url,
      "GET",
      `/send?text=Hello&to=33612345678&sender=Salvo&gsmsmsid=my-42&token=${a.token}`,
    );
    expect(answer).toMatchObject({ status: 1, message: "OK", ticket: expect.stringMatching(/^bat_/) });
    for (const name of ["cost", "credits", ...COUNTS]) expect(typeof answer[name]).toBe("number");
    expect(answer.total).toBe(1);
    // No worker: the answer says what is pending and where to poll.
    expect(answer.pending).toBe(1);
    expect(answer.links).toEqual({ self: `/smsfactor/batches/${answer.ticket}` });
    const ticket = answer.ticket as string;
    expect(await storedRecipients(ticket)).toEqual([["33612345678", "my-42"]]);
    expect(await batchRow(ticket)).toMatchObject({ body: "Hello", type: "transactional", sender: "Salvo" });
    // It is a /v1 batch like any other, under the same token.
    const listed = await a.client.batches.list();
    expect(listed.body.data.map((b) => b.id)).toContain(ticket);
    // And the asynchronous shape under the same base URL.
    const polled = await json(a, "GET", `/batches/${ticket}`);
    expect(polled).toMatchObject({
      data: { id: ticket, type: "batches", attributes: { total: 1 } },
      links: { self: `/smsfactor/batches/${ticket}` },
    });
  });

  it("POST /send in JSON: recipients with and without gsmsmsid", async () => {
    const answer = await json(a, "POST", "/send", {
      json: sms({ text: "Hi there", pushtype: "alert" }, [
        { value: "33612345678", gsmsmsid: "100" },
        { value: "33612345677" },
      ]),
    });
    expect(answer).toMatchObject({ status: 1, total: 2, ticket: expect.any(String) });
    expect(await storedRecipients(answer.ticket as string)).toEqual([["33612345678", "100"], "33612345677"]);
  });

  it("POST /send in XML, answered in XML: gsmsmsid attributes, CDATA text", async () => {
    const answer = await xml(a, "POST", "/send", {
      xml: `<?xml version="1.0" encoding="UTF-8"?>
<sms><message><text><![CDATA[Tom & Jerry <3]]></text><pushtype>alert</pushtype><sender>Salvo</sender><unicode>0</unicode></message>
<recipients><gsm gsmsmsid="100">33612345678</gsm><gsm gsmsmsid="101">33612345677</gsm></recipients></sms>`,
    });
    expect(answer).toMatchObject({
      status: "1",
      message: "OK",
      total: "2",
      ticket: expect.stringMatching(/^bat_/),
    });
    const ticket = answer.ticket as string;
    expect(await storedRecipients(ticket)).toEqual([
      ["33612345678", "100"],
      ["33612345677", "101"],
    ]);
    expect((await batchRow(ticket)).body).toBe("Tom & Jerry <3");
  });

  it("POST /send honours Idempotency-Key: a retry gets the first answer, one batch", async () => {
    const init = {
      headers: { "Idempotency-Key": "retry-me-1" },
      json: sms({ text: "Once" }, [{ value: "33612345678" }]),
    };
    const before = await t.count("batches");
    const first = await json(a, "POST", "/send", init);
    const again = await json(a, "POST", "/send", init);
    expect(again).toEqual(first);
    expect(await t.count("batches")).toBe(before + 1);
  });

  it("POST /send as the legacy form `data=<json>`", async () => {
    const answer = await json(a, "POST", "/send", {
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        data: JSON.stringify(sms({ text: "Form" }, [{ value: "0799175425" }])),
      }).toString(),
    });
    expect(answer).toMatchObject({ status: 1, total: 1, ticket: expect.any(String) });
  });

  it("reads `delay` in Europe/Paris time as the batch's send_at, and answers at once", async () => {
    const day = parisDay(10, 3);
    const answer = await json(a, "POST", "/send", {
      json: sms({ text: "Later", delay: `${day} 10:00:00` }, [{ value: "33612345678" }]),
    });
    expect(answer).toMatchObject({ status: 1, total: 1, sent: 0, pending: 1 });
    const { sendAt, status } = await batchRow(answer.ticket as string);
    expect(status).toBe("scheduled");
    // 10:00 in Paris, whatever its offset that day (checked by Intl, not by the code under test).
    const inParis = (sendAt as Date).toLocaleString("sv-SE", { timeZone: "Europe/Paris" });
    expect(inParis).toBe(`${day} 10:00:00`);
  });

  it("marketing: the opt-out mention appended, and refused (-4) outside the sending hours", async () => {
    const weekday = parisDay(3, 3);
    const sent = await json(a, "POST", "/send", {
      json: sms({ text: "Sale", pushtype: "marketing", delay: `${weekday} 10:00:00` }, [
        { value: "33612345678" },
      ]),
    });
    expect(sent.status).toBe(1);
    expect(await batchRow(sent.ticket as string)).toMatchObject({
      type: "marketing",
      body: `Sale\n${MENTION}`,
    });

    const before = await t.count("batches");
    const sunday = parisDay(3, 0);
    const refused = await json(a, "POST", "/send", {
      json: sms({ text: "Sale", pushtype: "marketing", delay: `${sunday} 03:00:00` }, [
        { value: "33612345678" },
      ]),
    });
    expect(refused).toMatchObject({ status: -4, message: "Incorrect date delay" });
    expect(refused.details).toMatch(/sending hours/);
    expect(await t.count("batches")).toBe(before);
  });

  it("replaces <-stop-> in an alert with the opt-out mention; keeps <-short-> with links", async () => {
    const answer = await json(a, "POST", "/send", {
      json: sms({ text: "Info <-stop->" }, [{ value: "33612345678" }]),
    });
    expect((await batchRow(answer.ticket as string)).body).toBe(`Info ${MENTION}`);
  });

  it("sends <-short-> markers as tracked links to `links`, in XML too (repeated <links>)", async () => {
    const answer = await json(a, "POST", "/send", {
      json: sms(
        { text: "See <-short-> and <-short->", links: ["https://example.com/a", "https://example.com/b"] },
        [{ value: "33612345678" }],
      ),
    });
    expect(answer.status).toBe(1);
    const row = await t.row<{ linkUrls: string[]; linkPrefix: string }>("batches", { id: answer.ticket });
    expect(row).toMatchObject({
      linkUrls: ["https://example.com/a", "https://example.com/b"],
      linkPrefix: "https://s.example/",
    });
    const inXml = await xml(a, "POST", "/send", {
      xml: "<sms><message><text><![CDATA[Go <-short->]]></text><sender>Salvo</sender><links>https://example.com/c</links></message><recipients><gsm>33612345678</gsm></recipients></sms>",
    });
    const xmlRow = await t.row<{ linkUrls: string[] }>("batches", { id: inXml.ticket });
    expect(xmlRow.linkUrls).toEqual(["https://example.com/c"]);
    // Links beyond the markers are left out (the reference's example sends one with no marker).
    const unmarked = await json(a, "POST", "/send", {
      json: sms({ text: "No marker", links: ["https://example.com/d"] }, [{ value: "33612345678" }]),
    });
    expect(unmarked.status).toBe(1);
    expect(
      (await t.row<{ linkUrls: string[] | null }>("batches", { id: unmarked.ticket })).linkUrls,
    ).toBeNull();
  });

  it("POST /batches and GET /batches/:id: the seed's asynchronous shape under /smsfactor", async () => {
    // Answered 202 at acceptance, as POST /v1/batches.
    const raw = await sfRequest(t.api.url, "POST", "/batches", {
      token: a.token,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ from: "Salvo", body: "Async", recipients: ["+33612345678"] }),
    });
    expect(raw.http).toBe(202);
    const accepted = JSON.parse(raw.text) as Record<string, unknown>;
    const id = (accepted.data as { batch_id: string }).batch_id;
    expect(accepted).toEqual({
      data: { batch_id: expect.stringMatching(/^bat_/), type: "batches" },
      links: { self: `/smsfactor/batches/${id}` },
    });
    const polled = await json(a, "GET", `/batches/${id}`);
    expect(polled).toMatchObject({ data: { id, attributes: { total: 1, from: "Salvo" } } });
    // XML on request, as on /v1; errors in SMSFactor's shape.
    const inXml = await sfXml(t.api.url, "GET", `/batches/${id}`, {
      token: a.token,
      headers: { Accept: "application/xml" },
    });
    expect(inXml).toMatchObject({ data: { id, type: "batches" } });
    expect(await json(a, "POST", "/batches", { json: { from: "Salvo" } })).toMatchObject({ status: -7 });
    const other = await newAccount();
    expect(await json(other, "GET", `/batches/${id}`)).toMatchObject({ status: -5 });
  });

  it("POST /send/lists: the account's contact lists (ids as strings), [info1] from the contacts' fields", async () => {
    const list = await a.client.contactLists.create({ name: "VIP" });
    const listId = list.body.data.id;
    await a.client.contactLists.addContacts(listId, [
      { number: "+33612345601", fields: { info1: "Louis" } },
      { number: "+33612345602", fields: { info1: "Hedy" } },
    ]);
    const body = { sms: { message: { text: "Hello [info1]", sender: "Salvo" }, lists: [{ value: listId }] } };
    const simulated = await json(a, "POST", "/send/lists/simulate", { json: body });
    expect(simulated).toMatchObject({ status: 1, total: 2, sent: 2, cost: 2 });
    expect(simulated).not.toHaveProperty("ticket");

    const answer = await json(a, "POST", "/send/lists", { json: body });
    expect(answer).toMatchObject({ status: 1, total: 2 });
    expect(await storedRecipients(answer.ticket as string)).toEqual([
      ["+33612345601", null, { info1: "Louis" }],
      ["+33612345602", null, { info1: "Hedy" }],
    ]);
    // In XML, one <lists><value>…</value></lists> per list.
    const inXml = await xml(a, "POST", "/send/lists/simulate", {
      xml: `<sms><message><text>Hello [info1]</text><sender>Salvo</sender></message><lists><value>${listId}</value></lists></sms>`,
    });
    expect(inXml).toMatchObject({ status: "1", total: "2" });
  });

  it("answers sends beyond the synchronous size at acceptance, saying where to poll", async () => {
    const big = await newAccount(20_000);
    const gsm = Array.from({ length: 10_001 }, (_, i) => ({ value: `336${String(10_000_000 + i)}` }));
    const answer = await json(big, "POST", "/send", { json: sms({ text: "Big" }, gsm) });
    expect(answer).toMatchObject({ status: 1, total: 10_001, pending: 10_001, sent: 0 });
    expect(answer.links).toEqual({ self: `/smsfactor/batches/${answer.ticket}` });
    // Its credits were reserved at acceptance.
    expect([answer.cost, answer.credits]).toEqual([10_001, 20_000 - 10_001]);
  });
});

describe("simulation", () => {
  it("answers the three forms without a ticket, stores and takes nothing", async () => {
    const a = await newAccount(10);
    const before = await t.count("batches");
    const get = await json(a, "GET", "/send/simulate?text=Hi&to=33612345678&sender=Salvo");
    expect(get).toEqual({
      status: 1,
      message: "OK",
      cost: 1,
      credits: 9,
      total: 1,
      sent: 1,
      blacklisted: 0,
      duplicated: 0,
      npai: 0,
      invalid: 0,
      not_allowed: 0,
      flood: 0,
      country_limit: 0,
    });
    const post = await xml(a, "POST", "/send/simulate", {
      xml: "<sms><message><text>Hi</text><sender>Salvo</sender></message><recipients><gsm>33612345678</gsm><gsm>12</gsm><gsm>33612345678</gsm></recipients></sms>",
    });
    expect(post).toMatchObject({ status: "1", total: "3", sent: "1", invalid: "1", duplicated: "1" });
    expect(post).not.toHaveProperty("ticket");
    expect(await t.count("batches")).toBe(before);
    expect(await credits(a.client)).toBe(10);
  });
});

describe("DELETE /send/:ticket", () => {
  it("cancels a delayed send and answers the balance after its refund", async () => {
    const a = await newAccount(100);
    const sent = await json(a, "POST", "/send", {
      json: sms({ text: "Later", delay: `${parisDay(5, 3)} 11:00:00` }, [
        { value: "33612345678" },
        { value: "33612345677" },
      ]),
    });
    expect(sent.credits).toBe(98);
    const ticket = sent.ticket as string;
    const canceled = await json(a, "DELETE", `/send/${ticket}`);
    expect(canceled).toEqual({ status: 1, message: "OK", credits: 100 });
    expect((await batchRow(ticket)).status).toBe("canceled");
    expect(await credits(a.client)).toBe(100);
    // Twice: nothing left to cancel (-7); in XML too.
    expect(await xml(a, "DELETE", `/send/${ticket}`)).toMatchObject({ status: "-7" });
  });

  it("refuses a send that has started (-7), an unknown ticket and another account's (-5)", async () => {
    const a = await newAccount(100);
    const b = await newAccount(100);
    const started = await json(a, "GET", "/send?text=Now&to=33612345678&sender=Salvo");
    expect(await json(a, "DELETE", `/send/${started.ticket}`)).toMatchObject({ status: -7 });
    expect(await json(a, "DELETE", "/send/bat_nope")).toMatchObject({ status: -5 });
    expect(await json(b, "DELETE", `/send/${started.ticket}`)).toMatchObject({ status: -5 });
    expect(await credits(a.client)).toBe(99);
  });
});

describe("refusals: HTTP 200, a negative status, nothing stored", () => {
  let a: Account;
  beforeAll(async () => {
    a = await newAccount(5);
  });

  const valid = (text = "Hi") => sms({ text }, [{ value: "33612345678" }]);
  it.each<[string, number, () => SfInit & { json?: unknown }]>([
    [
      "not enough credits",
      -3,
      () => ({ json: sms({ text: "Hi" }, Array(6).fill({ value: "33612345678" })) }),
    ],
    [
      "a missing text",
      -7,
      () => ({ json: { sms: { message: { sender: "Salvo" }, recipients: { gsm: [] } } } }),
    ],
    ["no recipients", -7, () => ({ json: { sms: { message: { text: "Hi", sender: "Salvo" } } } })],
    [
      "a sender Salvo cannot send from",
      -7,
      () => ({ json: sms({ text: "Hi", sender: "Salmon et fils" }, [{ value: "33612345678" }]) }),
    ],
    [
      "no sender and no approved one",
      -7,
      () => ({ json: { sms: { message: { text: "Hi" }, recipients: { gsm: [{ value: "33612345678" }] } } } }),
    ],
    [
      "a bad pushtype",
      -7,
      () => ({ json: sms({ text: "Hi", pushtype: "spam" }, [{ value: "33612345678" }]) }),
    ],
    [
      "a delay in the past",
      -4,
      () => ({ json: sms({ text: "Hi", delay: "2020-01-01 10:00:00" }, [{ value: "33612345678" }]) }),
    ],
    [
      "a malformed delay",
      -4,
      () => ({ json: sms({ text: "Hi", delay: "2027-01-01T10:00:00+01:00" }, [{ value: "33612345678" }]) }),
    ],
    [
      "a delay beyond 90 days",
      -4,
      () => ({
        json: sms({ text: "Hi", delay: `${parisDay(120, 3)} 10:00:00` }, [{ value: "33612345678" }]),
      }),
    ],
    ["bad JSON", -6, () => ({ body: '{"sms": {' })],
    ["an invalid token", -1, () => ({ token: "tok_x.y", json: valid() })],
  ])("%s → %i", async (_name, status, init) => {
    const before = await t.count("batches");
    const answer = await json(a, "POST", "/send", init());
    expect(answer).toEqual({ status, message: expect.any(String), details: expect.any(String) });
    expect(await t.count("batches")).toBe(before);
    expect(await credits(a.client)).toBe(5);
  });

  it("names the field in SMSFactor's terms", async () => {
    const answer = await json(a, "POST", "/send", {
      json: sms({ text: "Hi", sender: "Salmon et fils" }, [{ value: "33612345678" }]),
    });
    expect(answer.details).toMatch(/^sms\.message\.sender: /);
    const long = await json(a, "POST", "/send", {
      json: sms({ text: "Hi" }, [{ value: "33612345678", gsmsmsid: "x".repeat(300) }]),
    });
    expect(long).toMatchObject({
      status: -7,
      details: expect.stringMatching(/^sms\.recipients\.gsm\.0\.gsmsmsid: /),
    });
  });

  it("answers bad XML with -2, in XML", async () => {
    expect(await xml(a, "POST", "/send", { xml: "<sms><message><text>Hi</text></sms>" })).toMatchObject({
      status: "-2",
      message: "XML error",
    });
  });

  it("answers a list of another account (tenancy) with -5", async () => {
    const other = await newAccount(100);
    const list = await other.client.contactLists.create({ name: "Theirs" });
    await other.client.contactLists.addContacts(list.body.data.id, [{ number: "+33612345601" }]);
    const body = { sms: { message: { text: "Hi", sender: "Salvo" }, lists: [list.body.data.id] } };
    expect(await json(a, "POST", "/send/lists", { json: body })).toMatchObject({ status: -5 });
    expect(
      await json(a, "POST", "/send/lists", {
        json: { sms: { message: { text: "Hi", sender: "Salvo" }, lists: [45190] } },
      }),
    ).toMatchObject({ status: -5 });
  });

  it("answers a campaign held for moderation with -8 and its data", async () => {
    const b = await newAccount(100);
    const answer = await json(b, "POST", "/send", {
      json: sms({ text: "Best casino" }, [{ value: "33612345678" }]),
    });
    expect(answer).toMatchObject({
      status: -8,
      ticket: expect.stringMatching(/^bat_/),
      total: 1,
      credits: 99,
    });
    expect((await batchRow(answer.ticket as string)).status).toBe("moderation");
    // Its simulation says so too, without a ticket.
    const simulated = await xml(b, "POST", "/send/simulate", {
      xml: "<sms><message><text>Best casino</text><sender>Salvo</sender></message><recipients><gsm>33612345678</gsm></recipients></sms>",
    });
    expect(simulated).toMatchObject({ status: "-8", total: "1" });
    expect(simulated).not.toHaveProperty("ticket");
  });
});
