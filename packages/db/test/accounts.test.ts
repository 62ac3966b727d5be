import { hashTokenSecret, LastTokenError, NotFoundError, splitApiToken } from "@salvo/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  authenticateToken,
  createAccount,
  createApiToken,
  listAccounts,
  listApiTokens,
  revokeAccountApiToken,
  revokeApiToken,
  updateAccount,
} from "../src/accounts";
import type { Db } from "../src/client";
import { createTestDatabase } from "../src/testing";

let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Db;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
});

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
  return authenticateToken(db, id, secret);
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

describe("createAccount", () => {
  it("applies the defaults and returns a token that authenticates", async () => {
    const { account, token } = await createAccount(db, { name: "Acme" });
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

    const tokens = await db.apiToken.findMany({ where: { accountId: account.id } });
    expect(tokens).toHaveLength(1);
    expect(tokens[0]).toMatchObject({ id: parts(token).id, label: "default", revokedAt: null });
  });

  it("keeps the values it is given", async () => {
    const { account } = await createAccount(db, {
      name: "Boutique",
      credits: 500,
      apiRateLimit: 3,
      defaultCountry: "BE",
    });
    const stored = await db.account.findUniqueOrThrow({ where: { id: account.id } });
    expect(stored).toMatchObject({ credits: 500, apiRateLimit: 3, defaultCountry: "BE" });
  });
});

describe("createApiToken", () => {
  it("issues another working token with its label", async () => {
    const { account, token: first } = await createAccount(db, { name: "Two tokens" });
    const { apiToken, token } = await createApiToken(testDb.sql, account.id, "ci");
    expect(apiToken).toMatchObject({ accountId: account.id, label: "ci", revokedAt: null });
    expect(parts(token).id).toBe(apiToken.id);
    expect(token).not.toBe(first);
    expect((await authenticate(token))?.id).toBe(account.id);
    expect((await authenticate(first))?.id).toBe(account.id);
  });

  it("rejects an unknown account with NotFoundError and writes nothing", async () => {
    const before = await db.apiToken.count();
    const attempt = createApiToken(testDb.sql, "acc_01JD3K5ZQ8XH7M2N4P6R9T0VWY");
    await expect(attempt).rejects.toBeInstanceOf(NotFoundError);
    await expect(attempt).rejects.toMatchObject({ code: "NOT_FOUND", status: 404 });
    expect(await db.apiToken.count()).toBe(before);
  });
});

describe("authenticateToken", () => {
  let accountId: string;
  let token: string;
  let otherToken: string;

  beforeAll(async () => {
    const created = await createAccount(db, { name: "Auth" });
    accountId = created.account.id;
    token = created.token;
    otherToken = (await createAccount(db, { name: "Elsewhere" })).token;
  });

  const wrongLastChar = (secret: string) => `${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`;

  it("returns the account for the right secret", async () => {
    const { id, secret } = parts(token);
    expect(await authenticateToken(db, id, secret)).toMatchObject({ id: accountId, name: "Auth" });
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
    expect(await authenticateToken(db, presentedId!, presentedSecret!)).toBeNull();
  });

  it("returns null once the token is revoked", async () => {
    const { account, token: revoked } = await createAccount(db, { name: "Revoked" });
    expect(await authenticate(revoked)).not.toBeNull();
    await revokeApiToken(db, parts(revoked).id, account.id);
    expect(await authenticate(revoked)).toBeNull();
  });

  it("records when a token was last used", async () => {
    const { token: fresh } = await createAccount(db, { name: "Last used" });
    const { id } = parts(fresh);
    const before = await db.apiToken.findUniqueOrThrow({ where: { id } });
    expect(before.lastUsedAt).toBeNull();

    expect(await authenticate(fresh)).not.toBeNull();
    // The write is not awaited by authenticateToken: wait for it to land.
    const lastUsedAt = await eventually("last_used_at to be set", async () => {
      const row = await db.apiToken.findUniqueOrThrow({ where: { id } });
      return row.lastUsedAt;
    });
    expect(lastUsedAt.getTime()).toBeGreaterThanOrEqual(before.createdAt.getTime());
  });

  it("never stores the secret, only its SHA-256", async () => {
    const { account, token: fresh } = await createAccount(db, { name: "Hashed" });
    const { id, secret } = parts(fresh);
    const rows = await db.$queryRaw<{ secret_hash: string; row: string }[]>`
      SELECT secret_hash, row_to_json(t)::text AS row FROM api_tokens t WHERE id = ${id}`;
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row!.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row!.secret_hash).toBe(hashTokenSecret(secret));
    expect(row!.secret_hash).not.toBe(secret);
    expect(row!.row).not.toContain(secret);
    const accountRow = await db.$queryRaw<{ row: string }[]>`
      SELECT row_to_json(a)::text AS row FROM accounts a WHERE id = ${account.id}`;
    expect(accountRow[0]!.row).not.toContain(secret);
  });
});

describe("revokeApiToken", () => {
  it("is scoped by account: another account's token is not found and keeps working", async () => {
    const owner = await createAccount(db, { name: "Owner" });
    const other = await createAccount(db, { name: "Other" });
    const tokenId = parts(owner.token).id;

    await expect(revokeApiToken(db, tokenId, other.account.id)).rejects.toBeInstanceOf(NotFoundError);
    expect((await db.apiToken.findUniqueOrThrow({ where: { id: tokenId } })).revokedAt).toBeNull();
    expect((await authenticate(owner.token))?.id).toBe(owner.account.id);

    const revoked = await revokeApiToken(db, tokenId, owner.account.id);
    expect(revoked.revokedAt).toBeInstanceOf(Date);
  });

  it("keeps the first revocation time when revoked twice", async () => {
    const { account, token } = await createAccount(db, { name: "Twice" });
    const tokenId = parts(token).id;
    const first = await revokeApiToken(db, tokenId, account.id);
    const second = await revokeApiToken(db, tokenId, account.id);
    const third = await revokeApiToken(db, tokenId);
    expect(first.revokedAt).toBeInstanceOf(Date);
    expect(second.revokedAt).toEqual(first.revokedAt);
    expect(third.revokedAt).toEqual(first.revokedAt);
  });

  it("rejects an unknown token id", async () => {
    await expect(revokeApiToken(db, "tok_01JD3K5ZQ8XH7M2N4P6R9T0VWY")).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("revokeAccountApiToken", () => {
  it("never revokes an account's last live token, and is scoped by account", async () => {
    const { account, token } = await createAccount(db, { name: "Last" });
    const first = parts(token).id;
    await expect(revokeAccountApiToken(db, first, account.id)).rejects.toBeInstanceOf(LastTokenError);
    const { apiToken: second } = await createApiToken(testDb.sql, account.id, "second");
    const other = await createAccount(db, { name: "Other" });
    await expect(revokeAccountApiToken(db, first, other.account.id)).rejects.toBeInstanceOf(NotFoundError);
    expect((await revokeAccountApiToken(db, first, account.id)).revokedAt).toBeInstanceOf(Date);
    await expect(revokeAccountApiToken(db, second.id, account.id)).rejects.toBeInstanceOf(LastTokenError);
    // Already revoked: returned as it is. The admin's revokeApiToken still revokes anything.
    expect((await revokeAccountApiToken(db, first, account.id)).revokedAt).toBeInstanceOf(Date);
    expect((await revokeApiToken(db, second.id)).revokedAt).toBeInstanceOf(Date);
  });

  it("leaves one live token when two revocations race", async () => {
    for (let round = 0; round < 5; round++) {
      const { account, token } = await createAccount(db, { name: "Race" });
      const { apiToken } = await createApiToken(testDb.sql, account.id);
      const outcomes = await Promise.allSettled([
        revokeAccountApiToken(db, parts(token).id, account.id),
        revokeAccountApiToken(db, apiToken.id, account.id),
      ]);
      expect(outcomes.map((o) => o.status).sort()).toEqual(["fulfilled", "rejected"]);
      expect(await db.apiToken.count({ where: { accountId: account.id, revokedAt: null } })).toBe(1);
    }
  });
});

describe("listApiTokens", () => {
  it("pages 30 tokens as 25 then 5, newest first", async () => {
    const { account, token } = await createAccount(db, { name: "Many tokens" });
    const created = [parts(token).id];
    for (let i = 1; i < 30; i++)
      created.push((await createApiToken(testDb.sql, account.id, `t${i}`)).apiToken.id);
    const newestFirst = created.toReversed();

    const page1 = await listApiTokens(db, account.id, 1);
    const page2 = await listApiTokens(db, account.id, 2);
    const page3 = await listApiTokens(db, account.id, 3);
    expect(page1.pages).toBe(2);
    expect(page2.pages).toBe(2);
    expect(page1.tokens.map((t) => t.id)).toEqual(newestFirst.slice(0, 25));
    expect(page2.tokens.map((t) => t.id)).toEqual(newestFirst.slice(25));
    expect(page3.tokens).toEqual([]);
  });

  it("lists only the account's own tokens", async () => {
    const { account } = await createAccount(db, { name: "One token" });
    const { tokens, pages } = await listApiTokens(db, account.id, 1);
    expect(pages).toBe(1);
    expect(tokens.map((t) => t.accountId)).toEqual([account.id]);
  });

  it("has no pages for an account without tokens", async () => {
    expect(await listApiTokens(db, "acc_01JD3K5ZQ8XH7M2N4P6R9T0VWY", 1)).toEqual({ tokens: [], pages: 0 });
  });
});

describe("updateAccount", () => {
  it("changes what it is given and leaves the rest", async () => {
    const { account } = await createAccount(db, { name: "Before", credits: 5 });
    const changed = await updateAccount(db, account.id, {
      name: "After",
      apiRateLimit: 3,
      sendRateLimit: 40,
    });
    expect(changed).toMatchObject({ name: "After", apiRateLimit: 3, sendRateLimit: 40, credits: 5 });
    expect(await updateAccount(db, account.id, { sendRateLimit: null })).toMatchObject({
      sendRateLimit: null,
    });
    expect(await updateAccount(db, account.id, { credits: 9 })).toMatchObject({ credits: 9, name: "After" });
  });

  it("adds and removes credits, never taking the balance below 0 or past 2^31-1, and then changes nothing", async () => {
    const { account } = await createAccount(db, { name: "Balance", credits: 5 });
    expect((await updateAccount(db, account.id, { addCredits: 10 })).credits).toBe(15);
    expect((await updateAccount(db, account.id, { addCredits: -15 })).credits).toBe(0);
    const refused = { code: "INVALID_PARAMETER", message: expect.stringContaining("out of range") };
    await expect(updateAccount(db, account.id, { addCredits: -1, name: "Changed" })).rejects.toMatchObject(
      refused,
    );
    expect((await updateAccount(db, account.id, { addCredits: 2_147_483_647 })).credits).toBe(2_147_483_647);
    await expect(updateAccount(db, account.id, { addCredits: 1, name: "Changed" })).rejects.toMatchObject(
      refused,
    );
    await updateAccount(db, account.id, { credits: 0 });
    expect(await db.account.findUniqueOrThrow({ where: { id: account.id } })).toMatchObject({
      credits: 0,
      name: "Balance",
    });
  });

  it("keeps the balance in range when changes race", async () => {
    const { account } = await createAccount(db, { name: "Race", credits: 10 });
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => updateAccount(db, account.id, { addCredits: -4 })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(2);
    expect((await db.account.findUniqueOrThrow({ where: { id: account.id } })).credits).toBe(2);
  });

  it("refuses setting and adding credits at once, and an unknown account", async () => {
    const { account } = await createAccount(db, { name: "Both" });
    await expect(updateAccount(db, account.id, { credits: 1, addCredits: 1 })).rejects.toMatchObject({
      code: "INVALID_PARAMETER",
    });
    await expect(updateAccount(db, "acc_01JD3K5ZQ8XH7M2N4P6R9T0VWY", { name: "x" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });
});

describe("listAccounts", () => {
  it("lists every account, newest first", async () => {
    const { account: older } = await createAccount(db, { name: "Older" });
    const { account: newer } = await createAccount(db, { name: "Newer" });
    const ids = (await listAccounts(db)).map((a) => a.id);
    expect(ids.indexOf(newer.id)).toBeLessThan(ids.indexOf(older.id));
    expect(ids.indexOf(newer.id)).toBe(0);
  });
});
