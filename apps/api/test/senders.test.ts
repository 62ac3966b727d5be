// Sender registration over HTTP (through the SDK), operators' decisions through
// the real `salvo` command, and `require_registered_sender` on the three send
// routes: a refused send stores nothing, takes no credit and queues nothing.
import { closeRedis, createRedis, type OpenQueue, openQueue } from "@salvo/queue";
import type { Salvo } from "@salvo/sdk";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Run, runSalvo } from "../../cli/test/run-salvo";
import { credits, refusal, startTestApi, type TestApi } from "./harness";

let t: TestApi;
let redis: Redis;
let queue: OpenQueue<"batches">;
beforeAll(async () => {
  // No cache of accounts: a setting changed by the CLI holds from the next request.
  t = await startTestApi({ AUTH_CACHE_MS: "0", SEND_TIMEOUT_MS: "200" });
  redis = createRedis(t.env.REDIS_URL);
  queue = openQueue("batches", redis, t.env.REDIS_PREFIX);
});
afterAll(async () => {
  await queue?.close();
  if (redis) await closeRedis(redis);
  await t?.stop();
});

/** Jobs in the batches queue, whatever their state (no worker runs here: they wait). */
async function queuedJobs(): Promise<number> {
  const counts = await queue.queue.getJobCounts();
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

const FAST = { apiRateLimit: 10_000, credits: 1_000 };
const NUMBER = "+33612345678";

/** `salvo …` on the test database; must succeed; what it printed as JSON. */
async function salvo(...args: string[]) {
  const run: Run = await runSalvo({ DATABASE_URL: t.env.DATABASE_URL }, ...args, "--json");
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout);
}

describe("POST /v1/senders", () => {
  it.each([
    ["AB", "3 to 11 characters"],
    ["ABCDEFGHIJKL", "3 to 11 characters"],
    ["12-34", "at least one letter"],
    ["ACMEж", "GSM 03.38"],
    ["ACME SHOP", "letters A-Z and digits only"],
    ["336123456789", "international format"],
  ])("refuses %j with 400 naming the field, and stores nothing", async (sender, problem) => {
    const { accountId, client } = await t.newAccount(FAST);
    const error = await refusal(client.senders.request({ sender }));
    expect([error.status, error.code, error.field]).toEqual([400, "INVALID_PARAMETER", "sender"]);
    expect(error.message).toContain(problem);
    expect(await t.count("senders", { account_id: accountId })).toBe(0);
  });

  it.each(["ACME", "1A2", "36789", NUMBER])("registers %j as pending", async (sender) => {
    const { client } = await t.newAccount(FAST);
    const { status, body } = await client.senders.request({ sender });
    expect(status).toBe(201);
    expect(body.data).toMatchObject({
      type: "senders",
      attributes: { sender, state: "pending", reason: null, decided_at: null },
    });
    expect(body.data.id).toMatch(/^snd_/);
  });

  it("answers the sender already asked for, 200, when asked again", async () => {
    const { client } = await t.newAccount(FAST);
    const first = await client.senders.request({ sender: "ACME" });
    const again = await client.senders.request({ sender: "ACME" });
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.body.data).toEqual(first.body.data);
    // Another case is another sender id: handsets show it as sent.
    expect((await client.senders.request({ sender: "Acme" })).status).toBe(201);
  });

  it("makes one row of the same sender asked for many times at once", async () => {
    const { accountId, client } = await t.newAccount(FAST);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => client.senders.request({ sender: "RACE" })),
    );
    expect(await t.count("senders", { account_id: accountId })).toBe(1);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(new Set(answers.map((a) => a.body.data.id)).size).toBe(1);
  });
});

describe("GET and DELETE /v1/senders", () => {
  it("shows an account its own senders only, and lets only it withdraw them", async () => {
    const a = await t.newAccount(FAST);
    const b = await t.newAccount(FAST);
    const acme = (await a.client.senders.request({ sender: "ACME" })).body.data;
    await a.client.senders.request({ sender: "36789" });
    await b.client.senders.request({ sender: "OTHER" });

    const listed = (await a.client.senders.list()).body;
    expect(listed.data.map((s) => s.attributes.sender)).toEqual(["36789", "ACME"]);
    expect(listed.page).toEqual({ count: 1, number: 1 });
    expect((await b.client.senders.list()).body.data.map((s) => s.attributes.sender)).toEqual(["OTHER"]);

    const error = await refusal(b.client.senders.delete(acme.id));
    expect([error.status, error.code]).toEqual([404, "NOT_FOUND"]);
    expect(await t.count("senders", { id: acme.id })).toBe(1);

    expect((await a.client.senders.delete(acme.id)).status).toBe(204);
    expect(await t.count("senders", { id: acme.id })).toBe(0);
    expect((await refusal(a.client.senders.delete(acme.id))).status).toBe(404);
  });
});

describe("salvo senders", () => {
  it("lists pending senders, approves and refuses them with a reason the account reads", async () => {
    const a = await t.newAccount(FAST);
    const b = await t.newAccount(FAST);
    const good = (await a.client.senders.request({ sender: "GOOD" })).body.data;
    const bad = (await a.client.senders.request({ sender: "BANK" })).body.data;
    const other = (await b.client.senders.request({ sender: "OTHER" })).body.data;
    const hook = { url: "http://127.0.0.1:9/hook", events: ["sender.approved", "sender.refused"] as const };
    const webhook = (await a.client.webhooks.create({ ...hook, events: [...hook.events] })).body.data;
    await b.client.webhooks.create({ ...hook, events: [...hook.events] });

    const pendingOfA = await salvo("senders", "list", "--pending", "--account", a.accountId);
    expect(pendingOfA.map((s: { id: string }) => s.id)).toEqual([good.id, bad.id]);

    expect(await salvo("senders", "approve", good.id)).toMatchObject({ state: "approved", reason: null });
    const reason = "Looks like a bank's name: send us the company registration.";
    expect(await salvo("senders", "refuse", bad.id, "--reason", reason)).toMatchObject({
      state: "refused",
      reason,
    });

    const pending = await salvo("senders", "list", "--pending");
    expect(pending.map((s: { id: string }) => s.id)).toContain(other.id);
    expect(pending.map((s: { id: string }) => s.id)).not.toContain(good.id);

    const seen = Object.fromEntries(
      (await a.client.senders.list()).body.data.map((s) => [s.attributes.sender, s.attributes]),
    );
    expect(seen.GOOD).toMatchObject({ state: "approved", reason: null });
    expect(seen.BANK).toMatchObject({ state: "refused", reason });
    expect(seen.GOOD?.decided_at).not.toBeNull();

    // One event per decision, for the account's webhook only, written with the decision.
    const events = await t.rows<{ webhookId: string; type: string; payload: string; state: string }>(
      "webhook_events",
      { account_id: a.accountId },
      "created_at, id",
    );
    expect(events.map((e) => [e.webhookId, e.type, e.state])).toEqual([
      [webhook.id, "sender.approved", "pending"],
      [webhook.id, "sender.refused", "pending"],
    ]);
    const refusedEvent = JSON.parse(events[1]?.payload ?? "{}");
    expect(refusedEvent).toEqual({
      type: "sender.refused",
      timestamp: expect.any(String),
      data: { id: bad.id, sender: "BANK", state: "refused", reason, decided_at: seen.BANK?.decided_at },
    });
    expect(await t.count("webhook_events", { account_id: b.accountId })).toBe(0);
  });

  it("refuses an unknown id and an empty reason, changing nothing", async () => {
    const { client } = await t.newAccount(FAST);
    const sender = (await client.senders.request({ sender: "ACME" })).body.data;
    const env = { DATABASE_URL: t.env.DATABASE_URL };
    const unknown = await runSalvo(env, "senders", "approve", "snd_unknown");
    expect([unknown.code, unknown.stderr]).toEqual([1, "error: NOT_FOUND: No sender snd_unknown.\n"]);
    const empty = await runSalvo(env, "senders", "refuse", sender.id, "--reason", " ");
    expect(empty.code).toBe(1);
    expect((await client.senders.list()).body.data[0]?.attributes.state).toBe("pending");
  });
});

/** The three ways to send, each from `from` to one number. */
const SENDS = {
  "POST /v1/batches": (client: Salvo, from: string) =>
    client.batches.create({ from, body: "hello", recipients: [NUMBER] }, { idempotencyKey: `b-${from}` }),
  "POST /v1/sms": (client: Salvo, from: string) =>
    client.sms.send({ from, to: NUMBER, body: "hello" }, { idempotencyKey: `s-${from}` }),
  "POST /v1/send": (client: Salvo, from: string) =>
    client.sendNow({ from, body: "hello", recipients: [NUMBER] }, { idempotencyKey: `n-${from}` }),
} as const;

/** An account with `ACME` approved, `WAIT` pending, `BANK` refused and `+33699999999` approved. */
async function accountWithSenders(setting: "on" | "off" | "default") {
  const account = await t.newAccount(FAST);
  const ids: Record<string, string> = {};
  for (const sender of ["ACME", "WAIT", "BANK", "+33699999999"]) {
    ids[sender] = (await account.client.senders.request({ sender })).body.data.id;
  }
  await salvo("senders", "approve", ids.ACME as string);
  await salvo("senders", "approve", ids["+33699999999"] as string);
  await salvo("senders", "refuse", ids.BANK as string, "--reason", "no");
  await salvo("accounts", "update", account.accountId, "--require-registered-sender", setting);
  return account;
}

describe.each(Object.entries(SENDS))("%s with require_registered_sender", (_route, send) => {
  it("on: refuses a sender not approved, storing nothing, taking nothing, queueing nothing", async () => {
    const { accountId, client } = await accountWithSenders("on");
    expect((await client.account.get()).body.data.attributes.require_registered_sender).toBe(true);
    const jobsBefore = await queuedJobs();
    for (const from of ["WAIT", "BANK", "NEVER", "acme", "33600000000"]) {
      const error = await refusal(send(client, from));
      expect([error.status, error.code, error.field]).toEqual([400, "SENDER_NOT_ALLOWED", "from"]);
      expect(error.message).toContain(JSON.stringify(from));
      if (_route === "POST /v1/send") expect(error.numericStatus).toBe(-7);
    }
    expect(await t.count("batches", { account_id: accountId })).toBe(0);
    expect(await t.count("idempotency_keys", { account_id: accountId })).toBe(0);
    expect(await credits(client)).toBe(FAST.credits);
    expect(await queuedJobs()).toBe(jobsBefore);
  });

  it("on: sends from an approved name, and from an approved number with or without +", async () => {
    const { accountId, client } = await accountWithSenders("on");
    const jobsBefore = await queuedJobs();
    for (const from of ["ACME", "+33699999999", "33699999999"]) {
      expect((await send(client, from)).status).toBeLessThan(300);
    }
    expect(await t.count("batches", { account_id: accountId })).toBe(3);
    expect(await queuedJobs()).toBe(jobsBefore + 3);
  });

  it("off: sends from any valid sender, as without registration", async () => {
    const { accountId, client } = await accountWithSenders("off");
    expect((await client.account.get()).body.data.attributes.require_registered_sender).toBe(false);
    for (const from of ["WAIT", "BANK", "NEVER"]) expect((await send(client, from)).status).toBeLessThan(300);
    expect(await t.count("batches", { account_id: accountId })).toBe(3);
  });
});

describe("REQUIRE_REGISTERED_SENDER=true (the install's default)", () => {
  let strict: TestApi;
  beforeAll(async () => {
    strict = await startTestApi({ REQUIRE_REGISTERED_SENDER: "true", AUTH_CACHE_MS: "0" });
  });
  afterAll(() => strict?.stop());

  it("holds accounts without a setting of their own to it; an account set off is not", async () => {
    const held = await strict.newAccount(FAST);
    expect((await held.client.account.get()).body.data.attributes.require_registered_sender).toBe(true);
    const error = await refusal(held.client.sms.send({ from: "ACME", to: NUMBER, body: "hello" }));
    expect([error.status, error.code, error.field]).toEqual([400, "SENDER_NOT_ALLOWED", "from"]);
    expect(await strict.count("batches", { account_id: held.accountId })).toBe(0);

    const free = await strict.newAccount(FAST);
    const run = await runSalvo(
      { DATABASE_URL: strict.env.DATABASE_URL },
      "accounts",
      "update",
      free.accountId,
      "--require-registered-sender",
      "off",
      "--json",
    );
    expect(JSON.parse(run.stdout)).toMatchObject({ require_registered_sender: false });
    expect((await free.client.account.get()).body.data.attributes.require_registered_sender).toBe(false);
    expect((await free.client.sms.send({ from: "ACME", to: NUMBER, body: "hello" })).status).toBe(202);
  });

  it("refuses a setting other than on, off or default, changing nothing", async () => {
    const { accountId } = await strict.newAccount(FAST);
    const env = { DATABASE_URL: strict.env.DATABASE_URL };
    const run = await runSalvo(env, "accounts", "update", accountId, "--require-registered-sender", "yes");
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("expected on, off or default");
    expect((await strict.store.accounts.find(accountId))?.requireRegisteredSender).toBeNull();
  });
});
