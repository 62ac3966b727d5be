// Webhook delivery end to end: events written to the outbox (as the pipeline
// writes them) are posted by the workers to real HTTP receivers on 127.0.0.1,
// signed so that the standardwebhooks library accepts them, retried on the
// schedule, logged attempt by attempt, and given up on as documented.
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { closeRedis, createRedis, enqueueWebhookEvents, openQueue } from "@salvo/queue";
import { testRedisUrl } from "@salvo/queue/testing";
import type { Salvo, WebhookAttemptData, WebhookEventType } from "@salvo/sdk";
import { createSecretBox } from "@salvo/webhooks";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack, waitFor } from "./stack";

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Whether a request to /slow was still waiting for its answer when this one came. */
  slowWaiting: boolean;
}

type Behaviour = (count: number, res: ServerResponse) => void;

/** An HTTP receiver: each path answers as its test says; every request is kept. */
async function startReceiver() {
  const received: Received[] = [];
  const behaviours = new Map<string, Behaviour>();
  const counts = new Map<string, number>();
  const open = new Set<ServerResponse>();
  let slowOpen = 0;
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => {
      const path = req.url ?? "/";
      received.push({ path, headers: req.headers, body, slowWaiting: slowOpen > 0 });
      const count = (counts.get(path) ?? 0) + 1;
      counts.set(path, count);
      open.add(res);
      res.on("close", () => open.delete(res));
      const behaviour = behaviours.get(path);
      if (behaviour) behaviour(count, res);
      else res.writeHead(200).end("ok");
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    received,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    on(path: string, behaviour: Behaviour) {
      behaviours.set(path, behaviour);
    },
    /** Answers nothing: the request stays open until the sender gives up. */
    hang(path: string) {
      behaviours.set(path, (_count, res) => {
        slowOpen++;
        res.on("close", () => slowOpen--);
      });
    },
    to: (path: string) => received.filter((r) => r.path === path),
    close() {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** What a test needs around one stack: a receiver and the webhooks queue. */
async function setUp(worker: Record<string, string>, api: Record<string, string> = {}) {
  const stack = await startStack({ api, worker: { LOG_LEVEL: "error", ...worker } });
  const receiver = await startReceiver();
  const redis = createRedis(testRedisUrl, { blocking: true });
  const queue = openQueue("webhooks", redis, stack.env.REDIS_PREFIX);
  return {
    stack,
    receiver,
    queue,
    async tearDown() {
      await receiver.close();
      await queue.close();
      await closeRedis(redis);
      await stack.stopAll();
    },
  };
}

interface Subscriber {
  client: Salvo;
  accountId: string;
  webhookId: string;
  secret: string;
}

/** A new account with one webhook posting to `path` of the receiver. */
async function subscribe(
  stack: Stack,
  receiver: Receiver,
  path: string,
  events: WebhookEventType[] = ["dlr", "mo", "stop", "batch.completed"],
): Promise<Subscriber> {
  const { client, accountId } = await stack.newAccount({ apiRateLimit: 10_000, credits: 1_000 });
  const { data } = (await client.webhooks.create({ url: receiver.url(path), events })).body;
  return { client, accountId, webhookId: data.id, secret: data.attributes.secret };
}

/** Writes one event to the outbox, as its producer does, and returns its id (one webhook). */
async function record(stack: Stack, who: Subscriber, type: WebhookEventType, data: object): Promise<string> {
  const ids = await stack.store.events.record(who.accountId, type, [data]);
  expect(ids).toHaveLength(1);
  return ids[0] as string;
}

/** Checks a request as a consumer would, with the standardwebhooks library; returns the event. */
function verified(who: Subscriber, request: Received) {
  return new Webhook(who.secret).verify(request.body, request.headers as Record<string, string>) as {
    type: string;
    timestamp: string;
    data: Record<string, unknown>;
  };
}

async function deliveries(who: Subscriber): Promise<WebhookAttemptData[]> {
  return (await who.client.webhooks.deliveries(who.webhookId)).body.data;
}

const dlr = (n: number) => ({
  message_id: `msg_01JD00000000000000000000AA_${n}`,
  batch_id: "bat_01JD00000000000000000000AA",
  to: "+33612345678",
  status: "delivered",
  reason: null,
  provider_code: "DELIVRD",
  at: new Date().toISOString(),
});

describe("delivery, retries and the sweep", () => {
  // Secrets sealed at rest here: every signature below is checked with the
  // secret the API showed, which the worker opened from its sealed form.
  const keys = {
    WEBHOOK_SECRET_KEYS: `${randomBytes(32).toString("base64")},${randomBytes(32).toString("base64")}`,
  };
  let t: Awaited<ReturnType<typeof setUp>>;
  beforeAll(async () => {
    t = await setUp(
      { WEBHOOK_RETRY_SCHEDULE_MS: "50,50,50,50,50", WEBHOOK_TIMEOUT_MS: "2000", ...keys },
      keys,
    );
  });
  afterAll(() => t?.tearDown());

  it("stores the secret sealed: the database never holds the one shown at creation", async () => {
    const who = await subscribe(t.stack, t.receiver, "/sealed");
    const rows = await t.stack.query<{ secret: string }>("SELECT secret FROM webhooks WHERE id = $1", [
      who.webhookId,
    ]);
    expect(rows[0]?.secret).toMatch(/^sealed:v1:[0-9a-f]{8}:/);
    expect(rows[0]?.secret).not.toContain(who.secret.slice("whsec_".length));
  });

  it("retries a receiver that answers 500 twice: the same webhook-id, signed each time, then delivered", async () => {
    t.receiver.on("/flaky", (count, res) => res.writeHead(count <= 2 ? 500 : 200).end());
    const who = await subscribe(t.stack, t.receiver, "/flaky");
    const data = dlr(1);
    const id = await record(t.stack, who, "dlr", data);
    await enqueueWebhookEvents(t.queue, [id]);

    const requests = await waitFor("three requests", () => {
      const got = t.receiver.to("/flaky");
      return got.length >= 3 && got;
    });
    expect(requests.map((r) => r.headers["webhook-id"])).toEqual([id, id, id]);
    for (const request of requests) {
      expect(request.headers["content-type"]).toBe("application/json");
      expect(request.headers["user-agent"]).toBe("Salvo-Webhooks/1");
      const event = verified(who, request);
      expect(event).toEqual({ type: "dlr", timestamp: expect.any(String), data });
      expect(Date.parse(event.timestamp)).not.toBeNaN();
    }
    // The exact same bytes every time.
    expect(new Set(requests.map((r) => r.body)).size).toBe(1);

    const attempts = await waitFor("the delivery recorded", async () => {
      const list = await deliveries(who);
      return list[0]?.attributes.event_state === "delivered" && list;
    });
    expect(attempts.map((a) => a.attributes.status_code)).toEqual([200, 500, 500]);
    expect(attempts.map((a) => a.attributes.error)).toEqual([null, "HTTP 500", "HTTP 500"]);
    expect(attempts.every((a) => a.attributes.event_id === id && a.attributes.event === "dlr")).toBe(true);
    const webhook = (await who.client.webhooks.get(who.webhookId)).body.data.attributes;
    expect(webhook).toMatchObject({ status: "enabled", failing_since: null });
    expect(t.receiver.to("/flaky")).toHaveLength(3);
  });

  it("logs each attempt with the start of its answer: the body as text, cut at 1,024 bytes, and its Content-Type", async () => {
    t.receiver.on("/answers", (count, res) => {
      if (count === 1)
        res.writeHead(503, { "content-type": "application/json" }).end('{"error":"database down"}');
      // A long answer (a whole HTML page, or a hostile one): only its start is kept.
      else res.writeHead(200, { "content-type": "text/html" }).end(`<p>${"ok ".repeat(100_000)}</p>`);
    });
    const who = await subscribe(t.stack, t.receiver, "/answers");
    const id = await record(t.stack, who, "dlr", dlr(3));
    await enqueueWebhookEvents(t.queue, [id]);

    const [delivered, failed] = await waitFor("the retry delivered", async () => {
      const list = await deliveries(who);
      return list[0]?.attributes.event_state === "delivered" && list;
    });
    expect(failed?.attributes).toMatchObject({
      status_code: 503,
      error: "HTTP 503",
      response_body: '{"error":"database down"}',
      response_truncated: false,
      response_content_type: "application/json",
    });
    expect(delivered?.attributes).toMatchObject({
      status_code: 200,
      error: null,
      response_body: `<p>${"ok ".repeat(340)}o`,
      response_truncated: true,
      response_content_type: "text/html",
    });
    expect(delivered?.attributes.response_body).toHaveLength(1_024);
    const [stored] = await t.stack.query<{ bytes: number }>(
      "SELECT max(octet_length(response_body))::int AS bytes FROM webhook_attempts WHERE event_id = $1",
      [id],
    );
    expect(stored?.bytes).toBe(1_024);
  });

  it("records a timeout for a slow receiver while other events still flow", async () => {
    t.receiver.hang("/slow");
    const slow = await subscribe(t.stack, t.receiver, "/slow");
    const fast = await subscribe(t.stack, t.receiver, "/fast");
    const slowId = await record(t.stack, slow, "mo", { reply_id: "rpl_1", body: "later" });
    await enqueueWebhookEvents(t.queue, [slowId]);
    await waitFor("the slow receiver to be waiting", () => t.receiver.to("/slow").length > 0);

    const fastId = await record(t.stack, fast, "mo", { reply_id: "rpl_2", body: "now" });
    await enqueueWebhookEvents(t.queue, [fastId]);
    const [request] = await waitFor("the fast event", () => {
      const got = t.receiver.to("/fast");
      return got.length > 0 && got;
    });
    expect(request?.headers["webhook-id"]).toBe(fastId);
    expect(request?.slowWaiting).toBe(true);

    const [timedOut] = await waitFor("the slow attempt recorded", async () => {
      const list = await deliveries(slow);
      return list.length > 0 && list;
    });
    expect(timedOut?.attributes).toMatchObject({
      event_id: slowId,
      status_code: null,
      error: "timeout after 2000 ms",
      event_state: "pending",
      response_body: null,
      response_truncated: false,
      response_content_type: null,
    });
    // Its retries would hang again: deleting the webhook stops them.
    await slow.client.webhooks.delete(slow.webhookId);
  });

  it("fails an event after its last attempt, and a later success clears the failing run", async () => {
    let failing = true;
    t.receiver.on("/down", (_count, res) => res.writeHead(failing ? 503 : 204).end());
    const who = await subscribe(t.stack, t.receiver, "/down");
    const id = await record(t.stack, who, "stop", { number: "+33612345678", reply_id: "rpl_3", at: "…" });
    await enqueueWebhookEvents(t.queue, [id]);

    const attempts = await waitFor("the event failed", async () => {
      const list = await deliveries(who);
      return list[0]?.attributes.event_state === "failed" && list;
    });
    // 1 attempt + 5 retries, every one logged; not one more.
    expect(attempts).toHaveLength(6);
    expect(attempts.every((a) => a.attributes.status_code === 503 && a.attributes.error === "HTTP 503")).toBe(
      true,
    );
    expect(t.receiver.to("/down")).toHaveLength(6);
    const failingSince = (await who.client.webhooks.get(who.webhookId)).body.data.attributes;
    expect(failingSince.status).toBe("enabled");
    expect(failingSince.failing_since).not.toBeNull();

    failing = false;
    const next = await record(t.stack, who, "stop", { number: "+33612345679", reply_id: "rpl_4", at: "…" });
    await enqueueWebhookEvents(t.queue, [next]);
    await waitFor(
      "the next event delivered",
      async () => (await deliveries(who))[0]?.attributes.status_code === 204,
    );
    expect((await who.client.webhooks.get(who.webhookId)).body.data.attributes.failing_since).toBeNull();
  });

  it("does not deliver the queued events of a deleted webhook", async () => {
    const who = await subscribe(t.stack, t.receiver, "/deleted");
    const id = await record(t.stack, who, "dlr", dlr(2));
    // Queued for later, as after a failed attempt.
    await t.queue.queue.add("webhooks", { eventId: id }, { jobId: id, delay: 60_000 });
    await who.client.webhooks.delete(who.webhookId);
    await (await t.queue.queue.getJob(id))?.promote();
    await waitFor("the job done", async () => (await t.queue.queue.getJobState(id)) === "unknown");
    expect(t.receiver.to("/deleted")).toEqual([]);
  });

  it("posts a sent batch's delivery reports and its completion", async () => {
    const who = await subscribe(t.stack, t.receiver, "/batches", ["dlr", "batch.completed"]);
    const { body } = await who.client.batches.create({
      from: "ACME",
      body: "Hello",
      recipients: ["+33612345601", "+33612345698"],
    });
    const batchId = body.data.batch_id;
    const events = await waitFor("two reports and the completion", () => {
      const got = t.receiver.to("/batches").map((request) => verified(who, request));
      return got.length >= 3 && got;
    });
    const completed = events.filter((e) => e.type === "batch.completed");
    expect(completed).toHaveLength(1);
    expect(completed[0]?.data).toMatchObject({ batch_id: batchId, status: "completed", total: 2, sent: 2 });
    const reports = events.filter((e) => e.type === "dlr");
    expect(reports.map((e) => e.data.batch_id)).toEqual([batchId, batchId]);
    expect(reports.map((e) => e.data.status).sort()).toEqual(["delivered", "undelivered"]);
  });

  it("posts balance.low when a batch takes the balance across a threshold", async () => {
    const who = await subscribe(t.stack, t.receiver, "/balance", ["balance.low"]); // 1,000 credits
    await who.client.account.setBalanceAlerts({ thresholds: [999] });
    await who.client.batches.create({ from: "ACME", body: "Hello", recipients: ["+33612345603"] });
    const [request] = await waitFor(
      "the alert",
      () => t.receiver.to("/balance").length > 0 && t.receiver.to("/balance"),
    );
    expect(verified(who, request as Received)).toEqual({
      type: "balance.low",
      timestamp: expect.any(String),
      data: { account_id: who.accountId, threshold: 999, balance: 999, at: expect.any(String) },
    });
  });

  it("posts a reply and a STOP, each signed, once each", async () => {
    const who = await subscribe(t.stack, t.receiver, "/replies", ["mo", "stop"]);
    const sent = await who.client.batches.create({ from: "SHOP", body: "Hi", recipients: ["+33612345602"] });
    await who.client.batches.wait(sent.body.data.batch_id, { timeoutMs: 20_000 });
    const hello = await who.client.simulator.inbound({ from: "+33612345602", to: "SHOP", body: "hello" });
    const stop = await who.client.simulator.inbound({ from: "+33612345602", to: "SHOP", body: "Stop!" });

    const events = await waitFor("two replies and a STOP", () => {
      const got = t.receiver.to("/replies").map((request) => verified(who, request));
      return got.length >= 3 && got;
    });
    expect(events.map((e) => e.type).sort()).toEqual(["mo", "mo", "stop"]);
    const replies = events.filter((e) => e.type === "mo").map((e) => e.data);
    expect(replies.map((r) => [r.reply_id, r.body, r.stop]).sort()).toEqual([
      [hello.body.data.id, "hello", false],
      [stop.body.data.id, "Stop!", true],
    ]);
    expect(replies[0]).toMatchObject({ batch_id: sent.body.data.batch_id, to: "SHOP", from: "+33612345602" });
    expect(events.find((e) => e.type === "stop")?.data).toMatchObject({
      number: "+33612345602",
      to: "SHOP",
      reply_id: stop.body.data.id,
    });
  });

  it("never posts an event unsigned when its secret was sealed with a key no longer listed: it stays pending", async () => {
    const who = await subscribe(t.stack, t.receiver, "/lost-key");
    const unknownKey = createSecretBox([randomBytes(32)]);
    await t.stack.query("UPDATE webhooks SET secret = $2 WHERE id = $1", [
      who.webhookId,
      unknownKey.seal(who.secret, who.webhookId),
    ]);
    const id = await record(t.stack, who, "mo", { reply_id: "rpl_x" });
    await enqueueWebhookEvents(t.queue, [id]);

    const failed = await waitFor("the attempt to fail", async () => {
      const job = await t.queue.queue.getJob(id);
      return job?.failedReason ? job.failedReason : undefined;
    });
    expect(failed).toContain("not in WEBHOOK_SECRET_KEYS");
    expect(t.receiver.to("/lost-key")).toEqual([]);
    const rows = await t.stack.query<{ state: string }>("SELECT state FROM webhook_events WHERE id = $1", [
      id,
    ]);
    expect(rows[0]?.state).toBe("pending");
  });

  it("sends an outbox row whose job was lost (the sweep enqueues it)", async () => {
    const who = await subscribe(t.stack, t.receiver, "/swept");
    const id = await record(t.stack, who, "batch.completed", { batch_id: "bat_x", total: 1 });
    // Never enqueued, as when Redis was down at that moment.
    const [request] = await waitFor("the swept event", () => {
      const got = t.receiver.to("/swept");
      return got.length > 0 && got;
    });
    expect(request?.headers["webhook-id"]).toBe(id);
    expect(verified(who, request as Received).type).toBe("batch.completed");
    await waitFor(
      "the delivery recorded",
      async () => (await deliveries(who))[0]?.attributes.event_state === "delivered",
    );
    expect(t.receiver.to("/swept")).toHaveLength(1);
  });

  it("posts an operator's decision on a sender (written by the CLI, never enqueued: the sweep sends it)", async () => {
    const who = await subscribe(t.stack, t.receiver, "/senders", ["sender.approved", "sender.refused"]);
    const sender = (await who.client.senders.request({ sender: "ACME" })).body.data;
    await t.stack.store.senders.decide(sender.id, { state: "approved" });
    const [request] = await waitFor("the sender.approved event", () => {
      const got = t.receiver.to("/senders");
      return got.length > 0 && got;
    });
    const event = verified(who, request as Received);
    expect(event).toMatchObject({
      type: "sender.approved",
      data: { id: sender.id, sender: "ACME", state: "approved", reason: null },
    });
    const listed = (await who.client.senders.list()).body.data[0];
    expect(event.data.decided_at).toBe(listed?.attributes.decided_at);
  });
});

describe("a webhook that fails for too long", () => {
  let t: Awaited<ReturnType<typeof setUp>>;
  beforeAll(async () => {
    t = await setUp({
      WEBHOOK_RETRY_SCHEDULE_MS: Array(30).fill("50").join(","),
      WEBHOOK_DISABLE_AFTER_MS: "300",
    });
  });
  afterAll(() => t?.tearDown());

  it("is disabled with the reason, its pending events failed, until enabled again", async () => {
    t.receiver.on("/broken", (_count, res) => res.writeHead(500).end());
    const who = await subscribe(t.stack, t.receiver, "/broken", ["dlr"]);
    const ids = [await record(t.stack, who, "dlr", dlr(3)), await record(t.stack, who, "dlr", dlr(4))];
    await enqueueWebhookEvents(t.queue, ids.slice(0, 1));

    const webhook = await waitFor("the webhook disabled", async () => {
      const { data } = (await who.client.webhooks.get(who.webhookId)).body;
      return data.attributes.status === "disabled" && data.attributes;
    });
    expect(webhook.disabled_reason).toBe("failed every delivery for 300 ms; last error: HTTP 500");
    expect(Date.parse(webhook.disabled_at ?? "")).not.toBeNaN();
    expect((await deliveries(who)).every((a) => a.attributes.event_state === "failed")).toBe(true);
    // The event never attempted was failed with the webhook.
    const states = await t.stack.query("SELECT state FROM webhook_events WHERE id = ANY($1)", [ids]);
    expect(states).toEqual([{ state: "failed" }, { state: "failed" }]);
    // A disabled webhook gets no new events.
    expect(await t.stack.store.events.record(who.accountId, "dlr", [dlr(5)])).toEqual([]);

    t.receiver.on("/broken", (_count, res) => res.writeHead(200).end());
    expect((await who.client.webhooks.enable(who.webhookId)).body.data.attributes.status).toBe("enabled");
    const id = await record(t.stack, who, "dlr", dlr(6));
    await enqueueWebhookEvents(t.queue, [id]);
    await waitFor(
      "the new event delivered",
      async () => (await deliveries(who))[0]?.attributes.event_state === "delivered",
    );
  });
});
