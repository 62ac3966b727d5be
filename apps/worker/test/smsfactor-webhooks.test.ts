// Webhooks in SMSFactor's and Sofy's formats, end to end: webhooks created as
// those platforms' clients create them, messages sent through the simulator,
// replies and clicks made for real, and each request checked as it arrives at a
// real HTTP receiver: its body as SMSFactor (§7) or Sofy (§10.3) writes it, and
// its signature verified as a receiver would.
import { createHmac } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { parseMessageId } from "@salvo/core";
import { closeRedis, createRedis, enqueueWebhookEvents, openQueue } from "@salvo/queue";
import { testRedisUrl } from "@salvo/queue/testing";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack, waitFor } from "./stack";

const LINK_BASE_URL = "https://go.salvo.test/l";
const IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
const LINK = /https:\/\/go\.salvo\.test\/l\/([0-9A-Za-z]{7})/g;
/** `2018-01-16T11:55:12+01:00`: SMSFactor's dates, Paris time with its offset. */
const PARIS_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0[12]:00$/;

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let stack: Stack;
let received: Received[];
let receiverUrl: (path: string) => string;
let closeReceiver: () => Promise<void>;

beforeAll(async () => {
  stack = await startStack({
    workers: 1,
    api: { LINK_BASE_URL, AUTH_CACHE_MS: "0", TRUST_PROXY: "1" },
    worker: { LOG_LEVEL: "error" },
  });
  received = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => {
      received.push({ path: req.url ?? "/", headers: req.headers, body });
      res.writeHead(200).end("ok");
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  receiverUrl = (path) => `http://127.0.0.1:${port}${path}`;
  closeReceiver = () => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  };
});
afterAll(async () => {
  await closeReceiver?.();
  await stack?.stopAll();
});

/** The requests received on `path`, each body parsed. */
function at(path: string) {
  return received
    .filter((r) => r.path === path)
    .map((r) => ({ ...r, json: JSON.parse(r.body) as Record<string, unknown> }));
}

async function requestsAt(path: string, count: number) {
  return waitFor(
    `${count} requests on ${path}`,
    () => {
      const got = at(path);
      return got.length >= count && got;
    },
    30_000,
  );
}

/** The receiver's check of an SMSFactor request: the hex HMAC-SHA256 of the raw body with the signature. */
function expectSignedBy(signature: string, request: Received) {
  const expected = createHmac("sha256", signature).update(request.body).digest("hex");
  expect(request.headers["x-smsfactor-signature"]).toBe(expected);
}

/** A new account and an SMSFactor webhook of `type` on `path`, created with SMSFactor's route. */
async function sfWebhook(type: string, path: string, signature: string | null, credits = 1_000) {
  const account = await stack.newAccount({ credits, apiRateLimit: 1_000 });
  await addSfWebhook(account.token, type, path, signature);
  return account;
}

async function addSfWebhook(token: string, type: string, path: string, signature: string | null) {
  const answer = await fetch(`${stack.api.url}/smsfactor/webhook`, {
    method: "POST",
    headers: {
      Accept: "application/json",
      Authorization: `Bearer ${token}`,
      "X-application": "15",
      "Content-Type": "application/json",
    },
    body: JSON.stringify({ webhook: { type, url: receiverUrl(path), ...(signature ? { signature } : {}) } }),
  });
  const body = (await answer.json()) as { status: number; webhook: { webhook_id: string } };
  expect(body.status).toBe(1);
  return body.webhook.webhook_id;
}

function sentTexts(batchId: string): Map<number, string> {
  const texts = new Map<number, string>();
  for (const line of stack.ledger()) {
    const id = parseMessageId(line.message_id);
    if (id?.batchId === batchId) texts.set(id.index, line.body);
  }
  return texts;
}

describe("SMSFactor's DLR", () => {
  it("posts each delivery report with its status code, the message's gsmsmsid and the ticket, signed", async () => {
    const { client, accountId } = await sfWebhook("DLR", "/dlr", "mysignature123");
    const { body: accepted } = await client.batches.create({
      from: "ACME",
      body: "Hello",
      recipients: [
        { to: "+33612345601", ref: "100" }, // delivered
        { to: "+33612345698", ref: "101" }, // undelivered, rejected
        { to: "+33612345699", ref: "102" }, // undelivered, unknown subscriber
        { to: "+33612345697", ref: "103" }, // refused at hand-off: failed
      ],
    });
    const batchId = accepted.data.batch_id;
    const requests = await requestsAt("/dlr", 4);
    const byRef = new Map(requests.map((r) => [r.json.message_id, r]));
    const codes = Object.fromEntries([...byRef].map(([ref, r]) => [ref as string, r.json.status]));
    expect(codes).toEqual({ "100": 3, "101": 9, "102": 5, "103": 9 });
    const delivered = byRef.get("100");
    expect(delivered?.body).toBe(
      JSON.stringify({
        date: delivered?.json.date,
        status: 3,
        destination: "33612345601",
        message_id: "100",
        campaign_id: batchId,
        country_code: "FR",
      }),
    );
    expect(delivered?.json.date).toMatch(PARIS_ISO);
    for (const request of requests) expectSignedBy("mysignature123", request);

    // An expired report (an SMSC's validity period passed), as the expiry sweep writes it: 12.
    const ids = await stack.store.events.record(accountId, "dlr", [
      {
        message_id: `msg_${batchId.slice(4)}_0`,
        batch_id: batchId,
        to: "+33612345601",
        status: "undelivered",
        reason: "expired",
        provider_code: null,
        at: "2026-01-16T10:55:12.000Z",
      },
    ]);
    expect(ids).toHaveLength(1);
    const redis = createRedis(testRedisUrl, { blocking: true });
    const queue = openQueue("webhooks", redis, stack.env.REDIS_PREFIX);
    await enqueueWebhookEvents(queue, ids);
    const [, , , , expired] = await requestsAt("/dlr", 5);
    await queue.close();
    await closeRedis(redis);
    expect(expired?.json).toEqual({
      date: "2026-01-16T11:55:12+01:00",
      status: 12,
      destination: "33612345601",
      message_id: "100",
      campaign_id: batchId,
      country_code: "FR",
    });
  });
});

describe("SMSFactor's MO and STOP", () => {
  it("posts a reply and a STOP with the account and the gsmsmsid of the message they answer", async () => {
    const { client, accountId, token } = await sfWebhook("MO", "/mo", "mo-secret");
    await addSfWebhook(token, "STOP", "/stop", null);
    const { body: accepted } = await client.batches.create({
      from: "ACME",
      body: "Hello",
      recipients: [{ to: "+33612345611", ref: "200" }],
    });
    await client.batches.wait(accepted.data.batch_id, { timeoutMs: 20_000 });
    await client.simulator.inbound({ from: "+33612345611", to: "ACME", body: "Webhooks are awesome!" });
    const [mo] = await requestsAt("/mo", 1);
    expect(mo?.body).toBe(
      JSON.stringify({
        date: mo?.json.date,
        message: "Webhooks are awesome!",
        from: "33612345611",
        account_id: accountId,
        last_message_id: "200",
      }),
    );
    expect(mo?.json.date).toMatch(PARIS_ISO);
    expectSignedBy("mo-secret", mo as Received);

    await client.simulator.inbound({ from: "+33612345611", to: "ACME", body: "STOP" });
    const [stop] = await requestsAt("/stop", 1);
    expect(stop?.json).toEqual({
      date: expect.stringMatching(PARIS_ISO),
      message: "STOP",
      from: "33612345611",
      account_id: accountId,
      last_message_id: "200",
    });
    // A webhook without a signature: no signature header.
    expect(stop?.headers["x-smsfactor-signature"]).toBeUndefined();
    // The STOP is an MO too, as every reply is.
    expect((await requestsAt("/mo", 2))[1]?.json.message).toBe("STOP");
  });
});

describe("SMSFactor's CLICKER", () => {
  it("posts each click with the link, the device, the recipient's info fields and the clicks so far", async () => {
    const { client } = await sfWebhook("CLICKER", "/clicker", "click-secret");
    const { body: accepted } = await client.batches.create({
      from: "ACME",
      body: "Bonjour : https://shop.example/soldes",
      recipients: [{ to: "+33612345621", ref: "300", fields: { info1: "Louis", info3: "VIP" } }],
      shorten_urls: true,
    });
    const batchId = accepted.data.batch_id;
    await waitFor("its hand-off", () => sentTexts(batchId).size === 1);
    const code = [...(sentTexts(batchId).get(0) as string).matchAll(LINK)][0]?.[1] as string;
    for (let i = 0; i < 2; i++) {
      const answer = await fetch(`${stack.api.url}/l/${code}`, {
        redirect: "manual",
        headers: { "user-agent": IPHONE },
      });
      expect(answer.status).toBe(302);
      await requestsAt("/clicker", i + 1);
    }
    const clicks = at("/clicker");
    expect(clicks[0]?.body).toBe(
      JSON.stringify({
        campaign_id: batchId,
        gsmsid: "300",
        date: clicks[0]?.json.date,
        long_url: "https://shop.example/soldes",
        short_url: `${LINK_BASE_URL}/${code}`,
        brand: "Apple",
        model: "iPhone",
        os: "iOS",
        info1: "Louis",
        info2: "",
        info3: "VIP",
        info4: "",
        clicks_on_link: "1",
      }),
    );
    expect(clicks[0]?.json.date).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(clicks[1]?.json.clicks_on_link).toBe("2");
    for (const click of clicks) expectSignedBy("click-secret", click);
  });
});

describe("SMSFactor's BALANCE_ALERT", () => {
  it("posts the balance crossing one of the account's thresholds", async () => {
    const { client, accountId } = await sfWebhook("BALANCE_ALERT", "/balance", "balance-secret", 100);
    await client.account.setBalanceAlerts({ thresholds: [99] });
    await client.batches.create({ from: "ACME", body: "Hi", recipients: ["+33612345631", "+33612345632"] });
    const [alert] = await requestsAt("/balance", 1);
    expect(alert?.body).toBe(
      JSON.stringify({
        date: alert?.json.date,
        account_id: accountId,
        credits: "98",
        threshold: "99",
      }),
    );
    expect(alert?.json.date).toMatch(PARIS_ISO);
    expectSignedBy("balance-secret", alert as Received);
  });
});

describe("Sofy's sms.status", () => {
  /** POST /v1/sms as Sofy's clients call it: its key pair in X-API-KEY-ID / X-API-KEY-SECRET. */
  async function sofy(token: string, path: string, body: unknown) {
    const dot = token.indexOf(".");
    const answer = await fetch(`${stack.api.url}/v1${path}`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "X-API-KEY-ID": token.slice(0, dot),
        "X-API-KEY-SECRET": token.slice(dot + 1),
      },
      body: JSON.stringify(body),
    });
    return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
  }

  it("registers with Sofy's own request and posts pending, sent then delivered for a message, and errored for a refused one", async () => {
    const { token } = await stack.newAccount({ credits: 100, apiRateLimit: 1_000 });
    const registered = await sofy(token, "/webhooks", {
      url: receiverUrl("/sofy"),
      events: ["sms.status"],
    });
    expect(registered.status).toBe(201);
    const attributes = (registered.body.data as { attributes: { format: string; secret: string } })
      .attributes;
    expect(attributes.format).toBe("sofy");
    // The same event for a webhook in Salvo's format: one outbox row per webhook, each in its format.
    const salvoFormat = await sofy(token, "/webhooks", {
      url: receiverUrl("/sofy-salvo"),
      events: ["sms.status"],
      format: "salvo",
    });
    expect((salvoFormat.body.data as { attributes: { format: string } }).attributes.format).toBe("salvo");

    const sent = await sofy(token, "/sms", {
      from: "APITEST",
      to: "33612345641",
      body: "Hello world",
      isTransactional: true,
    });
    expect(sent.status).toBe(202);
    const id = sent.body.id as string;
    const requests = await requestsAt("/sofy", 3);
    const statuses = requests.map((r) => r.json);
    expect(statuses.map((s) => s.status).sort()).toEqual(["delivered", "pending", "sent"]);
    expect(statuses.find((s) => s.status === "pending")).toEqual({
      id,
      from: "APITEST",
      to: "33612345641",
      shortenUrls: false,
      isTransactional: true,
      status: "pending",
      statusReason: "",
      event: "sms.status",
      updatedAt: expect.stringMatching(/Z$/),
    });
    expect(statuses.every((s) => s.id === id && s.statusReason === "")).toBe(true);
    // Signed the Standard Webhooks way, with the secret the registration answered.
    for (const request of requests) {
      expect(() =>
        new Webhook(attributes.secret).verify(request.body, request.headers as Record<string, string>),
      ).not.toThrow();
    }

    const salvoEvents = (await requestsAt("/sofy-salvo", 3)).map((r) => r.json);
    expect(salvoEvents.map((e) => e.type)).toEqual(["sms.status", "sms.status", "sms.status"]);
    expect(salvoEvents.find((e) => (e.data as { status: string }).status === "delivered")).toEqual({
      type: "sms.status",
      timestamp: expect.stringMatching(/Z$/),
      data: {
        id,
        status: "delivered",
        statusReason: "",
        from: "APITEST",
        to: "+33612345641",
        shortenUrls: false,
        isTransactional: true,
        at: expect.stringMatching(/Z$/),
      },
    });

    const refused = await sofy(token, "/sms", { from: "APITEST", to: "33612345697", body: "Hello" });
    const refusedId = refused.body.id as string;
    const errored = await waitFor("the errored status", () =>
      at("/sofy").find((r) => r.json.id === refusedId && r.json.status === "errored"),
    );
    expect(errored.json).toMatchObject({
      status: "errored",
      statusReason: "rejected_by_provider",
      to: "33612345697",
    });
  });

  it("keeps Sofy's promises: shortenUrls sends tracked links that redirect; isTransactional false applies the marketing rules", async () => {
    const { token, client } = await stack.newAccount({ credits: 100, apiRateLimit: 1_000 });
    // Open at every hour: what this test checks must not depend on when it runs.
    await client.account.setSendingHours({
      time_zone: "UTC",
      windows: [{ days: [1, 2, 3, 4, 5, 6, 7], from: "00:00", to: "24:00" }],
      holidays: "none",
    });
    await client.account.setOptOutMention("STOP au 36180");
    const sent = await sofy(token, "/sms", {
      from: "APITEST",
      to: "33612345651",
      body: "Voir https://shop.example/promo",
      shortenUrls: true,
      isTransactional: false,
    });
    expect(sent.status).toBe(202);
    const { batchId } = parseMessageId(sent.body.id as string) as { batchId: string };
    const text = await waitFor("its hand-off", () => sentTexts(batchId).get(0));
    const code = [...text.matchAll(LINK)][0]?.[1];
    expect(code).toBeDefined();
    // The answer showed the text as sent, its link shortened.
    expect(sent.body.body).toBe(text);
    const answer = await fetch(`${stack.api.url}/l/${code}`, {
      redirect: "manual",
      headers: { "user-agent": IPHONE },
    });
    expect(answer.status).toBe(302);
    expect(answer.headers.get("location")).toBe("https://shop.example/promo");
    // Marketing: the opt-out mention is added, and the batch is a marketing one.
    expect(text).toBe(`Voir ${LINK_BASE_URL}/${code}\nSTOP au 36180`);
    const [row] = await stack.query<{ type: string }>("SELECT type FROM batches WHERE id = $1", [batchId]);
    expect(row?.type).toBe("marketing");
  });
});

describe("a Sofy message with isTransactional false outside the account's sending hours", () => {
  it("is held (its batch paused), not handed off, and stays pending", async () => {
    const { token, client } = await stack.newAccount({ credits: 100, apiRateLimit: 1_000 });
    // Open one minute a week, two days from now: closed now.
    const today = new Date().getUTCDay() || 7;
    await client.account.setSendingHours({
      time_zone: "UTC",
      windows: [{ days: [((today + 1) % 7) + 1], from: "00:00", to: "00:01" }],
      holidays: "none",
    });
    const dot = token.indexOf(".");
    const answer = await fetch(`${stack.api.url}/v1/sms`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "X-API-KEY-ID": token.slice(0, dot),
        "X-API-KEY-SECRET": token.slice(dot + 1),
      },
      body: JSON.stringify({ from: "APITEST", to: "33612345661", body: "Promo", isTransactional: false }),
    });
    expect(answer.status).toBe(202);
    const { id } = (await answer.json()) as { id: string };
    const { batchId } = parseMessageId(id) as { batchId: string };
    await waitFor("its batch paused", async () => {
      const [row] = await stack.query<{ status: string }>("SELECT status FROM batches WHERE id = $1", [
        batchId,
      ]);
      return row?.status === "paused";
    });
    expect(sentTexts(batchId).size).toBe(0);
    expect((await client.sms.get(id)).body).toMatchObject({ status: "pending", isTransactional: false });
  });
});
