import { XMLParser } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./harness";

let t: TestApi;
let token: string;
beforeAll(async () => {
  t = await startTestApi();
  ({ token } = await t.newAccount({ apiRateLimit: 1000 }));
});
afterAll(() => t.stop());

/** A raw request, for what the SDK would never send. */
async function raw(
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string | Buffer } = {},
) {
  const response = await fetch(`${t.api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...init.headers },
    body: init.body,
  });
  const text = await response.text();
  let json: { error?: { code: string; description: string; field?: string } } | undefined;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

const JSON_TYPE = { "content-type": "application/json" };

describe("error envelope and request bodies", () => {
  it.each([
    ["malformed JSON", JSON_TYPE, '{"label":', 400, "INVALID_JSON"],
    ["a JSON string instead of an object", JSON_TYPE, '"hello"', 400, "INVALID_PARAMETER"],
    ["an array instead of an object", JSON_TYPE, "[1,2]", 400, "INVALID_PARAMETER"],
    ["a wrong type", JSON_TYPE, '{"label":5}', 400, "INVALID_PARAMETER"],
    ["an unknown field", JSON_TYPE, '{"label":"x","admin":true}', 400, "INVALID_PARAMETER"],
    [
      "a form body",
      { "content-type": "application/x-www-form-urlencoded" },
      "label=x",
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    ],
    ["a text body", { "content-type": "text/plain" }, '{"label":"x"}', 415, "UNSUPPORTED_MEDIA_TYPE"],
    [
      "an unknown charset",
      { "content-type": "application/json; charset=klingon" },
      "{}",
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    ],
    ["deep nesting", JSON_TYPE, `${"[".repeat(100_000)}${"]".repeat(100_000)}`, 400, undefined],
  ])("answers %s with a 4xx envelope", async (_name, headers, body, status, code) => {
    const before = await t.count("api_tokens");
    const answer = await raw("POST", "/v1/tokens", { headers, body });
    expect(answer.status).toBe(status);
    expect(answer.json?.error?.description).toEqual(expect.any(String));
    if (code) expect(answer.json?.error?.code).toBe(code);
    // A refused request changes nothing.
    expect(await t.count("api_tokens")).toBe(before);
  });

  it.each([
    ["[1,2]", "an array"],
    ['"hello"', "a string"],
    ["null", "null"],
    ["42", "a number"],
    ["true", "a boolean"],
  ])("names valid JSON that is not an object (%s) for what it is, as no field", async (body, kind) => {
    for (const path of ["/v1/tokens", "/v1/sms", "/v1/batches"]) {
      const answer = await raw("POST", path, { headers: JSON_TYPE, body });
      expect(answer.status, path).toBe(400);
      // Not INVALID_JSON (it is JSON), and not `field: "body"` (the message text field of these routes).
      expect(answer.json?.error).toEqual({
        code: "INVALID_PARAMETER",
        description: `The request body must be a JSON object, got ${kind}.`,
      });
    }
  });

  it("keeps INVALID_JSON for text that does not parse", async () => {
    for (const body of ['{"label":', "hello", "{'a':1}", "[1,]"]) {
      const answer = await raw("POST", "/v1/tokens", { headers: JSON_TYPE, body });
      expect(answer.json?.error, body).toEqual({
        code: "INVALID_JSON",
        description: "The request body is not valid JSON.",
      });
    }
  });

  it("refuses a body of invalid UTF-8 with 400 INVALID_JSON, and changes nothing", async () => {
    const { client, accountId, token: mine } = await t.newAccount({ credits: 50, apiRateLimit: 1000 });
    const bad = (json: string) => {
      const [before, after] = json.split("BAD") as [string, string];
      // 0xC3 opens a two-byte sequence that "(" does not continue.
      return Buffer.concat([Buffer.from(before), Buffer.from([0xc3, 0x28]), Buffer.from(after)]);
    };
    const bodies: [string, Buffer][] = [
      ["/v1/batches", bad('{"from":"ACME","body":"caf BAD","recipients":["+33612345678"]}')],
      ["/v1/sms", bad('{"from":"ACME","to":"+33612345678","body":"caf BAD"}')],
      ["/v1/batches", bad('{"from":"ACME","body":"x","recipients":["+33612345678"],"BAD":1}')],
    ];
    for (const [path, body] of bodies) {
      const answer = await raw("POST", path, {
        headers: { ...JSON_TYPE, authorization: `Bearer ${mine}` },
        body,
      });
      expect(answer.status, path).toBe(400);
      expect(answer.json?.error).toEqual({
        code: "INVALID_JSON",
        description: "The request body is not valid UTF-8.",
      });
    }
    expect(await t.count("batches", { account_id: accountId })).toBe(0);
    expect((await client.account.get()).body.data.attributes.credits).toBe(50);
    // The same bodies in valid UTF-8 are taken: the bytes alone were at fault.
    const good = await raw("POST", "/v1/sms", {
      headers: { ...JSON_TYPE, authorization: `Bearer ${mine}` },
      body: '{"from":"ACME","to":"+33612345678","body":"café"}',
    });
    expect(good.status).toBe(202);
  });

  it("refuses a body in another charset than UTF-8 with 415", async () => {
    const body = Buffer.from('{"label":"x"}', "utf16le");
    const answer = await raw("POST", "/v1/tokens", {
      headers: { "content-type": "application/json; charset=utf-16le" },
      body,
    });
    expect(answer.status).toBe(415);
    expect(answer.json?.error?.code).toBe("UNSUPPORTED_MEDIA_TYPE");
  });

  it("reads a missing body as an empty object", async () => {
    const answer = await raw("POST", "/v1/tokens");
    expect(answer.status).toBe(201);
  });

  it("names the offending field", async () => {
    const answer = await raw("POST", "/v1/tokens", { headers: JSON_TYPE, body: '{"label":5}' });
    expect(answer.json?.error).toMatchObject({ code: "INVALID_PARAMETER", field: "label" });
  });

  it("answers a body over the limit with 413", async () => {
    const body = JSON.stringify({ label: "x".repeat(2 * 1024 * 1024) });
    const answer = await raw("POST", "/v1/tokens", { headers: JSON_TYPE, body });
    expect(answer.status).toBe(413);
    expect(answer.json?.error?.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("answers invalid UTF-8 as a 4xx, never a 5xx", async () => {
    const body = Buffer.concat([
      Buffer.from('{"label":"'),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from('"}'),
    ]);
    const answer = await raw("POST", "/v1/tokens", { headers: JSON_TYPE, body });
    expect(answer.status).toBe(400);
    expect(answer.json?.error?.code).toBe("INVALID_JSON");
  });

  it("answers an unknown route with 404 in the envelope", async () => {
    const answer = await raw("GET", "/v1/nothing-here");
    expect(answer.status).toBe(404);
    expect(answer.json?.error?.code).toBe("NOT_FOUND");
    expect((await raw("GET", "/nothing")).json?.error?.code).toBe("NOT_FOUND");
  });

  it.each([
    ["PUT", "/v1/account", "GET, HEAD, OPTIONS"],
    ["POST", "/v1/account", "GET, HEAD, OPTIONS"],
    ["PATCH", "/v1/batches", "GET, HEAD, OPTIONS, POST"],
    ["DELETE", "/v1/batches/bat_01JD3ZZZZZZZZZZZZZZZZZZZZZ", "GET, HEAD, OPTIONS"],
    ["POST", "/v1/batches/bat_x/messages", "GET, HEAD, OPTIONS"],
    ["GET", "/v1/tokens/tok_x", "DELETE, OPTIONS"],
    ["PUT", "/v1/webhooks/whk_x", "DELETE, GET, HEAD, OPTIONS"],
    ["GET", "/v1/webhooks/whk_x/enable", "OPTIONS, POST"],
    ["GET", "/v1/blacklist/%2B33612345678", "DELETE, OPTIONS"],
    ["GET", "/v1/send", "OPTIONS, POST"],
    ["PUT", "/healthz", "GET, HEAD, OPTIONS"],
    ["GET", "/v1/providers/simulator/inbound", "OPTIONS, POST"],
  ])("answers %s %s with 405 and Allow: %s", async (method, path, allow) => {
    const answer = await raw(method, path);
    expect(answer.status).toBe(405);
    expect(answer.headers.get("allow")).toBe(allow);
    expect(answer.json?.error).toEqual({
      code: "METHOD_NOT_ALLOWED",
      description: `This path takes ${allow} only.`,
    });
  });

  it("answers 404 to a path no route serves, whatever the method, and HEAD like GET", async () => {
    for (const [method, path] of [
      ["PUT", "/v1/nothing"],
      ["GET", "/v1/batches/bat_x/messages/extra"],
      ["DELETE", "/v1"],
      ["GET", "/v1/accounts"],
    ] as const) {
      const answer = await raw(method, path);
      expect(answer.status, `${method} ${path}`).toBe(404);
      expect(answer.headers.get("allow")).toBeNull();
    }
    const head = await raw("HEAD", "/v1/account");
    expect(head.status).toBe(200);
    expect(head.text).toBe("");
    const options = await raw("OPTIONS", "/v1/batches/bat_x");
    expect(options.status).toBe(204);
    expect(options.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
  });

  it("answers a path with broken percent-encoding with 400", async () => {
    for (const path of ["/v1/tokens/%E0%A4%A", "/v1/tokens/%ED%A0%80"]) {
      const answer = await raw("DELETE", path);
      expect(answer.status, path).toBe(400);
      expect(answer.json?.error?.code).toBe("BAD_REQUEST");
    }
  });

  it("names an unknown field itself", async () => {
    const answer = await raw("POST", "/v1/tokens", {
      headers: JSON_TYPE,
      body: '{"label":"x","admin":true}',
    });
    expect(answer.json?.error).toMatchObject({ code: "INVALID_PARAMETER", field: "admin" });
  });

  it("answers a bad query parameter with 400 naming it", async () => {
    for (const page of ["0", "-1", "abc", "1.5"]) {
      const answer = await raw("GET", `/v1/tokens?page=${page}`);
      expect(answer.status, page).toBe(400);
      expect(answer.json?.error).toMatchObject({ code: "INVALID_PARAMETER", field: "page" });
    }
  });
});

describe("formats and request ids", () => {
  it("answers XML when the client asks for it", async () => {
    const answer = await raw("GET", "/v1/account", { headers: { accept: "application/xml" } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toContain("application/xml");
    expect(answer.text).toMatch(/^<\?xml .*<response><data><id>acc_/);
    const error = await raw("GET", "/v1/nothing-here", { headers: { accept: "application/xml" } });
    expect(error.text).toContain("<error><code>NOT_FOUND</code>");
  });

  it.each([
    ["text/xml", "text/xml"],
    ["application/xml", "application/xml"],
    ["application/json;q=0.5, application/xml", "application/xml"],
    ["text/xml;q=0.9, application/json;q=0.8", "text/xml"],
    ["text/*", "text/xml"],
    ["application/xml;q=0.1, application/json", "application/json"],
    ["*/*", "application/json"],
    ["application/*", "application/json"],
    ["", "application/json"],
    // Neither JSON nor XML: JSON anyway (lenient), never a 406.
    ["text/html", "application/json"],
    ["image/png, text/plain;q=0.5", "application/json"],
  ])("answers Accept: %s in %s", async (accept, type) => {
    for (const path of ["/v1/account", "/v1/nothing-here"]) {
      const answer = await raw("GET", path, { headers: accept ? { accept } : {} });
      expect(answer.headers.get("content-type"), path).toBe(`${type}; charset=utf-8`);
      expect(answer.headers.get("vary")).toContain("Accept");
      if (type === "application/json") expect(answer.json).toBeDefined();
      else expect(answer.text).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?><response>/);
    }
  });

  it("echoes a sane X-Request-Id, or makes one", async () => {
    const mine = await raw("GET", "/v1/account", { headers: { "x-request-id": "req-123.abc" } });
    expect(mine.headers.get("x-request-id")).toBe("req-123.abc");
    const made = await raw("GET", "/v1/account", { headers: { "x-request-id": "bad id with spaces" } });
    expect(made.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("logs requests with their id but never tokens, query strings or phone numbers", async () => {
    const answer = await raw("GET", "/v1/blacklist/+33612345678?secret=hunter2", {
      headers: { "x-request-id": "log-check-1" },
    });
    // The path takes DELETE only.
    expect(answer.status).toBe(405);
    await expect.poll(() => t.logs.find((line) => line.includes("log-check-1"))).toBeDefined();
    const line = t.logs.find((l) => l.includes("log-check-1")) as string;
    expect(JSON.parse(line)).toMatchObject({
      req: { id: "log-check-1", method: "GET" },
      res: { statusCode: 405 },
    });
    const all = t.logs.join("\n");
    expect(all).not.toContain(token.split(".")[1]);
    expect(all).not.toContain("33612345678");
    expect(all).not.toContain("hunter2");
  });

  it("masks phone numbers in paths however they are encoded", async () => {
    // As the SDK encodes "06 12 34 56 78", and in fullwidth digits.
    for (const [i, number] of [
      "06%2012%2034%2056%2078",
      "%2B33%206%2012%2034%2056%2078",
      "０６１２３４５６７８",
    ].entries()) {
      const answer = await raw("DELETE", `/v1/blacklist/${number}`, {
        headers: { "x-request-id": `mask-${i}` },
      });
      expect(answer.status).toBe(404);
      await expect.poll(() => t.logs.find((line) => line.includes(`"mask-${i}"`))).toBeDefined();
      const line = t.logs.find((l) => l.includes(`"mask-${i}"`)) as string;
      expect(JSON.parse(line).req.path).toMatch(/^\/v1\/blacklist\/(?:\+336\*{6}78|061\*{5}78)$/);
    }
  });
});

describe("text in XML answers", () => {
  const XML = { accept: "application/xml" };
  // fast-xml-parser reads numeric character references (&#13;) only with htmlEntities.
  const parser = new XMLParser({ parseTagValue: false, trimValues: false, htmlEntities: true });
  const send = (headers: Record<string, string>, text: string) =>
    raw("POST", "/v1/sms", {
      headers: { ...JSON_TYPE, ...headers },
      body: JSON.stringify({ from: "ACME", to: "+33612345678", body: text }),
    });

  it("carries TAB, LF, CR and markup exactly, CR as &#13;", async () => {
    const text = "a\tb\nc\r\nd <b>&amp;</b> ]]> é 😀 \u007f";
    const answer = await send(XML, text);
    expect(answer.status).toBe(202);
    expect(answer.text).toContain("c&#13;\nd &lt;b&gt;&amp;amp;&lt;/b&gt; ]]&gt; é 😀");
    expect(answer.text).not.toContain("\r");
    expect(parser.parse(answer.text).response.body).toBe(text);
    const id = parser.parse(answer.text).response.id as string;
    const read = await raw("GET", `/v1/sms/${id}`, { headers: { accept: "text/xml" } });
    expect(parser.parse(read.text).response.body).toBe(text);
    expect((await raw("GET", `/v1/sms/${id}`)).json).toMatchObject({ body: text });
  });

  it.each([
    ["\u0001", "U+0001"],
    ["\u000c", "U+000C"],
    ["\u001f", "U+001F"],
    ["\ufffe", "U+FFFE"],
  ])("keeps %j exact in JSON and refuses it in XML with 406, naming it", async (char, name) => {
    const text = `a${char}b\r`;
    const stored = await send({}, text);
    expect(stored.status).toBe(202);
    const id = (stored.json as unknown as { id: string }).id;
    expect((await raw("GET", `/v1/sms/${id}`)).json).toMatchObject({ body: text });

    const read = await raw("GET", `/v1/sms/${id}`, { headers: XML });
    expect(read.status).toBe(406);
    expect(read.headers.get("content-type")).toBe("application/xml; charset=utf-8");
    // The error envelope is plain ASCII, whatever the answer held.
    expect(read.text).toMatch(/^[\x20-\x7e]*$/);
    expect(parser.parse(read.text).response.error).toEqual({
      code: "NOT_ACCEPTABLE",
      description: `The answer's body holds ${name}, which XML 1.0 cannot carry: ask for JSON (Accept: application/json) to get it exactly.`,
    });
  });

  it("refuses a request whose answer would hold what XML cannot carry before doing anything", async () => {
    const { accountId, token: mine } = await t.newAccount({ credits: 10 });
    const before = await t.count("batches", { account_id: accountId });
    const answer = await send({ ...XML, authorization: `Bearer ${mine}` }, "a\u0001b");
    expect(answer.status).toBe(406);
    expect(parser.parse(answer.text).response.error).toMatchObject({
      code: "NOT_ACCEPTABLE",
      description: expect.stringContaining("The request body's body holds U+0001"),
    });
    expect(await t.count("batches", { account_id: accountId })).toBe(before);
    expect((await t.store.accounts.find(accountId))?.credits).toBe(10);
    // An unknown field whose name XML cannot carry: the 400 that would name it is a 406.
    const refused = await raw("POST", "/v1/tokens", {
      headers: { ...JSON_TYPE, ...XML },
      body: '{"\\u0002":1}',
    });
    expect(refused.status).toBe(406);
  });
});

describe("account", () => {
  it("shows the account's id, name, credits and limits", async () => {
    const { client, accountId } = await t.newAccount({ credits: 42, apiRateLimit: 7 });
    const { body } = await client.account.get();
    expect(body).toEqual({
      data: {
        id: accountId,
        type: "accounts",
        attributes: {
          name: "test",
          credits: 42,
          parent_id: null,
          default_country: "FR",
          limits: {
            api_requests_per_second: 7,
            messages_per_second: null,
            anti_flood: { max_per_recipient_per_hour: 20, max_same_body_per_recipient_per_hour: 6 },
          },
          balance_alerts: [],
          require_registered_sender: false,
          link_retention_days: 90,
          created_at: expect.any(String),
          countries: {
            allowed_countries: ["BL", "FR", "GF", "GP", "MF", "MQ", "RE", "YT"],
            monthly_limits: {},
          },
        },
      },
      links: { self: "/v1/account" },
    });
  });
});

describe("pagination", () => {
  it("pages lists 25 at a time, newest first, with the page count", async () => {
    const { client } = await t.newAccount({ apiRateLimit: 1000 });
    for (let i = 1; i <= 30; i++) await client.tokens.create({ label: `t${i}` });
    // 31 tokens: the account's first one and the 30 above.
    const first = await client.tokens.list();
    expect(first.body.page).toEqual({ count: 2, number: 1 });
    expect(first.body.data).toHaveLength(25);
    expect(first.body.data[0]?.attributes.label).toBe("t30");
    const second = await client.tokens.list({ page: 2 });
    expect(second.body.page).toEqual({ count: 2, number: 2 });
    expect(second.body.data.map((d) => d.attributes.label)).toEqual([
      "t5",
      "t4",
      "t3",
      "t2",
      "t1",
      "default",
    ]);
    const beyond = await client.tokens.list({ page: 3 });
    expect(beyond.body).toEqual({ data: [], page: { count: 2, number: 3 } });
  });

  it("never shows a token's secret after creation", async () => {
    const { client } = await t.newAccount();
    const created = await client.tokens.create({ label: "ci" });
    const secret = (created.body.data.attributes.token as string).split(".")[1] as string;
    const listed = await client.tokens.list();
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    expect(JSON.stringify(listed.body)).not.toContain("secret_hash");
  });
});
