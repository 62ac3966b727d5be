// Data retention over real HTTP: GET/PUT /v1/account/retention and SMSFactor's
// /retention (JSON and XML) show and set the same settings; bad durations are a
// 400 naming the field (/v1) or status -7 (/smsfactor); a sub-account follows
// its parent's until it sets its own; an account sees and changes only its own.
// What the settings delete is tested with the worker (apps/worker/test/retention.test.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refusal, startTestApi, type TestApi } from "./harness";
import { smsfactorClient } from "./smsfactor-client";

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
});
afterAll(() => t?.stop());

const FAST = { apiRateLimit: 10_000 };
const KEPT = { message: "0", list: "0", survey: "0", campaign: "0" };
const DEFAULTS = { message: "default", list: "default", survey: "default", campaign: "default" };

async function account() {
  const created = await t.newAccount(FAST);
  return { ...created, sf: smsfactorClient(t.api.url, created.token) };
}

describe("/v1/account/retention", () => {
  it("keeps everything by default, and sets the kinds given (others stay)", async () => {
    const { client, accountId } = await account();
    const initial = await client.account.retention();
    expect(initial.body).toEqual({
      data: { type: "retention", attributes: { ...KEPT, sources: DEFAULTS } },
      links: { self: "/v1/account/retention" },
    });
    const set = await client.account.setRetention({ message: "2D", campaign: " 5m ", list: "1y" });
    expect(set.body.data.attributes).toEqual({
      message: "2d",
      list: "1y",
      survey: "0",
      campaign: "5m",
      sources: { ...DEFAULTS, message: "account", list: "account", campaign: "account" },
    });
    // "0" is kept until deleted, set on the account; null follows the default again.
    const again = await client.account.setRetention({ message: "0d", list: null });
    expect(again.body.data.attributes).toMatchObject({ message: "0", list: "0", campaign: "5m" });
    expect(again.body.data.attributes.sources).toMatchObject({ message: "account", list: "default" });
    const stored = await t.store.accounts.find(accountId);
    expect(stored).toMatchObject({ messageRetention: "0", listRetention: null, campaignRetention: "5m" });
    // An empty body changes nothing.
    expect((await client.account.setRetention({})).body.data.attributes.campaign).toBe("5m");
  });

  it("refuses bad durations with a 400 naming the field, and changes nothing", async () => {
    const { client } = await account();
    await client.account.setRetention({ campaign: "3m" });
    for (const bad of ["2", "2w", "-1d", "3651d", "121m", "11y", "1.5m", "", "forever", "d"]) {
      const refused = await refusal(client.account.setRetention({ message: bad, campaign: "1d" }));
      expect(refused, bad).toMatchObject({ status: 400, code: "INVALID_PARAMETER", field: "message" });
      expect(refused.message).toMatch(/"2d".*"0"/);
    }
    for (const body of [{ message: 2 }, { other: "2d" }, { message: ["2d"] }]) {
      const refused = await refusal(client.account.setRetention(body as never));
      expect(refused).toMatchObject({ status: 400 });
    }
    expect((await client.account.retention()).body.data.attributes).toMatchObject({
      message: "0",
      campaign: "3m",
    });
  });

  it("gives a sub-account its parent's until it sets its own; accounts see only their own", async () => {
    const parent = await account();
    const { body: sub } = await parent.client.subaccounts.create({ name: "Shop", credits: 0 });
    const { body: token } = await parent.client.subaccounts.tokens.create(sub.data.id, { label: "shop" });
    const child = t.client(token.data.attributes.token ?? "");
    await parent.client.account.setRetention({ message: "30d", list: "6m" });
    expect((await child.account.retention()).body.data.attributes).toEqual({
      ...KEPT,
      message: "30d",
      list: "6m",
      sources: { ...DEFAULTS, message: "parent", list: "parent" },
    });
    await child.account.setRetention({ message: "0", campaign: "1y" });
    expect((await child.account.retention()).body.data.attributes).toMatchObject({
      message: "0",
      list: "6m",
      campaign: "1y",
      sources: { message: "account", list: "parent", campaign: "account" },
    });
    // The sub-account's change is its own: the parent's and another account's stay.
    expect((await parent.client.account.retention()).body.data.attributes).toMatchObject({
      message: "30d",
      campaign: "0",
    });
    const other = await account();
    expect((await other.client.account.retention()).body.data.attributes).toMatchObject(KEPT);
  });
});

describe("SMSFactor /retention", () => {
  it("answers the retention in effect as strings, in JSON and XML", async () => {
    const { sf, client } = await account();
    expect((await sf.json("GET", "/retention")).body).toEqual({
      status: 1,
      message: "OK",
      data_retention: KEPT,
    });
    await client.account.setRetention({ message: "2d", survey: "5m" });
    const json = await sf.json("GET", "/retention");
    expect(json.http).toBe(200);
    expect(json.body).toEqual({
      status: 1,
      message: "OK",
      data_retention: { message: "2d", list: "0", survey: "5m", campaign: "0" },
    });
    const xml = await sf.xml("GET", "/retention");
    expect(xml.contentType).toMatch(/xml/);
    expect(xml.response).toMatchObject({
      status: "1",
      data_retention: { message: "2d", list: "0", survey: "5m", campaign: "0" },
    });
  });

  it("sets it with PUT in JSON and XML, seen by /v1", async () => {
    const { sf, client } = await account();
    const json = await sf.json("PUT", "/retention", {
      retention: { message: "2d", survey: "5m", list: "2m", campaign: "5m" },
    });
    expect(json.body).toEqual({
      status: 1,
      message: "OK",
      retention: { message: "2d", list: "2m", survey: "5m", campaign: "5m" },
    });
    expect((await client.account.retention()).body.data.attributes).toMatchObject({
      message: "2d",
      list: "2m",
      survey: "5m",
      campaign: "5m",
    });
    const xml = await sf.xml(
      "PUT",
      "/retention",
      '<?xml version="1.0" encoding="UTF-8"?><retention><message>1y</message><campaign>0</campaign></retention>',
    );
    expect(xml.response).toMatchObject({
      status: "1",
      retention: { message: "1y", list: "2m", survey: "5m", campaign: "0" },
    });
    // A number 0 is "0" too.
    expect((await sf.json("PUT", "/retention", { retention: { list: 0 } })).body).toMatchObject({
      status: 1,
      retention: { list: "0" },
    });
  });

  it("answers -7 to a bad duration or body, changing nothing", async () => {
    const { sf, client } = await account();
    await client.account.setRetention({ list: "2m" });
    for (const retention of [{ message: "2w" }, { list: "13" }, { campaign: "999y" }, { message: 2 }]) {
      const answer = await sf.json("PUT", "/retention", { retention });
      expect(answer.http).toBe(200);
      expect(answer.body, JSON.stringify(retention)).toMatchObject({
        status: -7,
        message: expect.any(String),
        details: expect.stringMatching(/retention\.(message|list|campaign)/),
      });
    }
    expect((await sf.json("PUT", "/retention", {})).body).toMatchObject({ status: -7 });
    const xml = await sf.xml("PUT", "/retention", "<retention><list>2 weeks</list></retention>");
    expect(xml.response).toMatchObject({ status: "-7" });
    expect((await client.account.retention()).body.data.attributes).toMatchObject({ ...KEPT, list: "2m" });
  });

  it("answers -1 without a valid token", async () => {
    const sf = smsfactorClient(t.api.url, "tok_nope.secret");
    expect((await sf.json("PUT", "/retention", { retention: { message: "2d" } })).body).toMatchObject({
      status: -1,
    });
  });
});
