// /metrics of the API and of a worker (its own port), scraped over HTTP after a
// real batch went out through the simulator and its delivery reports came back.
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { metricValue, type Sample, scrape } from "@salvo/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack, waitFor } from "./stack";

const TOKEN = "metrics-token-for-tests-0123456789";

let stack: Stack;
let receiver: Server;
let received = 0;
beforeAll(async () => {
  receiver = createServer((req, res) => {
    req.resume().on("end", () => {
      received++;
      res.writeHead(200).end();
    });
  });
  receiver.listen(0, "127.0.0.1");
  await once(receiver, "listening");
  stack = await startStack({
    api: { METRICS_TOKEN: TOKEN },
    worker: { WORKER_METRICS_PORT: "0", WORKER_METRICS_HOST: "127.0.0.1", METRICS_TOKEN: TOKEN },
  });
});
afterAll(async () => {
  await stack.stopAll();
  receiver.close();
});

const apiMetrics = () => `${stack.api.url}/metrics`;
const workerMetrics = () => `${stack.workers[0]?.metricsUrl}/metrics`;

describe("after a batch is sent and its reports applied", () => {
  let api: Sample[];
  let worker: Sample[];
  let batchId: string;
  let token: string;

  beforeAll(async () => {
    const account = await stack.newAccount({ credits: 1_000, apiRateLimit: 1_000 });
    token = account.token;
    const { port } = receiver.address() as AddressInfo;
    await account.client.webhooks.create({ url: `http://127.0.0.1:${port}/dlr`, events: ["dlr"] });
    const { body } = await account.client.batches.create({
      from: "ACME",
      body: "Hello",
      recipients: [
        "+33612345601",
        "+33612345602",
        "+33612345603",
        "+33612345604",
        "+33612345698", // undelivered (rejected)
        "+33612345699", // undelivered (unknown subscriber)
        "+33612345697", // refused at hand-off: failed
        "+33612345601", // duplicated
        "12", // invalid
      ],
    });
    batchId = body.data.batch_id;
    await waitFor("the batch's reports", async () => {
      const a = (await account.client.batches.get(batchId)).body.data.attributes;
      return a.delivered + a.undelivered === 6 && a.pending === 0;
    });
    await waitFor("the dlr webhooks", () => received >= 6);
    // Each webhook's attempt is counted once its outcome is recorded, just after the answer.
    await waitFor("the webhook attempts counted", async () => {
      const samples = await scrape(workerMetrics(), TOKEN);
      return metricValue(samples, "salvo_webhook_attempts_total", { outcome: "delivered" }) >= 6;
    });
    api = await scrape(apiMetrics(), TOKEN);
    worker = await scrape(workerMetrics(), TOKEN);
  });

  it("counts messages by final status and connector, as the batch counts them", async () => {
    const counts = (await stack.client(token).batches.get(batchId)).body.data.attributes;
    const final = (status: string, connector: string) =>
      metricValue(worker, "salvo_messages_final_total", { status, connector });
    expect(final("delivered", "simulator")).toBe(counts.delivered);
    expect(final("undelivered", "simulator")).toBe(counts.undelivered);
    expect(final("failed", "simulator")).toBe(counts.failed);
    expect(final("invalid", "none")).toBe(counts.invalid);
    expect(final("duplicated", "none")).toBe(counts.duplicated);
    expect([counts.delivered, counts.undelivered, counts.failed, counts.invalid, counts.duplicated]).toEqual([
      4, 2, 1, 1, 1,
    ]);
    const handedOff = (outcome: string) =>
      metricValue(worker, "salvo_messages_handed_off_total", { connector: "simulator", outcome });
    expect(handedOff("accepted")).toBe(6);
    expect(handedOff("refused")).toBe(1);
  });

  it("observes the hand-off and delivery-report latencies", () => {
    expect(metricValue(worker, "salvo_handoff_latency_seconds_count", { connector: "simulator" })).toBe(7);
    expect(metricValue(worker, "salvo_dlr_latency_seconds_count", { connector: "simulator" })).toBe(6);
    expect(
      metricValue(worker, "salvo_connector_send_duration_seconds_count", { connector: "simulator" }),
    ).toBeGreaterThan(0);
    // Cumulative buckets: +Inf holds them all.
    expect(
      metricValue(worker, "salvo_dlr_latency_seconds_bucket", { connector: "simulator", le: "+Inf" }),
    ).toBe(6);
  });

  it("counts the webhook attempts by outcome and answer class", () => {
    expect(metricValue(worker, "salvo_webhook_attempts_total", { outcome: "delivered", class: "2xx" })).toBe(
      6,
    );
    expect(metricValue(worker, "salvo_webhook_attempt_duration_seconds_count")).toBe(6);
  });

  it("reports each connector's state, and each queue's depth on both processes", () => {
    expect(metricValue(worker, "salvo_connector_up", { connector: "simulator" })).toBe(1);
    for (const samples of [api, worker]) {
      for (const queue of [
        "batches",
        "chunks",
        "deliveries",
        "webhooks",
        "maintenance",
        "imports",
        "clicks",
      ]) {
        const states = samples.filter((s) => s.name === "salvo_queue_jobs" && s.labels.queue === queue);
        expect(states.map((s) => s.labels.state).sort()).toEqual(["active", "delayed", "failed", "waiting"]);
        expect(
          samples.some((s) => s.name === "salvo_queue_oldest_waiting_seconds" && s.labels.queue === queue),
        ).toBe(true);
      }
      // Node's default metrics, event-loop lag among them.
      expect(samples.some((s) => s.name === "nodejs_eventloop_lag_seconds")).toBe(true);
    }
  });

  it("counts the API's requests by route pattern, method and status", () => {
    const requests = (route: string, method: string, status: string) =>
      metricValue(api, "salvo_http_requests_total", { route, method, status });
    expect(requests("/v1/batches", "POST", "202") + requests("/v1/batches", "POST", "201")).toBe(1);
    expect(requests("/v1/batches/:id", "GET", "200")).toBeGreaterThanOrEqual(1);
    expect(requests("/v1/webhooks", "POST", "201")).toBe(1);
    expect(
      metricValue(api, "salvo_http_request_duration_seconds_count", {
        route: "/v1/batches/:id",
        method: "GET",
      }),
    ).toBe(requests("/v1/batches/:id", "GET", "200"));
  });

  it("never puts a number, a token, an id or a raw URL in a label", () => {
    for (const sample of [...api, ...worker]) {
      for (const value of Object.values(sample.labels)) {
        expect(value).not.toMatch(/\d{6,}/);
        expect(value).not.toContain(token);
        expect(value).not.toContain(TOKEN);
        expect(value).not.toContain(batchId);
        expect(value).not.toMatch(/^\/.*\/(bat|whk|acc)_/);
      }
    }
  });
});

describe("METRICS_TOKEN", () => {
  it("is required by both processes' /metrics", async () => {
    for (const url of [apiMetrics(), workerMetrics()]) {
      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: "Bearer wrong-token-0123456789" } })).status).toBe(
        401,
      );
      const answer = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(answer.status).toBe(200);
      expect(answer.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    }
  });

  it("counts an SMSFactor route by its pattern, and a refused request under its API", async () => {
    const { token } = await stack.newAccount();
    await fetch(`${stack.api.url}/smsfactor/credits`, { headers: { authorization: `Bearer ${token}` } });
    await fetch(`${stack.api.url}/smsfactor/credits`);
    await fetch(`${stack.api.url}/v1/batches/bat_0123456789`);
    await fetch(`${stack.api.url}/nowhere/0612345678`);
    const samples = await scrape(apiMetrics(), TOKEN);
    const routes = new Set(
      samples.filter((s) => s.name === "salvo_http_requests_total").map((s) => s.labels.route),
    );
    expect(routes).toContain("/smsfactor/credits");
    expect(routes).toContain("/smsfactor/*");
    expect(routes).toContain("/v1/*");
    expect(routes).toContain("unmatched");
    for (const route of routes) expect(route).not.toMatch(/bat_|0612345678/);
  });
});

describe("the worker's metrics server", () => {
  it("answers /healthz, and 404 elsewhere", async () => {
    const base = stack.workers[0]?.metricsUrl;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
  });
});
