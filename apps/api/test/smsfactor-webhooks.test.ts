// SMSFactor's webhook management (/smsfactor/webhook), as its SDKs call it: JSON
// with the PHP SDK's headers, XML by default, XML request bodies; each webhook a
// Salvo webhook of format `smsfactor`, visible in /v1/webhooks; errors as
// SMSFactor answers them (HTTP 200, negative status); other accounts' ids -5.
import { XMLParser } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refusal, startTestApi, type TestApi } from "./harness";
import { type SfInit, sfRequest } from "./smsfactor-http";

const RECEIVER = "http://127.0.0.1:9/hooks";

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi({
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true",
    WEBHOOK_SECRET_KEYS: Buffer.alloc(32, 7).toString("base64"),
  });
});
afterAll(() => t.stop());

/** A raw HTTP request (node:http: the PHP SDK sends a body `[]` even on GET and DELETE). */
function call(method: string, path: string, init: SfInit = {}) {
  return sfRequest(t.api.url, method, path, init);
}

async function json(token: string, method: string, path: string, body: unknown = []) {
  const answer = await call(method, path, {
    headers: {
      Accept: "application/json",
      "X-application": "15",
      Authorization: `Bearer ${token}`,
      "Content-Type": "application/json",
    },
    body: JSON.stringify(body),
  });
  expect(answer.http).toBe(200);
  expect(answer.type).toMatch(/^application\/json/);
  return JSON.parse(answer.text);
}

/** The /v1 id (`whk_…`) of the webhook SMSFactor's routes number `numericId`. */
async function v1IdOf(numericId: string): Promise<string> {
  const [row] = await t.query<{ id: string }>("SELECT id FROM webhooks WHERE numeric_id = $1", [numericId]);
  if (!row) throw new Error(`no webhook number ${numericId}`);
  return row.id;
}

const xmlReader = new XMLParser({ parseTagValue: false, isArray: (name) => name === "webhooks" });

/** A request with no Accept header (XML answers), its body in XML when given. */
async function xml(token: string, method: string, path: string, body?: string) {
  const answer = await call(method, path, {
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "Content-Type": "application/xml" }),
    },
    ...(body === undefined ? {} : { body }),
  });
  expect(answer.http).toBe(200);
  expect(answer.type).toMatch(/^application\/xml/);
  expect(answer.text.startsWith('<?xml version="1.0" encoding="UTF-8"?><response>')).toBe(true);
  return xmlReader.parse(answer.text).response;
}

describe("SMSFactor /webhook in JSON", () => {
  it("creates, lists, updates, pauses, resumes and deletes a webhook; each is a Salvo webhook of format smsfactor", async () => {
    const { token, client } = await t.newAccount({ apiRateLimit: 1_000 });
    const created = await json(token, "POST", "/webhook", {
      webhook: { type: "DLR", url: RECEIVER, signature: "mysignature123" },
    });
    expect(created).toEqual({
      status: 1,
      message: "OK",
      webhook: {
        webhook_id: expect.stringMatching(/^[1-9]\d*$/),
        type: "DLR",
        url: RECEIVER,
        signature: "mysignature123",
        status: "live",
        last_http_code: null,
      },
    });
    const id = created.webhook.webhook_id as string;
    const whk = await v1IdOf(id);

    // The same webhook in /v1: format smsfactor, Salvo's event of its type.
    const salvo = (await client.webhooks.get(whk)).body.data.attributes;
    expect(salvo).toMatchObject({ url: RECEIVER, events: ["dlr"], format: "smsfactor", status: "enabled" });
    // The signature is stored sealed, as every webhook secret.
    const [row] = await t.query<{ secret: string }>("SELECT secret FROM webhooks WHERE id = $1", [whk]);
    expect(row?.secret).toMatch(/^sealed:v1:/);
    expect(row?.secret).not.toContain("mysignature123");

    const clicker = await json(token, "POST", "/webhook", { webhook: { type: "clicker", url: RECEIVER } });
    expect(clicker.webhook).toMatchObject({ type: "CLICKER", signature: null, status: "live" });
    expect(
      (await client.webhooks.get(await v1IdOf(clicker.webhook.webhook_id))).body.data.attributes.events,
    ).toEqual(["message.clicked"]);

    const listed = await json(token, "GET", "/webhook");
    expect(listed.status).toBe(1);
    expect(listed.webhooks.map((w: { webhook_id: string; type: string }) => [w.webhook_id, w.type])).toEqual([
      [id, "DLR"],
      [clicker.webhook.webhook_id, "CLICKER"],
    ]);
    expect(listed.webhooks[0]).toEqual(created.webhook);

    const updated = await json(token, "PUT", `/webhook/${id}`, {
      webhook: { type: "STOP", url: "http://127.0.0.1:9/stop", signature: "another" },
    });
    expect(updated).toEqual({
      status: 1,
      message: "OK",
      webhook: {
        webhook_id: id,
        type: "STOP",
        url: "http://127.0.0.1:9/stop",
        signature: "another",
        status: "live",
        last_http_code: null,
      },
    });
    expect((await client.webhooks.get(whk)).body.data.attributes.events).toEqual(["stop"]);

    const paused = await json(token, "PUT", `/webhook/${id}/status`, { webhook: { status: "paused" } });
    expect(paused.webhook).toMatchObject({ webhook_id: id, status: "paused", type: "STOP" });
    expect((await client.webhooks.get(whk)).body.data.attributes.status).toBe("disabled");
    const live = await json(token, "PUT", `/webhook/${id}/status`, { webhook: { status: "live" } });
    expect(live.webhook.status).toBe("live");
    expect((await client.webhooks.get(whk)).body.data.attributes.status).toBe("enabled");

    // A null signature removes it.
    const unsigned = await json(token, "PUT", `/webhook/${id}`, { webhook: { signature: null } });
    expect(unsigned.webhook).toMatchObject({ signature: null, type: "STOP", url: "http://127.0.0.1:9/stop" });

    expect(await json(token, "DELETE", `/webhook/${id}`)).toEqual({
      status: 1,
      message: "OK",
      deleted_id: Number(id),
    });
    expect((await json(token, "GET", "/webhook")).webhooks).toHaveLength(1);
    expect(await t.query("SELECT 1 FROM webhooks WHERE id = $1", [whk])).toHaveLength(0);
  });

  it("refuses bad input with SMSFactor's error shape, changing nothing", async () => {
    const { token, client } = await t.newAccount({ apiRateLimit: 1_000 });
    const cases: [unknown, number, RegExp][] = [
      [
        { webhook: { type: "SMS", url: RECEIVER } },
        -7,
        /^webhook\.type: one of MO, DLR, STOP, CLICKER, BALANCE_ALERT/,
      ],
      [{ webhook: { type: "DLR" } }, -7, /^webhook\.url: required/],
      [
        { webhook: { type: "DLR", url: "ftp://example.com/" } },
        -7,
        /^webhook\.url: must start with https:\/\//,
      ],
      [{ webhook: { type: "DLR", url: RECEIVER, signature: "x".repeat(256) } }, -7, /^webhook\.signature/],
      [{}, -7, /^webhook: required/],
    ];
    for (const [body, status, details] of cases) {
      const answer = await json(token, "POST", "/webhook", body);
      expect(answer).toEqual({ status, message: "Data error", details: expect.stringMatching(details) });
    }
    const broken = await call("POST", "/webhook", {
      headers: {
        Accept: "application/json",
        Authorization: `Bearer ${token}`,
        "Content-Type": "application/json",
      },
      body: '{"webhook": ',
    });
    expect(JSON.parse(broken.text)).toMatchObject({ status: -6, message: "JSON error" });
    const { id } = await createdId(token);
    expect(
      await json(token, "PUT", `/webhook/${id}/status`, { webhook: { status: "stopped" } }),
    ).toMatchObject({
      status: -7,
      details: "webhook.status: live or paused",
    });
    expect((await client.webhooks.list()).body.data).toHaveLength(1);
  });

  it("takes a webhook's /v1 id (whk_…) in paths too", async () => {
    const { token } = await t.newAccount({ apiRateLimit: 1_000 });
    const { id } = await createdId(token);
    const whk = await v1IdOf(id);
    const paused = await json(token, "PUT", `/webhook/${whk}/status`, { webhook: { status: "paused" } });
    expect(paused.webhook).toMatchObject({ webhook_id: id, status: "paused" });
    expect(await json(token, "DELETE", `/webhook/${whk}`)).toEqual({
      status: 1,
      message: "OK",
      deleted_id: Number(id),
    });
  });

  it("answers -5 for another account's webhook, an unknown id, and a /v1 webhook of Salvo's format", async () => {
    const owner = await t.newAccount({ apiRateLimit: 1_000 });
    const other = await t.newAccount({ apiRateLimit: 1_000 });
    const { id } = await createdId(owner.token);
    const salvoFormat = (await other.client.webhooks.create({ url: RECEIVER, events: ["dlr"] })).body.data.id;
    for (const [method, path, body] of [
      ["PUT", `/webhook/${id}`, { webhook: { url: "http://127.0.0.1:9/x" } }],
      ["PUT", `/webhook/${id}/status`, { webhook: { status: "paused" } }],
      ["DELETE", `/webhook/${id}`, []],
      ["DELETE", "/webhook/whk_nothing", []],
      ["DELETE", "/webhook/999999999", []],
      ["DELETE", `/webhook/${await v1IdOf(id)}`, []],
      ["DELETE", `/webhook/${salvoFormat}`, []],
    ] as const) {
      expect(await json(other.token, method, path, body)).toMatchObject({
        status: -5,
        message: "Resource not found",
      });
    }
    expect((await json(other.token, "GET", "/webhook")).webhooks).toEqual([]);
    // Nothing changed for its owner.
    expect((await json(owner.token, "GET", "/webhook")).webhooks).toEqual([
      expect.objectContaining({ webhook_id: id, url: RECEIVER, status: "live" }),
    ]);
    expect((await other.client.webhooks.get(salvoFormat)).body.data.attributes.format).toBe("salvo");
  });

  it("answers -1 without a valid token", async () => {
    expect(await json("nope", "GET", "/webhook")).toMatchObject({ status: -1 });
  });
});

async function createdId(token: string) {
  const created = await json(token, "POST", "/webhook", { webhook: { type: "MO", url: RECEIVER } });
  return { id: created.webhook.webhook_id as string };
}

describe("SMSFactor /webhook in XML", () => {
  it("creates from an XML body and answers every route in XML by default", async () => {
    const { token } = await t.newAccount({ apiRateLimit: 1_000 });
    const created = await xml(
      token,
      "POST",
      "/webhook",
      `<?xml version="1.0" encoding="UTF-8"?><webhook><type>MO</type><url>${RECEIVER}</url><signature>s3cret</signature></webhook>`,
    );
    expect(created).toEqual({
      status: "1",
      message: "OK",
      webhook: {
        webhook_id: expect.stringMatching(/^[1-9]\d*$/),
        type: "MO",
        url: RECEIVER,
        signature: "s3cret",
        status: "live",
        last_http_code: "null",
      },
    });
    const id = created.webhook.webhook_id as string;
    await xml(
      token,
      "POST",
      "/webhook",
      `<webhook><type>BALANCE_ALERT</type><url>${RECEIVER}</url></webhook>`,
    );

    const listed = await xml(token, "GET", "/webhook");
    expect(listed.webhooks.map((w: { type: string }) => w.type)).toEqual(["MO", "BALANCE_ALERT"]);
    expect(listed.webhooks[1].signature).toBe("null");

    const updated = await xml(token, "PUT", `/webhook/${id}`, `<webhook><type>DLR</type></webhook>`);
    expect(updated.webhook).toMatchObject({ webhook_id: id, type: "DLR", signature: "s3cret" });
    const paused = await xml(
      token,
      "PUT",
      `/webhook/${id}/status`,
      `<webhook><status>paused</status></webhook>`,
    );
    expect(paused.webhook.status).toBe("paused");
    expect(await xml(token, "DELETE", `/webhook/${id}`)).toEqual({
      status: "1",
      message: "OK",
      deleted_id: id,
    });

    // Errors in XML too.
    expect(await xml(token, "POST", "/webhook", "<webhook><type>DLR</type>")).toMatchObject({
      status: "-2",
      message: "XML error",
    });
    expect(await xml(token, "DELETE", `/webhook/${id}`)).toMatchObject({ status: "-5" });
    expect(
      await xml(token, "POST", "/webhook", `<webhook><type>NOPE</type><url>${RECEIVER}</url></webhook>`),
    ).toMatchObject({
      status: "-7",
      message: "Data error",
    });
  });
});

describe("POST /v1/webhooks format", () => {
  it("defaults to Sofy's for Sofy's own request, to Salvo's otherwise, and refuses an unknown one", async () => {
    const { client } = await t.newAccount({ apiRateLimit: 1_000 });
    const sofy = await client.webhooks.create({ url: RECEIVER, events: ["sms.status"] });
    expect(sofy.body.data.attributes.format).toBe("sofy");
    const mixed = await client.webhooks.create({ url: RECEIVER, events: ["sms.status", "dlr"] });
    expect(mixed.body.data.attributes.format).toBe("salvo");
    const chosen = await client.webhooks.create({ url: RECEIVER, events: ["dlr"], format: "smsfactor" });
    expect(chosen.body.data.attributes.format).toBe("smsfactor");
    const refused = await refusal(
      client.webhooks.create({ url: RECEIVER, events: ["dlr"], format: "twilio" as "salvo" }),
    );
    expect(refused).toMatchObject({ status: 400, code: "INVALID_PARAMETER", field: "format" });
    // Nothing written for it.
    expect((await client.webhooks.list()).body.data).toHaveLength(3);
  });
});
