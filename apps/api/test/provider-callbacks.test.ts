// A kannel connector's callbacks, as Kannel calls them (GET, query string):
// authenticated before anything is read, bad input answered 4xx in the error
// envelope. What they hand on (DLRs applied, MOs, STOPs) is exercised end to end
// with a real Kannel in apps/worker/test/kannel.test.ts.
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./harness";

const SECRET = "callback-secret-0123456789";
const ID = "msg_01JFAKEFAKEFAKEFAKEFAKEFAK_3";
// The dlr-url's signature: HMAC-SHA256 of `dlr:<message id>` under the connector's secret.
const sig = (id: string) => createHmac("sha256", SECRET).update(`dlr:${id}`).digest("base64url");

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi({
    SALVO_CONNECTORS: JSON.stringify([
      {
        name: "kannel-eu",
        provider: "kannel",
        settings: {
          sendsmsUrl: "http://127.0.0.1:1/cgi-bin/sendsms",
          username: "salvo",
          password: "x",
          callbackBaseUrl: "http://127.0.0.1:1",
          callbackSecret: SECRET,
        },
      },
    ]),
  });
});
afterAll(() => t.stop());

async function call(method: "GET" | "POST", path: string, query: Record<string, string>) {
  const url = `${t.api.url}/v1/providers/kannel-eu/${path}?${new URLSearchParams(query)}`;
  const response = await fetch(url, { method });
  return { status: response.status, body: (await response.json()) as Record<string, never> };
}

async function repliesFrom(number: string): Promise<number> {
  const [row] = await t.query<{ n: number }>('SELECT count(*)::int AS n FROM replies WHERE "from" = $1', [
    number,
  ]);
  return row?.n ?? 0;
}

describe("the callbacks in /openapi.json", () => {
  it("are described under the connector's name, their 202 answers included", async () => {
    const answer = await fetch(`${t.api.url}/openapi.json`);
    const document = (await answer.json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { content?: object }> }>>;
    };
    for (const path of ["/v1/providers/kannel-eu/dlr", "/v1/providers/kannel-eu/inbound"])
      for (const method of ["get", "post"])
        expect(document.paths[path]?.[method]?.responses["202"]?.content, `${method} ${path}`).toHaveProperty(
          ["application/json"],
        );
  });
});

describe("the DLR callback", () => {
  it("takes a report signed for its message, by GET or POST, and acknowledges interim ones", async () => {
    for (const method of ["GET", "POST"] as const) {
      expect(await call(method, "dlr", { id: ID, sig: sig(ID), type: "1", reply: "" })).toEqual({
        status: 202,
        body: { data: { type: "delivery_reports", reports: 1 } },
      });
    }
    expect((await call("GET", "dlr", { id: ID, sig: sig(ID), type: "8", reply: "ACK/" })).body).toEqual({
      data: { type: "delivery_reports", reports: 0 },
    });
  });

  it("refuses a call without the signature, or signed for another message, before reading it", async () => {
    for (const query of <Record<string, string>[]>[
      { id: ID, type: "1" },
      { id: ID, sig: sig(`${ID}0`), type: "1" },
      { id: ID, sig: "", type: "nonsense" },
    ]) {
      const { status, body } = await call("GET", "dlr", query);
      expect(status).toBe(401);
      expect(body).toMatchObject({ error: { code: "UNAUTHORIZED" } });
    }
  });

  it("answers 400 naming the field when a signed call is malformed", async () => {
    const { status, body } = await call("GET", "dlr", { id: ID, sig: sig(ID), type: "3" });
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: { code: "INVALID_PARAMETER", field: "type" } });
  });
});

describe("the MO callback (an sms-service's get-url)", () => {
  it("stores the message received when the call carries the secret", async () => {
    const { status, body } = await call("GET", "inbound", {
      token: SECRET,
      from: "33612349876",
      to: "SALVO",
      text: "hello",
    });
    expect(status).toBe(202);
    expect(body).toMatchObject({
      data: {
        type: "replies",
        attributes: { from: "+33612349876", to: "SALVO", body: "hello", stop: false },
      },
    });
    expect(await repliesFrom("+33612349876")).toBe(1);
  });

  it("refuses a call without the secret (401) and a malformed one (400), storing nothing", async () => {
    const query = { from: "33612349877", to: "SALVO", text: "hi" };
    const unauthenticated = await call("GET", "inbound", { ...query, token: "not-the-secret-at-all" });
    expect(unauthenticated).toMatchObject({ status: 401, body: { error: { code: "UNAUTHORIZED" } } });
    const malformed = await call("GET", "inbound", { ...query, token: SECRET, to: "not a sender!" });
    expect(malformed).toMatchObject({
      status: 400,
      body: { error: { code: "INVALID_PARAMETER", field: "to" } },
    });
    const unanswerable = await call("GET", "inbound", { ...query, token: SECRET, from: "12" });
    expect(unanswerable.status).toBe(400);
    expect(await repliesFrom("+33612349877")).toBe(0);
  });
});
