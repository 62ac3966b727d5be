// /v1/subaccounts over HTTP, through the SDK: creation and credit transfers (never
// below zero on either side, atomic under a race with sends), validation, tokens
// made and revoked by the parent, usage by calendar month, isolation between a
// parent, its sub-accounts and other accounts, and one level only.
import type { Salvo } from "@salvo/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credits, refusal, startTestApi, type TestApi } from "./harness";

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
});
afterAll(() => t?.stop());

const FAST = { apiRateLimit: 10_000 };
const UNKNOWN = "acc_01JD3ZZZZZZZZZZZZZZZZZZZZZ";
const MOBILE = "+33612345678";

/** A parent account and a sub-account of it with `credits`, and a client acting as the sub-account. */
async function parentAndSub(parentCredits: number, subCredits: number) {
  const parent = await t.newAccount({ ...FAST, credits: parentCredits });
  const { body } = await parent.client.subaccounts.create({ name: "Shop", credits: subCredits });
  const { body: token } = await parent.client.subaccounts.tokens.create(body.data.id, { label: "shop" });
  return {
    parent,
    subId: body.data.id,
    sub: t.client(token.data.attributes.token ?? ""),
    subTokenId: token.data.id,
  };
}

describe("POST /v1/subaccounts", () => {
  it("creates a sub-account with the parent's settings, moving its credits from the parent", async () => {
    const parent = await t.newAccount({ credits: 500, apiRateLimit: 321 });
    await t.store.accounts.update(parent.accountId, {
      defaultCountry: "BE",
      sendRateLimit: 40,
      floodMaxPerHour: 7,
      floodMaxSameBodyPerHour: 3,
    });
    const created = await parent.client.subaccounts.create({ name: "Shop", credits: 120 });
    expect(created.status).toBe(201);
    const { data } = created.body;
    expect(data.id).toMatch(/^acc_[0-9A-Z]{26}$/);
    expect(created.headers.get("location")).toBe(`/v1/subaccounts/${data.id}`);
    expect(data).toMatchObject({
      type: "subaccounts",
      attributes: {
        name: "Shop",
        credits: 120,
        parent_id: parent.accountId,
        default_country: "BE",
        limits: {
          api_requests_per_second: 321,
          messages_per_second: 40,
          anti_flood: { max_per_recipient_per_hour: 7, max_same_body_per_recipient_per_hour: 3 },
        },
        usage: { time_zone: "UTC", this_month: 0, previous_month: 0 },
      },
      links: { self: `/v1/subaccounts/${data.id}`, tokens: `/v1/subaccounts/${data.id}/tokens` },
    });
    expect(await credits(parent.client)).toBe(380);
    // No token is made with it: the parent makes them.
    expect(await t.count("api_tokens", { account_id: data.id })).toBe(0);
  });

  it("takes no credits (0 by default), and refuses more than the parent has, creating nothing", async () => {
    const parent = await t.newAccount({ credits: 50 });
    const empty = await parent.client.subaccounts.create({ name: "Empty" });
    expect(empty.body.data.attributes.credits).toBe(0);
    const error = await refusal(parent.client.subaccounts.create({ name: "Rich", credits: 51 }));
    expect([error.status, error.code]).toEqual([402, "NOT_ENOUGH_CREDITS"]);
    expect(await credits(parent.client)).toBe(50);
    expect(await t.count("accounts", { parent_id: parent.accountId })).toBe(1);
  });

  it("refuses a bad body with 400 naming the field, creating nothing", async () => {
    const parent = await t.newAccount({ credits: 50 });
    const bodies: [unknown, string][] = [
      [{ credits: 1 }, "name"],
      [{ name: "" }, "name"],
      [{ name: "   " }, "name"],
      [{ name: "x".repeat(101) }, "name"],
      [{ name: "a\u0000b" }, "name"],
      [{ name: "Shop", credits: -1 }, "credits"],
      [{ name: "Shop", credits: 1.5 }, "credits"],
      [{ name: "Shop", credits: "10" }, "credits"],
      [{ name: "Shop", credits: 2 ** 31 }, "credits"],
      [{ name: "Shop", unlimited: true }, "unlimited"],
    ];
    for (const [body, field] of bodies) {
      const error = await refusal(parent.client.call("POST", "/v1/subaccounts", body));
      expect([error.status, error.code, error.field], JSON.stringify(body)).toEqual([
        400,
        "INVALID_PARAMETER",
        field,
      ]);
    }
    expect(await t.count("accounts", { parent_id: parent.accountId })).toBe(0);
    expect(await credits(parent.client)).toBe(50);
  });

  it("is one level deep: a sub-account owns no sub-accounts (403 on every route)", async () => {
    const { parent, subId, sub } = await parentAndSub(100, 10);
    const refusals = [
      () => sub.subaccounts.create({ name: "Nested", credits: 1 }),
      () => sub.subaccounts.list(),
      () => sub.subaccounts.get(subId),
      () => sub.subaccounts.transfer(subId, 1),
      () => sub.subaccounts.tokens.list(subId),
      () => sub.subaccounts.tokens.create(subId),
      () => sub.subaccounts.tokens.revoke(subId, "tok_x"),
    ];
    for (const request of refusals) {
      const error = await refusal(request());
      expect([error.status, error.code]).toEqual([403, "SUBACCOUNT_FORBIDDEN"]);
    }
    expect(await t.count("accounts", { parent_id: subId })).toBe(0);
    expect(await credits(sub)).toBe(10);
    expect(await credits(parent.client)).toBe(90);
    // And the store refuses it too, whoever asks.
    await expect(t.store.subAccounts.create(subId, { name: "Nested", credits: 0 })).rejects.toMatchObject({
      code: "SUBACCOUNT_FORBIDDEN",
    });
  });

  it("replays its answer for a retry with the same Idempotency-Key, moving the credits once", async () => {
    const parent = await t.newAccount({ credits: 100 });
    const first = await parent.client.subaccounts.create(
      { name: "Once", credits: 30 },
      { idempotencyKey: "sub-1" },
    );
    const again = await parent.client.subaccounts.create(
      { name: "Once", credits: 30 },
      { idempotencyKey: "sub-1" },
    );
    expect(again.body.data.id).toBe(first.body.data.id);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await credits(parent.client)).toBe(70);
    expect(await t.count("accounts", { parent_id: parent.accountId })).toBe(1);
  });
});

describe("POST /v1/subaccounts/:id/credits", () => {
  it("moves credits in and back, answering both balances", async () => {
    const { parent, subId, sub } = await parentAndSub(100, 10);
    const moved = await parent.client.subaccounts.transfer(subId, 40);
    expect(moved.status).toBe(200);
    expect(moved.body.data.attributes.credits).toBe(50);
    expect(moved.body.meta).toEqual({ parent_credits: 50 });
    const back = await parent.client.subaccounts.transfer(subId, -50);
    expect(back.body.data.attributes.credits).toBe(0);
    expect(back.body.meta.parent_credits).toBe(100);
    expect(await credits(sub)).toBe(0);
    expect(await credits(parent.client)).toBe(100);
  });

  it("never takes either side below zero (402), and changes nothing then", async () => {
    const { parent, subId, sub } = await parentAndSub(100, 10);
    const tooMuchIn = await refusal(parent.client.subaccounts.transfer(subId, 91));
    expect([tooMuchIn.status, tooMuchIn.code]).toEqual([402, "NOT_ENOUGH_CREDITS"]);
    expect(tooMuchIn.message).toContain("the account has 90");
    const tooMuchBack = await refusal(parent.client.subaccounts.transfer(subId, -11));
    expect([tooMuchBack.status, tooMuchBack.code]).toEqual([402, "NOT_ENOUGH_CREDITS"]);
    expect(tooMuchBack.message).toContain("the sub-account has 10");
    expect(await credits(parent.client)).toBe(90);
    expect(await credits(sub)).toBe(10);
    // Exactly all of it, both ways.
    expect((await parent.client.subaccounts.transfer(subId, 90)).body.meta.parent_credits).toBe(0);
    expect((await parent.client.subaccounts.transfer(subId, -100)).body.data.attributes.credits).toBe(0);
  });

  it("refuses an amount that is zero, not a whole number or out of range, with 400 naming amount", async () => {
    const { parent, subId } = await parentAndSub(100, 10);
    for (const amount of [0, 1.5, -0.5, "5", null, 2 ** 31, -(2 ** 31)]) {
      const error = await refusal(parent.client.call("POST", `/v1/subaccounts/${subId}/credits`, { amount }));
      expect([error.status, error.code, error.field], String(amount)).toEqual([
        400,
        "INVALID_PARAMETER",
        "amount",
      ]);
    }
    const missing = await refusal(parent.client.call("POST", `/v1/subaccounts/${subId}/credits`, {}));
    expect(missing.field).toBe("amount");
    expect(await credits(parent.client)).toBe(90);
  });

  it("refuses a balance past 2^31-1 with 400, changing nothing", async () => {
    const { parent, subId, sub } = await parentAndSub(100, 10);
    await t.store.accounts.update(subId, { credits: 2 ** 31 - 5 });
    const error = await refusal(parent.client.subaccounts.transfer(subId, 5));
    expect([error.status, error.code, error.field]).toEqual([400, "INVALID_PARAMETER", "amount"]);
    expect(await credits(parent.client)).toBe(90);
    expect(await credits(sub)).toBe(2 ** 31 - 5);
  });

  it("answers 404 for an unknown id, another parent's sub-account, or the parent itself", async () => {
    const { parent, subId } = await parentAndSub(100, 10);
    const other = await t.newAccount({ credits: 100 });
    for (const [client, id] of [
      [parent.client, UNKNOWN],
      [other.client, subId],
      [parent.client, parent.accountId],
      [parent.client, other.accountId],
    ] as const) {
      const error = await refusal(client.subaccounts.transfer(id, 1));
      expect([error.status, error.code]).toEqual([404, "NOT_FOUND"]);
    }
    expect(await credits(parent.client)).toBe(90);
    expect(await credits(other.client)).toBe(100);
  });

  it("keeps the sum and both sides at or above zero under 50 concurrent transfers both ways and sends on both sides", async () => {
    const { parent, subId, sub } = await parentAndSub(120, 60);
    // Two-segment messages (cost 2) from both accounts, while credits move both ways.
    const body = "x".repeat(200);
    const send = (client: Salvo) =>
      client.batches.create({ from: "ACME", body, recipients: [MOBILE, "+33612345679", "+33612345680"] });
    const requests: Promise<unknown>[] = [];
    for (let i = 0; i < 50; i++) {
      requests.push(parent.client.subaccounts.transfer(subId, i % 2 === 0 ? 7 : -9));
      if (i % 3 === 0) requests.push(send(sub));
      if (i % 5 === 0) requests.push(send(parent.client));
    }
    const settled = await Promise.allSettled(requests);
    // Each request was either done, or refused for want of credits: never another error.
    for (const result of settled) {
      if (result.status === "rejected")
        expect(result.reason).toMatchObject({ status: 402, code: "NOT_ENOUGH_CREDITS" });
    }
    const done = settled.filter((r) => r.status === "fulfilled").length;
    expect(done).toBeGreaterThan(0);
    const [reserved] = await t.query<{ total: number }>(
      "SELECT COALESCE(sum(reserved), 0)::int AS total FROM batches WHERE account_id = ANY($1)",
      [[parent.accountId, subId]],
    );
    const parentCredits = await credits(parent.client);
    const subCredits = await credits(sub);
    expect(parentCredits).toBeGreaterThanOrEqual(0);
    expect(subCredits).toBeGreaterThanOrEqual(0);
    expect(parentCredits + subCredits + (reserved?.total ?? 0)).toBe(120);
  });
});

describe("GET /v1/subaccounts and /v1/subaccounts/:id", () => {
  it("lists the parent's sub-accounts, newest first, with balances and usage by UTC month", async () => {
    const parent = await t.newAccount({ ...FAST, credits: 1_000 });
    const first = (await parent.client.subaccounts.create({ name: "First", credits: 100 })).body.data;
    const second = (await parent.client.subaccounts.create({ name: "Second", credits: 200 })).body.data;
    await t.newAccount(); // another account's sub-accounts are not listed
    // Spent credits, as the workers record them (`cost`), in batches created this month,
    // at the end of last month, and before that.
    const { body } = await parent.client.subaccounts.get(first.id);
    expect(body.data.attributes.usage).toEqual({ time_zone: "UTC", this_month: 0, previous_month: 0 });
    const subClient = t.client(
      (await parent.client.subaccounts.tokens.create(first.id)).body.data.attributes.token ?? "",
    );
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      ids.push(
        (await subClient.batches.create({ from: "ACME", body: "hi", recipients: [MOBILE] })).body.data
          .batch_id,
      );
    }
    const month = "date_trunc('month', now() AT TIME ZONE 'UTC')";
    await t.query(`UPDATE batches SET cost = 3, created_at = (${month} AT TIME ZONE 'UTC') WHERE id = $1`, [
      ids[0],
    ]);
    await t.query("UPDATE batches SET cost = 4 WHERE id = $1", [ids[1]]);
    await t.query(
      `UPDATE batches SET cost = 5, created_at = (${month} AT TIME ZONE 'UTC') - interval '1 millisecond' WHERE id = $1`,
      [ids[2]],
    );
    await t.query(
      `UPDATE batches SET cost = 6, created_at = ((${month} - interval '1 month') AT TIME ZONE 'UTC') - interval '1 millisecond' WHERE id = $1`,
      [ids[3]],
    );
    const listed = await parent.client.subaccounts.list();
    expect(listed.body.page).toEqual({ count: 1, number: 1 });
    expect(listed.body.data.map((s) => s.id)).toEqual([second.id, first.id]);
    expect(listed.body.data.map((s) => [s.attributes.credits, s.attributes.usage])).toEqual([
      [200, { time_zone: "UTC", this_month: 0, previous_month: 0 }],
      [96, { time_zone: "UTC", this_month: 7, previous_month: 5 }],
    ]);
    expect((await parent.client.subaccounts.get(first.id)).body.data.attributes.usage.this_month).toBe(7);
    expect((await parent.client.subaccounts.list({ page: 2 })).body).toEqual({
      data: [],
      page: { count: 1, number: 2 },
    });
  });

  it("answers 404 for an unknown id and for another account's sub-account", async () => {
    const { parent, subId } = await parentAndSub(100, 10);
    const other = await t.newAccount();
    expect((await refusal(parent.client.subaccounts.get(UNKNOWN))).status).toBe(404);
    expect((await refusal(other.client.subaccounts.get(subId))).status).toBe(404);
    expect((await refusal(parent.client.subaccounts.get(parent.accountId))).status).toBe(404);
    expect((await other.client.subaccounts.list()).body.data).toEqual([]);
  });
});

describe("a sub-account's tokens", () => {
  it("are created by the parent (shown once, stored hashed), listed, and revoked: a revoked one is refused", async () => {
    const { parent, subId, sub, subTokenId } = await parentAndSub(100, 10);
    expect((await sub.account.get()).body.data).toMatchObject({
      id: subId,
      attributes: { parent_id: parent.accountId, credits: 10 },
    });
    const made = await parent.client.subaccounts.tokens.create(subId, { label: "second" });
    expect(made.status).toBe(201);
    const { data } = made.body;
    expect(made.headers.get("location")).toBe(`/v1/subaccounts/${subId}/tokens/${data.id}`);
    const secret = data.attributes.token ?? "";
    expect(secret.startsWith(`${data.id}.`)).toBe(true);
    const stored = await t.row<{ secretHash: string }>("api_tokens", { id: data.id });
    expect(stored.secretHash).not.toContain(secret.split(".")[1]);
    const listed = await parent.client.subaccounts.tokens.list(subId);
    expect(listed.body.data.map((token) => token.id)).toEqual([data.id, subTokenId]);
    expect(JSON.stringify(listed.body)).not.toContain(secret.split(".")[1]);

    // The parent may revoke them all, the last one too (it can make another).
    await parent.client.subaccounts.tokens.revoke(subId, data.id);
    const last = await parent.client.subaccounts.tokens.revoke(subId, subTokenId);
    expect(last.body.data.attributes.revoked_at).not.toBeNull();
    expect((await refusal(sub.account.get())).status).toBe(401);
    expect((await refusal(t.client(secret).account.get())).status).toBe(401);
  });

  it("answer 404 for another account's sub-account or token, creating and revoking nothing", async () => {
    const { parent, subId, subTokenId } = await parentAndSub(100, 10);
    const other = await parentAndSub(100, 10);
    const parentTokenId = parent.token.split(".")[0] ?? "";
    for (const request of [
      () => other.parent.client.subaccounts.tokens.create(subId),
      () => other.parent.client.subaccounts.tokens.list(subId),
      () => other.parent.client.subaccounts.tokens.revoke(subId, subTokenId),
      // Through its own sub-account, a token of another sub-account or of the parent itself.
      () => other.parent.client.subaccounts.tokens.revoke(other.subId, subTokenId),
      () => parent.client.subaccounts.tokens.revoke(subId, parentTokenId),
      () => parent.client.subaccounts.tokens.create(UNKNOWN),
    ]) {
      const error = await refusal(request());
      expect([error.status, error.code]).toEqual([404, "NOT_FOUND"]);
    }
    expect(await t.count("api_tokens", { account_id: subId })).toBe(1);
    expect(await t.count("api_tokens", { revoked_at: null, id: subTokenId })).toBe(1);
    expect(await t.count("api_tokens", { revoked_at: null, id: parentTokenId })).toBe(1);
  });
});

describe("isolation", () => {
  it("a sub-account reads nothing of its parent's or its sibling's (404), nor they of it", async () => {
    const { parent, subId, sub } = await parentAndSub(100, 10);
    const sibling = await parent.client.subaccounts.create({ name: "Sibling", credits: 10 });
    const siblingId = sibling.body.data.id;
    const siblingToken = await parent.client.subaccounts.tokens.create(siblingId);
    const siblingClient = t.client(siblingToken.body.data.attributes.token ?? "");

    /** What an account owns, by id: a batch, a single message, a webhook, a token, a listed number. */
    async function belongings(client: Salvo, number: string) {
      const batch = (await client.batches.create({ from: "ACME", body: "hi", recipients: [MOBILE] })).body
        .data.batch_id;
      const sms = (await client.sms.send({ from: "ACME", to: MOBILE, body: "hi" })).body.id;
      const webhook = (await client.webhooks.create({ url: "http://127.0.0.1:9/hook", events: ["dlr"] })).body
        .data.id;
      const token = (await client.tokens.create({ label: "spare" })).body.data.id;
      await client.blacklist.add([number]);
      await client.npai.add([number]);
      return { batch, sms, webhook, token, number };
    }
    const owners = [
      { client: parent.client, owns: await belongings(parent.client, "+33611111111") },
      { client: sub, owns: await belongings(sub, "+33622222222") },
      { client: siblingClient, owns: await belongings(siblingClient, "+33633333333") },
    ];
    for (const reader of owners) {
      for (const owner of owners) {
        if (owner === reader) continue;
        const { client } = reader;
        const { owns } = owner;
        for (const request of [
          () => client.batches.get(owns.batch),
          () => client.batches.messages(owns.batch),
          () => client.sms.get(owns.sms),
          () => client.webhooks.get(owns.webhook),
          () => client.webhooks.deliveries(owns.webhook),
          () => client.webhooks.enable(owns.webhook),
          () => client.webhooks.delete(owns.webhook),
          () => client.tokens.revoke(owns.token),
          () => client.blacklist.remove(owns.number),
          () => client.npai.remove(owns.number),
        ]) {
          const error = await refusal(request());
          expect([error.status, error.code]).toEqual([404, "NOT_FOUND"]);
        }
      }
    }
    // Lists show each account its own only.
    for (const { client, owns } of owners) {
      expect((await client.batches.list()).body.data.map((b) => b.id)).toEqual([owns.batch]);
      expect((await client.webhooks.list()).body.data.map((w) => w.id)).toEqual([owns.webhook]);
      expect((await client.blacklist.list()).body.data.map((n) => n.number)).toEqual([owns.number]);
    }
    // A sub-account's token reaches none of its parent's sub-account routes.
    for (const request of [
      () => sub.subaccounts.get(siblingId),
      () => sub.subaccounts.tokens.list(siblingId),
    ]) {
      expect((await refusal(request())).status).toBe(403);
    }
    expect(await t.count("webhooks", { account_id: subId })).toBe(1);
    expect(await t.count("api_tokens", { account_id: parent.accountId, revoked_at: null })).toBe(2);
  });
});
