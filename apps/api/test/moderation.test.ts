// Moderation (anti-fraud hold) over HTTP through the SDK: each rule holds a batch
// at acceptance (nothing queued, credits reserved, batch.moderation written),
// `/v1/send` answers -8, operators list, approve and reject through the admin
// routes (admin tokens only), and racing decisions have exactly one winner.
import { BATCH_TOTAL_PARTS, parseMessageId } from "@salvo/core";
import { closeRedis, createRedis, type OpenQueue, openQueue } from "@salvo/queue";
import type { Salvo } from "@salvo/sdk";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSalvo } from "../../cli/test/run-salvo";
import { credits, refusal, startTestApi, type TestApi } from "./harness";

let t: TestApi;
let redis: Redis;
let queue: OpenQueue<"batches">;
let admin: Salvo;
let adminToken: string;
beforeAll(async () => {
  t = await startTestApi({
    AUTH_CACHE_MS: "0",
    MODERATION_BLOCKED_WORDS: "casino, crédit facile",
    MODERATION_BLOCKED_DOMAINS: "bit.ly",
    MODERATION_NEW_ACCOUNT_DAYS: "7",
    MODERATION_NEW_ACCOUNT_MAX_RECIPIENTS: "3",
  });
  redis = createRedis(t.env.REDIS_URL);
  queue = openQueue("batches", redis, t.env.REDIS_PREFIX);
  ({ token: adminToken } = await t.store.adminTokens.create("tests"));
  admin = t.client(adminToken);
});
afterAll(async () => {
  await queue?.close();
  if (redis) await closeRedis(redis);
  await t?.stop();
});

const FAST = { apiRateLimit: 10_000, credits: 1_000 };
const numbers = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => `+336${String(10_000_000 + from + i)}`);

/** Whether the batch's job is in the batches queue (no worker runs here: it waits). */
async function queued(batchId: string): Promise<boolean> {
  return (await queue.queue.getJob(batchId)) !== undefined;
}

/** The payloads of the account's events of one type. */
async function events(accountId: string, type: string): Promise<{ data: Record<string, unknown> }[]> {
  const rows = await t.query<{ payload: string }>(
    "SELECT payload FROM webhook_events WHERE account_id = $1 AND type = $2 ORDER BY created_at",
    [accountId, type],
  );
  return rows.map((row) => JSON.parse(row.payload));
}

/** A new account with a webhook for the moderation events, old enough not to be "new". */
async function account(options: { ageDays?: number; credits?: number } = {}) {
  const made = await t.newAccount({ ...FAST, credits: options.credits ?? FAST.credits });
  await t.query("UPDATE accounts SET created_at = now() - make_interval(days => $2) WHERE id = $1", [
    made.accountId,
    options.ageDays ?? 30,
  ]);
  await made.client.webhooks.create({
    url: "http://127.0.0.1:9/hook",
    events: ["batch.moderation", "batch.rejected"],
  });
  return made;
}

describe("rules hold a batch at acceptance", () => {
  it.each([
    ["a blocked word", { body: "Win at the CASINO tonight" }, [{ rule: "blocked_word", word: "casino" }]],
    ["a blocked phrase", { body: "Un Crédit  facile !" }, [{ rule: "blocked_word", word: "crédit facile" }]],
    [
      "a blocked domain's subdomain",
      { body: "Promo: https://promo.bit.ly/x" },
      [{ rule: "blocked_domain", domain: "bit.ly" }],
    ],
    [
      "a new account's big batch",
      { ageDays: 2, recipients: 4 },
      [{ rule: "new_account", account_age_days: 2, recipients: 4, max_recipients: 3 }],
    ],
    [
      "a sender the account has not registered",
      { strictSender: true },
      [{ rule: "unregistered_sender", sender: "ACME" }],
    ],
  ])("%s: held, nothing queued, credits reserved, batch.moderation written", async (_, c, reasons) => {
    const { accountId, client } = await account({ ageDays: "ageDays" in c ? c.ageDays : 30 });
    if ("strictSender" in c)
      await t.store.accounts.update(accountId, { moderation: { unregisteredSenders: true } });
    const recipients = numbers("recipients" in c ? c.recipients : 2);
    const { status, body } = await client.batches.create({
      from: "ACME",
      body: "body" in c ? c.body : "hello",
      recipients,
    });
    expect(status).toBe(202);
    const id = body.data.batch_id;
    const batch = (await client.batches.get(id)).body.data.attributes;
    expect(batch).toMatchObject({
      status: "moderation",
      pending: recipients.length,
      moderation_reasons: reasons,
    });
    expect(await queued(id)).toBe(false);
    expect(await credits(client)).toBe(1_000 - recipients.length);
    expect(await t.count("messages", { batch_id: id })).toBe(0);
    const [event, ...more] = await events(accountId, "batch.moderation");
    expect(more).toEqual([]);
    expect(event?.data).toMatchObject({
      batch_id: id,
      status: "moderation",
      total: recipients.length,
      reserved: recipients.length,
      reasons,
    });
  });

  it("lets through a batch that breaks no rule: accepted and queued", async () => {
    const { accountId, client } = await account({ ageDays: 1 });
    const { body } = await client.batches.create({
      from: "ACME",
      body: "casinos, bit.lyx.com",
      recipients: numbers(3),
    });
    const batch = (await client.batches.get(body.data.batch_id)).body.data.attributes;
    expect(batch).toMatchObject({ status: "accepted", moderation_reasons: null });
    expect(await queued(body.data.batch_id)).toBe(true);
    expect(await events(accountId, "batch.moderation")).toEqual([]);
  });

  it("holds a single message (POST /v1/sms) without a batch event", async () => {
    const { accountId, client } = await account();
    const { body } = await client.sms.send({ from: "ACME", to: "+33612345678", body: "casino" });
    const batchId = parseMessageId(body.id)?.batchId as string;
    expect((await t.row<{ status: string }>("batches", { id: batchId })).status).toBe("moderation");
    expect(await queued(batchId)).toBe(false);
    expect(await events(accountId, "batch.moderation")).toEqual([]);
  });

  it("takes an account's own rules, then its parent's, then the install's", async () => {
    const parent = await account({ ageDays: 1 });
    // The parent trusts itself with casinos and big batches, and fears loans.
    await t.store.accounts.update(parent.accountId, {
      moderation: { blockedWords: ["loan"], newAccountDays: 0 },
    });
    const casino = await parent.client.batches.create({
      from: "ACME",
      body: "casino",
      recipients: numbers(5),
    });
    expect((await parent.client.batches.get(casino.body.data.batch_id)).body.data.attributes.status).toBe(
      "accepted",
    );
    const sub = await parent.client.subaccounts.create({ name: "Shop", credits: 100 });
    const made = await parent.client.subaccounts.tokens.create(sub.body.data.id);
    const subClient = t.client(made.body.data.attributes.token as string);
    const loan = await subClient.batches.create({
      from: "ACME",
      body: "A LOAN for you",
      recipients: numbers(1),
    });
    expect((await subClient.batches.get(loan.body.data.batch_id)).body.data.attributes).toMatchObject({
      status: "moderation",
      moderation_reasons: [{ rule: "blocked_word", word: "loan" }],
    });
    // The sub-account's own rule wins over its parent's; null gives it back.
    await t.store.accounts.update(sub.body.data.id, { moderation: { blockedWords: [] } });
    const own = await subClient.batches.create({ from: "ACME", body: "loan", recipients: numbers(1) });
    expect((await subClient.batches.get(own.body.data.batch_id)).body.data.attributes.status).toBe(
      "accepted",
    );
    await t.store.accounts.update(sub.body.data.id, { moderation: { blockedWords: null } });
    expect(
      (await t.row<{ moderation: unknown }>("accounts", { id: sub.body.data.id })).moderation,
    ).toBeNull();
  });
});

describe("POST /v1/send", () => {
  it("answers a held batch at once: 200, status -8, pending = total; nothing sent", async () => {
    const { client } = await account();
    const { status, body } = await client.sendNow({ from: "ACME", body: "casino", recipients: numbers(4) });
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: -8, total: 4, pending: 4, sent: 0, cost: 0, credits: 996 });
    expect(body.message).toContain("moderation");
    const batch = (await client.batches.get(body.ticket)).body.data.attributes;
    expect(batch.status).toBe("moderation");
  });
});

describe("simulations", () => {
  it("say which rules would hold a batch, and /v1/send/simulate answers -8 as the send would; nothing held", async () => {
    const { client } = await account();
    const batch = await client.batches.simulate({ from: "ACME", body: "casino", recipients: numbers(3) });
    expect(batch.body.data.attributes).toMatchObject({
      total: 3,
      sent: 3,
      moderation_reasons: [{ rule: "blocked_word", word: "casino" }],
    });
    const send = await client.simulateSend({ from: "ACME", body: "casino", recipients: numbers(3) });
    expect(send.body).toMatchObject({ status: -8, total: 3, moderation_reasons: [{ rule: "blocked_word" }] });
    const clean = await client.simulateSend({ from: "ACME", body: "Hello", recipients: numbers(3) });
    expect(clean.body).toMatchObject({ status: 1, moderation_reasons: [] });
    expect((await client.batches.list({ status: "moderation" })).body.data).toEqual([]);
  });
});

describe("admin routes", () => {
  it("list every account, newest first, with credits and limits; an account's token is refused", async () => {
    const { accountId, client } = await account();
    const { body } = await admin.admin.accounts.list();
    const created = body.data.map((a) => a.attributes.created_at);
    expect(created).toEqual([...created].sort().reverse());
    const mine = body.data.find((a) => a.id === accountId);
    expect(mine).toMatchObject({
      id: accountId,
      type: "accounts",
      attributes: { name: "test", parent_id: null },
      links: { self: `/v1/admin/accounts/${accountId}` },
    });
    expect(mine?.attributes.credits).toBeGreaterThan(0);
    expect(body.page).toMatchObject({ number: 1 });
    expect((await admin.admin.accounts.list({ page: 1_000 })).body.data).toEqual([]);
    const refused = await refusal(client.admin.accounts.list());
    expect([refused.status, refused.code]).toEqual([401, "UNAUTHORIZED"]);
  });

  it("list held batches, oldest first, with account, sender, body, count and reasons", async () => {
    const { accountId, client } = await account();
    const first = await client.batches.create({ from: "SHOP", body: "casino 1", recipients: numbers(2) });
    const second = await client.batches.create({ from: "SHOP", body: "casino 2", recipients: numbers(3) });
    const { body } = await admin.admin.moderation.list();
    const mine = body.data.filter((b) => b.attributes.account_id === accountId);
    expect(mine.map((b) => b.id)).toEqual([first.body.data.batch_id, second.body.data.batch_id]);
    expect(mine[0]?.attributes).toMatchObject({
      status: "moderation",
      account_name: "test",
      from: "SHOP",
      body: "casino 1",
      total: 2,
      reserved: 2,
      reasons: [{ rule: "blocked_word", word: "casino" }],
    });
    expect(body.page.number).toBe(1);
  });

  it("approve: accepted and queued; then it is no longer held (409)", async () => {
    const { client } = await account();
    const { body } = await client.batches.create({ from: "ACME", body: "casino", recipients: numbers(2) });
    const id = body.data.batch_id;
    const approved = await admin.admin.moderation.approve(id);
    expect(approved.body.data.attributes).toMatchObject({ status: "accepted", pending: 2 });
    expect(await queued(id)).toBe(true);
    const again = await refusal(admin.admin.moderation.approve(id));
    expect([again.status, again.code]).toEqual([409, "NOT_IN_MODERATION"]);
    const late = await refusal(admin.admin.moderation.reject(id, { reason: "late" }));
    expect([late.status, late.code]).toEqual([409, "NOT_IN_MODERATION"]);
    expect((await refusal(admin.admin.moderation.approve("bat_nope"))).status).toBe(404);
  });

  it("reject: every message rejected, credits refunded exactly, identity holds, batch.rejected written", async () => {
    const { accountId, client } = await account({ credits: 10_000 });
    const before = await credits(client);
    const recipients = [...numbers(2_500), { to: "+33699999999", ref: "r-1" }, "not a number"];
    const { body } = await client.batches.create({
      from: "ACME",
      body: "casino: deux segments ".repeat(8),
      recipients,
    });
    const id = body.data.batch_id;
    const held = (await client.batches.get(id)).body.data.attributes;
    expect(held.segments).toBe(2);
    expect(await credits(client)).toBe(before - 2 * recipients.length);

    const rejected = await admin.admin.moderation.reject(id, { reason: "Gambling ads are not allowed." });
    expect(rejected.body.data.attributes).toMatchObject({
      status: "rejected",
      pending: 0,
      rejected: recipients.length,
      rejection_reason: "Gambling ads are not allowed.",
    });
    expect(await credits(client)).toBe(before);
    const batch = (await client.batches.get(id)).body.data.attributes;
    expect(batch).toMatchObject({
      status: "rejected",
      rejected: recipients.length,
      total: recipients.length,
    });
    expect(BATCH_TOTAL_PARTS.reduce((sum, part) => sum + batch[part], 0)).toBe(batch.total);
    expect(
      await t.count("messages", { batch_id: id, status: "rejected", reason: "rejected_by_operator" }),
    ).toBe(recipients.length);
    const withRef = await t.row<{ to: string; ref: string; cost: number }>("messages", {
      batch_id: id,
      idx: 2_500,
    });
    expect(withRef).toMatchObject({ to: "+33699999999", ref: "r-1", cost: 0 });
    expect((await t.row<{ to: string }>("messages", { batch_id: id, idx: 2_501 })).to).toBe("not a number");
    const [event] = await events(accountId, "batch.rejected");
    expect(event?.data).toMatchObject({
      batch_id: id,
      status: "rejected",
      reason: "Gambling ads are not allowed.",
      total: recipients.length,
      rejected: recipients.length,
      sent: 0,
      refunded: 2 * recipients.length,
    });
    expect(await queued(id)).toBe(false);
  });

  it("approve and reject racing: exactly one wins, the other is 409 NOT_IN_MODERATION", async () => {
    const { client } = await account();
    for (let round = 0; round < 8; round++) {
      const { body } = await client.batches.create({ from: "ACME", body: "casino", recipients: numbers(20) });
      const id = body.data.batch_id;
      const decisions =
        round % 2 === 0
          ? [admin.admin.moderation.approve(id), admin.admin.moderation.reject(id, { reason: "no" })]
          : [
              admin.admin.moderation.reject(id),
              admin.admin.moderation.reject(id),
              admin.admin.moderation.approve(id),
            ];
      const settled = await Promise.allSettled(decisions);
      const won = settled.filter((s) => s.status === "fulfilled");
      expect(won).toHaveLength(1);
      for (const lost of settled.filter((s) => s.status === "rejected")) {
        expect((lost.reason as { code: string }).code).toBe("NOT_IN_MODERATION");
      }
      const status = (await client.batches.get(id)).body.data.attributes.status;
      expect(["accepted", "rejected"]).toContain(status);
      expect(await t.count("messages", { batch_id: id })).toBe(status === "rejected" ? 20 : 0);
      expect(await queued(id)).toBe(status === "accepted");
    }
    // Each rejected batch was refunded once: the balance is what the approved ones took.
    const approved = await t.count("batches", {
      account_id: (await client.account.get()).body.data.id,
      status: "accepted",
    });
    expect(await credits(client)).toBe(1_000 - 20 * approved);
  });

  it("refuse an account's token, a revoked admin token, and no token; an admin token opens no account route", async () => {
    const { token } = await account();
    const asAccount = await refusal(t.client(token).admin.moderation.list());
    expect([asAccount.status, asAccount.code]).toEqual([401, "UNAUTHORIZED"]);
    expect((await refusal(t.client().admin.moderation.list())).status).toBe(401);
    const onAccountRoute = await refusal(admin.account.get());
    expect([onAccountRoute.status, onAccountRoute.code]).toEqual([401, "UNAUTHORIZED"]);

    const { adminToken: made, token: secret } = await t.store.adminTokens.create("to revoke");
    expect((await t.client(secret).admin.moderation.list()).status).toBe(200);
    await t.store.adminTokens.revoke(made.id);
    expect((await refusal(t.client(secret).admin.moderation.list())).status).toBe(401);
    // Only the secret's hash is stored, and no log line holds the secret.
    expect(await t.count("admin_tokens", { secret_hash: secret })).toBe(0);
    expect(t.logs.join("").includes(secret.split(".")[1] as string)).toBe(false);
    expect(t.logs.join("").includes(adminToken.split(".")[1] as string)).toBe(false);
  });

  it("answer 404 for a path they do not serve, 405 for another method", async () => {
    const missing = await refusal(admin.call("GET", "/v1/admin/nothing"));
    expect([missing.status, missing.code]).toEqual([404, "NOT_FOUND"]);
    const method = await refusal(admin.call("GET", "/v1/admin/batches/bat_x/approve"));
    expect([method.status, method.code, method.headers.get("allow")]).toEqual([
      405,
      "METHOD_NOT_ALLOWED",
      "OPTIONS, POST",
    ]);
  });

  it("approve and refuse senders", async () => {
    const { accountId, client } = await account();
    const a = (await client.senders.request({ sender: "SHOPA" })).body.data.id;
    const b = (await client.senders.request({ sender: "SHOPB" })).body.data.id;
    const pending = await admin.admin.senders.list({ state: "pending", accountId });
    expect(pending.body.data.map((s) => s.id)).toEqual([a, b]);
    expect((await admin.admin.senders.approve(a)).body.data.attributes).toMatchObject({
      state: "approved",
      account_id: accountId,
    });
    const refused = await admin.admin.senders.refuse(b, { reason: "Not your brand." });
    expect(refused.body.data.attributes).toMatchObject({ state: "refused", reason: "Not your brand." });
    const empty = await refusal(admin.admin.senders.refuse(b, { reason: " " }));
    expect([empty.status, empty.field]).toEqual([400, "reason"]);
  });
});

describe("the operator's CLI", () => {
  /** `salvo …` on the test database and Redis; what it printed, and how it ended. */
  const salvo = (...args: string[]) =>
    runSalvo(
      { DATABASE_URL: t.env.DATABASE_URL, REDIS_URL: t.env.REDIS_URL, REDIS_PREFIX: t.env.REDIS_PREFIX },
      ...args,
    );
  async function salvoJson(...args: string[]) {
    const run = await salvo(...args, "--json");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    return JSON.parse(run.stdout);
  }

  it("sets an account's rules, lists, approves and rejects held batches", async () => {
    const { accountId, client } = await account();
    const updated = await salvoJson(
      "accounts",
      "update",
      accountId,
      "--moderation-blocked-words",
      "loan, prêt",
      "--moderation-unregistered-senders",
      "off",
    );
    expect(JSON.parse(updated.moderation)).toEqual({
      blockedWords: ["loan", "prêt"],
      unregisteredSenders: false,
    });
    const hold = async (body: string) =>
      (await client.batches.create({ from: "ACME", body, recipients: numbers(3) })).body.data.batch_id;
    const first = await hold("Un PRET pour vous");
    const second = await hold("loan");
    // Its own words replace the install's: casino is not held for it.
    expect((await client.batches.get(await hold("casino"))).body.data.attributes.status).toBe("accepted");

    const listed = await salvoJson("moderation", "list");
    const mine = listed.batches.filter((b: { account_id: string }) => b.account_id === accountId);
    expect(mine.map((b: { id: string }) => b.id)).toEqual([first, second]);
    expect(mine[0]).toMatchObject({
      status: "moderation",
      total: 3,
      from: "ACME",
      body: "Un PRET pour vous",
    });

    expect(await salvoJson("moderation", "approve", first)).toMatchObject({ id: first, status: "accepted" });
    expect(await queued(first)).toBe(true);
    const before = await credits(client);
    expect(await salvoJson("moderation", "reject", second, "--reason", "No loans.")).toMatchObject({
      id: second,
      status: "rejected",
      rejected: 3,
      rejection_reason: "No loans.",
    });
    expect(await credits(client)).toBe(before + 3);
    expect(await t.count("messages", { batch_id: second, status: "rejected" })).toBe(3);

    const late = await salvo("moderation", "approve", second);
    expect(late.code).toBe(1);
    expect(late.stderr).toContain("NOT_IN_MODERATION");
    // Back to the install's words.
    const reset = await salvoJson("accounts", "update", accountId, "--moderation-blocked-words", "default");
    expect(JSON.parse(reset.moderation)).toEqual({ unregisteredSenders: false });
  });

  it("creates, lists and revokes admin tokens; the token is printed once and works at once", async () => {
    const created = await salvoJson("admin-tokens", "create", "--label", "ops");
    expect(created.token).toMatch(/^adm_[0-9A-Z]+\./);
    expect((await t.client(created.token).admin.moderation.list()).status).toBe(200);
    const listed = await salvoJson("admin-tokens", "list");
    const row = listed.find((r: { id: string }) => r.id === created.token_id);
    expect(row).toMatchObject({ label: "ops", revoked_at: null });
    expect(JSON.stringify(listed)).not.toContain(created.token.split(".")[1]);
    expect((await salvoJson("admin-tokens", "revoke", created.token_id)).revoked_at).not.toBeNull();
    expect((await refusal(t.client(created.token).admin.moderation.list())).status).toBe(401);
  });
});
