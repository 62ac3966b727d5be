// SMSFactor's account and token routes (reference §3, §5) over real HTTP, in JSON
// and XML: the reference's field names and types, errors as HTTP 200 with a
// negative status, tenancy (-5), and the same data as /v1 shows.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refusal, startTestApi, type TestApi } from "./harness";
import { elements, type SmsfactorClient, smsfactorClient } from "./smsfactor-client";

let t: TestApi;
beforeAll(async () => {
  // Tokens are read from the database on every request: an expiry set by a test applies at once.
  // SMTP_URL: balance alerts by e-mail may be turned on (nothing is sent: no worker runs here).
  t = await startTestApi({ AUTH_CACHE_MS: "0", SMTP_URL: "smtp://127.0.0.1:9" });
});
afterAll(() => t?.stop());

const FAST = { apiRateLimit: 10_000 };

/** A new account (with `credits`), its /v1 client and its SMSFactor client. */
async function account(credits = 100) {
  const created = await t.newAccount({ ...FAST, credits });
  return { ...created, sf: smsfactorClient(t.api.url, created.token) };
}

/** A new sub-account of `parent`, made through `POST /account`. */
async function subAccountOf(sf: SmsfactorClient, fields: Record<string, unknown> = {}) {
  const { body } = await sf.json("POST", "/account", {
    account: { email: "shop@example.com", password: "secret123", isChild: 1, unlimited: 0, ...fields },
  });
  expect(body).toMatchObject({ status: 1, message: "OK" });
  return body.id as string;
}

/** The `tok_…` id (/v1's) of a full token. */
const v1IdOf = (token: string) => token.split(".")[0];

/** Expects an SMSFactor error: HTTP 200 and a negative integer status, with `details`. */
function expectError(answer: { http: number; body: unknown }, status: number) {
  expect(answer.http).toBe(200);
  expect(answer.body).toMatchObject({ status, message: expect.any(String), details: expect.any(String) });
}

describe("GET /credits", () => {
  it("answers the balance as a string, and the postpaid fields, in JSON and XML", async () => {
    const { sf } = await account(4321);
    const json = await sf.json("GET", "/credits");
    expect(json.http).toBe(200);
    expect(json.contentType).toMatch(/^application\/json/);
    expect(json.body).toEqual({
      status: 1,
      message: "OK",
      credits: "4321",
      postpaid: "0",
      postpaid_limit: false,
      unlimited: false,
    });
    const xml = await sf.xml("GET", "/credits");
    expect(xml.http).toBe(200);
    expect(xml.contentType).toMatch(/xml/);
    expect(xml.response).toMatchObject({
      status: "1",
      message: "OK",
      credits: "4321",
      postpaid: "0",
      postpaid_limit: "false",
      unlimited: "false",
    });
  });

  it("answers a bad token with status -1 and HTTP 200", async () => {
    const sf = smsfactorClient(t.api.url, "tok_0000000000000000.notarealsecretnotarealsecret");
    expectError(await sf.json("GET", "/credits"), -1);
  });
});

describe("GET /account", () => {
  it("answers the account with the reference's fields", async () => {
    const { sf, accountId } = await account(50);
    const { body } = await sf.json("GET", "/account");
    expect(body).toEqual({
      status: 1,
      message: "OK",
      account: {
        client_id: accountId,
        email: "",
        firstname: "",
        lastname: "",
        city: "",
        type: "company",
        company: "test",
        phone: "",
        address1: "",
        address2: null,
        zip: "",
        country: "",
        country_code: "FR",
        lang: "EN",
        credits: "50",
        unlimited: "0",
        description: "test",
        senderid: "",
        status: "1",
      },
    });
    const xml = await sf.xml("GET", "/account");
    expect(xml.response.account).toMatchObject({
      client_id: accountId,
      credits: "50",
      country_code: "FR",
      address2: "null",
      status: "1",
    });
  });
});

describe("POST /account and /sub-accounts", () => {
  it("creates a sub-account (JSON) seen by /v1/subaccounts, with credits moved from the parent", async () => {
    const parent = await account(500);
    const { body } = await parent.sf.json("POST", "/account", {
      account: {
        email: "shop@example.com",
        password: "secret123",
        firstname: "Elliot",
        lastname: "Alderson",
        company: "Allsafe",
        isChild: 1,
        unlimited: 0,
        credits: 120,
      },
    });
    expect(body).toEqual({ status: 1, message: "OK", id: expect.stringMatching(/^acc_/), active: 1 });
    const v1 = await parent.client.subaccounts.get(body.id);
    expect(v1.body.data.attributes).toMatchObject({
      name: "Allsafe",
      credits: 120,
      parent_id: parent.accountId,
    });
    expect((await parent.sf.json("GET", "/credits")).body.credits).toBe("380");
  });

  it("creates a sub-account from an XML body", async () => {
    const parent = await account();
    const xml = await parent.sf.xml(
      "POST",
      "/account",
      `<?xml version="1.0" encoding="UTF-8"?><account><email>mr@robot.com</email><password>secret123</password><firstname>Elliot</firstname><lastname>Alderson</lastname><isChild>1</isChild><unlimited>0</unlimited></account>`,
    );
    expect(xml.response).toMatchObject({ status: "1", message: "OK", id: expect.stringMatching(/^acc_/) });
    const v1 = await parent.client.subaccounts.get(xml.response.id);
    expect(v1.body.data.attributes.name).toBe("Elliot Alderson");
  });

  it("lists sub-accounts (XML elements <sub-account>) and shows one; another account's is -5", async () => {
    const parent = await account();
    const first = await subAccountOf(parent.sf, { description: "First" });
    const second = await subAccountOf(parent.sf, { description: "Second" });
    const { body } = await parent.sf.json("GET", "/sub-accounts");
    expect(body.status).toBe(1);
    expect(body["sub-accounts"].map((s: { client_id: string }) => s.client_id).sort()).toEqual(
      [first, second].sort(),
    );
    expect(body["sub-accounts"][0]).toEqual({
      client_id: expect.any(String),
      email: "",
      firstname: "",
      lastname: "",
      city: "",
      phone: "",
      address1: "",
      address2: null,
      zip: "",
      country: "",
      country_code: "FR",
      lang: "EN",
      credits: "0",
      unlimited: "0",
      description: expect.any(String),
      senderid: "",
      status: "1",
      time_zone: "Europe/Paris",
      current_month_consumption: 0,
      previous_month_consumption: 0,
    });
    const xml = await parent.sf.xml("GET", "/sub-accounts");
    expect(xml.text).toContain("<sub-account>");
    expect(
      elements(xml.response["sub-account"])
        .map((s: { client_id: string }) => s.client_id)
        .sort(),
    ).toEqual([first, second].sort());

    const one = await parent.sf.json("GET", `/sub-accounts/${first}`);
    expect(one.body).toMatchObject({ status: 1, "sub-account": { client_id: first, description: "First" } });
    const oneXml = await parent.sf.xml("GET", `/sub-accounts/${first}`);
    expect(oneXml.response["sub-account"]).toMatchObject({ client_id: first, description: "First" });

    const stranger = await account();
    expectError(await stranger.sf.json("GET", `/sub-accounts/${first}`), -5);
    expect((await stranger.sf.xml("GET", `/sub-accounts/${first}`)).response.status).toBe("-5");
  });

  it("refuses a sub-account's own sub-accounts (-1: one level)", async () => {
    const parent = await account();
    const subId = await subAccountOf(parent.sf);
    const made = (await parent.sf.json("POST", `/token/account/${subId}`, { token: { name: "shop" } })).body;
    const sub = smsfactorClient(t.api.url, made.token);
    expectError(await sub.json("POST", "/account", { account: { email: "a@b.c" } }), -1);
    expectError(await sub.json("GET", "/sub-accounts"), -1);
  });

  it("reads the legacy form encoding (data=<json>)", async () => {
    const parent = await account();
    const answer = await parent.sf.raw("POST", "/account", {
      "Content-Type": "application/x-www-form-urlencoded",
      body: `data=${encodeURIComponent(JSON.stringify({ account: { email: "form@example.com" } }))}`,
    });
    expect(answer.body).toMatchObject({ status: 1, id: expect.stringMatching(/^acc_/) });
  });

  it("refuses what it cannot do with a negative status, creating nothing", async () => {
    const parent = await account();
    expectError(await parent.sf.json("POST", "/account", { account: { password: "secret123" } }), -7);
    expectError(
      await parent.sf.json("POST", "/account", { account: { email: "a@b.c", isChild: 1, unlimited: 1 } }),
      -7,
    );
    expectError(await parent.sf.json("POST", "/account", { account: { email: "a@b.c", credits: 1000 } }), -3);
    expect((await parent.client.subaccounts.list()).body.data).toEqual([]);
  });
});

// /retention: see retention.test.ts.

describe("/notification/balance", () => {
  it("sets the account's balance alert, seen by /v1/account/balance-alerts, in JSON and XML", async () => {
    const { sf, client } = await account();
    expect((await sf.json("GET", "/notification/balance")).body).toEqual({
      status: 1,
      message: "OK",
      notification: { alert_email: "0", alert_gsm: "0", email: "", phone_number: "", alert_trigger: "0" },
    });
    const put = await sf.json("PUT", "/notification/balance", {
      notification: { alert_trigger: "500", alert_email: "1", alert_gsm: "0", email: "ops@example.com" },
    });
    expect(put.body).toMatchObject({
      status: 1,
      notification: { alert_trigger: "500", alert_email: "1", alert_gsm: "0", email: "ops@example.com" },
    });
    expect((await client.account.balanceAlerts()).body.data.attributes).toMatchObject({
      thresholds: [500],
      email_enabled: true,
      email: "ops@example.com",
    });

    const xml = await sf.xml(
      "PUT",
      "/notification/balance",
      "<notification><alert_trigger>42</alert_trigger></notification>",
    );
    expect(xml.response.notification).toMatchObject({ alert_trigger: "42" });
    expect((await sf.xml("GET", "/notification/balance")).response.notification.alert_trigger).toBe("42");
    expect((await client.account.balanceAlerts()).body.data.attributes.thresholds).toEqual([42]);

    await sf.json("PUT", "/notification/balance", { notification: { alert_trigger: "0" } });
    expect((await client.account.balanceAlerts()).body.data.attributes.thresholds).toEqual([]);
    expectError(
      await sf.json("PUT", "/notification/balance", { notification: { alert_trigger: "many" } }),
      -7,
    );
  });

  it("sends alerts by SMS to a number written as SMSFactor writes them, shown the same way", async () => {
    const { sf, client } = await account();
    const put = await sf.json("PUT", "/notification/balance", {
      notification: { alert_trigger: "100", alert_gsm: "1", phone_number: "33612345678" },
    });
    expect(put.body).toMatchObject({
      status: 1,
      notification: { alert_gsm: "1", phone_number: "33612345678" },
    });
    expect((await client.account.balanceAlerts()).body.data.attributes).toMatchObject({
      sms_enabled: true,
      phone: "+33612345678",
    });
    // A national number is read with the account's country.
    await sf.json("PUT", "/notification/balance", {
      notification: { alert_trigger: "100", phone_number: "0612345679" },
    });
    expect((await sf.json("GET", "/notification/balance")).body.notification).toMatchObject({
      alert_gsm: "1",
      phone_number: "33612345679",
    });
  });

  it.each([
    [{ alert_trigger: "100", alert_gsm: "1", phone_number: "12" }, "notification.phone_number"],
    [{ alert_trigger: "100", alert_gsm: "1" }, "notification.phone_number"],
    [{ alert_trigger: "100", alert_email: "1", email: "not an address" }, "notification.email"],
    [{ alert_trigger: "100", alert_email: "1" }, "notification.email"],
  ])("refuses %j with -7 naming %s, and changes nothing", async (notification, field) => {
    const { sf, client } = await account();
    const answer = await sf.json("PUT", "/notification/balance", { notification });
    expectError(answer, -7);
    expect(JSON.stringify(answer.body)).toContain(field);
    expect((await client.account.balanceAlerts()).body.data.attributes).toMatchObject({
      thresholds: [],
      email_enabled: false,
      sms_enabled: false,
    });
  });
});

describe("/account/invoice", () => {
  // Sends, the CSV and tenancy: apps/worker/test/lookup-statements.test.ts.
  it("lists monthly statements (a new account's first credits), an unknown one is -5", async () => {
    const { sf } = await account(100);
    const month = new Date().toISOString().slice(0, 7);
    const { body } = await sf.json("GET", "/account/invoice");
    expect(body).toMatchObject({ status: 1, message: "OK" });
    expect(body.invoices).toEqual([
      expect.objectContaining({ id: month, credits_added: 100, credits_spent: 0, closing_balance: 100 }),
    ]);
    expect((await sf.json("GET", `/account/invoice/${month}`)).body.invoice).toEqual(body.invoices[0]);
    expectError(await sf.json("GET", "/account/invoice/12"), -5);
    expectError(await sf.json("GET", "/account/invoice/2001-01"), -5);
    expect((await sf.xml("GET", "/account/invoice/12/download")).response.status).toBe("-5");
  });
});

describe("/token", () => {
  it("creates a token shown once and stored hashed, that authenticates /smsfactor and /v1", async () => {
    const { sf, client } = await account();
    const { body } = await sf.json("POST", "/token", { token: { name: "Best token ever" } });
    expect(body).toEqual({
      status: 1,
      message: "OK",
      token: expect.stringMatching(/^tok_/),
      token_id: expect.stringMatching(/^[1-9]\d*$/),
      allowed_ips: null,
    });
    const stored = await t.query<{ secret_hash: string; id: string }>(
      "SELECT secret_hash, id FROM api_tokens WHERE numeric_id = $1",
      [body.token_id],
    );
    expect(stored[0]?.id).toBe(v1IdOf(body.token));
    expect(stored[0]?.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(body.token).not.toContain(stored[0]?.secret_hash);
    expect((await smsfactorClient(t.api.url, body.token).json("GET", "/credits")).body.status).toBe(1);
    expect((await t.client(body.token).account.get()).status).toBe(200);
    const v1 = await client.tokens.list();
    expect(v1.body.data.find((token) => token.id === v1IdOf(body.token))?.attributes.label).toBe(
      "Best token ever",
    );
  });

  it("lists and shows tokens with the reference's fields; a ttl expires the token", async () => {
    const { sf, client } = await account();
    const created = await sf.xml("POST", "/token", "<token><name>Short</name><ttl>3600</ttl></token>");
    expect(created.response).toMatchObject({ status: "1", token: expect.stringMatching(/^tok_/) });
    const id = created.response.token_id as string;
    const [row] = await t.query<{ seconds: number }>(
      "SELECT extract(epoch FROM expires_at - created_at)::int AS seconds FROM api_tokens WHERE numeric_id = $1",
      [id],
    );
    expect(row?.seconds).toBe(3600);
    const v1 = (await client.tokens.list()).body.data.find(
      (token) => token.id === v1IdOf(created.response.token),
    );
    expect(v1?.attributes.expires_at).toMatch(/^\d{4}-\d\d-\d\dT/);

    const list = await sf.json("GET", "/token");
    expect(list.body.status).toBe(1);
    const short = list.body.tokens.find(
      (token: { api_token_id: number }) => token.api_token_id === Number(id),
    );
    expect(short).toEqual({
      name: "Short",
      api_token_id: Number(id),
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
      expired_at: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
      ttl: 3600,
      is_active: "1",
      allowed_ips: null,
    });
    const forever = list.body.tokens.find(
      (token: { api_token_id: number }) => token.api_token_id !== Number(id),
    );
    expect(forever).toMatchObject({ expired_at: null, ttl: null, is_active: "1" });
    const listXml = await sf.xml("GET", "/token");
    expect(
      elements(listXml.response.tokens).map((token: { api_token_id: string }) => token.api_token_id),
    ).toContain(id);

    expect((await sf.json("GET", `/token/${id}`)).body).toEqual({ status: 1, message: "OK", token: short });
    expect((await sf.xml("GET", `/token/${id}`)).response.token).toMatchObject({
      api_token_id: id,
      ttl: "3600",
    });

    // Its expiry passes: authentication refuses it, and the list shows it inactive.
    await t.query("UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE numeric_id = $1", [
      id,
    ]);
    expectError(await smsfactorClient(t.api.url, created.response.token).json("GET", "/credits"), -1);
    expect((await refusal(t.client(created.response.token).account.get())).status).toBe(401);
    expect((await sf.json("GET", `/token/${id}`)).body.token.is_active).toBe("0");
  });

  it("refuses a bad allowed_ips entry (named), too many entries and a bad ttl (-7), making no token", async () => {
    const { sf, client } = await account();
    const bad = await sf.json("POST", "/token", {
      token: { name: "x", allowed_ips: ["192.168.2.0/24", "192.168.2.300"] },
    });
    expectError(bad, -7);
    expect(bad.body.details).toContain("token.allowed_ips");
    expect(bad.body.details).toContain('"192.168.2.300"');
    const many = Array.from({ length: 101 }, (_, i) => `10.0.0.${i}`);
    expectError(await sf.json("POST", "/token", { token: { name: "x", allowed_ips: many } }), -7);
    const xmlBad = await sf.xml("POST", "/token", "<token><allowed_ips>10.0.0.0/40</allowed_ips></token>");
    expect(xmlBad.response.status).toBe("-7");
    expectError(await sf.json("POST", "/token", { token: { name: "x", ttl: -5 } }), -7);
    expect((await sf.xml("POST", "/token", "<token><ttl>soon</ttl></token>")).response.status).toBe("-7");
    expect((await client.tokens.list()).body.data).toHaveLength(1);
  });

  it("deletes a token (deleted_token): it authenticates nothing more; /v1 shows it revoked", async () => {
    const { sf, client } = await account();
    const made = (await sf.json("POST", "/token", { token: { name: "spare" } })).body;
    const deleted = await sf.json("DELETE", `/token/${made.token_id}`);
    expect(deleted.body).toEqual({ status: 1, message: "OK", deleted_token: Number(made.token_id) });
    expectError(await smsfactorClient(t.api.url, made.token).json("GET", "/credits"), -1);
    const v1 = await client.tokens.list();
    expect(
      v1.body.data.find((token) => token.id === v1IdOf(made.token))?.attributes.revoked_at,
    ).not.toBeNull();
    expectError(await sf.json("GET", `/token/${made.token_id}`), -5);
    expectError(await sf.json("DELETE", `/token/${made.token_id}`), -5);

    const other = (await sf.json("POST", "/token", { token: { name: "other" } })).body;
    const xml = await sf.xml("DELETE", `/token/${other.token_id}`);
    expect(xml.response).toMatchObject({ status: "1", deleted_token: other.token_id });
  });

  it("still takes a token's /v1 id (tok_…) in paths", async () => {
    const { sf } = await account();
    const made = (await sf.json("POST", "/token", { token: { name: "legacy" } })).body;
    const shown = await sf.json("GET", `/token/${v1IdOf(made.token)}`);
    expect(shown.body.token).toMatchObject({ name: "legacy", api_token_id: Number(made.token_id) });
    expect((await sf.json("DELETE", `/token/${v1IdOf(made.token)}`)).body).toEqual({
      status: 1,
      message: "OK",
      deleted_token: Number(made.token_id),
    });
  });

  it("refuses to delete the account's last live token (-7), as /v1 does", async () => {
    const { sf, client } = await account();
    const [only] = (await client.tokens.list()).body.data;
    expectError(await sf.json("DELETE", `/token/${only?.id}`), -7);
    expect((await sf.json("GET", "/credits")).body.status).toBe(1);
  });

  it("keeps another account's tokens out of reach (-5)", async () => {
    const owner = await account();
    const stranger = await account();
    const made = (await owner.sf.json("POST", "/token", { token: { name: "mine" } })).body;
    expectError(await stranger.sf.json("GET", `/token/${made.token_id}`), -5);
    expectError(await stranger.sf.json("DELETE", `/token/${made.token_id}`), -5);
    expect((await stranger.sf.json("GET", "/token")).body.tokens).toHaveLength(1);
    expect((await owner.sf.json("GET", "/credits")).body.status).toBe(1);
    expect((await smsfactorClient(t.api.url, made.token).json("GET", "/credits")).body.status).toBe(1);
  });

  it("creates a sub-account's token (POST /token/account/:id); another account's sub-account is -5", async () => {
    const parent = await account();
    const subId = await subAccountOf(parent.sf);
    const { body } = await parent.sf.json("POST", `/token/account/${subId}`, {
      token: { name: "shop", ttl: 60 },
    });
    expect(body).toMatchObject({
      status: 1,
      token: expect.stringMatching(/^tok_/),
      token_id: expect.any(String),
    });
    const asSub = await smsfactorClient(t.api.url, body.token).json("GET", "/account");
    expect(asSub.body.account.client_id).toBe(subId);
    const xml = await parent.sf.xml("POST", `/token/account/${subId}`, "<token><name>shop2</name></token>");
    expect(xml.response).toMatchObject({ status: "1", token_id: expect.stringMatching(/^[1-9]\d*$/) });

    const stranger = await account();
    expectError(await stranger.sf.json("POST", `/token/account/${subId}`, { token: { name: "x" } }), -5);
  });
});
