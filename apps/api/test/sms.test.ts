// The HTTP contract of POST /v1/sms and GET /v1/sms/:id. No worker runs here:
// every message stays `pending`, so what is checked is which requests are
// refused (and that they write nothing), the answer's shape, what acceptance
// stores, and that a single message is invisible as a batch.
import { parseMessageId } from "@salvo/core";
import type { Batch } from "@salvo/db";
import type { NewSms, Salvo } from "@salvo/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credits, refusal, startTestApi, type TestApi } from "./harness";

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
});
afterAll(() => t?.stop());

const FAST = { apiRateLimit: 10_000 };
const valid = { from: "APITEST", to: "590690112233", body: "Hello world" };

/** A POST the SDK's types would never let through. */
async function postRaw(token: string | undefined, body: unknown, contentType = "application/json") {
  const response = await fetch(`${t.api.url}/v1/sms`, {
    method: "POST",
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), "content-type": contentType },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const json = (await response.json()) as { error?: { code: string; field?: string } };
  return { status: response.status, error: json.error, body: json as Record<string, unknown> };
}

function batchIdOf(smsId: string): string {
  const parsed = parseMessageId(smsId);
  if (!parsed) throw new Error(`not a message id: ${smsId}`);
  return parsed.batchId;
}

describe("POST /v1/sms refuses only what is definitively invalid, writing nothing", () => {
  let token: string;
  let accountId: string;
  let client: Salvo;
  beforeAll(async () => {
    ({ token, accountId, client } = await t.newAccount({ ...FAST, credits: 1_000 }));
  });

  it("refuses a request without credentials, or with wrong ones (401)", async () => {
    expect(await postRaw(undefined, valid)).toMatchObject({ status: 401, error: { code: "UNAUTHORIZED" } });
    expect(await postRaw(`${token.split(".")[0]}.wrong`, valid)).toMatchObject({
      status: 401,
      error: { code: "UNAUTHORIZED" },
    });
  });

  it.each<[name: string, body: unknown, field: string]>([
    ["a missing sender", { to: valid.to, body: valid.body }, "from"],
    ["a missing recipient", { from: valid.from, body: valid.body }, "to"],
    ["a missing body", { from: valid.from, to: valid.to }, "body"],
    ["a sender of 12 letters", { ...valid, from: "ABCDEFGHIJKL" }, "from"],
    ["a sender with a space", { ...valid, from: "AB CD" }, "from"],
    ["a sender of 16 digits", { ...valid, from: "1234567890123456" }, "from"],
    ["an empty sender", { ...valid, from: "" }, "from"],
    ["an empty body", { ...valid, body: "" }, "body"],
    ["a body of 1,601 characters", { ...valid, body: "a".repeat(1_601) }, "body"],
    ["a body with NUL", { ...valid, body: "Hello\u0000" }, "body"],
    ["a number as a JSON number", { ...valid, to: 590690112233 }, "to"],
    ["a number as a list", { ...valid, to: [valid.to] }, "to"],
    ["a sender as a number", { ...valid, from: 12345 }, "from"],
    ["a body as a number", { ...valid, body: 42 }, "body"],
    ["shortenUrls as a string", { ...valid, shortenUrls: "yes" }, "shortenUrls"],
    ["isTransactional as a number", { ...valid, isTransactional: 1 }, "isTransactional"],
    ["isTransactional null", { ...valid, isTransactional: null }, "isTransactional"],
    ["an unknown field", { ...valid, recipients: [valid.to] }, "recipients"],
    ["a batch's type field", { ...valid, type: "marketing" }, "type"],
    ["too few digits", { ...valid, to: "123" }, "to"],
    ["letters", { ...valid, to: "abc" }, "to"],
    ["a country code that does not exist", { ...valid, to: "+99912345678" }, "to"],
    ["an empty number", { ...valid, to: "" }, "to"],
    ["a truncated national number", { ...valid, to: "0612" }, "to"],
    ["a national number that is too long", { ...valid, to: "06 12 34 56 78 90" }, "to"],
    ["a number with NUL", { ...valid, to: "+33612345678\u0000" }, "to"],
    ["a number of 100 digits", { ...valid, to: "6".repeat(100) }, "to"],
  ])("%s: 400 naming %s", async (_name, body, field) => {
    const before = await credits(client);
    expect(await postRaw(token, body)).toMatchObject({
      status: 400,
      error: { code: "INVALID_PARAMETER", field },
    });
    expect(await credits(client)).toBe(before);
    expect(await t.count("batches", { account_id: accountId })).toBe(0);
  });

  it.each([
    ["0612", "too short to be a phone number (too_short;"],
    ["06 12 34 56 7", "too short to be a phone number (too_short;"],
    ["06 12 34 56 78 90", "too long to be a phone number (too_long;"],
    ["abc", "not a phone number (not_a_number;"],
    [
      "+99912345678",
      "no known country calling code (and a national number needs a country) (invalid_country_code;",
    ],
    // Well formed: refused because no line has such a number today, not forever.
    ["0712345605", "well formed, but in a range not allocated to any line (today) (unallocated_range;"],
    ["06 12 34 56 78 ext. 9", "a number with an extension, which cannot receive an SMS (extension;"],
  ])("says why %j is refused", async (to, why) => {
    const error = await refusal(client.sms.send({ ...valid, to }));
    expect(error.message).toBe(
      `to: not a valid phone number: ${why} a national number is read with country FR).`,
    );
    expect(error.message).not.toMatch(/never/);
  });

  it.each<[name: string, body: string, contentType: string, status: number, code: string]>([
    ["a body that is not JSON", "{from:", "application/json", 400, "INVALID_JSON"],
    ["a body that is not an object", "[1, 2]", "application/json", 400, "INVALID_PARAMETER"],
    ["a form body", "from=APITEST", "application/x-www-form-urlencoded", 415, "UNSUPPORTED_MEDIA_TYPE"],
  ])("%s: %i %s", async (_name, body, contentType, status, code) => {
    expect(await postRaw(token, body, contentType)).toMatchObject({ status, error: { code } });
    expect(await t.count("batches", { account_id: accountId })).toBe(0);
  });

  it("refuses a message the account cannot pay for (402), like a batch", async () => {
    const { client: broke, accountId: brokeId } = await t.newAccount({ ...FAST, credits: 0 });
    const error = await refusal(broke.sms.send(valid));
    expect([error.status, error.code]).toEqual([402, "NOT_ENOUGH_CREDITS"]);
    expect(await t.count("batches", { account_id: brokeId })).toBe(0);
  });
});

describe("POST /v1/sms accepts everything else, at once", () => {
  let client: Salvo;
  let accountId: string;
  beforeAll(async () => {
    ({ client, accountId } = await t.newAccount({ ...FAST, credits: 1_000 }));
  });

  it.each([
    ["0690112233", "Guadeloupe"],
    ["0696123456", "Martinique"],
    ["0692123456", "Réunion"],
    ["0262123456", "Réunion"],
  ])("accepts %j, a number of %s dialled nationally from France", async (to) => {
    const { status, body } = await client.sms.send({ ...valid, to });
    expect(status).toBe(202);
    expect(body).toMatchObject({ to, status: "pending" });
  });

  it("answers 202 with the request's fields, an id, and pending", async () => {
    const request: NewSms = { ...valid, shortenUrls: true, isTransactional: false };
    const { status, body, headers } = await client.sms.send(request);
    expect(status).toBe(202);
    expect(body).toEqual({ id: expect.any(String), ...request, status: "pending", statusReason: "" });
    expect(body.id).toMatch(/^msg_[0-9A-Z]{26}_0$/);
    expect(headers.get("location")).toBe(`/v1/sms/${body.id}`);

    // Underneath, a batch of one, as asked, its cost reserved like any batch's.
    const batch = await t.row<Batch>("batches", { id: batchIdOf(body.id) });
    expect(batch).toMatchObject({
      accountId,
      single: true,
      shortenUrls: true,
      type: "marketing",
      sender: "APITEST",
      body: "Hello world",
      total: 1,
      pending: 1,
      reserved: 1,
      country: "FR",
    });
  });

  it("defaults to shortenUrls false and transactional", async () => {
    const { body } = await client.sms.send(valid);
    expect(body).toMatchObject({ shortenUrls: false, isTransactional: true });
    const batch = await t.row<Batch>("batches", { id: batchIdOf(body.id) });
    expect(batch).toMatchObject({ type: "transactional", shortenUrls: false });
  });

  it.each([
    "590690112233", // Guadeloupe, international without its +
    "+590690112233",
    "06 12 34 56 78", // national, read with the account's country (FR)
    "06.12.34.56.78",
    "0612345678",
    "+33 6 12 34 56 78",
    "0033612345678",
    "+44 7911 123456",
    "  +33612345678  ",
  ])("accepts %j, and answers it as sent", async (to) => {
    const { status, body } = await client.sms.send({ ...valid, to });
    expect(status).toBe(202);
    expect(body.to).toBe(to);
    expect((await client.sms.get(body.id)).body.to).toBe(to);
  });

  it("takes the cost of a long or UCS-2 body from the credits, as a batch does", async () => {
    const before = await credits(client);
    await client.sms.send({ ...valid, body: "ê".repeat(71) }); // UCS-2, 2 segments
    expect(await credits(client)).toBe(before - 2);
  });
});

describe("GET /v1/sms/:id", () => {
  let client: Salvo;
  let other: Salvo;
  beforeAll(async () => {
    ({ client } = await t.newAccount({ ...FAST, credits: 1_000 }));
    ({ client: other } = await t.newAccount({ ...FAST, credits: 1_000 }));
  });

  it("answers the message as accepted, pending until a worker judges it", async () => {
    const { body: sent } = await client.sms.send({ ...valid, to: "06 12 34 56 78", isTransactional: false });
    const { status, body } = await client.sms.get(sent.id);
    expect(status).toBe(200);
    expect(body).toEqual(sent);
  });

  it("shows the message row's status and reason once there is one", async () => {
    const { body: sent } = await client.sms.send(valid);
    const { batchId, index } = parseMessageId(sent.id) as { batchId: string; index: number };
    const batch = await t.row<Batch>("batches", { id: batchId });
    const row = { batchId, idx: index, accountId: batch.accountId, to: "+590690112233", segments: 1 };
    // Written by hand: only the read side is under test here (the workers' tests send for real).
    await t.query(
      `INSERT INTO messages (batch_id, idx, account_id, "to", segments, status, reason)
       VALUES ($1, $2, $3, $4, $5, 'undelivered', 'unknown_subscriber')`,
      [row.batchId, row.idx, row.accountId, row.to, row.segments],
    );
    const setStatus = (status: string) =>
      t.query("UPDATE messages SET status = $3, reason = NULL WHERE batch_id = $1 AND idx = $2", [
        batchId,
        index,
        status,
      ]);
    expect((await client.sms.get(sent.id)).body).toMatchObject({
      ...valid,
      status: "undelivered",
      statusReason: "unknown_subscriber",
    });
    await setStatus("delivered");
    expect((await client.sms.get(sent.id)).body).toMatchObject({ status: "delivered", statusReason: "" });
    // A status a single message cannot normally have still reads as finished.
    await setStatus("invalid");
    expect((await client.sms.get(sent.id)).body).toMatchObject({ status: "failed", statusReason: "invalid" });
  });

  it("answers 404 for another account's message, an unknown id, or a malformed one", async () => {
    const { body: sent } = await client.sms.send(valid);
    const { batchId } = parseMessageId(sent.id) as { batchId: string };
    const { body: batch } = await client.batches.create({
      from: "ACME",
      body: "Hi",
      recipients: ["+33612345678"],
    });
    const ids = [
      sent.id.replace(/_0$/, "_1"), // a position the message does not have
      messageIdOf(batch.data.batch_id), // a message of a batch, not a single message
      `msg_${"0".repeat(26)}_0`,
      batchId,
      "nope",
      "msg_",
      `${sent.id}x`,
    ];
    for (const id of ids) {
      const error = await refusal(client.sms.get(id));
      expect([id, error.status, error.code]).toEqual([id, 404, "NOT_FOUND"]);
    }
    const error = await refusal(other.sms.get(sent.id));
    expect([error.status, error.code]).toEqual([404, "NOT_FOUND"]);
  });
});

function messageIdOf(batchId: string): string {
  return `msg_${batchId.slice(4)}_0`;
}

describe("a single message is not a batch to its sender", () => {
  it("is left out of GET /v1/batches, and its batch id answers 404", async () => {
    const { client } = await t.newAccount({ ...FAST, credits: 1_000 });
    const { body: batch } = await client.batches.create({
      from: "ACME",
      body: "Hi",
      recipients: ["+33612345678"],
    });
    const { body: sent } = await client.sms.send(valid);
    await client.sms.send(valid);

    const { body: list } = await client.batches.list();
    expect(list.data.map((b) => b.id)).toEqual([batch.data.batch_id]);
    expect(list.page).toEqual({ count: 1, number: 1 });

    const batchId = batchIdOf(sent.id);
    // Each request starts only when awaited: a second one started early would
    // reject with nothing listening yet, an unhandled rejection.
    for (const request of [() => client.batches.get(batchId), () => client.batches.messages(batchId)]) {
      const error = await refusal(request());
      expect([error.status, error.code]).toEqual([404, "NOT_FOUND"]);
    }
  });
});
