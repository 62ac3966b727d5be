// The HTTP contract of /v1/batches and what acceptance writes. No worker runs
// here: every batch stays `accepted`, so what is checked is the envelope, the
// rows and credits written (or not) and the job handed to the queue.
import { MESSAGE_STATUSES } from "@salvo/core";
import type { Account, Batch } from "@salvo/db";
import { closeRedis, createRedis, type OpenQueue, openQueue } from "@salvo/queue";
import { type NewBatch, type Salvo, SalvoApiError } from "@salvo/sdk";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credits, refusal, startTestApi, type TestApi } from "./harness";

/** A stored chunk of a batch's recipients, as the tests read it. */
interface BatchChunk {
  idx: number;
  firstIndex: number;
  /** JSON, as received. */
  recipients: string;
  judged: string | null;
}

let t: TestApi;
let redis: Redis;
let queue: OpenQueue<"batches">;
beforeAll(async () => {
  t = await startTestApi();
  redis = createRedis(t.env.REDIS_URL);
  queue = openQueue("batches", redis, t.env.REDIS_PREFIX);
});
afterAll(async () => {
  await queue?.close();
  if (redis) await closeRedis(redis);
  await t?.stop();
});

const FAST = { apiRateLimit: 10_000 };
const MOBILE = "+33612345678";

/** A POST the SDK's types would never let through: `body` is sent as is when it is JSON text. */
async function postRaw(token: string, body: unknown) {
  const response = await fetch(`${t.api.url}/v1/batches`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const json = (await response.json()) as { error?: { code: string; description: string; field?: string } };
  return { status: response.status, error: json.error };
}

/** Everything acceptance writes for an account: batch rows, chunk rows, credits, and queued jobs. */
async function written(accountId: string) {
  const [batches, chunks, account, jobs] = await Promise.all([
    t.count("batches", { account_id: accountId }),
    t
      .query<{ count: number }>(
        "SELECT count(*)::int AS count FROM batch_chunks c JOIN batches b ON b.id = c.batch_id WHERE b.account_id = $1",
        [accountId],
      )
      .then(([row]) => row?.count ?? 0),
    t.row<Account>("accounts", { id: accountId }),
    queue.queue.count(),
  ]);
  return { batches, chunks, credits: account.credits, jobs };
}

const valid = { from: "Salvo", body: "Hello", recipients: [MOBILE] };
const objects = (...items: unknown[]) => ({ ...valid, recipients: [MOBILE, ...items] });
const EMOJI = "😀"; // one code point, two UTF-16 units
// 1,000,001 one-character recipients, as JSON text: about 4 MB, built without an array.
const TOO_MANY = `{"from":"Salvo","body":"Hi","recipients":["1"${',"1"'.repeat(1_000_000)}]}`;

describe("POST /v1/batches refuses a bad envelope with 400 naming the field, writing nothing", () => {
  let token: string;
  let accountId: string;
  beforeAll(async () => {
    ({ token, accountId } = await t.newAccount({ ...FAST, credits: 1_000_000 }));
  });

  it.each<[name: string, body: unknown, field: string | undefined]>([
    // from
    ["a missing sender", { body: "Hello", recipients: [MOBILE] }, "from"],
    ["a numeric sender", { ...valid, from: 33612345678 }, "from"],
    ["an empty sender", { ...valid, from: "" }, "from"],
    ["a 12-character alphanumeric sender", { ...valid, from: "ABCDEFGHIJKL" }, "from"],
    ["a 16-digit sender", { ...valid, from: "1234567890123456" }, "from"],
    ["a 16-digit sender with +", { ...valid, from: "+1234567890123456" }, "from"],
    ["a sender with a space", { ...valid, from: "Shop Sale" }, "from"],
    ["a sender with punctuation", { ...valid, from: "shop-1" }, "from"],
    ["a sender with a non-ASCII letter", { ...valid, from: "Café" }, "from"],
    ["a + before letters", { ...valid, from: "+Salvo" }, "from"],
    ["a sender as an array", { ...valid, from: ["Salvo"] }, "from"],
    // body
    ["a missing body", { from: "Salvo", recipients: [MOBILE] }, "body"],
    ["an empty body", { ...valid, body: "" }, "body"],
    ["a numeric body", { ...valid, body: 42 }, "body"],
    ["a null body", { ...valid, body: null }, "body"],
    ["a body of 1,601 characters", { ...valid, body: "a".repeat(1_601) }, "body"],
    [
      "a body of 1,601 emoji (code points, not UTF-16 units)",
      { ...valid, body: EMOJI.repeat(1_601) },
      "body",
    ],
    ["a body with a NUL character", { ...valid, body: "Hello\u0000" }, "body"],
    // recipients
    ["missing recipients", { from: "Salvo", body: "Hello" }, "recipients"],
    ["no recipients", { ...valid, recipients: [] }, "recipients"],
    ["recipients as a string", { ...valid, recipients: MOBILE }, "recipients"],
    ["recipients as an object", { ...valid, recipients: { to: MOBILE } }, "recipients"],
    ["recipients as null", { ...valid, recipients: null }, "recipients"],
    ["1,000,001 recipients", TOO_MANY, "recipients"],
    ["a numeric recipient", objects(33612345678), "recipients.1"],
    ["a null recipient", objects(null), "recipients.1"],
    ["a boolean recipient", objects(true), "recipients.1"],
    ["a recipient as an array", objects([MOBILE, "ref-1"]), "recipients.1"],
    ["recipients as arrays only", { ...valid, recipients: [[MOBILE], [MOBILE]] }, "recipients.0"],
    ["a recipient object without to", objects({ ref: "crm-1" }), "recipients.1.to"],
    [
      "a recipient object with a numeric to",
      objects("0612345678", MOBILE, { to: 612345678 }),
      "recipients.3.to",
    ],
    ["a recipient object with a null to", objects({ to: null }), "recipients.1.to"],
    ["a recipient object with an extra field", objects({ to: MOBILE, name: "Ann" }), "recipients.1.name"],
    [
      "a recipient object with an extra field and a ref",
      objects({ to: MOBILE, ref: "r", ref2: "s" }),
      "recipients.1.ref2",
    ],
    ["an empty recipient object", objects({}), "recipients.1.to"],
    ["a ref of 256 characters", objects({ to: MOBILE, ref: "r".repeat(256) }), "recipients.1.ref"],
    ["a numeric ref", objects({ to: MOBILE, ref: 42 }), "recipients.1.ref"],
    ["a null ref", objects({ to: MOBILE, ref: null }), "recipients.1.ref"],
    ["a ref with a NUL character", objects({ to: MOBILE, ref: "crm\u00001" }), "recipients.1.ref"],
    [
      "the first bad recipient of many",
      {
        ...valid,
        recipients: ["a", "b", "c", "d", "e", "f", "g", null, { to: 1 }],
      },
      "recipients.7",
    ],
    // recipients' fields (personalised sends): the contacts' rules
    ["fields as a string", objects({ to: MOBILE, fields: "Ana" }), "recipients.1.fields"],
    ["fields as an array", objects({ to: MOBILE, fields: ["Ana"] }), "recipients.1.fields"],
    ["fields as null", objects({ to: MOBILE, fields: null }), "recipients.1.fields"],
    [
      "a field name with a digit first",
      objects({ to: MOBILE, fields: { "1st": "x" } }),
      "recipients.1.fields.1st",
    ],
    [
      "a numeric field value",
      objects({ to: MOBILE, fields: { first_name: 1 } }),
      "recipients.1.fields.first_name",
    ],
    [
      "a field value of 256 characters",
      objects({ to: MOBILE, fields: { a: "x".repeat(256) } }),
      "recipients.1.fields.a",
    ],
    ["a field value with a NUL", objects({ to: MOBILE, fields: { a: "x\u0000" } }), "recipients.1.fields.a"],
    [
      "11 fields",
      objects({
        to: MOBILE,
        fields: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`f${i}`, "x"])),
      }),
      "recipients.1.fields",
    ],
    [
      "a recipient without a field the body shows",
      {
        ...valid,
        body: "Hi {{first_name}}",
        recipients: [{ to: MOBILE, fields: { first_name: "Ana" } }, MOBILE],
      },
      "recipients.1.fields.first_name",
    ],
    ["a recipient without [info1]", { ...valid, body: "Code [info1]" }, "recipients.0.fields.info1"],
    // contact_lists
    ["contact_lists as a string", { ...valid, contact_lists: "cl_1" }, "contact_lists"],
    ["no contact_lists", { ...valid, contact_lists: [] }, "contact_lists"],
    ["a numeric contact list id", { ...valid, contact_lists: [1] }, "contact_lists.0"],
    ["a contact list twice", { ...valid, contact_lists: ["cl_1", "cl_1"] }, "contact_lists"],
    [
      "11 contact lists",
      { ...valid, contact_lists: Array.from({ length: 11 }, (_, i) => `cl_${i}`) },
      "contact_lists",
    ],
    ["an unknown contact list", { ...valid, contact_lists: ["cl_nope"] }, "contact_lists.0"],
    // country and type
    ["an alpha-3 country", { ...valid, country: "FRA" }, "country"],
    ["an unknown country", { ...valid, country: "XX" }, "country"],
    ["a numeric country", { ...valid, country: 33 }, "country"],
    ["an empty country", { ...valid, country: "" }, "country"],
    ["a null country", { ...valid, country: null }, "country"],
    ["a country name", { ...valid, country: "France" }, "country"],
    ["an unknown type", { ...valid, type: "promotional" }, "type"],
    ["an empty type", { ...valid, type: "" }, "type"],
    ["a numeric type", { ...valid, type: 1 }, "type"],
    // the envelope itself: an error about the whole request body names no field
    ["an array instead of an object", [valid], undefined],
    ["an empty object", {}, "from"],
  ])("%s", async (_name, body, field) => {
    const before = await written(accountId);
    const answer = await postRaw(token, body);
    expect(answer.status).toBe(400);
    expect(answer.error).toMatchObject({ code: "INVALID_PARAMETER", description: expect.any(String) });
    expect(answer.error?.field).toBe(field);
    expect(await written(accountId)).toEqual(before);
  });

  it("refuses an unknown top-level field, naming it", async () => {
    const before = await written(accountId);
    const answer = await postRaw(token, { ...valid, send_at: "2030-01-01T00:00:00Z" });
    expect(answer.status).toBe(400);
    expect(answer.error?.code).toBe("INVALID_PARAMETER");
    expect(answer.error?.description).toContain("send_at");
    expect(await written(accountId)).toEqual(before);
  });

  it("refuses through the SDK too, with the field on the error", async () => {
    const { client, accountId: id } = await t.newAccount(FAST);
    const before = await written(id);
    const error = await refusal(client.batches.create({ from: "Salvo", body: "", recipients: [MOBILE] }));
    expect(error).toMatchObject({ status: 400, code: "INVALID_PARAMETER", field: "body" });
    expect(await written(id)).toEqual(before);
  });
});

describe("POST /v1/batches accepts a valid envelope at once", () => {
  it("answers 202 with the batch id and link, and stores the batch and its chunk", async () => {
    const { client, accountId } = await t.newAccount({ ...FAST, credits: 10 });
    const answer = await client.batches.create({
      from: "ACME",
      body: "Hello",
      recipients: [MOBILE, "06 12 34 56 79"],
    });
    expect(answer.status).toBe(202);
    const id = answer.body.data.batch_id;
    expect(id).toMatch(/^bat_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(answer.body).toEqual({
      data: { batch_id: id, type: "batches" },
      links: { self: `/v1/batches/${id}` },
    });
    expect(answer.headers.get("location")).toBe(`/v1/batches/${id}`);

    const row = await t.row<Batch>("batches", { id });
    expect(row).toMatchObject({
      accountId,
      status: "accepted",
      sender: "ACME",
      body: "Hello",
      type: "transactional",
      country: null,
      segments: 1,
      total: 2,
      pending: 2,
      reserved: 2,
      chunkCount: 1,
      cost: 0,
    });
    const chunks = await t.rows<BatchChunk>("batch_chunks", { batch_id: id });
    expect(chunks).toEqual([
      expect.objectContaining({
        idx: 0,
        firstIndex: 0,
        recipients: JSON.stringify([MOBILE, "06 12 34 56 79"]),
      }),
    ]);
    expect(await credits(client)).toBe(8);
    // Handed to the workers: one job per batch, named by the batch.
    const job = await queue.queue.getJob(id);
    expect(job?.data).toEqual({ batchId: id });
  });

  it("shows the accepted batch with all its counts", async () => {
    const { client } = await t.newAccount({ ...FAST, credits: 10 });
    const { body: accepted } = await client.batches.create({
      from: "+33612345678",
      body: "Hello",
      recipients: [MOBILE, "not a number"],
      type: "marketing",
    });
    const id = accepted.data.batch_id;
    const { body } = await client.batches.get(id);
    expect(body).toEqual({
      data: {
        id,
        type: "batches",
        attributes: {
          name: null,
          status: "accepted",
          total: 2,
          pending: 2,
          sent: 0,
          delivered: 0,
          undelivered: 0,
          failed: 0,
          blacklisted: 0,
          duplicated: 0,
          invalid: 0,
          npai: 0,
          flooded: 0,
          not_allowed: 0,
          country_limit: 0,
          canceled: 0,
          rejected: 0,
          clicked: 0,
          cost: 0,
          from: "+33612345678",
          type: "marketing",
          segments: 1,
          created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
          send_at: null,
          completed_at: null,
          moderation_reasons: null,
          rejection_reason: null,
        },
        links: { self: `/v1/batches/${id}` },
      },
      links: { self: `/v1/batches/${id}` },
    });
  });

  it("stores recipient objects with their refs, in order, next to plain strings", async () => {
    const { client } = await t.newAccount({ ...FAST, credits: 10 });
    const ref255 = "r".repeat(255);
    const { body } = await client.batches.create({
      from: "ACME",
      body: "Hello",
      recipients: [
        MOBILE,
        { to: "0612345679", ref: "crm-42" },
        { to: "+33612345680" },
        { to: "0612345681", ref: ref255 },
      ],
    });
    const chunk = await t.row<BatchChunk>("batch_chunks", { batch_id: body.data.batch_id });
    expect(JSON.parse(chunk.recipients)).toEqual([
      MOBILE,
      ["0612345679", "crm-42"],
      "+33612345680",
      ["0612345681", ref255],
    ]);
  });

  it("accepts recipients that are not phone numbers: the workers count them invalid", async () => {
    const { client } = await t.newAccount({ ...FAST, credits: 10 });
    const garbage = ["hello", "", "123", "+", "0612345678901234567890", "   "];
    const { status, body } = await client.batches.create({
      from: "ACME",
      body: "Hi",
      recipients: [...garbage, { to: "nope", ref: "x" }],
    });
    expect(status).toBe(202);
    const { body: batch } = await client.batches.get(body.data.batch_id);
    expect(batch.data.attributes).toMatchObject({ status: "accepted", total: 7, pending: 7, invalid: 0 });
    expect(await credits(client)).toBe(3);
  });

  it.each<[name: string, batch: Partial<NewBatch>, stored: Record<string, unknown>]>([
    ["a lowercase country, stored upper case", { country: "fr" }, { country: "FR" }],
    ["a mixed-case country", { country: "Gp" }, { country: "GP" }],
    ["an explicit transactional type", { type: "transactional" }, { type: "transactional" }],
    ["the marketing type", { type: "marketing" }, { type: "marketing" }],
    ["an 11-character alphanumeric sender", { from: "ABCDEFGHIJ1" }, { sender: "ABCDEFGHIJ1" }],
    ["a 1-character sender", { from: "A" }, { sender: "A" }],
    ["a 15-digit sender", { from: "123456789012345" }, { sender: "123456789012345" }],
    ["a 15-digit sender with +", { from: "+123456789012345" }, { sender: "+123456789012345" }],
    ["a 12-digit sender (digits may exceed 11)", { from: "336123456789" }, { sender: "336123456789" }],
    ["a body of 1,600 characters", { body: "a".repeat(1_600) }, { segments: 11 }],
    ["a body of 1,600 emoji", { body: EMOJI.repeat(1_600) }, { segments: 49 }],
  ])("accepts %s", async (_name, batch, stored) => {
    const { client } = await t.newAccount({ ...FAST, credits: 100 });
    const { status, body } = await client.batches.create({ ...valid, ...batch });
    expect(status).toBe(202);
    const row = await t.row<Batch>("batches", { id: body.data.batch_id });
    expect(row).toMatchObject(stored);
  });

  it("accepts 100,000 recipients, storing them in chunks", async () => {
    const { client, accountId } = await t.newAccount({ ...FAST, credits: 100_000 });
    const recipients = Array.from({ length: 100_000 }, (_, i) => `+3361${String(i).padStart(7, "0")}`);
    const { status, body } = await client.batches.create({ from: "ACME", body: "Sale", recipients });
    expect(status).toBe(202);
    const id = body.data.batch_id;
    const row = await t.row<Batch>("batches", { id });
    const chunkSize = t.env.BATCH_CHUNK_SIZE;
    expect(row).toMatchObject({ total: 100_000, pending: 100_000, reserved: 100_000, status: "accepted" });
    expect(row.chunkCount).toBe(Math.ceil(100_000 / chunkSize));
    const chunks = await t.rows<BatchChunk>("batch_chunks", { batch_id: id }, "idx");
    expect(chunks).toHaveLength(row.chunkCount);
    chunks.forEach((chunk, i) => {
      expect(chunk.idx).toBe(i);
      expect(chunk.firstIndex).toBe(i * chunkSize);
      expect(chunk.judged).toBeNull();
    });
    // Every recipient once, in order, across the chunks.
    expect(chunks.flatMap((c) => JSON.parse(c.recipients) as string[])).toEqual(recipients);
    expect((await written(accountId)).credits).toBe(0);
    expect((await queue.queue.getJob(id))?.data).toEqual({ batchId: id });
  });

  it("accepts exactly 1,000,000 recipients (the limit is inclusive)", async () => {
    const { token, accountId } = await t.newAccount({ ...FAST, credits: 1_000_000 });
    const json = `{"from":"Salvo","body":"Hi","recipients":["1"${',"1"'.repeat(999_999)}]}`;
    const response = await fetch(`${t.api.url}/v1/batches`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: json,
    });
    expect(response.status).toBe(202);
    const { data } = (await response.json()) as { data: { batch_id: string } };
    const row = await t.row<Batch>("batches", { id: data.batch_id });
    expect(row).toMatchObject({ total: 1_000_000, reserved: 1_000_000 });
    expect(await t.count("batch_chunks", { batch_id: data.batch_id })).toBe(row.chunkCount);
    expect((await written(accountId)).credits).toBe(0);
  });
});

describe("credits: the full cost is reserved at acceptance", () => {
  it.each<[name: string, body: string, recipients: number, cost: number]>([
    ["one short GSM-7 message", "Hello", 1, 1],
    ["160 GSM-7 characters, one segment each", "a".repeat(160), 2, 2],
    ["161 GSM-7 characters, two segments each", "a".repeat(161), 2, 4],
    ["80 euro signs (two septets each) fit one segment", "€".repeat(80), 1, 1],
    ["81 euro signs take two", "€".repeat(81), 1, 2],
    ["70 UCS-2 characters, one segment", "ж".repeat(70), 1, 1],
    ["71 UCS-2 characters × 3 recipients", "ж".repeat(71), 3, 6],
    ["one accented character outside GSM-7 switches to UCS-2", `${"a".repeat(70)}ê`, 1, 2],
    ["1,600 GSM-7 characters", "a".repeat(1_600), 1, 11],
    ["1,600 emoji, never split across segments", EMOJI.repeat(1_600), 2, 98],
  ])("%s", async (_name, body, recipients, cost) => {
    const { client, accountId } = await t.newAccount({ ...FAST, credits: cost });
    const { body: accepted } = await client.batches.create({
      from: "Salvo",
      body,
      recipients: Array.from({ length: recipients }, () => MOBILE),
    });
    const row = await t.row<Batch>("batches", { id: accepted.data.batch_id });
    expect(row).toMatchObject({ reserved: cost, segments: cost / recipients, cost: 0 });
    expect((await written(accountId)).credits).toBe(0);
    expect(await credits(client)).toBe(0);
  });

  it("refuses with 402 when one credit short, writing nothing, then accepts once topped up", async () => {
    const { client, accountId } = await t.newAccount({ ...FAST, credits: 5 });
    const batch = { from: "Salvo", body: "ж".repeat(71), recipients: [MOBILE, MOBILE, MOBILE] };
    const before = await written(accountId);
    const error = await refusal(client.batches.create(batch));
    expect(error).toMatchObject({ status: 402, code: "NOT_ENOUGH_CREDITS" });
    expect(error.message).toContain("6");
    expect(await written(accountId)).toEqual(before);
    expect(await credits(client)).toBe(5);

    await t.store.accounts.update(accountId, { addCredits: 1 });
    const { status, body } = await client.batches.create(batch);
    expect(status).toBe(202);
    expect(await credits(client)).toBe(0);
    const row = await t.row<Batch>("batches", { id: body.data.batch_id });
    expect(row.reserved).toBe(6);
  });

  it("takes credits batch after batch until they run out", async () => {
    const { client, accountId } = await t.newAccount({ ...FAST, credits: 5 });
    const two = { from: "Salvo", body: "Hi", recipients: [MOBILE, MOBILE] };
    await client.batches.create(two);
    await client.batches.create(two);
    expect(await credits(client)).toBe(1);
    const error = await refusal(client.batches.create(two));
    expect(error.status).toBe(402);
    expect(await written(accountId)).toMatchObject({ batches: 2, chunks: 2, credits: 1 });
  });

  it("lets concurrent batches take the balance to zero, never below", async () => {
    const { client, accountId } = await t.newAccount({ ...FAST, credits: 10 });
    const results = await Promise.allSettled(
      Array.from({ length: 15 }, () =>
        client.batches.create({ from: "Salvo", body: "Hi", recipients: [MOBILE] }),
      ),
    );
    const accepted = results.filter((r) => r.status === "fulfilled").length;
    const refused = results.filter(
      (r) => r.status === "rejected" && r.reason instanceof SalvoApiError && r.reason.status === 402,
    ).length;
    expect({ accepted, refused }).toEqual({ accepted: 10, refused: 5 });
    expect(await written(accountId)).toMatchObject({ batches: 10, credits: 0 });
  });
});

describe("GET /v1/batches", () => {
  it("pages the account's batches 25 at a time, newest first", async () => {
    const { client } = await t.newAccount({ ...FAST, credits: 100 });
    const ids: string[] = [];
    for (let i = 0; i < 27; i++) {
      const { body } = await client.batches.create({
        from: "Salvo",
        body: `Batch ${i}`,
        recipients: [MOBILE],
      });
      ids.push(body.data.batch_id);
    }
    const newestFirst = [...ids].reverse();

    const first = await client.batches.list();
    expect(first.body.page).toEqual({ count: 2, number: 1 });
    expect(first.body.data.map((b) => b.id)).toEqual(newestFirst.slice(0, 25));
    expect(first.body.data[0]?.attributes).toMatchObject({ status: "accepted", total: 1, pending: 1 });
    expect(first.body.data[0]?.links.self).toBe(`/v1/batches/${ids[26]}`);

    const second = await client.batches.list({ page: 2 });
    expect(second.body.page).toEqual({ count: 2, number: 2 });
    expect(second.body.data.map((b) => b.id)).toEqual([ids[1], ids[0]]);

    expect((await client.batches.list({ page: 3 })).body).toEqual({
      data: [],
      page: { count: 2, number: 3 },
    });
  });

  it("answers an account without batches with an empty page", async () => {
    const { client } = await t.newAccount(FAST);
    expect((await client.batches.list()).body).toEqual({ data: [], page: { count: 0, number: 1 } });
  });

  it.each(["0", "-1", "abc", "1.5"])("refuses page=%s", async (page) => {
    const { client } = await t.newAccount(FAST);
    const error = await refusal(client.call("GET", `/v1/batches?page=${page}`));
    expect(error).toMatchObject({ status: 400, code: "INVALID_PARAMETER", field: "page" });
  });
});

describe("GET /v1/batches/:id/messages", () => {
  let client: Salvo;
  let id: string;
  beforeAll(async () => {
    ({ client } = await t.newAccount({ ...FAST, credits: 10 }));
    const { body } = await client.batches.create({
      from: "Salvo",
      body: "Hi",
      recipients: [MOBILE, "garbage"],
    });
    id = body.data.batch_id;
  });

  it("answers an empty page while the batch is only accepted", async () => {
    expect((await client.batches.messages(id)).body).toEqual({ data: [], page: { count: 0, number: 1 } });
    expect((await client.batches.messages(id, { page: 2 })).body).toEqual({
      data: [],
      page: { count: 0, number: 2 },
    });
  });

  it.each(MESSAGE_STATUSES)("accepts status=%s", async (status) => {
    expect((await client.batches.messages(id, { status })).body).toEqual({
      data: [],
      page: { count: 0, number: 1 },
    });
  });

  it.each(["pending", "bogus", "SENT", ""])("refuses status=%s", async (status) => {
    const error = await refusal(client.call("GET", `/v1/batches/${id}/messages?status=${status}`));
    expect(error).toMatchObject({ status: 400, code: "INVALID_PARAMETER", field: "status" });
  });

  it("refuses a bad page", async () => {
    const error = await refusal(client.call("GET", `/v1/batches/${id}/messages?page=0`));
    expect(error).toMatchObject({ status: 400, code: "INVALID_PARAMETER", field: "page" });
  });
});

describe("tenancy", () => {
  it("answers 404 on every batch route for another account's batch", async () => {
    const owner = await t.newAccount({ ...FAST, credits: 10 });
    const other = await t.newAccount({ ...FAST, credits: 10 });
    const { body } = await owner.client.batches.create({ from: "Salvo", body: "Mine", recipients: [MOBILE] });
    const id = body.data.batch_id;
    await other.client.batches.create({ from: "Salvo", body: "Theirs", recipients: [MOBILE] });

    for (const request of [
      () => other.client.batches.get(id),
      () => other.client.batches.messages(id),
      () => other.client.batches.messages(id, { status: "sent" }),
      () => other.client.batches.messages(id, { page: 2 }),
    ]) {
      // The same answer as for an id that exists nowhere.
      expect(await refusal(request())).toMatchObject({ status: 404, code: "NOT_FOUND" });
    }
    const listed = await other.client.batches.list();
    expect(listed.body.data.map((b) => b.id)).not.toContain(id);
    expect(listed.body.data).toHaveLength(1);

    // The owner still sees it, untouched.
    expect((await owner.client.batches.get(id)).body.data.attributes.total).toBe(1);
    expect((await owner.client.batches.list()).body.data.map((b) => b.id)).toEqual([id]);
  });

  it("answers 404 for a batch that does not exist, whatever its shape", async () => {
    const { client } = await t.newAccount(FAST);
    for (const id of ["bat_01JD3ZZZZZZZZZZZZZZZZZZZZZ", "nope", "x".repeat(64)]) {
      expect(await refusal(client.batches.get(id)), id).toMatchObject({ status: 404, code: "NOT_FOUND" });
      expect(await refusal(client.batches.messages(id)), id).toMatchObject({
        status: 404,
        code: "NOT_FOUND",
      });
    }
  });

  it("refuses an id with a NUL character with 400, never a 500", async () => {
    const { token } = await t.newAccount(FAST);
    for (const path of ["/v1/batches/%00", "/v1/batches/bat_%00x/messages"]) {
      const response = await fetch(`${t.api.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status, path).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: "INVALID_PARAMETER", field: "id" } });
    }
  });

  it("refuses every batch route without credentials", async () => {
    const anonymous = t.client();
    for (const request of [
      () => anonymous.batches.create(valid),
      () => anonymous.batches.list(),
      () => anonymous.batches.get("bat_01JD3ZZZZZZZZZZZZZZZZZZZZZ"),
      () => anonymous.batches.messages("bat_01JD3ZZZZZZZZZZZZZZZZZZZZZ"),
    ]) {
      expect(await refusal(request())).toMatchObject({ status: 401, code: "UNAUTHORIZED" });
    }
  });
});
