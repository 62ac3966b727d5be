// The API's /metrics without METRICS_TOKEN: open, unlogged, requests counted by
// their route's pattern (never the URL asked for).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { metricValue, parseMetrics, scrape, startTestApi, type TestApi } from "./harness";

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi({ LINK_BASE_URL: "https://s.example/l" });
});
afterAll(() => t.stop());

describe("GET /metrics without METRICS_TOKEN", () => {
  it("answers anyone, in Prometheus' text format, and is not logged", async () => {
    const answer = await fetch(`${t.api.url}/metrics`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parseMetrics(await answer.text());
    expect(samples.some((s) => s.name === "process_cpu_user_seconds_total")).toBe(true);
    expect(t.logs.some((line) => line.includes('"/metrics"'))).toBe(false);
  });

  it("counts requests by route pattern, method and status, with their durations", async () => {
    const { client } = await t.newAccount();
    const missing = "bat_00000000000000000000000000";
    await client.batches.get(missing).catch(() => {});
    await fetch(`${t.api.url}/l/abcdef`);
    await fetch(`${t.api.url}/v1/blacklist/0612345678`);
    const samples = await scrape(`${t.api.url}/metrics`);
    const requests = (labels: Record<string, string>) =>
      metricValue(samples, "salvo_http_requests_total", labels);
    expect(requests({ route: "/v1/batches/:id", method: "GET", status: "404" })).toBe(1);
    expect(requests({ route: "/l/:code", method: "GET", status: "404" })).toBe(1);
    expect(requests({ route: "/v1/*", method: "GET", status: "401" })).toBe(1);
    expect(
      metricValue(samples, "salvo_http_request_duration_seconds_count", {
        route: "/v1/batches/:id",
        method: "GET",
      }),
    ).toBe(1);
    for (const sample of samples)
      for (const value of Object.values(sample.labels)) {
        expect(value).not.toContain(missing);
        expect(value).not.toMatch(/0612345678|abcdef/);
      }
  });
});
