// Countries through the whole stack (API, two workers, simulator): numbers of a
// country the account may not send to end `not_allowed` (free, before the lists
// and anti-flood), settings come from the parent when the account has none, and
// a monthly limit lets exactly its count through while batches and chunks race.
import { BATCH_TOTAL_PARTS } from "@salvo/core";
import type { BatchData } from "@salvo/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messagesByStatus, type Stack, startStack } from "./stack";

let stack: Stack;
beforeAll(async () => {
  // Small chunks, so every batch here is several chunk jobs, taken by both workers.
  stack = await startStack({ workers: 2, api: { BATCH_CHUNK_SIZE: "10" } });
});
afterAll(() => stack.stopAll());

const french = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => `06123${String(from + i).padStart(5, "0")}`);
const belgian = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => `+3247012${String(from + i).padStart(4, "0")}`);
const american = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => `+1212345${String(from + i).padStart(4, "0")}`);

function expectIdentity(batch: BatchData) {
  const a = batch.attributes;
  expect(BATCH_TOTAL_PARTS.reduce((sum, key) => sum + a[key], 0)).toBe(a.total);
}

async function account(credits = 1_000) {
  return stack.newAccount({ credits, apiRateLimit: 1_000 });
}

describe("allowed countries", () => {
  it("counts other countries not_allowed, free, before the lists and anti-flood", async () => {
    const { client, accountId } = await account();
    await stack.store.accounts.update(accountId, { allowedCountries: ["BE", "FR"], floodMaxPerHour: 1 });
    // On the blacklist, but not_allowed first.
    await client.blacklist.add([american(0, 1)[0] as string]);
    const recipients = [
      ...french(100, 5),
      french(100, 1)[0] as string,
      "123",
      ...belgian(100, 4),
      ...american(0, 4),
    ];
    const { body } = await client.batches.create({ from: "ACME", body: "hi", recipients });
    const batch = await client.batches.wait(body.data.batch_id);
    expect(batch.attributes).toMatchObject({
      status: "completed",
      total: 15,
      sent: 9,
      duplicated: 1,
      invalid: 1,
      blacklisted: 0,
      not_allowed: 4,
      country_limit: 0,
      cost: 9,
    });
    expectIdentity(batch);
    expect(await messagesByStatus(stack, batch.id)).toMatchObject({ not_allowed: 4 });
    const refused = await stack.query<{ reason: string; cost: number }>(
      "SELECT reason, cost FROM messages WHERE batch_id = $1 AND status = 'not_allowed'",
      [batch.id],
    );
    expect(refused.every((m) => m.reason === "country_not_allowed" && m.cost === 0)).toBe(true);
    // Refunded exactly: only the sent messages cost.
    expect((await client.account.get()).body.data.attributes.credits).toBe(1_000 - 9);
    expect(stack.ledger().filter((line) => line.to.startsWith("+1"))).toEqual([]);

    // No anti-flood counter moved (1 an hour): once allowed, the same number goes.
    await stack.store.accounts.update(accountId, { allowedCountries: ["BE", "FR", "US"] });
    const again = await client.batches.create({ from: "ACME", body: "hi", recipients: american(1, 1) });
    const sent = await client.batches.wait(again.body.data.batch_id);
    expect(sent.attributes).toMatchObject({ sent: 1, flooded: 0, not_allowed: 0 });
  });

  it("allows the account's default country by default, and a sub-account its parent's", async () => {
    const { client: parent, accountId: parentId } = await account();
    const mixed = [...french(200, 2), ...belgian(200, 3)];
    // Guadeloupe, dialled nationally from France: one of the regions a French account reaches by default.
    const own = await parent.batches.create({
      from: "ACME",
      body: "hi",
      recipients: [...mixed, "0690112233"],
    });
    expect((await parent.batches.wait(own.body.data.batch_id)).attributes).toMatchObject({
      sent: 3,
      not_allowed: 3,
    });

    await stack.store.accounts.update(parentId, { allowedCountries: ["BE"] });
    const { body: created } = await parent.subaccounts.create({ name: "reseller's", credits: 100 });
    const { body: token } = await parent.subaccounts.tokens.create(created.data.id);
    const sub = stack.client(token.data.attributes.token as string);
    const fromSub = await sub.batches.create({ from: "ACME", body: "hi", recipients: mixed });
    const batch = await sub.batches.wait(fromSub.body.data.batch_id);
    expect(batch.attributes).toMatchObject({ sent: 3, not_allowed: 2, cost: 3 });
    expectIdentity(batch);
    expect((await sub.account.get()).body.data.attributes.credits).toBe(100 - 3);
  });
});

describe("a monthly limit per country", () => {
  it("lets exactly the limit through while batches and their chunks race, the rest country_limit", async () => {
    const { client, accountId } = await account(10_000);
    await stack.store.accounts.update(accountId, {
      allowedCountries: ["BE", "FR"],
      countryLimits: { BE: 25 },
    });
    // Four batches of three chunks each (10 recipients a chunk), at once.
    const created = await Promise.all(
      [0, 1, 2, 3].map((b) =>
        client.batches.create({
          from: "ACME",
          body: "hi",
          recipients: [...belgian(1_000 + b * 20, 20), ...french(1_000 + b * 10, 10)],
        }),
      ),
    );
    const batches = await Promise.all(created.map(({ body }) => client.batches.wait(body.data.batch_id)));
    const sum = (key: "sent" | "country_limit" | "cost") =>
      batches.reduce((total, batch) => total + batch.attributes[key], 0);
    expect(sum("sent")).toBe(25 + 40);
    expect(sum("country_limit")).toBe(80 - 25);
    expect(sum("cost")).toBe(25 + 40);
    for (const batch of batches) expectIdentity(batch);
    const ids = batches.map((batch) => batch.id);
    const [belgiansSent] = await stack.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM messages
        WHERE batch_id = ANY($1) AND "to" LIKE '+32%' AND status IN ('sent', 'delivered', 'undelivered')`,
      [ids],
    );
    expect(belgiansSent?.n).toBe(25);
    expect(
      stack
        .ledger()
        .filter(
          (line) => line.to.startsWith("+32") && belgianOf(line.to) >= 1_000 && belgianOf(line.to) < 2_000,
        ),
    ).toHaveLength(25);
    const limited = await stack.query<{ reason: string; cost: number }>(
      "SELECT reason, cost FROM messages WHERE batch_id = ANY($1) AND status = 'country_limit'",
      [ids],
    );
    expect(limited.every((m) => m.reason === "country_limit_reached" && m.cost === 0)).toBe(true);
    expect((await client.account.get()).body.data.attributes.credits).toBe(10_000 - 65);

    const { body: countries } = await client.account.countries();
    expect(countries.data.attributes).toMatchObject({
      allowed_countries: ["BE", "FR"],
      monthly_limits: { BE: 25 },
      usage: { time_zone: "UTC", sent: { BE: 25 }, remaining: { BE: 0 } },
    });

    // /v1/send answers with SMSFactor's names; simulations count both, reserving nothing.
    const recipients = [...belgian(2_000, 3), ...french(2_000, 2), ...american(2_000, 1)];
    const { body: simulated } = await client.batches.simulate({ from: "ACME", body: "hi", recipients });
    expect(simulated.data.attributes).toMatchObject({ sent: 2, not_allowed: 1, country_limit: 3, cost: 2 });
    const { body: answer } = await client.sendNow({ from: "ACME", body: "hi", recipients });
    expect(answer).toMatchObject({ sent: 2, not_allowed: 1, country_limit: 3, cost: 2 });
  });
});

/** The serial part of a test Belgian number (+3247012NNNN). */
function belgianOf(to: string): number {
  return Number(to.slice(-4));
}

describe("a monthly limit across worker processes", () => {
  let processes: Stack;
  beforeAll(async () => {
    // No worker in this process: every chunk is taken by one of two worker processes.
    processes = await startStack({ workers: 0, api: { BATCH_CHUNK_SIZE: "10" } });
  });
  afterAll(() => processes.stopAll());

  it("lets exactly the limit through while two processes send six batches at once", async () => {
    const workers = [processes.spawnWorker(), processes.spawnWorker()];
    const { client, accountId } = await processes.newAccount({ credits: 10_000, apiRateLimit: 1_000 });
    await processes.store.accounts.update(accountId, { allowedCountries: ["BE"], countryLimits: { BE: 30 } });
    const created = await Promise.all(
      [0, 1, 2, 3, 4, 5].map((b) =>
        // Serials never ending in 97-99, which the simulator refuses or reports undelivered.
        client.batches.create({ from: "ACME", body: "hi", recipients: belgian(3_000 + b * 100, 20) }),
      ),
    );
    const batches = await Promise.all(
      created.map(({ body }) => client.batches.wait(body.data.batch_id, { timeoutMs: 60_000 })),
    );
    expect(batches.reduce((sum, batch) => sum + batch.attributes.sent, 0)).toBe(30);
    expect(batches.reduce((sum, batch) => sum + batch.attributes.country_limit, 0)).toBe(120 - 30);
    for (const batch of batches) expectIdentity(batch);
    expect(processes.ledger()).toHaveLength(30);
    expect((await client.account.countries()).body.data.attributes.usage.sent).toEqual({ BE: 30 });
    for (const worker of workers) worker.kill("SIGTERM");
  });
});
