import { hashTokenSecret, LastTokenError, NotFoundError, splitApiToken } from "@salvo/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiToken } from "../src/rows";
import type { Store } from "../src/store";
import { createTestDatabase } from "../src/testing";

let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
let store: Store;

beforeAll(async () => {
  testDb = await createTestDatabase();
  store = testDb.store;
});

const TOKEN = `id, account_id AS "accountId", label, created_at AS "createdAt", last_used_at AS "lastUsedAt",
  revoked_at AS "revokedAt"`;

async function tokenRow(id: string) {
  const [row] = await testDb.query<ApiToken>(`SELECT ${TOKEN} FROM api_tokens WHERE id = $1`, [id]);
  if (!row) throw new Error(`no token ${id}`);
  return row;
}

async function countTokens(where = "true", values: unknown[] = []) {
  const [row] = await testDb.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM api_tokens WHERE ${where}`,
    values,
  );
  return row?.n;
}

afterAll(async () => {
  await testDb?.drop();
});

function parts(token: string): { id: string; secret: string } {
  const split = splitApiToken(token);
  if (!split) throw new Error(`not a token: ${token}`);
  return split;
}

/** Authenticates a full token the way the API does. */
function authenticate(token: string) {
  const { id, secret } = parts(token);
  return store.tokens.authenticate(id, secret);
}

/** Polls until `read` returns a value, or fails after `timeoutMs`. */
async function eventually<T>(what: string, read: () => Promise<T | null | undefined>, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("accounts.create", () => {
  it("applies the defaults and returns a token that authenticates", async () => {
    const { account, token } = await store.accounts.create({ name: "Acme" });
    expect(account).toMatchObject({
      name: "Acme",
      credits: 0,
      apiRateLimit: 15,
      sendRateLimit: null,
      defaultCountry: "FR",
      floodMaxPerHour: 20,
      floodMaxSameBodyPerHour: 6,
    });
    expect(account.id).toMatch(/^acc_[0-9A-Z]{26}$/);
    expect((await authenticate(token))?.id).toBe(account.id);

    const tokens = await testDb.query(`SELECT ${TOKEN} FROM api_tokens WHERE account_id = $1`, [account.id]);
    expect(tokens).toHaveLength(1);
    expect(tokens[0]).toMatchObject({ id: parts(token).id, label: "default", revokedAt: null });
  });

  it("keeps the values it is given", async () => {
    const { account } = await store.accounts.create({
      name: "Boutique",
      credits: 500,
      apiRateLimit: 3,
      defaultCountry: "BE",
    });
    const stored = await store.accounts.find(account.id);
    expect(stored).toMatchObject({ credits: 500, apiRateLimit: 3, defaultCountry: "BE" });
  });
});

describe("tokens.create", () => {
  it("issues another working token with its label", async () => {
    const { account, token: first } = await store.accounts.create({ name: "Two tokens" });
    const { apiToken, token } = await store.tokens.create(account.id, "ci");
    expect(apiToken).toMatchObject({ accountId: account.id, label: "ci", revokedAt: null });
    expect(parts(token).id).toBe(apiToken.id);
    expect(token).not.toBe(first);
    expect((await authenticate(token))?.id).toBe(account.id);
    expect((await authenticate(first))?.id).toBe(account.id);
  });

  it("rejects an unknown account with NotFoundError and writes nothing", async () => {
    const before = await countTokens();
    const attempt = store.tokens.create("acc_01JD3K5ZQ8XH7M2N4P6R9T0VWY");
    await expect(attempt).rejects.toBeInstanceOf(NotFoundError);
    await expect(attempt).rejects.toMatchObject({ code: "NOT_FOUND", status: 404 });
    expect(await countTokens()).toBe(before);
  });
});

describe("tokens.authenticate", () => {
  let accountId: string;
  let token: string;
  let otherToken: string;

  beforeAll(async () => {
    const created = await store.accounts.create({ name: "Auth" });
    accountId = created.account.id;
    token = created.token;
    otherToken = (await store.accounts.create({ name: "Elsewhere" })).token;
  });

  const wrongLastChar = (secret: string) => `${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`;

  it("returns the account for the right secret", async () => {
    const { id, secret } = parts(token);
    expect(await store.tokens.authenticate(id, secret)).toMatchObject({ id: accountId, name: "Auth" });
  });

  it.each([
    ["a wrong secret", (id: string, secret: string) => [id, wrongLastChar(secret)]],
    ["another account's secret", (id: string) => [id, parts(otherToken).secret]],
    ["an empty secret", (id: string) => [id, ""]],
    ["an unknown token id", (_: string, secret: string) => ["tok_01JD3K5ZQ8XH7M2N4P6R9T0VWY", secret]],
    ["the stored hash as the secret", (id: string, secret: string) => [id, hashTokenSecret(secret)]],
  ] as const)("returns null for %s", async (_, present) => {
    const { id, secret } = parts(token);
    const [presentedId, presentedSecret] = present(id, secret);
    expect(await store.tokens.authenticate(presentedId!, presentedSecret!)).toBeNull();
  });

  it("returns null once the token is revoked", async () => {
    const { token: revoked } = await store.accounts.create({ name: "Revoked" });
    expect(await authenticate(revoked)).not.toBeNull();
    await store.tokens.revoke(parts(revoked).id, { operator: true });
    expect(await authenticate(revoked)).toBeNull();
  });

  it("records when a token was last used", async () => {
    const { token: fresh } = await store.accounts.create({ name: "Last used" });
    const { id } = parts(fresh);
    const before = await tokenRow(id);
    expect(before.lastUsedAt).toBeNull();

    expect(await authenticate(fresh)).not.toBeNull();
    // The write is not awaited by authenticateToken: wait for it to land.
    const lastUsedAt = await eventually("last_used_at to be set", async () => {
      return (await tokenRow(id)).lastUsedAt;
    });
    expect(lastUsedAt.getTime()).toBeGreaterThanOrEqual(before.createdAt.getTime());
  });

  it("never stores the secret, only its SHA-256", async () => {
    const { account, token: fresh } = await store.accounts.create({ name: "Hashed" });
    const { id, secret } = parts(fresh);
    const rows = await testDb.query<{ secret_hash: string; row: string }>(
      "SELECT secret_hash, row_to_json(t)::text AS row FROM api_tokens t WHERE id = $1",
      [id],
    );
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row!.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row!.secret_hash).toBe(hashTokenSecret(secret));
    expect(row!.secret_hash).not.toBe(secret);
    expect(row!.row).not.toContain(secret);
    const accountRow = await testDb.query<{ row: string }>(
      "SELECT row_to_json(a)::text AS row FROM accounts a WHERE id = $1",
      [account.id],
    );
    expect(accountRow[0]!.row).not.toContain(secret);
  });
});

describe("tokens.revoke by an operator or an account", () => {
  it("is scoped by account: another account's token is not found and keeps working", async () => {
    const owner = await store.accounts.create({ name: "Owner" });
    const other = await store.accounts.create({ name: "Other" });
    const tokenId = parts(owner.token).id;
    await store.tokens.create(owner.account.id, "spare"); // not its last live token

    await expect(store.tokens.revoke(tokenId, { accountId: other.account.id })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    expect((await tokenRow(tokenId)).revokedAt).toBeNull();
    expect((await authenticate(owner.token))?.id).toBe(owner.account.id);

    const revoked = await store.tokens.revoke(tokenId, { accountId: owner.account.id });
    expect(revoked.revokedAt).toBeInstanceOf(Date);
  });

  it("keeps the first revocation time when revoked twice", async () => {
    const { account, token } = await store.accounts.create({ name: "Twice" });
    const tokenId = parts(token).id;
    const first = await store.tokens.revoke(tokenId, { operator: true });
    const second = await store.tokens.revoke(tokenId, { accountId: account.id });
    const third = await store.tokens.revoke(tokenId, { operator: true });
    expect(first.revokedAt).toBeInstanceOf(Date);
    expect(second.revokedAt).toEqual(first.revokedAt);
    expect(third.revokedAt).toEqual(first.revokedAt);
  });

  it("rejects an unknown token id", async () => {
    await expect(
      store.tokens.revoke("tok_01JD3K5ZQ8XH7M2N4P6R9T0VWY", { operator: true }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("tokens.revoke by the account", () => {
  it("never revokes an account's last live token, and is scoped by account", async () => {
    const { account, token } = await store.accounts.create({ name: "Last" });
    const first = parts(token).id;
    await expect(store.tokens.revoke(first, { accountId: account.id })).rejects.toBeInstanceOf(
      LastTokenError,
    );
    const { apiToken: second } = await store.tokens.create(account.id, "second");
    const other = await store.accounts.create({ name: "Other" });
    await expect(store.tokens.revoke(first, { accountId: other.account.id })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    expect((await store.tokens.revoke(first, { accountId: account.id })).revokedAt).toBeInstanceOf(Date);
    await expect(store.tokens.revoke(second.id, { accountId: account.id })).rejects.toBeInstanceOf(
      LastTokenError,
    );
    // Already revoked: returned as it is. An operator still revokes anything.
    expect((await store.tokens.revoke(first, { accountId: account.id })).revokedAt).toBeInstanceOf(Date);
    expect((await store.tokens.revoke(second.id, { operator: true })).revokedAt).toBeInstanceOf(Date);
  });

  it("leaves one live token when two revocations race", async () => {
    for (let round = 0; round < 5; round++) {
      const { account, token } = await store.accounts.create({ name: "Race" });
      const { apiToken } = await store.tokens.create(account.id);
      const outcomes = await Promise.allSettled([
        store.tokens.revoke(parts(token).id, { accountId: account.id }),
        store.tokens.revoke(apiToken.id, { accountId: account.id }),
      ]);
      expect(outcomes.map((o) => o.status).sort()).toEqual(["fulfilled", "rejected"]);
      expect(await countTokens("account_id = $1 AND revoked_at IS NULL", [account.id])).toBe(1);
    }
  });
});

describe("tokens.list", () => {
  it("pages 30 tokens as 25 then 5, newest first", async () => {
    const { account, token } = await store.accounts.create({ name: "Many tokens" });
    const created = [parts(token).id];
    for (let i = 1; i < 30; i++) created.push((await store.tokens.create(account.id, `t${i}`)).apiToken.id);
    const newestFirst = created.toReversed();

    const page1 = await store.tokens.list(account.id, 1);
    const page2 = await store.tokens.list(account.id, 2);
    const page3 = await store.tokens.list(account.id, 3);
    expect(page1.pages).toBe(2);
    expect(page2.pages).toBe(2);
    expect(page1.tokens.map((t) => t.id)).toEqual(newestFirst.slice(0, 25));
    expect(page2.tokens.map((t) => t.id)).toEqual(newestFirst.slice(25));
    expect(page3.tokens).toEqual([]);
  });

  it("lists only the account's own tokens", async () => {
    const { account } = await store.accounts.create({ name: "One token" });
    const { tokens, pages } = await store.tokens.list(account.id, 1);
    expect(pages).toBe(1);
    expect(tokens.map((t) => t.accountId)).toEqual([account.id]);
  });

  it("has no pages for an account without tokens", async () => {
    expect(await store.tokens.list("acc_01JD3K5ZQ8XH7M2N4P6R9T0VWY", 1)).toEqual({ tokens: [], pages: 0 });
  });
});

describe("accounts.update", () => {
  it("changes what it is given and leaves the rest", async () => {
    const { account } = await store.accounts.create({ name: "Before", credits: 5 });
    const changed = await store.accounts.update(account.id, {
      name: "After",
      apiRateLimit: 3,
      sendRateLimit: 40,
    });
    expect(changed).toMatchObject({ name: "After", apiRateLimit: 3, sendRateLimit: 40, credits: 5 });
    expect(await store.accounts.update(account.id, { sendRateLimit: null })).toMatchObject({
      sendRateLimit: null,
    });
    expect(await store.accounts.update(account.id, { credits: 9 })).toMatchObject({
      credits: 9,
      name: "After",
    });
  });

  it("adds and removes credits, never taking the balance below 0 or past 2^31-1, and then changes nothing", async () => {
    const { account } = await store.accounts.create({ name: "Balance", credits: 5 });
    expect((await store.accounts.update(account.id, { addCredits: 10 })).credits).toBe(15);
    expect((await store.accounts.update(account.id, { addCredits: -15 })).credits).toBe(0);
    const refused = { code: "INVALID_PARAMETER", message: expect.stringContaining("out of range") };
    await expect(
      store.accounts.update(account.id, { addCredits: -1, name: "Changed" }),
    ).rejects.toMatchObject(refused);
    expect((await store.accounts.update(account.id, { addCredits: 2_147_483_647 })).credits).toBe(
      2_147_483_647,
    );
    await expect(store.accounts.update(account.id, { addCredits: 1, name: "Changed" })).rejects.toMatchObject(
      refused,
    );
    await store.accounts.update(account.id, { credits: 0 });
    expect(await store.accounts.find(account.id)).toMatchObject({
      credits: 0,
      name: "Balance",
    });
  });

  it("keeps the balance in range when changes race", async () => {
    const { account } = await store.accounts.create({ name: "Race", credits: 10 });
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => store.accounts.update(account.id, { addCredits: -4 })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(2);
    expect((await store.accounts.find(account.id))?.credits).toBe(2);
  });

  it("refuses setting and adding credits at once, and an unknown account", async () => {
    const { account } = await store.accounts.create({ name: "Both" });
    await expect(store.accounts.update(account.id, { credits: 1, addCredits: 1 })).rejects.toMatchObject({
      code: "INVALID_PARAMETER",
    });
    await expect(
      store.accounts.update("acc_01JD3K5ZQ8XH7M2N4P6R9T0VWY", { name: "x" }),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });
});

describe("accounts.list", () => {
  it("lists every account, newest first", async () => {
    const { account: older } = await store.accounts.create({ name: "Older" });
    const { account: newer } = await store.accounts.create({ name: "Newer" });
    const ids = (await store.accounts.list()).map((a) => a.id);
    expect(ids.indexOf(newer.id)).toBeLessThan(ids.indexOf(older.id));
    expect(ids.indexOf(newer.id)).toBe(0);
  });
});
