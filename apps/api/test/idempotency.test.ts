// Idempotency-Key on the POST routes that create something: the first answer is
// stored in PostgreSQL and replayed to retries with the same key and body, which
// do nothing again; another request with the key is a 409; concurrent requests
// with one key run once. No worker runs here: batches stay `accepted`.
import { createHash, randomBytes } from "node:crypto";
import type { Account } from "@salvo/db";
import { closeRedis, createRedis, type OpenQueue, openQueue, type RedisClient } from "@salvo/queue";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./harness";

const WAIT_MS = 1_000;
let t: TestApi;
let redis: RedisClient;
let queue: OpenQueue<"batches">;
beforeAll(async () => {
  t = await startTestApi({
    IDEMPOTENCY_WAIT_MS: String(WAIT_MS),
    SEND_TIMEOUT_MS: "300",
    // Webhook secrets sealed at rest: a retry must still show the secret itself.
    WEBHOOK_SECRET_KEYS: randomBytes(32).toString("base64"),
  });
  redis = createRedis(t.env.REDIS_URL);
  queue = openQueue("batches", redis, t.env.REDIS_PREFIX);
});
afterAll(async () => {
  await queue?.close();
  if (redis) await closeRedis(redis);
  await t?.stop();
});

const FAST = { apiRateLimit: 10_000 };
const batch = { from: "ACME", body: "Hello", recipients: ["+33612345678", "0612345679"] };
let keys = 0;
const newKey = () => `test-key-${++keys}-${Date.now()}`;

interface Post {
  key?: string;
  token: string;
  body?: unknown;
  accept?: string;
}

/** A POST as a user's HTTP client sends it: the body as JSON text, the key as a header. */
async function post(path: string, { key, token, body, accept }: Post) {
  const response = await fetch(`${t.api.url}${path}`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      ...(key === undefined ? {} : { "idempotency-key": key }),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...(accept ? { accept } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json: Record<string, unknown> & { error?: { code: string; field?: string; description: string } };
  try {
    json = JSON.parse(text);
  } catch {
    json = {};
  }
  return {
    status: response.status,
    text,
    json,
    location: response.headers.get("location"),
    replayed: response.headers.get("idempotent-replayed"),
    headers: response.headers,
  };
}

/** What acceptance writes for an account: batches, credits, and the jobs queued. */
async function written(accountId: string) {
  const [batches, account, jobs] = await Promise.all([
    t.count("batches", { account_id: accountId }),
    t.row<Account>("accounts", { id: accountId }),
    queue.queue.count(),
  ]);
  return { batches, credits: account.credits, jobs };
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * What a crash between a route's work and its stored answer leaves: the work
 * done, its key still claimed (and the claim abandoned), no answer.
 */
async function loseAnswer(accountId: string, key: string) {
  await t.query(
    `UPDATE idempotency_keys SET state = 'in_progress', status_code = NULL, body = NULL, location = NULL,
            locked_until = now() - interval '1 second'
      WHERE account_id = $1 AND key = $2`,
    [accountId, key],
  );
}

/** A key claimed by "another request" still running (or whose process died: `lockedForMs` < 0). */
async function claimAsAnotherRequest(
  accountId: string,
  key: string,
  path: string,
  body: unknown,
  lockedForMs = 60_000,
) {
  await t.query(
    `INSERT INTO idempotency_keys (account_id, key, request, fingerprint, locked_until)
     VALUES ($1, $2, $3, $4, now() + $5 * interval '1 millisecond')`,
    [accountId, key, `POST ${path}`, sha256(JSON.stringify(body)), lockedForMs],
  );
}

describe("Idempotency-Key on POST /v1/batches", () => {
  let token: string;
  let accountId: string;
  beforeAll(async () => {
    ({ token, accountId } = await t.newAccount({ ...FAST, credits: 1_000 }));
  });

  it("replays the first answer (status, body, Location) and creates nothing more", async () => {
    const key = newKey();
    const before = await written(accountId);
    const first = await post("/v1/batches", { key, token, body: batch });
    expect(first.status).toBe(202);
    expect(first.replayed).toBeNull();
    const id = (first.json.data as { batch_id: string }).batch_id;
    expect(first.location).toBe(`/v1/batches/${id}`);
    const after = await written(accountId);
    expect(after).toEqual({
      batches: before.batches + 1,
      credits: before.credits - 2,
      jobs: before.jobs + 1,
    });

    for (let i = 0; i < 2; i++) {
      const again = await post("/v1/batches", { key, token, body: batch });
      expect([again.status, again.text, again.location, again.replayed]).toEqual([
        202,
        first.text,
        first.location,
        "true",
      ]);
    }
    expect(await written(accountId)).toEqual(after);
  });

  it("answers requests without a key as before: each creates a batch", async () => {
    const before = await written(accountId);
    const [a, b] = [
      await post("/v1/batches", { token, body: batch }),
      await post("/v1/batches", { token, body: batch }),
    ];
    expect(a.json.data).not.toEqual(b.json.data);
    expect((await written(accountId)).batches).toBe(before.batches + 2);
  });

  it("refuses the key with another body, or on another route: 409 IDEMPOTENCY_KEY_REUSED, nothing done", async () => {
    const key = newKey();
    await post("/v1/batches", { key, token, body: batch });
    const before = await written(accountId);

    const otherBody = await post("/v1/batches", { key, token, body: { ...batch, body: "Hello again" } });
    expect(otherBody.status).toBe(409);
    expect(otherBody.json.error).toMatchObject({ code: "IDEMPOTENCY_KEY_REUSED", field: "Idempotency-Key" });
    expect(otherBody.replayed).toBeNull();

    const otherRoute = await post("/v1/sms", {
      key,
      token,
      body: { from: "ACME", to: "+33612345678", body: "Hi" },
    });
    expect(otherRoute.status).toBe(409);
    expect(otherRoute.json.error?.code).toBe("IDEMPOTENCY_KEY_REUSED");
    expect(otherRoute.json.error?.description).toContain("POST /v1/batches");

    expect(await written(accountId)).toEqual(before);
  });

  it("fingerprints the body's bytes: the same JSON written differently is another body", async () => {
    const key = newKey();
    await post("/v1/batches", { key, token, body: batch });
    const reordered = { recipients: batch.recipients, body: batch.body, from: batch.from };
    expect((await post("/v1/batches", { key, token, body: reordered })).status).toBe(409);
  });

  it("keeps keys per account: the same key in two accounts is two keys", async () => {
    const key = newKey();
    const other = await t.newAccount({ ...FAST, credits: 100 });
    const mine = await post("/v1/batches", { key, token, body: batch });
    const theirs = await post("/v1/batches", { key, token: other.token, body: batch });
    expect([mine.status, theirs.status, theirs.replayed]).toEqual([202, 202, null]);
    expect(theirs.json.data).not.toEqual(mine.json.data);
    expect((await written(other.accountId)).batches).toBe(1);
    // Nor does another account's different body conflict with it.
    const third = await t.newAccount({ ...FAST, credits: 100 });
    const different = await post("/v1/batches", {
      key,
      token: third.token,
      body: { ...batch, body: "Other" },
    });
    expect(different.status).toBe(202);
  });

  it("runs ten concurrent requests with one key once: one batch, one debit, the others replay it", async () => {
    const key = newKey();
    const before = await written(accountId);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => post("/v1/batches", { key, token, body: batch })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(202));
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    expect(answers.filter((a) => a.replayed === "true")).toHaveLength(9);
    expect(await written(accountId)).toEqual({
      batches: before.batches + 1,
      credits: before.credits - 2,
      jobs: before.jobs + 1,
    });
  });

  it("does not use a key up on a request refused as written (400): the corrected request runs", async () => {
    const key = newKey();
    const before = await written(accountId);
    const wrong = await post("/v1/batches", {
      key,
      token,
      body: { ...batch, from: "far too long a sender" },
    });
    expect([wrong.status, wrong.json.error?.field]).toEqual([400, "from"]);
    const unreadable = await fetch(`${t.api.url}/v1/batches`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "idempotency-key": key,
        "content-type": "application/json",
      },
      body: '{"from":',
    });
    expect(unreadable.status).toBe(400);
    expect(await t.count("idempotency_keys", { account_id: accountId, key })).toBe(0);

    const right = await post("/v1/batches", { key, token, body: batch });
    expect([right.status, right.replayed]).toEqual([202, null]);
    expect((await written(accountId)).batches).toBe(before.batches + 1);
  });

  it("replays a refusal about the account (402), even once credits are added; a new key runs", async () => {
    const poor = await t.newAccount({ ...FAST, credits: 1 });
    const key = newKey();
    const first = await post("/v1/batches", { key, token: poor.token, body: batch });
    expect([first.status, first.json.error?.code]).toEqual([402, "NOT_ENOUGH_CREDITS"]);
    await t.store.accounts.update(poor.accountId, { credits: 100 });

    const again = await post("/v1/batches", { key, token: poor.token, body: batch });
    expect([again.status, again.text, again.replayed]).toEqual([402, first.text, "true"]);
    expect((await written(poor.accountId)).batches).toBe(0);

    const fresh = await post("/v1/batches", { key: newKey(), token: poor.token, body: batch });
    expect(fresh.status).toBe(202);
  });

  it("forgets a key after 24 hours: the request runs again", async () => {
    const key = newKey();
    const first = await post("/v1/batches", { key, token, body: batch });
    await t.query(
      `UPDATE idempotency_keys SET created_at = now() - interval '24 hours 1 second'
        WHERE account_id = $1 AND key = $2`,
      [accountId, key],
    );
    const before = await written(accountId);
    const again = await post("/v1/batches", { key, token, body: batch });
    expect([again.status, again.replayed]).toEqual([202, null]);
    expect(again.json.data).not.toEqual(first.json.data);
    expect((await written(accountId)).batches).toBe(before.batches + 1);
    // …and the new answer is the one replayed from now on.
    expect((await post("/v1/batches", { key, token, body: batch })).text).toBe(again.text);
  });

  it("makes a request wait while another with its key runs, then replays that one's answer", async () => {
    const key = newKey();
    await claimAsAnotherRequest(accountId, key, "/v1/batches", batch);
    const waiting = post("/v1/batches", { key, token, body: batch });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stored = JSON.stringify({
      data: { batch_id: "bat_elsewhere", type: "batches" },
      links: { self: "/v1/batches/bat_elsewhere" },
    });
    await t.query(
      `UPDATE idempotency_keys SET state = 'done', status_code = 202, body = $3,
              location = '/v1/batches/bat_elsewhere'
        WHERE account_id = $1 AND key = $2`,
      [accountId, key, stored],
    );
    const answer = await waiting;
    expect([answer.status, answer.text, answer.location, answer.replayed]).toEqual([
      202,
      stored,
      "/v1/batches/bat_elsewhere",
      "true",
    ]);
  });

  it("answers 409 IDEMPOTENCY_KEY_IN_USE, with Retry-After, when the other request is still running after the wait", async () => {
    const key = newKey();
    await claimAsAnotherRequest(accountId, key, "/v1/batches", batch);
    const before = await written(accountId);
    const startedAt = Date.now();
    const answer = await post("/v1/batches", { key, token, body: batch });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(WAIT_MS - 50);
    expect([answer.status, answer.json.error?.code, answer.headers.get("retry-after")]).toEqual([
      409,
      "IDEMPOTENCY_KEY_IN_USE",
      "1",
    ]);
    expect(await written(accountId)).toEqual(before);
  });

  it("takes over a claim abandoned by a process that died: the request runs", async () => {
    const key = newKey();
    await claimAsAnotherRequest(accountId, key, "/v1/batches", batch, -1_000);
    const answer = await post("/v1/batches", { key, token, body: batch });
    expect([answer.status, answer.replayed]).toEqual([202, null]);
    expect((await post("/v1/batches", { key, token, body: batch })).replayed).toBe("true");
  });

  it("refuses another body on a key whose abandoned request may have done its work: 409", async () => {
    const key = newKey();
    await claimAsAnotherRequest(accountId, key, "/v1/batches", { other: "body" }, -1_000);
    const before = await written(accountId);
    const answer = await post("/v1/batches", { key, token, body: batch });
    expect([answer.status, answer.json.error?.code]).toEqual([409, "IDEMPOTENCY_KEY_REUSED"]);
    expect(await written(accountId)).toEqual(before);
  });

  it("creates nothing twice when the process died after storing the batch but before storing the answer", async () => {
    const key = newKey();
    const first = await post("/v1/batches", { key, token, body: batch });
    expect(first.status).toBe(202);
    // What a crash between the two leaves: the batch stored, its key still claimed, no answer.
    await loseAnswer(accountId, key);
    const before = await written(accountId);

    const retry = await post("/v1/batches", { key, token, body: batch });
    expect([retry.status, retry.replayed, retry.location]).toEqual([202, null, first.location]);
    expect(retry.text).toBe(first.text);
    expect(await written(accountId)).toEqual(before); // no batch, no debit, no job more
    expect((await post("/v1/batches", { key, token, body: batch })).replayed).toBe("true");
  });

  it("frees the key when the request fails on our side (5xx): a retry runs", async () => {
    const key = newKey();
    const body = { numbers: ["+33612345678"] };
    // This file's own database: the blacklist is out of reach for a moment.
    await t.query("ALTER TABLE blacklist RENAME TO blacklist_away");
    let failed: Awaited<ReturnType<typeof post>>;
    try {
      failed = await post("/v1/blacklist", { key, token, body });
    } finally {
      await t.query("ALTER TABLE blacklist_away RENAME TO blacklist");
    }
    expect([failed.status, failed.json.error?.code]).toEqual([500, "INTERNAL_ERROR"]);
    expect(await t.count("idempotency_keys", { account_id: accountId, key })).toBe(0);
    const retried = await post("/v1/blacklist", { key, token, body });
    expect([retried.status, retried.replayed, retried.json.data]).toEqual([
      201,
      null,
      { type: "blacklist", added: 1, numbers: ["+33612345678"] },
    ]);
  });

  it.each([
    ["empty", ""],
    ["longer than 255 characters", "k".repeat(256)],
    ["not ASCII", "clé-1"],
    ["with a control character", "key\t1"],
  ])("refuses a key that is %s: 400 naming the header, nothing done", async (_name, key) => {
    const before = await written(accountId);
    const answer = await post("/v1/batches", { key, token, body: batch });
    expect([answer.status, answer.json.error?.code, answer.json.error?.field]).toEqual([
      400,
      "INVALID_PARAMETER",
      "Idempotency-Key",
    ]);
    expect(await written(accountId)).toEqual(before);
  });

  it("takes any 1 to 255 printable ASCII characters", async () => {
    for (const key of ["k".repeat(255), "a key with spaces & symbols: {}[]~", "7"]) {
      expect((await post("/v1/batches", { key, token, body: batch })).status, key).toBe(202);
    }
  });

  it("replays answers in XML when asked, from the stored JSON", async () => {
    const key = newKey();
    const first = await post("/v1/batches", { key, token, body: batch });
    const id = (first.json.data as { batch_id: string }).batch_id;
    const xml = await post("/v1/batches", { key, token, body: batch, accept: "application/xml" });
    expect(xml.status).toBe(202);
    expect(xml.headers.get("content-type")).toContain("application/xml");
    expect(xml.text).toContain(`<batch_id>${id}</batch_id>`);
    expect(xml.replayed).toBe("true");

    const poor = await t.newAccount({ ...FAST, credits: 0 });
    const refusalKey = newKey();
    await post("/v1/batches", { key: refusalKey, token: poor.token, body: batch });
    const refusal = await post("/v1/batches", {
      key: refusalKey,
      token: poor.token,
      body: batch,
      accept: "application/xml",
    });
    expect(refusal.status).toBe(402);
    expect(refusal.text).toContain("<error><code>NOT_ENOUGH_CREDITS</code>");
  });
});

describe("Idempotency-Key on the other POST routes", () => {
  let token: string;
  let accountId: string;
  beforeAll(async () => {
    ({ token, accountId } = await t.newAccount({ ...FAST, credits: 1_000 }));
  });

  /** Posts twice with one key: the second answer is the first, replayed. */
  async function twice(path: string, body?: unknown) {
    const key = newKey();
    const first = await post(path, { key, token, body });
    const again = await post(path, { key, token, body });
    expect(first.replayed).toBeNull();
    expect(again.replayed).toBe("true");
    expect([again.status, again.location]).toEqual([first.status, first.location]);
    return { first, again };
  }

  it("POST /v1/sms: the same message id, one batch", async () => {
    const before = await t.count("batches", { account_id: accountId });
    const { first, again } = await twice("/v1/sms", { from: "ACME", to: "0612345678", body: "Your code" });
    expect(first.status).toBe(202);
    expect(again.text).toBe(first.text);
    expect(await t.count("batches", { account_id: accountId })).toBe(before + 1);
  });

  it("POST /v1/sms retried after a crash that left no answer: the same message, still one batch", async () => {
    const key = newKey();
    const sms = { from: "ACME", to: "0612345678", body: "Your code" };
    const first = await post("/v1/sms", { key, token, body: sms });
    await loseAnswer(accountId, key);
    const before = await t.count("batches", { account_id: accountId });
    const retry = await post("/v1/sms", { key, token, body: sms });
    expect([retry.status, retry.replayed, retry.json.id]).toEqual([202, null, first.json.id]);
    expect(await t.count("batches", { account_id: accountId })).toBe(before);
  });

  it("POST /v1/tokens: the same token, whose secret is never stored, so not shown again", async () => {
    const before = await t.count("api_tokens", { account_id: accountId });
    const { first, again } = await twice("/v1/tokens", { label: "ci" });
    const created = first.json.data as { id: string; attributes: { token: string | null } };
    expect(first.status).toBe(201);
    expect(created.attributes.token).toMatch(/^tok_.+\..+/);
    expect(again.json).toEqual({ data: { ...created, attributes: { ...created.attributes, token: null } } });
    expect(await t.count("api_tokens", { account_id: accountId })).toBe(before + 1);
    const stored = await t.rows("idempotency_keys", { account_id: accountId });
    expect(JSON.stringify(stored)).not.toContain((created.attributes.token as string).split(".")[1]);
  });

  it("POST /v1/blacklist and /v1/npai: the same answer, numbers added once", async () => {
    for (const list of ["blacklist", "npai"]) {
      const { first, again } = await twice(`/v1/${list}`, { numbers: ["0612345601", "+33612345602"] });
      expect(first.status).toBe(201);
      expect((first.json.data as { added: number }).added).toBe(2);
      expect(again.text).toBe(first.text);
    }
  });

  it("POST /v1/tokens, /v1/blacklist and /v1/npai store the write and its answer together: no answer, no write", async () => {
    // The answer cannot be stored (as if the process died before it was): the
    // write must be undone with it, so that the retry's answer is the only one.
    await t.query(`
      CREATE FUNCTION refuse_answers() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.state = 'done' THEN RAISE EXCEPTION 'answer refused by the test'; END IF;
        RETURN NEW;
      END $$`);
    await t.query(
      "CREATE TRIGGER refuse_answers BEFORE UPDATE ON idempotency_keys FOR EACH ROW EXECUTE FUNCTION refuse_answers()",
    );
    const requests = [
      { path: "/v1/tokens", body: { label: "deploy" } },
      { path: "/v1/blacklist", body: { numbers: ["0612345611", "0612345612"] } },
      { path: "/v1/npai", body: { numbers: ["0612345613"] } },
    ].map((request) => ({ ...request, key: newKey() }));
    const state = async () => ({
      tokens: await t.count("api_tokens", { account_id: accountId }),
      blacklist: await t.count("blacklist", { account_id: accountId }),
      npai: await t.count("npai", { account_id: accountId }),
    });
    const before = await state();
    try {
      for (const { path, body, key } of requests) {
        const failed = await post(path, { key, token, body });
        expect([failed.status, failed.json.error?.code]).toEqual([500, "INTERNAL_ERROR"]);
        expect(await t.count("idempotency_keys", { account_id: accountId, key })).toBe(0);
      }
      expect(await state()).toEqual(before);
    } finally {
      await t.query("DROP TRIGGER refuse_answers ON idempotency_keys");
      await t.query("DROP FUNCTION refuse_answers()");
    }

    for (const { path, body, key } of requests) {
      const retried = await post(path, { key, token, body });
      expect([retried.status, retried.replayed]).toEqual([201, null]);
      if (path !== "/v1/tokens") expect(retried.json.data).toMatchObject({ added: body.numbers?.length });
      expect((await post(path, { key, token, body })).replayed).toBe("true");
    }
    expect(await state()).toEqual({
      tokens: before.tokens + 1,
      blacklist: before.blacklist + 2,
      npai: before.npai + 1,
    });
  });

  it("POST /v1/webhooks and /v1/webhooks/:id/enable: one webhook, the same answers", async () => {
    const before = await t.count("webhooks", { account_id: accountId });
    const { first, again } = await twice("/v1/webhooks", { url: "http://127.0.0.1:9/hook", events: ["dlr"] });
    expect(first.status).toBe(201);
    expect(again.text).toBe(first.text);
    // Kept for replays sealed, like the webhook's own row (WEBHOOK_SECRET_KEYS is set here).
    const { secret } = (first.json.data as { attributes: { secret: string } }).attributes;
    const kept = await t.query<{ body: string | null }>(
      "SELECT body FROM idempotency_keys WHERE account_id = $1",
      [accountId],
    );
    expect(kept.some((row) => row.body?.includes("sealed:v1:"))).toBe(true);
    expect(JSON.stringify(kept)).not.toContain(secret.slice("whsec_".length));
    expect(await t.count("webhooks", { account_id: accountId })).toBe(before + 1);

    const { id } = first.json.data as { id: string };
    const enabled = await twice(`/v1/webhooks/${id}/enable`);
    expect(enabled.first.status).toBe(200);
    // Another webhook's path is another request.
    const key = newKey();
    await post(`/v1/webhooks/${id}/enable`, { key, token });
    const elsewhere = await post("/v1/webhooks/whk_other/enable", { key, token });
    expect(elsewhere.json.error?.code).toBe("IDEMPOTENCY_KEY_REUSED");
  });

  it("POST /v1/webhooks retried after a crash that left no answer: the same webhook and secret, one webhook", async () => {
    const key = newKey();
    const hook = { url: "http://127.0.0.1:9/crash", events: ["mo"] };
    const first = await post("/v1/webhooks", { key, token, body: hook });
    expect(first.status).toBe(201);
    await loseAnswer(accountId, key);
    const before = await t.count("webhooks", { account_id: accountId });
    const retry = await post("/v1/webhooks", { key, token, body: hook });
    expect([retry.status, retry.replayed, retry.location]).toEqual([201, null, first.location]);
    expect(retry.json.data).toEqual(first.json.data); // the same id and secret
    expect(await t.count("webhooks", { account_id: accountId })).toBe(before);
  });

  it("replays a 404 (no such webhook) like any refusal about the account", async () => {
    const { first, again } = await twice("/v1/webhooks/whk_missing/enable");
    expect([first.status, again.text]).toEqual([404, first.text]);
  });

  it("ignores the key on routes that create nothing", async () => {
    const answer = await fetch(`${t.api.url}/v1/account`, {
      headers: { authorization: `Bearer ${token}`, "idempotency-key": "" },
    });
    expect(answer.status).toBe(200);
  });
});

describe("Idempotency-Key on POST /v1/send", () => {
  it("replays its answer, and keeps the numeric status of its errors on replays and conflicts", async () => {
    const { token, accountId } = await t.newAccount({ ...FAST, credits: 100 });
    const key = newKey();
    // No worker: the send times out (SEND_TIMEOUT_MS) with a 202 and what is pending.
    const first = await post("/v1/send", { key, token, body: batch });
    expect([first.status, first.json.status, first.json.pending]).toEqual([202, 1, 2]);
    const again = await post("/v1/send", { key, token, body: batch });
    expect([again.status, again.text, again.location, again.replayed]).toEqual([
      202,
      first.text,
      `/v1/batches/${first.json.ticket}`,
      "true",
    ]);
    expect(await t.count("batches", { account_id: accountId })).toBe(1);

    const reused = await post("/v1/send", { key, token, body: { ...batch, body: "Other" } });
    expect([reused.status, reused.json.status, reused.json.error?.code]).toEqual([
      409,
      -99,
      "IDEMPOTENCY_KEY_REUSED",
    ]);
    const invalid = await post("/v1/send", { key: "", token, body: batch });
    expect([invalid.status, invalid.json.status, invalid.json.error?.field]).toEqual([
      400,
      -7,
      "Idempotency-Key",
    ]);

    const poor = await t.newAccount({ ...FAST, credits: 0 });
    const poorKey = newKey();
    const refused = await post("/v1/send", { key: poorKey, token: poor.token, body: batch });
    const replayed = await post("/v1/send", { key: poorKey, token: poor.token, body: batch });
    expect([refused.status, refused.json.status]).toEqual([402, -3]);
    expect([replayed.status, replayed.text, replayed.replayed]).toEqual([402, refused.text, "true"]);
  });
});

describe("the SDK", () => {
  it("sends an idempotency key with each create call", async () => {
    const { client, accountId } = await t.newAccount({ ...FAST, credits: 100 });
    const key = newKey();
    const first = await client.batches.create(batch, { idempotencyKey: key });
    const again = await client.batches.create(batch, { idempotencyKey: key });
    expect(again.body).toEqual(first.body);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await t.count("batches", { account_id: accountId })).toBe(1);
    const sms = { from: "ACME", to: "0612345678", body: "Hi" };
    const smsKey = newKey();
    expect((await client.sms.send(sms, { idempotencyKey: smsKey })).body.id).toBe(
      (await client.sms.send(sms, { idempotencyKey: smsKey })).body.id,
    );
  });
});
