import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "../src/accounts";
import {
  bindIdempotencyResource,
  claimIdempotencyKey,
  completeIdempotencyKey,
  purgeExpiredIdempotencyKeys,
  releaseIdempotencyKey,
} from "../src/idempotency";
import { createSql, type Sql } from "../src/sql";
import { createTestDatabase } from "../src/testing";

let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
let sql: Sql;
let accountId: string;

beforeAll(async () => {
  testDb = await createTestDatabase();
  sql = createSql(testDb.url, { poolSize: 3, name: "salvo-test-db" });
  ({
    account: { id: accountId },
  } = await createAccount(sql, { name: "keys", credits: 0 }));
});

afterAll(async () => {
  await sql?.end();
  await testDb?.drop();
});

let counter = 0;
const newKey = () => `key-${++counter}`;
const request = { request: "POST /v1/batches", fingerprint: "a".repeat(64), lockMs: 60_000 };
const answer = { statusCode: 202, body: '{"data":{"batch_id":"bat_1"}}', location: "/v1/batches/bat_1" };

async function claimed(key: string) {
  const claim = await claimIdempotencyKey(sql, { accountId, key, ...request });
  if (!claim.claimed) throw new Error(`${key} was not claimed`);
  return { accountId, key, claimedAt: claim.claimedAt };
}

/** Moves a key's times back, as if it were claimed `seconds` ago. */
async function age(key: string, seconds: number, lockedForSeconds = 60) {
  await sql.query(
    `UPDATE idempotency_keys SET created_at = now() - make_interval(secs => $3),
            locked_until = now() - make_interval(secs => $3) + make_interval(secs => $4)
      WHERE account_id = $1 AND key = $2`,
    [accountId, key, seconds, lockedForSeconds],
  );
}

describe("idempotency keys", () => {
  it("are claimed once, then hold their answer", async () => {
    const key = newKey();
    const claim = await claimed(key);
    expect(await claimIdempotencyKey(sql, { accountId, key, ...request })).toEqual({
      claimed: false,
      record: {
        request: request.request,
        fingerprint: request.fingerprint,
        state: "in_progress",
        statusCode: null,
        body: null,
        location: null,
      },
    });
    expect(await completeIdempotencyKey(sql, claim, answer)).toBe(true);
    const again = await claimIdempotencyKey(sql, { accountId, key, ...request, fingerprint: "b".repeat(64) });
    expect(again).toEqual({
      claimed: false,
      record: {
        request: request.request,
        fingerprint: request.fingerprint,
        state: "done",
        statusCode: 202,
        body: answer.body,
        location: answer.location,
      },
    });
  });

  it("are claimed by exactly one of many concurrent requests", async () => {
    const key = newKey();
    const claims = await Promise.all(
      Array.from({ length: 10 }, () => claimIdempotencyKey(sql, { accountId, key, ...request })),
    );
    expect(claims.filter((c) => c.claimed)).toHaveLength(1);
  });

  it("are per account", async () => {
    const key = newKey();
    const { account: other } = await createAccount(sql, { name: "other", credits: 0 });
    await claimed(key);
    expect((await claimIdempotencyKey(sql, { accountId: other.id, key, ...request })).claimed).toBe(true);
  });

  it("are free again once released (the request failed)", async () => {
    const key = newKey();
    const claim = await claimed(key);
    await releaseIdempotencyKey(sql, claim);
    expect((await claimIdempotencyKey(sql, { accountId, key, ...request })).claimed).toBe(true);
  });

  it("cannot be released once their answer is stored", async () => {
    const key = newKey();
    const claim = await claimed(key);
    await completeIdempotencyKey(sql, claim, answer);
    await releaseIdempotencyKey(sql, claim);
    expect(await claimIdempotencyKey(sql, { accountId, key, ...request })).toMatchObject({
      claimed: false,
      record: { state: "done" },
    });
  });

  it("are taken over when their claim was abandoned, with what it was creating, and the old claim can then store nothing", async () => {
    const key = newKey();
    const stale = await claimed(key);
    expect(await bindIdempotencyResource(sql, stale, "bat_01JDRESOURCE")).toBe(true);
    // Claimed 2 minutes ago, for at most 60 s: its process died.
    await age(key, 120);
    const takeover = await claimIdempotencyKey(sql, { accountId, key, ...request });
    expect(takeover).toMatchObject({ claimed: true, resourceId: "bat_01JDRESOURCE" });
    expect(await completeIdempotencyKey(sql, stale, answer)).toBe(false);
    expect(await bindIdempotencyResource(sql, stale, "bat_other")).toBe(false);
    await releaseIdempotencyKey(sql, stale);
    expect(await claimIdempotencyKey(sql, { accountId, key, ...request })).toMatchObject({
      claimed: false,
      record: { state: "in_progress" },
    });
  });

  it("are not taken over by another body when their claim was abandoned (its work may be done)", async () => {
    const key = newKey();
    await claimed(key);
    await age(key, 120);
    const other = await claimIdempotencyKey(sql, { accountId, key, ...request, fingerprint: "c".repeat(64) });
    expect(other).toMatchObject({ claimed: false, record: { fingerprint: request.fingerprint } });
  });

  it("are not taken over while their claim is within its bound", async () => {
    const key = newKey();
    await claimed(key);
    await age(key, 30); // 30 s into a 60 s claim
    expect((await claimIdempotencyKey(sql, { accountId, key, ...request })).claimed).toBe(false);
  });

  it("are new again after 24 hours, and purged", async () => {
    const expired = newKey();
    const kept = newKey();
    const reused = newKey();
    for (const key of [expired, kept, reused]) await completeIdempotencyKey(sql, await claimed(key), answer);
    await age(expired, 24 * 3600 + 1);
    await age(reused, 24 * 3600 + 1);
    await age(kept, 23 * 3600);
    expect((await claimIdempotencyKey(sql, { accountId, key: reused, ...request })).claimed).toBe(true);

    expect(await purgeExpiredIdempotencyKeys(sql)).toBe(1);
    const { rows } = await sql.query<{ key: string; state: string }>(
      "SELECT key, state FROM idempotency_keys WHERE key = ANY($1) ORDER BY key",
      [[expired, kept, reused]],
    );
    expect(rows).toEqual(
      [
        { key: kept, state: "done" },
        { key: reused, state: "in_progress" },
      ].sort((a, b) => a.key.localeCompare(b.key)),
    );
    expect(await purgeExpiredIdempotencyKeys(sql)).toBe(0);
  });
});
