// SMSFactor's campaign history (/smsfactor/campaigns, /campaign/:id…) over
// batches sent through /smsfactor/send, without workers: the reference's shape
// (numbers as strings, `campaign` an array of one) in JSON and XML, the filters,
// sort and window of GET /campaigns, and tenancy. Campaigns that were delivered,
// replied to and STOPped are checked with real workers in
// apps/worker/test/smsfactor-send.test.ts.

import { parisDateTime } from "@salvo/core";
import type { Salvo } from "@salvo/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./harness";
import { asXmlText, type SfInit, sfJson, sfXml } from "./smsfactor-http";

let t: TestApi;
beforeAll(async () => {
  // No worker: a send answers after this wait, its batch still pending.
  t = await startTestApi({ SEND_TIMEOUT_MS: "50" });
});
afterAll(() => t?.stop());

interface Account {
  token: string;
  client: Salvo;
}
const json = (a: Account, path: string, init: SfInit = {}) =>
  sfJson(t.api.url, "GET", path, { token: a.token, ...init });
const xml = (a: Account, path: string) => sfXml(t.api.url, "GET", path, { token: a.token });

async function send(a: Account, text: string, numbers: string[], delay?: string): Promise<string> {
  const answer = await sfJson(t.api.url, "POST", "/send", {
    token: a.token,
    json: {
      sms: {
        message: { text, sender: "Shop", ...(delay ? { delay } : {}) },
        recipients: { gsm: numbers.map((value) => ({ value })) },
      },
    },
  });
  expect(answer.status).toBe(1);
  return answer.ticket as string;
}

const CAMPAIGN_FIELDS = [
  "id",
  "sender",
  "text",
  "creation_date",
  "date",
  "cost",
  "lists",
  "status",
  "delivery_rate",
  "delivered",
  "error",
  "expired",
  "network_error",
  "stop",
  "npai",
  "total",
];

/** `Y-m-d H:i:s` in Paris, `days` from now. */
const parisIn = (days: number, time = "10:00:00") =>
  `${parisDateTime(new Date(Date.now() + days * 86_400_000)).slice(0, 10)} ${time}`;
const later = parisIn(30);
const between = parisIn(15);

describe("campaigns", () => {
  let a: Account;
  let b: Account;
  const tickets: string[] = [];
  beforeAll(async () => {
    a = await t.newAccount({ apiRateLimit: 10_000, credits: 1_000 });
    b = await t.newAccount({ apiRateLimit: 10_000, credits: 1_000 });
    tickets.push(await send(a, "Special offer: shoes", ["33612345678"]));
    tickets.push(await send(a, "Second one", ["33612345678", "33612345677", "33612345676"]));
    tickets.push(await send(a, "Later on", ["33612345670"], later));
    await send(b, "Not yours", ["33612345678"]);
    // A delivered campaign's counters, as the workers leave them.
    await t.query(
      `UPDATE batches SET status = 'completed', pending = 0, sent = 3, delivered = 2, undelivered = 1, cost = 3
        WHERE id = $1`,
      [tickets[1]],
    );
  });

  it("GET /campaign/:id: an array of one, numbers as strings, dates in Paris time", async () => {
    const answer = await json(a, `/campaign/${tickets[1]}`);
    const batch = await t.row<{ createdAt: Date }>("batches", { id: tickets[1] });
    expect(answer).toEqual({
      status: 1,
      message: "OK",
      campaign: [
        {
          id: tickets[1],
          sender: "Shop",
          text: "Second one",
          creation_date: parisDateTime(batch.createdAt),
          date: parisDateTime(batch.createdAt),
          cost: "3",
          lists: [],
          status: "Sent",
          delivery_rate: "67",
          delivered: "2",
          error: "1",
          expired: "0",
          network_error: "0",
          stop: "0",
          npai: "0",
          total: "3",
        },
      ],
    });
    // The same in XML (lists empty: no <lists> element).
    const { lists: _lists, ...rest } = (answer.campaign as Record<string, unknown>[])[0] as Record<
      string,
      unknown
    >;
    expect(await xml(a, `/campaign/${tickets[1]}`)).toEqual({
      status: "1",
      message: "OK",
      campaign: [asXmlText(rest)],
    });
  });

  it("shows a delayed campaign with its sending date", async () => {
    const answer = await json(a, `/campaign/${tickets[2]}`);
    expect((answer.campaign as Record<string, unknown>[])[0]).toMatchObject({
      date: later,
      status: "Scheduled",
    });
  });

  it("GET /campaigns: the account's, newest first, with totalRecords and totalDisplayRecords", async () => {
    const answer = await json(a, "/campaigns");
    expect(answer).toMatchObject({ status: 1, message: "OK", totalRecords: 3, totalDisplayRecords: 3 });
    const campaigns = answer.campaigns as Record<string, unknown>[];
    // Newest first by sending date: the delayed one, then the latest sent.
    expect(campaigns.map((c) => c.id)).toEqual([tickets[2], tickets[1], tickets[0]]);
    for (const c of campaigns) expect(Object.keys(c)).toEqual(CAMPAIGN_FIELDS);

    const inXml = await xml(a, "/campaigns?length=2");
    expect(inXml).toMatchObject({ status: "1", totalRecords: "3", totalDisplayRecords: "3" });
    expect((inXml.campaigns as Record<string, unknown>[]).map((c) => c.id)).toEqual([tickets[2], tickets[1]]);
  });

  it.each<[string, () => string, (ids: string[]) => void]>([
    ["start and length", () => "?start=1&length=1", (ids) => expect(ids).toEqual([tickets[1]])],
    ["sort by cost, descending", () => "?sort=-cost", (ids) => expect(ids[0]).toBe(tickets[1])],
    ["sort by id", () => "?sort=id", (ids) => expect(ids).toEqual([...tickets].sort())],
    ["sort by date", () => "?sort=date", (ids) => expect(ids).toEqual(tickets)],
    ["text", () => "?text=OFFER", (ids) => expect(ids).toEqual([tickets[0]])],
    ["sms_min and sms_max", () => "?sms_min=2&sms_max=3", (ids) => expect(ids).toEqual([tickets[1]])],
    [
      "date_start",
      () => `?date_start=${encodeURIComponent(between)}`,
      (ids) => expect(ids).toEqual([tickets[2]]),
    ],
    [
      "date_end",
      () => `?date_end=${encodeURIComponent(between)}&sort=date`,
      (ids) => expect(ids).toEqual([tickets[0], tickets[1]]),
    ],
  ])("filters by %s", async (_name, query, check) => {
    const answer = await json(a, `/campaigns${query()}`);
    check((answer.campaigns as { id: string }[]).map((c) => c.id));
    expect(answer.totalRecords).toBe(3);
  });

  it.each(["?length=1001", "?start=-1", "?sort=price", "?date_start=yesterday"])(
    "refuses %s with -7",
    async (query) => {
      expect(await json(a, `/campaigns${query}`)).toMatchObject({ status: -7, details: expect.any(String) });
    },
  );

  it("keeps accounts apart: another account's campaign is not found (-5), in JSON and XML", async () => {
    expect(await json(b, `/campaign/${tickets[0]}`)).toMatchObject({ status: -5 });
    expect(await xml(b, `/campaign/${tickets[0]}/blacklist`)).toMatchObject({ status: "-5" });
    expect(await json(b, `/campaign/${tickets[0]}/mo`)).toMatchObject({ status: -5 });
    expect(await json(b, `/campaign/${tickets[0]}/npai`)).toMatchObject({ status: -5 });
    expect(await sfJson(t.api.url, "PUT", `/campaign/${tickets[0]}/npai`, { token: b.token })).toMatchObject({
      status: -5,
    });
    expect((await json(b, "/campaigns")).totalRecords).toBe(1);
  });

  it("shows the contact lists a campaign was sent to, as repeated <lists> in XML", async () => {
    const c = await t.newAccount({ apiRateLimit: 10_000, credits: 1_000 });
    const ids: string[] = [];
    for (const name of ["One", "Two"]) {
      const list = await c.client.contactLists.create({ name });
      await c.client.contactLists.addContacts(list.body.data.id, [{ number: "+33612345601" }]);
      ids.push(list.body.data.id);
    }
    const sent = await sfJson(t.api.url, "POST", "/send/lists", {
      token: c.token,
      json: { sms: { message: { text: "Hi", sender: "Shop" }, lists: ids.map((value) => ({ value })) } },
    });
    const answer = await json(c, `/campaign/${sent.ticket}`);
    expect((answer.campaign as { lists: unknown }[])[0]?.lists).toEqual(ids.map((id) => ({ id })));
    const inXml = await xml(c, `/campaign/${sent.ticket}`);
    expect((inXml.campaign as { lists: unknown }[])[0]?.lists).toEqual(ids.map((id) => ({ id })));
  });

  it("answers a campaign's STOPs, replies and NPAI, empty before any", async () => {
    expect(await json(a, `/campaign/${tickets[0]}/blacklist`)).toEqual({
      status: 1,
      message: "OK",
      stops: [],
    });
    expect(await json(a, `/campaign/${tickets[0]}/mo`)).toEqual({ status: 1, message: "OK", mo: [] });
    expect(await json(a, `/campaign/${tickets[0]}/npai`)).toEqual({ status: 1, message: "OK", npai: [] });
    expect(await xml(a, `/campaign/${tickets[0]}/blacklist`)).toEqual({ status: "1", message: "OK" });
    expect(await sfJson(t.api.url, "PUT", `/campaign/${tickets[0]}/npai`, { token: a.token })).toEqual({
      status: 1,
      message: "OK",
    });
  });
});
