// Country settings over HTTP, through the SDK: what the account reads (the
// settings in effect, where they come from, this month's usage), a parent
// setting its sub-accounts' allowed countries within its own, validation, and
// the simulations counting not_allowed and country_limit as the usage stands.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refusal, startTestApi, type TestApi } from "./harness";

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
});
afterAll(() => t?.stop());

const FAST = { apiRateLimit: 10_000, credits: 1_000 };

async function parentAndSub() {
  const parent = await t.newAccount(FAST);
  const { body } = await parent.client.subaccounts.create({ name: "Shop", credits: 10 });
  const { body: token } = await parent.client.subaccounts.tokens.create(body.data.id, { label: "shop" });
  return { parent, subId: body.data.id, sub: t.client(token.data.attributes.token ?? "") };
}

/** Records `count` messages to `country` as sent this month, as the workers' quota does. */
async function used(accountId: string, country: string, count: number) {
  await t.query(
    `INSERT INTO country_usage (account_id, month, country, count)
     VALUES ($1, date_trunc('month', now() AT TIME ZONE 'UTC')::date, $2, $3)`,
    [accountId, country, count],
  );
}

describe("GET /v1/account/countries", () => {
  it("shows the default: the account's own country, no limits", async () => {
    const { client } = await t.newAccount(FAST);
    const { body } = await client.account.countries();
    expect(body).toEqual({
      data: {
        type: "countries",
        attributes: {
          allowed_countries: ["BL", "FR", "GF", "GP", "MF", "MQ", "RE", "YT"],
          allowed_countries_from: "default",
          monthly_limits: {},
          monthly_limits_from: "default",
          usage: { time_zone: "UTC", month: new Date().toISOString().slice(0, 7), sent: {}, remaining: {} },
        },
      },
      links: { self: "/v1/account/countries" },
    });
    const { body: account } = await client.account.get();
    expect(account.data.attributes.countries).toEqual({
      allowed_countries: ["BL", "FR", "GF", "GP", "MF", "MQ", "RE", "YT"],
      monthly_limits: {},
    });
  });

  it("shows what an operator set, and this month's usage of each limited country", async () => {
    const { client, accountId } = await t.newAccount(FAST);
    await t.store.accounts.update(accountId, {
      allowedCountries: ["BE", "ES", "FR"],
      countryLimits: { BE: 100, ES: 10 },
    });
    await used(accountId, "BE", 40);
    const { body } = await client.account.countries();
    expect(body.data.attributes).toMatchObject({
      allowed_countries: ["BE", "ES", "FR"],
      allowed_countries_from: "account",
      monthly_limits: { BE: 100, ES: 10 },
      monthly_limits_from: "account",
      usage: { sent: { BE: 40, ES: 0 }, remaining: { BE: 60, ES: 10 } },
    });
    expect((await client.account.get()).body.data.attributes.countries).toEqual({
      allowed_countries: ["BE", "ES", "FR"],
      monthly_limits: { BE: 100, ES: 10 },
    });
  });
});

describe("/v1/subaccounts/:id/countries", () => {
  it("sets a sub-account's allowed countries within the parent's, null giving back the parent's", async () => {
    const { parent, subId, sub } = await parentAndSub();
    await t.store.accounts.update(parent.accountId, {
      allowedCountries: ["BE", "FR"],
      countryLimits: { BE: 5 },
    });
    expect((await parent.client.subaccounts.countries(subId)).body.data.attributes).toMatchObject({
      allowed_countries: ["BE", "FR"],
      allowed_countries_from: "parent",
      monthly_limits: { BE: 5 },
      monthly_limits_from: "parent",
      usage: { sent: { BE: 0 } },
    });
    const set = await parent.client.subaccounts.setCountries(subId, { allowed_countries: ["be"] });
    expect(set.body).toMatchObject({
      data: { attributes: { allowed_countries: ["BE"], allowed_countries_from: "account" } },
      links: { self: `/v1/subaccounts/${subId}/countries` },
    });
    expect((await sub.account.countries()).body.data.attributes.allowed_countries).toEqual(["BE"]);

    const outside = await refusal(
      parent.client.subaccounts.setCountries(subId, { allowed_countries: ["ES", "FR"] }),
    );
    expect(outside).toMatchObject({ status: 400, code: "INVALID_PARAMETER", field: "allowed_countries" });
    expect(outside.message).toMatch(/ES not among this account's own allowed countries/);
    for (const bad of [["XX"], [], "FR", [1]]) {
      const refused = await refusal(
        parent.client.subaccounts.setCountries(subId, { allowed_countries: bad as string[] }),
      );
      expect(refused).toMatchObject({ status: 400, code: "INVALID_PARAMETER" });
      expect(refused.field).toMatch(/^allowed_countries/);
    }
    expect((await sub.account.countries()).body.data.attributes.allowed_countries).toEqual(["BE"]);

    await parent.client.subaccounts.setCountries(subId, { allowed_countries: null });
    expect((await sub.account.countries()).body.data.attributes).toMatchObject({
      allowed_countries: ["BE", "FR"],
      allowed_countries_from: "parent",
    });
  });

  it("is the parent's alone: another account's sub-account is not found, a sub-account is refused", async () => {
    const { subId, sub } = await parentAndSub();
    const other = await t.newAccount(FAST);
    expect(await refusal(other.client.subaccounts.countries(subId))).toMatchObject({ status: 404 });
    expect(
      await refusal(other.client.subaccounts.setCountries(subId, { allowed_countries: ["FR"] })),
    ).toMatchObject({ status: 404 });
    expect(await refusal(sub.subaccounts.countries(subId))).toMatchObject({
      status: 403,
      code: "SUBACCOUNT_FORBIDDEN",
    });
  });
});

describe("simulations", () => {
  it("count not_allowed and country_limit as this month's usage stands, taking none of it", async () => {
    const { client, accountId } = await t.newAccount(FAST);
    await t.store.accounts.update(accountId, { allowedCountries: ["BE", "FR"], countryLimits: { BE: 3 } });
    await used(accountId, "BE", 1);
    const recipients = [
      "+32470120001",
      "+32470120002",
      "+32470120003",
      "+32470120004",
      "0612345601",
      "+12123450001",
      "+34612345678",
    ];
    const batch = { from: "ACME", body: "hi", recipients };
    for (let i = 0; i < 2; i++) {
      const { body: simulated } = await client.batches.simulate(batch);
      expect(simulated.data.attributes).toMatchObject({
        total: 7,
        sent: 3,
        not_allowed: 2,
        country_limit: 2,
        cost: 3,
      });
      const { body: send } = await client.simulateSend(batch);
      expect(send).toMatchObject({ total: 7, sent: 3, not_allowed: 2, country_limit: 2, cost: 3 });
    }
    expect((await client.account.countries()).body.data.attributes.usage.sent).toEqual({ BE: 1 });
  });
});
