// The conventions of the SMSFactor-compatible API (/smsfactor), as its clients
// rely on them: XML by default, JSON on Accept, HTTP 200 with a negative status
// for every error, bodies in JSON, XML or form `data=`, a body on GET ignored.

import { parisDateTime } from "@salvo/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromParisDateTime, toXml } from "../src/smsfactor/conventions";
import { startTestApi, type TestApi } from "./harness";
import { asXmlText, readXmlAnswer, type SfInit, sfJson, sfRequest } from "./smsfactor-http";

let t: TestApi;
let token: string;
beforeAll(async () => {
  t = await startTestApi();
  ({ token } = await t.newAccount({ apiRateLimit: 1000, credits: 50 }));
});
afterAll(() => t.stop());

const call = (method: string, path: string, init: SfInit = {}) => sfRequest(t.api.url, method, path, init);
const json = (method: string, path: string, init: SfInit = {}) =>
  sfJson(t.api.url, method, path, { token, ...init });
const fromXml = readXmlAnswer;

const SIMULATED = {
  status: 1,
  message: "OK",
  cost: 1,
  credits: 49,
  total: 1,
  sent: 1,
  blacklisted: 0,
  duplicated: 0,
  npai: 0,
  invalid: 0,
  not_allowed: 0,
  flood: 0,
  country_limit: 0,
};

describe("answers", () => {
  it("answers in JSON with Accept: application/json, the PHP SDK's `[]` body on GET ignored", async () => {
    const answer = await json("GET", "/send/simulate?text=Hello&to=33612345678&sender=Salvo", { body: "[]" });
    expect(answer).toEqual(SIMULATED);
    // Nothing was stored or taken.
    expect(await t.count("batches")).toBe(0);
  });

  it("answers in XML by default (no Accept), the token in the query string", async () => {
    const answer = await call("GET", `/send/simulate?text=Hello&to=33612345678&sender=Salvo&token=${token}`);
    expect([answer.http, answer.type]).toEqual([200, "application/xml; charset=utf-8"]);
    expect(fromXml(answer.text)).toEqual(asXmlText(SIMULATED));
  });

  it("writes arrays as repeated elements and null as the text null", () => {
    expect(
      toXml({ status: 1, lists: [{ id: "a" }, { id: "b" }], links: ["x", "y"], address2: null, empty: [] }),
    ).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><response><status>1</status><lists><id>a</id></lists><lists><id>b</id></lists><links>x</links><links>y</links><address2>null</address2></response>',
    );
    expect(toXml({ text: "a < b & c" }, { names: { text: "body" } })).toContain(
      "<body>a &lt; b &amp; c</body>",
    );
  });
});

describe("request bodies", () => {
  const sms = {
    sms: {
      message: { text: "Hello", sender: "Salvo", pushtype: "alert" },
      recipients: { gsm: [{ value: "33612345678", gsmsmsid: "100" }] },
    },
  };

  it("reads JSON", async () => {
    expect(await json("POST", "/send/simulate", { body: JSON.stringify(sms) })).toEqual(SIMULATED);
  });

  it("reads XML, the number as element text and gsmsmsid as attribute", async () => {
    const body = `<?xml version="1.0" encoding="UTF-8"?>
<sms><message><text><![CDATA[Hello]]></text><pushtype>alert</pushtype><sender>Salvo</sender><unicode>0</unicode></message>
<recipients><gsm gsmsmsid="100">33612345678</gsm><gsm gsmsmsid="101">33612345677</gsm></recipients></sms>`;
    const answer = await call("POST", "/send/simulate", {
      token,
      headers: { "Content-Type": "application/xml" },
      body,
    });
    expect(fromXml(answer.text)).toMatchObject({ status: "1", total: "2", sent: "2", cost: "2" });
  });

  it("reads the legacy form `data=<json>`", async () => {
    const answer = await json("POST", "/send/simulate", {
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ data: JSON.stringify(sms) }).toString(),
    });
    expect(answer).toEqual(SIMULATED);
  });
});

describe("the <-stop-> marker", () => {
  it("is removed when the account has no opt-out mention (none set in this install)", async () => {
    const answer = await json("POST", "/send", {
      body: JSON.stringify({
        sms: {
          // Delayed: answered at once (no worker runs here).
          message: {
            text: "Hello <-stop->",
            sender: "Salvo",
            delay: parisDateTime(new Date(Date.now() + 86_400_000)),
          },
          recipients: { gsm: [{ value: "33612345678" }] },
        },
      }),
    });
    expect(answer.status).toBe(1);
    expect((await t.row<{ body: string }>("batches", { id: answer.ticket })).body).toBe("Hello");
  });
});

describe("errors: HTTP 200 and a negative status", () => {
  const error = (status: number) => ({ status, message: expect.any(String), details: expect.any(String) });

  it.each([
    ["bad JSON", "POST", "/send/simulate", { body: '{"sms":' }, -6],
    [
      "bad JSON in the form's data",
      "POST",
      "/send/simulate",
      {
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: "data=%7B",
      },
      -6,
    ],
    [
      "bad XML",
      "POST",
      "/send/simulate",
      { headers: { "Content-Type": "application/xml" }, body: "<sms><message>" },
      -2,
    ],
    [
      "a missing text",
      "POST",
      "/send/simulate",
      { body: '{"sms":{"message":{"sender":"Salvo"},"recipients":{"gsm":[{"value":"33612345678"}]}}}' },
      -7,
    ],
    ["an unknown route", "GET", "/nowhere", {}, -5],
    ["a known path with another method", "PUT", "/send", { body: "[]" }, -5],
    [
      "a past delay",
      "GET",
      "/send/simulate?text=Hi&to=33612345678&sender=Salvo&delay=2020-01-01%2010:00:00",
      {},
      -4,
    ],
    ["a malformed delay", "GET", "/send/simulate?text=Hi&to=33612345678&sender=Salvo&delay=tomorrow", {}, -4],
    [
      "an invalid token",
      "GET",
      "/send/simulate?text=Hi&to=33612345678",
      { headers: { Authorization: "Bearer nope" } },
      -1,
    ],
  ] as const)("answers %s", async (_name, method, path, init, status) => {
    const answer = await json(method, path, init as { headers?: Record<string, string>; body?: string });
    expect(answer).toEqual(error(status));
  });

  it("answers the per-account throttle with -99", async () => {
    const slow = await t.newAccount({ apiRateLimit: 1 });
    const answers = await Promise.all(
      [1, 2, 3].map(() => sfJson(t.api.url, "GET", "/campaigns", { token: slow.token })),
    );
    expect(answers.map((a) => a.status)).toContain(-99);
  });

  it("answers no credentials in XML, as -1", async () => {
    const answer = await call("GET", "/send/simulate?text=Hi&to=33612345678");
    expect(answer.http).toBe(200);
    expect(fromXml(answer.text)).toEqual({
      status: "-1",
      message: "Authentication error",
      details: expect.any(String),
    });
  });

  it("refuses the legacy username/password authentication with -1 (Salvo accounts have no passwords)", async () => {
    const answer = await call("POST", "/send", {
      headers: { Accept: "application/json", "Content-Type": "application/json" },
      body: JSON.stringify({
        sms: { authentication: { username: "me", password: "secret" }, message: { text: "Hi" } },
      }),
    });
    expect(JSON.parse(answer.text)).toMatchObject({ status: -1 });
    expect(JSON.parse(answer.text).details).toMatch(/Bearer/);
  });
});

describe("Paris dates", () => {
  it.each([
    ["2026-07-01 10:00:00", "2026-07-01T08:00:00.000Z"], // summer time, UTC+2
    ["2026-12-01 10:00:00", "2026-12-01T09:00:00.000Z"], // winter time, UTC+1
    ["2026-03-29 03:30:00", "2026-03-29T01:30:00.000Z"], // just after the spring change
    ["2026-10-25 02:30:00", "2026-10-25T00:30:00.000Z"], // the repeated hour: its first instance
  ])("reads %s as %s", (text, iso) => {
    expect(fromParisDateTime(text)?.toISOString()).toBe(iso);
    expect(parisDateTime(new Date(iso))).toBe(text);
  });

  it.each(["2026-03-29 02:30:00", "2026-02-30 10:00:00", "2026-12-01T10:00:00", ""])("refuses %j", (text) => {
    expect(fromParisDateTime(text)).toBeNull();
  });
});
