// Operators' account routes over HTTP through the SDK (admin tokens): create an
// account and its first token (answered once), add and remove credits (a
// `top_up` movement, balance alerts crossed), and change its limits, as
// `salvo accounts create|update` do on the database.
import type { Salvo } from "@salvo/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credits, refusal, startTestApi, type TestApi } from "./harness";

let t: TestApi;
let admin: Salvo;
beforeAll(async () => {
  t = await startTestApi({ AUTH_CACHE_MS: "0" });
  admin = t.client((await t.store.adminTokens.create("tests")).token);
});
afterAll(() => t?.stop());

/** The account's credit movements, oldest first. */
const movements = (accountId: string) =>
  t.query<{ reason: string; change: number; balance: number }>(
    "SELECT reason, change, balance FROM credit_movements WHERE account_id = $1 ORDER BY id",
    [accountId],
  );

describe("POST /v1/admin/accounts", () => {
  it("creates an account with its credits and limits, and answers its first token once", async () => {
    const { status, body, headers } = await admin.admin.accounts.create({
      name: " Shop ",
      credits: 500,
      api_requests_per_second: 40,
      default_country: "be",
    });
    expect(status).toBe(201);
    const id = body.data.id;
    expect(headers.get("location")).toBe(`/v1/admin/accounts/${id}`);
    expect(body.data.attributes).toMatchObject({
      name: "Shop",
      credits: 500,
      default_country: "BE",
      limits: { api_requests_per_second: 40, messages_per_second: null },
      countries: { monthly_limits: {} },
    });
    expect(body.data.attributes.countries.allowed_countries).toContain("BE");
    // The token works, is stored hashed only, and is not shown again.
    const client = t.client(body.meta.token);
    expect((await client.account.get()).body.data).toMatchObject({ id, attributes: { credits: 500 } });
    const stored = await t.query<{ secret_hash: string }>(
      "SELECT secret_hash FROM api_tokens WHERE account_id = $1",
      [id],
    );
    expect(stored).toHaveLength(1);
    expect(body.meta.token).not.toContain(stored[0]?.secret_hash);
    expect(JSON.stringify((await admin.admin.accounts.get(id)).body)).not.toContain(body.meta.token);
    expect(t.logs.join("\n")).not.toContain(body.meta.token);
    expect(await movements(id)).toEqual([{ reason: "top_up", change: 500, balance: 500 }]);
  });

  it("defaults to no credits, 15 requests a second and France", async () => {
    const { body } = await admin.admin.accounts.create({ name: "Bare" });
    expect(body.data.attributes).toMatchObject({
      credits: 0,
      default_country: "FR",
      limits: { api_requests_per_second: 15 },
    });
    expect(await movements(body.data.id)).toEqual([]);
  });

  it("refuses invalid input with 400 naming the field, and an account's token with 401", async () => {
    const bad = [
      [{ name: "" }, "name"],
      [{ name: "x", credits: -1 }, "credits"],
      [{ name: "x", credits: 1.5 }, "credits"],
      [{ name: "x", api_requests_per_second: 0 }, "api_requests_per_second"],
      [{ name: "x", default_country: "XX" }, "default_country"],
      [{ name: "x", token: "mine" }, undefined],
    ] as const;
    const before = await t.count("accounts");
    for (const [input, field] of bad) {
      const refused = await refusal(admin.admin.accounts.create(input as never));
      expect([refused.status, refused.code], JSON.stringify(input)).toEqual([400, "INVALID_PARAMETER"]);
      if (field) expect(refused.field).toBe(field);
    }
    const { client } = await t.newAccount();
    const refused = await refusal(client.admin.accounts.create({ name: "mine" }));
    expect([refused.status, refused.code]).toEqual([401, "UNAUTHORIZED"]);
    expect(await t.count("accounts")).toBe(before + 1);
  });
});

describe("POST /v1/admin/accounts/:id/credits", () => {
  it("adds and removes credits as top-ups, within 0..2^31-1", async () => {
    const { accountId, client } = await t.newAccount({ credits: 100 });
    const added = await admin.admin.accounts.credit(accountId, 400);
    expect(added.body.data.attributes.credits).toBe(500);
    expect((await admin.admin.accounts.credit(accountId, -150)).body.data.attributes.credits).toBe(350);
    expect(await credits(client)).toBe(350);
    expect((await movements(accountId)).slice(-2)).toEqual([
      { reason: "top_up", change: 400, balance: 500 },
      { reason: "top_up", change: -150, balance: 350 },
    ]);

    const tooMany = await refusal(admin.admin.accounts.credit(accountId, -351));
    expect([tooMany.status, tooMany.code, tooMany.field]).toEqual([400, "INVALID_PARAMETER", "credits"]);
    const overflow = await refusal(admin.admin.accounts.credit(accountId, 2_147_483_647));
    expect(overflow.status).toBe(400);
    const zero = await refusal(admin.admin.accounts.credit(accountId, 0));
    expect([zero.status, zero.field]).toEqual([400, "amount"]);
    expect(await credits(client)).toBe(350);
    expect(await movements(accountId)).toHaveLength(3);
  });

  it("writes the balance alert a removal crosses", async () => {
    const { accountId } = await t.newAccount({ credits: 1_000 });
    await t.store.accounts.setBalanceAlerts(accountId, [500], { byEmail: true, email: "ops@example.com" });
    await admin.admin.accounts.credit(accountId, -600);
    // The e-mail notice of the crossing, which the workers' sweep delivers.
    const notices = await t.query(
      "SELECT channel, threshold, balance FROM balance_alert_notices WHERE account_id = $1",
      [accountId],
    );
    expect(notices).toEqual([{ channel: "email", threshold: 500, balance: 400 }]);
  });

  it("answers 404 for an unknown account, and changes nothing", async () => {
    const before = await t.query("SELECT sum(credits)::text AS total FROM accounts");
    const refused = await refusal(admin.admin.accounts.credit("acc_nobody", 10));
    expect([refused.status, refused.code]).toEqual([404, "NOT_FOUND"]);
    expect(await t.query("SELECT sum(credits)::text AS total FROM accounts")).toEqual(before);
  });
});

describe("PATCH /v1/admin/accounts/:id and GET", () => {
  it("sets the limits given, keeps the others, and null follows the default again", async () => {
    const { accountId, client } = await t.newAccount({ apiRateLimit: 50 });
    const { body } = await admin.admin.accounts.update(accountId, {
      name: "Renamed",
      messages_per_second: 20,
      max_per_recipient_per_hour: 3,
      allowed_countries: ["fr", "BE", "BE"],
      monthly_limits: { BE: 1_000 },
      require_registered_sender: true,
    });
    expect(body.data.attributes).toMatchObject({
      name: "Renamed",
      limits: {
        api_requests_per_second: 50,
        messages_per_second: 20,
        anti_flood: { max_per_recipient_per_hour: 3 },
      },
      require_registered_sender: true,
      countries: { allowed_countries: ["BE", "FR"], monthly_limits: { BE: 1_000 } },
    });
    // The account sees them (no token cache here: AUTH_CACHE_MS=0).
    const own = (await client.account.get()).body.data.attributes;
    expect(own.limits.messages_per_second).toBe(20);
    expect(own.countries.monthly_limits).toEqual({ BE: 1_000 });

    const reset = await admin.admin.accounts.update(accountId, {
      messages_per_second: null,
      allowed_countries: null,
      monthly_limits: null,
      require_registered_sender: null,
    });
    expect(reset.body.data.attributes).toMatchObject({
      name: "Renamed",
      limits: { messages_per_second: null, anti_flood: { max_per_recipient_per_hour: 3 } },
      require_registered_sender: false,
      countries: { monthly_limits: {} },
    });
    expect((await admin.admin.accounts.get(accountId)).body.data.attributes.countries).toEqual(
      reset.body.data.attributes.countries,
    );
  });

  it("refuses invalid limits with 400, an unknown account with 404", async () => {
    const { accountId } = await t.newAccount();
    for (const changes of [
      { api_requests_per_second: 0 },
      { messages_per_second: 0 },
      { allowed_countries: [] },
      { allowed_countries: ["XX"] },
      { monthly_limits: { XX: 1 } },
      { monthly_limits: { BE: -1 } },
      { credits: 10 },
    ]) {
      const refused = await refusal(admin.admin.accounts.update(accountId, changes as never));
      expect([refused.status, refused.code], JSON.stringify(changes)).toEqual([400, "INVALID_PARAMETER"]);
    }
    for (const request of [
      () => admin.admin.accounts.update("acc_nobody", { name: "x" }),
      () => admin.admin.accounts.get("acc_nobody"),
    ]) {
      const refused = await refusal(request());
      expect([refused.status, refused.code]).toEqual([404, "NOT_FOUND"]);
    }
  });
});
