import { SalvoApiError } from "@salvo/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./harness";

// An API whose Redis is unreachable (nothing listens on port 1).
let t: TestApi;
beforeAll(async () => {
  t = await startTestApi({ REDIS_URL: "redis://127.0.0.1:1" });
});
afterAll(() => t.stop());

describe("readiness without Redis", () => {
  it("stays alive but reports not ready, naming what is missing", async () => {
    await expect(t.client().health()).resolves.toEqual({ status: "ok" });
    const error = await t
      .client()
      .ready()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SalvoApiError);
    expect((error as SalvoApiError).status).toBe(503);
    expect((error as SalvoApiError).code).toBe("NOT_READY");
  });

  it("still serves authenticated requests, throttling in process memory", async () => {
    const { client } = await t.newAccount({ apiRateLimit: 2 });
    const { body, headers } = await client.account.get();
    expect(body.data.type).toBe("accounts");
    expect(headers.get("ratelimit-limit")).toBe("2");
  });
});
