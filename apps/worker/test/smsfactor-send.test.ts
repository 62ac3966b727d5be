// SMSFactor-compatible sends through the whole stack (API, workers, simulator):
// answered once every message is judged and handed off, with the counts of its
// batch; gsmsmsid kept as the message's ref; [info1] filled from the contacts;
// the campaign then shows its deliveries, its STOPs, replies and NPAI.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SfInit, sfJson, sfXml } from "../../api/test/smsfactor-http";
import { type Stack, startStack, waitFor } from "./stack";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ workers: 1 });
});
afterAll(() => stack?.stopAll());

const json = (token: string, method: string, path: string, init: SfInit & { json?: unknown } = {}) =>
  sfJson(stack.api.url, method, path, { token, ...init });

describe("a send through the simulator", () => {
  let token: string;
  let client: Awaited<ReturnType<Stack["newAccount"]>>["client"];
  beforeAll(async () => {
    ({ token, client } = await stack.newAccount({ credits: 100, apiRateLimit: 1_000 }));
  });

  it("GET /send: answered once handed off, gsmsmsid as the message's ref, visible in /v1/batches", async () => {
    const answer = await json(
      token,
      "GET",
      "/send?text=Your%20code%20is%201234&to=33611110001&sender=Shop&gsmsmsid=order-7",
    );
    expect(answer).toEqual({
      status: 1,
      message: "OK",
      ticket: expect.stringMatching(/^bat_/),
      cost: 1,
      credits: 99,
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
    const ticket = answer.ticket as string;
    const handedOff = stack.ledger().filter((line) => line.to === "+33611110001");
    expect(handedOff.map((line) => [line.from, line.body])).toEqual([["Shop", "Your code is 1234"]]);
    const { body: messages } = await client.batches.messages(ticket);
    expect(messages.data.map((m) => [m.attributes.to, m.attributes.ref])).toEqual([
      ["+33611110001", "order-7"],
    ]);
    const { body: batch } = await client.batches.get(ticket);
    expect(batch.data.attributes).toMatchObject({ total: 1, sent: 1, cost: 1, pending: 0 });
  });

  it("POST /send in XML: the counts of the judged batch, in XML", async () => {
    const answer = await sfXml(stack.api.url, "POST", "/send", {
      token,
      xml: `<sms><message><text>Hi</text><sender>Shop</sender></message><recipients>
        <gsm gsmsmsid="a">33611110002</gsm><gsm gsmsmsid="b">33611110002</gsm><gsm>12</gsm><gsm>33611110003</gsm>
      </recipients></sms>`,
    });
    expect(answer).toMatchObject({
      status: "1",
      total: "4",
      sent: "2",
      duplicated: "1",
      invalid: "1",
      cost: "2",
    });
    expect(answer).not.toHaveProperty("pending");
  });

  it("POST /send/lists: [info1] filled from each contact's fields", async () => {
    const list = await client.contactLists.create({ name: "Friends" });
    await client.contactLists.addContacts(list.body.data.id, [
      { number: "+33611110011", fields: { info1: "Louis" } },
      { number: "+33611110012", fields: { info1: "Hedy" } },
    ]);
    const answer = await json(token, "POST", "/send/lists", {
      json: {
        sms: { message: { text: "Hello [info1]", sender: "Shop" }, lists: [{ value: list.body.data.id }] },
      },
    });
    expect(answer).toMatchObject({ status: 1, total: 2, sent: 2 });
    const texts = stack
      .ledger()
      .filter((line) => line.to.startsWith("+3361111001"))
      .map((line) => [line.to, line.body]);
    expect(texts).toEqual([
      ["+33611110011", "Hello Louis"],
      ["+33611110012", "Hello Hedy"],
    ]);
    // A STOP from a contact: the campaign's blacklist shows the fields it was sent with.
    await client.simulator.inbound({ from: "33611110011", to: "Shop", body: "STOP" });
    const stops = await json(token, "GET", `/campaign/${answer.ticket}/blacklist`);
    expect(stops.stops).toEqual([
      {
        destination: "33611110011",
        info1: "Louis",
        info2: null,
        info3: null,
        info4: null,
        date: expect.any(String),
      },
    ]);
  });
});

describe("the campaign afterwards", () => {
  it("shows deliveries, NPAI found by delivery reports, STOPs and replies", async () => {
    const { token, client } = await stack.newAccount({ credits: 100, apiRateLimit: 1_000 });
    // 99: the simulator reports it unknown (NPAI); 98: undelivered.
    const answer = await json(token, "POST", "/send", {
      json: {
        sms: {
          message: { text: "Sale", sender: "Shop" },
          recipients: { gsm: [{ value: "33622220001" }, { value: "33622220098" }, { value: "33622220099" }] },
        },
      },
    });
    expect(answer).toMatchObject({ status: 1, total: 3, sent: 3 });
    const ticket = answer.ticket as string;
    await client.batches.wait(ticket, {
      timeoutMs: 20_000,
      until: (batch) => batch.attributes.delivered + batch.attributes.undelivered === 3,
    });
    await client.simulator.inbound({ from: "33622220001", to: "Shop", body: "STOP" });
    await client.simulator.inbound({ from: "33622220098", to: "Shop", body: "Who is this?" });

    const campaign = await waitFor("the campaign's STOP", async () => {
      const found = await json(token, "GET", `/campaign/${ticket}`);
      const [first] = found.campaign as Record<string, string>[];
      return first?.stop === "1" ? first : null;
    });
    expect(campaign).toMatchObject({
      status: "Sent",
      total: "3",
      delivered: "1",
      error: "2",
      delivery_rate: "33",
      npai: "1",
      cost: "3",
    });
    // Found by one of its numbers (messages are written by the workers), with or without +.
    for (const destination of ["33622220098", "%2B33622220098"]) {
      const found = await json(token, "GET", `/campaigns?destination=${destination}`);
      expect((found.campaigns as { id: string }[]).map((c) => c.id)).toEqual([ticket]);
    }
    const stops = await json(token, "GET", `/campaign/${ticket}/blacklist`);
    expect(stops.stops).toEqual([
      {
        destination: "33622220001",
        info1: null,
        info2: null,
        info3: null,
        info4: null,
        date: expect.any(String),
      },
    ]);
    const mo = await json(token, "GET", `/campaign/${ticket}/mo`);
    expect(
      (mo.mo as { destination: string; message: string }[]).map((r) => [r.destination, r.message]).sort(),
    ).toEqual([
      ["33622220001", "STOP"],
      ["33622220098", "Who is this?"],
    ]);
    const npai = await sfXml(stack.api.url, "GET", `/campaign/${ticket}/npai`, { token });
    expect(npai).toMatchObject({
      status: "1",
      npai: { destination: "33622220099", date: expect.any(String) },
    });
  });
});
