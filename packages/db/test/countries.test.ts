// Country settings and monthly quotas on a real PostgreSQL: settings resolve
// from the account, then its parent, then the defaults; quotas hold exactly
// under chunks racing for them on several connections, and a retried chunk
// never takes its quota twice.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStore, type Store } from "../src/store";
import { createTestDatabase } from "../src/testing";

let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
let store: Store;

beforeAll(async () => {
  testDb = await createTestDatabase();
  store = testDb.store;
});

afterAll(async () => {
  await testDb?.drop();
});

async function newAccount(
  settings: { allowedCountries?: string[]; countryLimits?: Record<string, number> } = {},
) {
  const { account } = await store.accounts.create({ name: "countries", credits: 10_000 });
  if (Object.keys(settings).length > 0) await store.accounts.update(account.id, settings);
  return account.id;
}

let batchCount = 0;

/** A batch of `chunks` chunks of 10 Belgian numbers, accepted for the account. */
async function acceptBatch(accountId: string, chunks: number) {
  const id = `bat_cty_${++batchCount}`;
  await store.batches.accept({
    id,
    accountId,
    type: "transactional",
    sender: "ACME",
    body: "hi",
    country: null,
    segments: 1,
    recipients: Array.from({ length: chunks * 10 }, (_, i) => `+3247012${String(i).padStart(4, "0")}`),
    chunkSize: 10,
  });
  return { id, accountId };
}

const belgians = (chunk: number) =>
  Array.from({ length: 10 }, (_, i) => ({ idx: chunk * 10 + i, country: "BE" }));

describe("settings", () => {
  it("are the account's own, else its parent's, else its default country (with the regions dialled as its own) and no limits", async () => {
    const parent = await newAccount();
    expect(await store.countries.find(parent)).toMatchObject({
      allowedCountries: ["BL", "FR", "GF", "GP", "MF", "MQ", "RE", "YT"],
      allowedCountriesFrom: "default",
      monthlyLimits: {},
      monthlyLimitsFrom: "default",
      usage: {},
    });
    const sub = await store.subAccounts.create(parent, { name: "sub", credits: 100 });
    await store.accounts.update(parent, { allowedCountries: ["BE", "FR"], countryLimits: { BE: 5 } });
    expect(await store.countries.find(sub.id)).toMatchObject({
      allowedCountries: ["BE", "FR"],
      allowedCountriesFrom: "parent",
      monthlyLimits: { BE: 5 },
      monthlyLimitsFrom: "parent",
      usage: { BE: 0 },
    });
    await store.accounts.update(sub.id, { allowedCountries: ["FR"], countryLimits: {} });
    expect(await store.countries.find(sub.id)).toMatchObject({
      allowedCountries: ["FR"],
      allowedCountriesFrom: "account",
      monthlyLimits: {},
      monthlyLimitsFrom: "account",
    });
    // The worker reads the same, with the batch.
    const batch = await acceptBatch(sub.id, 1);
    expect(await store.pipeline.loadBatch(batch.id)).toMatchObject({
      allowedCountries: ["FR"],
      countryLimits: {},
    });
    await store.accounts.update(sub.id, { allowedCountries: null, countryLimits: null });
    expect(await store.pipeline.loadBatch(batch.id)).toMatchObject({
      allowedCountries: ["BE", "FR"],
      countryLimits: { BE: 5 },
    });
  });
});

describe("monthly quota", () => {
  it("lets exactly the limit through when chunks of several batches race for it", async () => {
    const limits = { BE: 25 };
    const accountId = await newAccount({ allowedCountries: ["BE"], countryLimits: limits });
    const batches = await Promise.all([1, 2, 3].map(() => acceptBatch(accountId, 4)));
    // Two pools: more transactions at once than one pool's connections.
    const other = createStore(testDb.url, { poolSize: 5 });
    try {
      const takes = batches.flatMap((batch, b) =>
        [0, 1, 2, 3].map((chunk) =>
          (b % 2 === 0 ? store : other).countries.takeQuota(batch, chunk, belgians(chunk), limits),
        ),
      );
      const refused = await Promise.all(takes);
      expect(refused.reduce((sum, set) => sum + set.size, 0)).toBe(120 - 25);
    } finally {
      await other.close();
    }
    expect((await store.countries.find(accountId))?.usage).toEqual({ BE: 25 });
  });

  it("is taken once per message, however often its chunk is retried", async () => {
    const accountId = await newAccount({ countryLimits: { BE: 15, ES: 0 } });
    const batch = await acceptBatch(accountId, 2);
    const mixed = [...belgians(0), { idx: 100, country: "FR" }, { idx: 101, country: "ES" }];
    const limits = { BE: 15, ES: 0 };
    expect(await store.countries.takeQuota(batch, 0, mixed, limits)).toEqual(new Set([101]));
    // The retry: the 10 Belgians already took theirs.
    expect(await store.countries.takeQuota(batch, 0, mixed, limits)).toEqual(new Set([101]));
    expect((await store.countries.find(accountId))?.usage).toEqual({ BE: 10, ES: 0 });
    // Another chunk: 5 left.
    const second = await store.countries.takeQuota(batch, 1, belgians(1), limits);
    expect([...second].sort()).toEqual([15, 16, 17, 18, 19]);
    expect((await store.countries.find(accountId))?.usage).toEqual({ BE: 15, ES: 0 });
    expect(await store.countries.quotaLeft(accountId, limits)).toEqual(
      new Map([
        ["BE", 0],
        ["ES", 0],
      ]),
    );
  });

  it("counts by UTC calendar month: last month's usage leaves this month's quota whole", async () => {
    const accountId = await newAccount({ countryLimits: { BE: 3 } });
    await testDb.query(
      `INSERT INTO country_usage (account_id, month, country, count)
       VALUES ($1, (date_trunc('month', now() AT TIME ZONE 'UTC') - interval '1 month')::date, 'BE', 3)`,
      [accountId],
    );
    expect(await store.countries.quotaLeft(accountId, { BE: 3 })).toEqual(new Map([["BE", 3]]));
    const batch = await acceptBatch(accountId, 1);
    expect((await store.countries.takeQuota(batch, 0, belgians(0), { BE: 3 })).size).toBe(7);
  });
});
