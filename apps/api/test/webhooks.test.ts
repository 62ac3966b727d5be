// /v1/webhooks over HTTP: create (the secret is shown once), list, read, delete,
// re-enable, the deliveries log; what a webhook may not be (bad URL or events,
// bad secret, a private destination); tenancy.
import type { Salvo } from "@salvo/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refusal, startTestApi, type TestApi } from "./harness";

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true" });
});
afterAll(() => t?.stop());

const FAST = { apiRateLimit: 10_000 };
const RECEIVER = "http://127.0.0.1:9/hooks?source=salvo";

describe("POST /v1/webhooks", () => {
  let client: Salvo;
  beforeAll(async () => {
    ({ client } = await t.newAccount(FAST));
  });

  it("creates a webhook and shows its generated secret only in that answer", async () => {
    const created = await client.webhooks.create({ url: RECEIVER, events: ["dlr", "mo"] });
    expect(created.status).toBe(201);
    const { data } = created.body;
    expect(data.id).toMatch(/^whk_[0-9A-Z]{26}$/);
    expect(data.type).toBe("webhooks");
    expect(created.headers.get("location")).toBe(`/v1/webhooks/${data.id}`);
    expect(data.attributes).toMatchObject({
      url: RECEIVER,
      events: ["dlr", "mo"],
      status: "enabled",
      disabled_reason: null,
      disabled_at: null,
      failing_since: null,
    });
    expect(data.attributes.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(data.attributes.secret.slice(6), "base64")).toHaveLength(32);
    expect(Date.parse(data.attributes.created_at)).not.toBeNaN();

    const { body: got } = await client.webhooks.get(data.id);
    expect(got.data).toEqual({ ...data, attributes: { ...got.data.attributes } });
    expect(got.data.attributes).not.toHaveProperty("secret");
    const { body: listed } = await client.webhooks.list();
    expect(listed.data.find((w) => w.id === data.id)?.attributes).not.toHaveProperty("secret");
    // Stored, to sign with.
    const row = await t.row<{ secret: string }>("webhooks", { id: data.id });
    expect(row.secret).toBe(data.attributes.secret);
  });

  it("takes a secret of the user's own, and normalises the URL", async () => {
    const secret = `whsec_${Buffer.alloc(24, 9).toString("base64")}`;
    const { body } = await client.webhooks.create({
      url: "HTTPS://LocalHost:443/a path",
      events: ["batch.completed"],
      secret,
    });
    expect(body.data.attributes.secret).toBe(secret);
    expect(body.data.attributes.url).toBe("https://localhost/a%20path");
  });

  it.each([
    [{ url: "ftp://example.com/", events: ["dlr"] }, "url", /https:\/\/ or http:\/\//],
    [{ url: "example.com/hook", events: ["dlr"] }, "url", /not a valid URL/],
    [{ url: "https://user:pw@example.com/", events: ["dlr"] }, "url", /credentials/],
    [{ url: `https://example.com/${"a".repeat(2_040)}`, events: ["dlr"] }, "url", /2048/],
    [{ url: 42, events: ["dlr"] }, "url", /string/],
    [{ events: ["dlr"] }, "url", /./],
    [{ url: RECEIVER, events: [] }, "events", /at least one of dlr, mo, stop, batch\.completed/],
    [{ url: RECEIVER, events: ["click"] }, "events.0", /./],
    [{ url: RECEIVER, events: ["dlr", "dlr"] }, "events", /at most once/],
    [{ url: RECEIVER }, "events", /./],
    [{ url: RECEIVER, events: ["dlr"], secret: "whsec_tooShort" }, "secret", /Standard Webhooks secret/],
    [{ url: RECEIVER, events: ["dlr"], secret: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }, "secret", /whsec_/],
    [{ url: RECEIVER, events: ["dlr"], secret: 7 }, "secret", /./],
    [{ url: RECEIVER, events: ["dlr"], retries: 3 }, "retries", /./],
  ])("refuses %j: 400 naming %s", async (body, field, description) => {
    const before = await client.webhooks.list();
    const error = await refusal(client.call("POST", "/v1/webhooks", body));
    expect(error.status).toBe(400);
    expect(error.code).toBe("INVALID_PARAMETER");
    expect(error.field).toBe(field);
    expect(error.message).toMatch(description);
    expect((await client.webhooks.list()).body.page).toEqual(before.body.page);
  });

  it("refuses a host that does not resolve", async () => {
    const error = await refusal(
      client.webhooks.create({ url: "https://nothing-here.invalid/", events: ["mo"] }),
    );
    expect(error).toMatchObject({ status: 400, code: "INVALID_PARAMETER", field: "url" });
    expect(error.message).toBe("url: nothing-here.invalid does not resolve");
  });

  it("caps an account at 20 webhooks", async () => {
    const { client: capped } = await t.newAccount(FAST);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      ids.push((await capped.webhooks.create({ url: `${RECEIVER}&n=${i}`, events: ["dlr"] })).body.data.id);
    }
    const error = await refusal(capped.webhooks.create({ url: RECEIVER, events: ["dlr"] }));
    expect(error).toMatchObject({ status: 409, code: "LIMIT_REACHED" });
    expect(error.message).toMatch(/at most 20 webhooks/);
    await capped.webhooks.delete(ids[0] as string);
    expect((await capped.webhooks.create({ url: RECEIVER, events: ["dlr"] })).status).toBe(201);
  });
});

describe("GET, DELETE and enable", () => {
  it("lists newest first, 25 a page", async () => {
    const { client } = await t.newAccount(FAST);
    expect((await client.webhooks.list()).body).toEqual({ data: [], page: { count: 0, number: 1 } });
    const ids: string[] = [];
    for (const events of [["dlr"], ["mo", "stop"], ["batch.completed"]] as const) {
      ids.push((await client.webhooks.create({ url: RECEIVER, events: [...events] })).body.data.id);
    }
    const { body } = await client.webhooks.list();
    expect(body.page).toEqual({ count: 1, number: 1 });
    expect(body.data.map((w) => w.id)).toEqual([...ids].reverse());
    expect(body.data[1]?.attributes.events).toEqual(["mo", "stop"]);
    expect((await client.webhooks.list({ page: 2 })).body).toEqual({
      data: [],
      page: { count: 1, number: 2 },
    });
    expect((await refusal(client.webhooks.list({ page: 0 }))).field).toBe("page");
  });

  it("deletes a webhook (204); it is then not found", async () => {
    const { client } = await t.newAccount(FAST);
    const { id } = (await client.webhooks.create({ url: RECEIVER, events: ["dlr"] })).body.data;
    const deleted = await client.webhooks.delete(id);
    expect(deleted.status).toBe(204);
    expect((await refusal(client.webhooks.get(id))).status).toBe(404);
    expect((await refusal(client.webhooks.delete(id))).status).toBe(404);
    expect(await t.count("webhooks", { id })).toBe(0);
  });

  it("re-enables a disabled webhook, forgetting why it was disabled", async () => {
    const { client } = await t.newAccount(FAST);
    const { id } = (await client.webhooks.create({ url: RECEIVER, events: ["dlr"] })).body.data;
    const since = new Date(Date.now() - 86_400_000);
    await t.query(
      `UPDATE webhooks SET enabled = false, disabled_reason = 'failed every delivery', disabled_at = now(),
              failing_since = $2
        WHERE id = $1`,
      [id, since],
    );
    expect((await client.webhooks.get(id)).body.data.attributes).toMatchObject({
      status: "disabled",
      disabled_reason: "failed every delivery",
      failing_since: since.toISOString(),
    });
    const { body } = await client.webhooks.enable(id);
    expect(body.data.attributes).toMatchObject({
      status: "enabled",
      disabled_reason: null,
      disabled_at: null,
      failing_since: null,
    });
  });

  it("disables a webhook at its account's asking, until it is enabled again", async () => {
    const { client } = await t.newAccount(FAST);
    const { id } = (await client.webhooks.create({ url: RECEIVER, events: ["dlr"] })).body.data;
    const { body } = await client.webhooks.disable(id);
    expect(body.data.attributes).toMatchObject({
      status: "disabled",
      disabled_reason: "disabled by its account",
    });
    expect(await t.count("webhooks", { id, enabled: false })).toBe(1);
    // Again: still disabled, since the first time.
    const again = (await client.webhooks.disable(id)).body.data.attributes;
    expect(again.disabled_at).toBe(body.data.attributes.disabled_at);
    expect((await client.webhooks.enable(id)).body.data.attributes).toMatchObject({
      status: "enabled",
      disabled_reason: null,
    });
  });

  it("answers 404 for another account's webhook, whatever the verb", async () => {
    const owner = await t.newAccount(FAST);
    const other = await t.newAccount(FAST);
    const { id } = (await owner.client.webhooks.create({ url: RECEIVER, events: ["dlr"] })).body.data;
    for (const request of [
      () => other.client.webhooks.get(id),
      () => other.client.webhooks.delete(id),
      () => other.client.webhooks.enable(id),
      () => other.client.webhooks.disable(id),
      () => other.client.webhooks.deliveries(id),
    ]) {
      const error = await refusal(request());
      expect(error).toMatchObject({ status: 404, code: "NOT_FOUND" });
    }
    expect((await other.client.webhooks.list()).body.data).toEqual([]);
    expect((await owner.client.webhooks.get(id)).status).toBe(200);
  });
});

describe("GET /v1/webhooks/:id/deliveries", () => {
  it("lists every attempt newest first, 25 a page, with its event", async () => {
    const { client, accountId } = await t.newAccount(FAST);
    const { id } = (await client.webhooks.create({ url: RECEIVER, events: ["dlr", "mo"] })).body.data;
    expect((await client.webhooks.deliveries(id)).body).toEqual({ data: [], page: { count: 0, number: 1 } });

    // Attempts as the workers record them (their tests deliver for real).
    await t.query(
      `INSERT INTO webhook_events (id, webhook_id, account_id, type, payload, state, attempts)
       VALUES ('evt_a', $1, $2, 'dlr', '{}', 'failed', 20), ('evt_b', $1, $2, 'mo', '{}', 'delivered', 10)`,
      [id, accountId],
    );
    const start = Date.parse("2026-11-22T10:00:00.000Z");
    for (let i = 0; i < 30; i++) {
      await t.query(
        `INSERT INTO webhook_attempts (event_id, webhook_id, attempted_at, status_code, duration_ms, error,
                                       response_body, response_truncated, response_content_type)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          i < 20 ? "evt_a" : "evt_b",
          id,
          new Date(start + i * 1_000),
          i === 29 ? 200 : i % 2 ? 500 : null,
          i,
          i === 29 ? null : i % 2 ? "HTTP 500" : "timeout after 10000 ms",
          i === 29 ? '{"received":true}' : i % 2 ? "Internal Server Error" : null,
          false,
          i === 29 ? "application/json" : i % 2 ? "text/plain" : null,
        ],
      );
    }

    const first = (await client.webhooks.deliveries(id)).body;
    expect(first.page).toEqual({ count: 2, number: 1 });
    expect(first.data).toHaveLength(25);
    expect(first.data[0]).toEqual({
      id: expect.any(String),
      type: "webhook_attempts",
      attributes: {
        event_id: "evt_b",
        event: "mo",
        event_state: "delivered",
        status_code: 200,
        duration_ms: 29,
        error: null,
        response_body: '{"received":true}',
        response_truncated: false,
        response_content_type: "application/json",
        attempted_at: new Date(start + 29_000).toISOString(),
      },
    });
    expect(first.data[2]?.attributes).toMatchObject({
      status_code: 500,
      error: "HTTP 500",
      duration_ms: 27,
      response_body: "Internal Server Error",
    });
    const second = (await client.webhooks.deliveries(id, { page: 2 })).body;
    expect(second.data.map((a) => a.attributes.duration_ms)).toEqual([4, 3, 2, 1, 0]);
    expect(second.data[0]?.attributes).toMatchObject({
      event_id: "evt_a",
      event: "dlr",
      event_state: "failed",
      status_code: null,
      error: "timeout after 10000 ms",
      response_body: null,
      response_content_type: null,
    });
  });
});

describe("with private networks refused (the default)", () => {
  let strict: TestApi;
  let client: Salvo;
  beforeAll(async () => {
    strict = await startTestApi({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: "false" });
    ({ client } = await strict.newAccount(FAST));
  });
  afterAll(() => strict?.stop());

  it.each([
    ["http://127.0.0.1:3000/hook", /127\.0\.0\.1, a loopback address/],
    ["http://10.0.0.1/hook", /10\.0\.0\.1, a private address/],
    ["http://192.168.1.20/", /private/],
    ["http://169.254.169.254/latest/meta-data/", /169\.254\.169\.254, a linkLocal address/],
    ["http://100.64.0.1/", /carrierGradeNat/],
    ["http://0.0.0.0:8080/", /unspecified/],
    ["http://[::1]:8080/", /::1, a loopback address/],
    ["http://[fd00::1]/", /uniqueLocal/],
    ["http://[::ffff:127.0.0.1]/", /loopback/],
    ["http://localhost:8080/", /^url: localhost resolves to .*, a loopback address/],
  ])("refuses %s", async (url, description) => {
    const error = await refusal(client.webhooks.create({ url, events: ["dlr"] }));
    expect(error).toMatchObject({ status: 400, code: "INVALID_PARAMETER", field: "url" });
    expect(error.message).toMatch(description);
    // The refusal names the setting that lifts it, for the operator a user passes it to.
    expect(error.message).toMatch(
      /webhooks may only post to public addresses unless the operator sets WEBHOOK_ALLOW_PRIVATE_NETWORKS=true on the API and workers$/,
    );
  });

  it("accepts a public address", async () => {
    const { status } = await client.webhooks.create({ url: "https://93.184.215.14/hook", events: ["dlr"] });
    expect(status).toBe(201);
    expect((await client.webhooks.list()).body.data).toHaveLength(1);
  });
});
