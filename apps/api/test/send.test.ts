// POST /v1/send without workers: its refusals, each with the numeric `status` of
// the classic SMS-API family, and what it answers when its batch does not finish
// (timeout, client gone, API stopping). The counts of finished sends are checked
// against real workers in apps/worker/test/sms-send.test.ts.
import type { Salvo, SalvoApiError } from "@salvo/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refusal, startTestApi, type TestApi } from "./harness";

// No worker ever finishes a batch here: a short wait keeps the timeout case quick.
const SEND_TIMEOUT_MS = 300;
let t: TestApi;
beforeAll(async () => {
  t = await startTestApi({ SEND_TIMEOUT_MS: String(SEND_TIMEOUT_MS) });
});
afterAll(() => t?.stop());

const FAST = { apiRateLimit: 10_000 };
const valid = { from: "ACME", body: "Hello", recipients: ["+33612345678", "0612345679"] };

interface RawInit {
  method?: string;
  token?: string;
  body?: string;
  contentType?: string;
}

const FORM = "application/x-www-form-urlencoded";

async function raw(path: string, init: RawInit) {
  const response = await fetch(`${t.api.url}${path}`, {
    method: init.method ?? "POST",
    headers: {
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...(init.contentType ? { "content-type": init.contentType } : {}),
    },
    body: init.body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("POST /v1/send refuses with the error envelope and a numeric status", () => {
  let token: string;
  let accountId: string;
  let client: Salvo;
  beforeAll(async () => {
    ({ token, accountId, client } = await t.newAccount({ ...FAST, credits: 100_000 }));
  });

  const json = (body: unknown) => ({ token, body: JSON.stringify(body), contentType: "application/json" });
  const tokenId = () => token.split(".")[0];
  it.each<[name: string, path: string, http: number, code: string, status: number, init: () => RawInit]>([
    ["no credentials", "/v1/send", 401, "UNAUTHORIZED", -1, () => ({ ...json(valid), token: undefined })],
    [
      "a wrong token",
      "/v1/send",
      401,
      "UNAUTHORIZED",
      -1,
      () => ({ ...json(valid), token: `${tokenId()}.wrong` }),
    ],
    [
      "a body that is not JSON",
      "/v1/send",
      400,
      "INVALID_JSON",
      -6,
      () => ({ ...json(valid), body: '{"from":' }),
    ],
    [
      "a form body",
      "/v1/send",
      415,
      "UNSUPPORTED_MEDIA_TYPE",
      -6,
      () => ({ ...json(valid), contentType: FORM }),
    ],
    ["a missing field", "/v1/send", 400, "INVALID_PARAMETER", -7, () => json({ from: "ACME", body: "Hi" })],
    ["a malformed sender", "/v1/send", 400, "INVALID_PARAMETER", -7, () => json({ ...valid, from: "A B" })],
    ["an unknown field", "/v1/send", 400, "INVALID_PARAMETER", -7, () => json({ ...valid, ticket: "x" })],
    ["another method", "/v1/send", 405, "METHOD_NOT_ALLOWED", -5, () => ({ method: "GET", token })],
    ["a path below it", "/v1/send/now", 404, "NOT_FOUND", -5, () => json(valid)],
  ])("%s (%s): %i %s, status %i", async (_name, path, http, code, status, init) => {
    const answer = await raw(path, init());
    expect(answer).toEqual({
      status: http,
      body: { status, error: expect.objectContaining({ code }) },
    });
    expect(await t.count("batches", { account_id: accountId })).toBe(0);
  });

  it("refuses more than 10,000 recipients with 413, pointing to POST /v1/batches (status -7)", async () => {
    const recipients = Array.from({ length: 10_001 }, (_, i) => `+3361${String(i).padStart(7, "0")}`);
    const error = await refusal(client.sendNow({ ...valid, recipients }));
    expect([error.status, error.code, error.field, error.numericStatus]).toEqual([
      413,
      "TOO_MANY_RECIPIENTS",
      "recipients",
      -7,
    ]);
    expect(error.message).toContain("POST /v1/batches");
    expect(await t.count("batches", { account_id: accountId })).toBe(0);
  });

  it("refuses a send the account cannot pay for (402, status -3), writing nothing", async () => {
    const { client: broke, accountId: brokeId } = await t.newAccount({ ...FAST, credits: 1 });
    const error = await refusal(broke.sendNow(valid));
    expect([error.status, error.code, error.numericStatus]).toEqual([402, "NOT_ENOUGH_CREDITS", -3]);
    expect(await t.count("batches", { account_id: brokeId })).toBe(0);
  });

  it("answers the throttle's 429 with status -99 and Retry-After", async () => {
    const { client: slow } = await t.newAccount({ apiRateLimit: 1, credits: 0 });
    const answers = await Promise.allSettled(Array.from({ length: 4 }, () => slow.sendNow(valid)));
    const throttled = answers
      .map((answer) => (answer.status === "rejected" ? (answer.reason as SalvoApiError) : null))
      .filter((error) => error?.status === 429);
    expect(throttled.length).toBeGreaterThan(0);
    for (const error of throttled) {
      expect([error?.code, error?.numericStatus]).toEqual(["OVER_LIMIT", -99]);
      expect(error?.retryAfterSeconds).toBeGreaterThan(0);
    }
  });

  it("leaves the errors of every other route as they were", async () => {
    const answer = await raw("/v1/batches", { token, body: '{"from":', contentType: "application/json" });
    expect(answer).toEqual({
      status: 400,
      body: { error: expect.objectContaining({ code: "INVALID_JSON" }) },
    });
    const error = await refusal(client.batches.get("bat_nope"));
    expect(error.numericStatus).toBeUndefined();
  });
});

describe("POST /v1/send when its batch is not finished in time", () => {
  it("answers 202 with the counts so far, pending, and where to poll", async () => {
    const { client } = await t.newAccount({ ...FAST, credits: 100 });
    const { status, body, headers } = await client.sendNow(valid);
    expect(status).toBe(202);
    expect(body).toEqual({
      status: 1,
      message: expect.stringContaining(`/v1/batches/${body.ticket}`),
      ticket: expect.stringMatching(/^bat_/),
      cost: 0,
      credits: 98, // the whole cost is reserved until messages are judged
      total: 2,
      pending: 2,
      sent: 0,
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
    });
    expect(headers.get("location")).toBe(`/v1/batches/${body.ticket}`);
    // An ordinary batch: visible, and finished later by the workers.
    expect((await client.batches.get(body.ticket)).body.data.attributes.total).toBe(2);
  });
});

describe("POST /v1/send stops waiting", () => {
  it("when the client goes away; the batch is kept", async () => {
    // A short shutdown: the aborted fetch leaves undici a spare idle connection open.
    const slow = await startTestApi({ SEND_TIMEOUT_MS: "120000", SHUTDOWN_TIMEOUT_MS: "200" });
    try {
      const { token, accountId } = await slow.newAccount({ ...FAST, credits: 100 });
      const hangUp = new AbortController();
      const request = fetch(`${slow.api.url}/v1/send`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(valid),
        signal: hangUp.signal,
      }).catch((error: Error) => error);
      await until(async () => (await slow.count("batches", { account_id: accountId })) === 1);
      hangUp.abort();
      expect(await request).toBeInstanceOf(Error);
      await until(() => slow.logs.some((line) => line.includes("the client went away")));
      expect(await slow.count("batches", { account_id: accountId })).toBe(1);
    } finally {
      await slow.stop();
    }
  });

  it("when the API stops: it answers 202 at once rather than being cut off", async () => {
    const slow = await startTestApi({ SEND_TIMEOUT_MS: "120000", SHUTDOWN_TIMEOUT_MS: "30000" });
    let stopped: Promise<void> | undefined;
    try {
      const { client, accountId } = await slow.newAccount({ ...FAST, credits: 100 });
      const answer = client.sendNow(valid);
      await until(async () => (await slow.count("batches", { account_id: accountId })) === 1);
      stopped = slow.api.close();
      const { status, body } = await answer;
      expect([status, body.pending]).toEqual([202, 2]);
    } finally {
      await stopped;
      await slow.stop();
    }
  });
});

/** Polls `condition` until it holds; fails after 10 s. */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met within 10 s");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
