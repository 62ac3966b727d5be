// `/v1/account/balance-alerts` through the SDK, on a real API, PostgreSQL and
// Redis: what it accepts and refuses, and the `balance.low` events written by
// the routes that debit, once per crossing even when many requests, on two API
// processes, debit at once.
import { Salvo } from "@salvo/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credits, refusal, startTestApi, type TestApi } from "./harness";

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
});
afterAll(() => t.stop());

const FAST = { apiRateLimit: 10_000 };

/** A new account with a webhook subscribed to `balance.low` (posting nowhere: no worker runs here). */
async function subscribed(balance: number) {
  const account = await t.newAccount({ ...FAST, credits: balance });
  await account.client.webhooks.create({ url: "http://127.0.0.1:9/events", events: ["balance.low"] });
  return account;
}

/** The account's `balance.low` events: the data of their bodies, oldest first. */
async function alerts(accountId: string) {
  const rows = await t.query<{ payload: string }>(
    "SELECT payload FROM webhook_events WHERE account_id = $1 AND type = 'balance.low' ORDER BY created_at, id",
    [accountId],
  );
  return rows.map((row) => (JSON.parse(row.payload) as { data: Record<string, unknown> }).data);
}

/** A one-segment batch to `n` numbers: a debit of `n` credits. */
const batchOf = (n: number) => ({
  from: "ACME",
  body: "Hello",
  recipients: Array.from({ length: n }, (_, i) => `+3361${String(i).padStart(7, "0")}`),
});

describe("PUT /v1/account/balance-alerts", () => {
  it("sets, shows (there and on the account) and clears the thresholds", async () => {
    const { client } = await t.newAccount({ ...FAST, credits: 42 });
    expect((await client.account.balanceAlerts()).body).toEqual({
      data: {
        type: "balance_alerts",
        attributes: {
          thresholds: [],
          credits: 42,
          email_enabled: false,
          email: null,
          sms_enabled: false,
          phone: null,
        },
      },
      links: { self: "/v1/account/balance-alerts" },
    });
    const set = await client.account.setBalanceAlerts({ thresholds: [100, 500, 0] });
    expect(set.status).toBe(200);
    expect(set.body.data.attributes.thresholds).toEqual([500, 100, 0]);
    expect((await client.account.balanceAlerts()).body.data.attributes.thresholds).toEqual([500, 100, 0]);
    expect((await client.account.get()).body.data.attributes.balance_alerts).toEqual([500, 100, 0]);
    await client.account.setBalanceAlerts({ thresholds: [] });
    expect((await client.account.get()).body.data.attributes.balance_alerts).toEqual([]);
  });

  it.each([
    [{ thresholds: 100 }, "thresholds"],
    [{ thresholds: [-1] }, "thresholds.0"],
    [{ thresholds: [10, 1.5] }, "thresholds.1"],
    [{ thresholds: ["100"] }, "thresholds.0"],
    [{ thresholds: [2_147_483_648] }, "thresholds.0"],
    [{ thresholds: [100, 100] }, "thresholds"],
    [{ thresholds: Array.from({ length: 11 }, (_, i) => i) }, "thresholds"],
    [{ thresholds: [1], extra: true }, "extra"],
    [{ email: "not an address" }, "email"],
    [{ email: 42 }, "email"],
    [{ phone: "12" }, "phone"],
    [{ phone: "+33 6 12" }, "phone"],
    [{ sms_enabled: "yes" }, "sms_enabled"],
    // Turned on with no destination.
    [{ sms_enabled: true }, "phone"],
    [{ sms_enabled: true, phone: "" }, "phone"],
    // This API has no SMTP_URL: e-mail alerts cannot be turned on.
    [{ email_enabled: true, email: "ops@example.com" }, "email_enabled"],
  ])("refuses %j: 400 naming %s, and changes nothing", async (body, field) => {
    const { client } = await t.newAccount(FAST);
    await client.account.setBalanceAlerts({ thresholds: [7] });
    const error = await refusal(client.call("PUT", "/v1/account/balance-alerts", body));
    expect(error).toMatchObject({ status: 400, code: "INVALID_PARAMETER", field });
    expect((await client.account.balanceAlerts()).body.data.attributes.thresholds).toEqual([7]);
  });

  it("sets the e-mail and SMS destinations (the number in E.164), kept by a change of thresholds", async () => {
    const { token } = await t.newAccount(FAST);
    // An API of an install that sends e-mail: SMTP_URL set (nothing is sent here).
    const client = new Salvo({
      baseUrl: (await t.startAnother({ SMTP_URL: "smtp://127.0.0.1:9" })).url,
      token,
    });
    const set = await client.account.setBalanceAlerts({
      thresholds: [100],
      email_enabled: true,
      email: "ops@example.com",
      sms_enabled: true,
      phone: "06 12 34 56 78",
    });
    expect(set.body.data.attributes).toEqual({
      thresholds: [100],
      credits: expect.any(Number),
      email_enabled: true,
      email: "ops@example.com",
      sms_enabled: true,
      phone: "+33612345678",
    });
    await client.account.setBalanceAlerts({ thresholds: [50] });
    expect((await client.account.balanceAlerts()).body.data.attributes).toMatchObject({
      thresholds: [50],
      email_enabled: true,
      email: "ops@example.com",
      sms_enabled: true,
      phone: "+33612345678",
    });
    // An address still needed while e-mail alerts are on; off, it may go.
    const error = await refusal(client.account.setBalanceAlerts({ email: null }));
    expect(error).toMatchObject({ status: 400, field: "email" });
    await client.account.setBalanceAlerts({ email_enabled: false, email: null, sms_enabled: false });
    expect((await client.account.balanceAlerts()).body.data.attributes).toMatchObject({
      email_enabled: false,
      email: null,
      sms_enabled: false,
      phone: "+33612345678",
    });
  });

  it("needs a token", async () => {
    const anonymous = new Salvo({ baseUrl: t.api.url });
    expect((await refusal(anonymous.account.setBalanceAlerts({ thresholds: [1] }))).status).toBe(401);
  });
});

describe("balance.low", () => {
  it("is written when a batch or a message takes the balance across a threshold, not before", async () => {
    const { client, accountId } = await subscribed(1_000);
    await client.account.setBalanceAlerts({ thresholds: [500, 100] });
    await client.batches.create(batchOf(400)); // 1000 → 600
    expect(await alerts(accountId)).toEqual([]);
    await client.batches.create(batchOf(150)); // 600 → 450
    expect(await alerts(accountId)).toEqual([
      { account_id: accountId, threshold: 500, balance: 450, at: expect.any(String) },
    ]);
    await client.batches.create(batchOf(349)); // 450 → 101
    await client.sms.send({ from: "ACME", to: "+33612345678", body: "Hello" }); // 101 → 100
    expect((await alerts(accountId)).map((a) => [a.threshold, a.balance])).toEqual([
      [500, 450],
      [100, 100],
    ]);
  });

  it("is written once when 50 batches on two API processes take the balance across it together", async () => {
    const { token, accountId } = await subscribed(1_000);
    const client = t.client(token);
    // By e-mail and SMS too (set through the store: this API has no SMTP_URL).
    await t.store.accounts.setBalanceAlerts(accountId, [750], {
      byEmail: true,
      email: "ops@example.com",
      bySms: true,
      phone: "+33600000001",
    });
    const other = new Salvo({ baseUrl: (await t.startAnother()).url, token });
    const accepted = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 ? client : other).batches.create(batchOf(10))),
    );
    expect(accepted.every((answer) => answer.status === 202)).toBe(true);
    expect(await credits(client)).toBe(500);
    expect(await alerts(accountId)).toEqual([
      { account_id: accountId, threshold: 750, balance: 750, at: expect.any(String) },
    ]);
    // One notice per channel, for the worker to deliver (apps/worker/test/balance-alerts.test.ts).
    const notices = await t.query(
      "SELECT channel, threshold, balance FROM balance_alert_notices WHERE account_id = $1 ORDER BY channel",
      [accountId],
    );
    expect(notices).toEqual([
      { channel: "email", threshold: 750, balance: 750 },
      { channel: "sms", threshold: 750, balance: 750 },
    ]);
  });
});
