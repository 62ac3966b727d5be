import { Salvo, SalvoApiError } from "@salvo/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./harness";

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
});
afterAll(() => t.stop());

interface Outcome {
  status: number;
  remaining: number;
  limit: string | null;
  retryAfter: string | null;
  code?: string;
}

async function outcome(client: Salvo): Promise<Outcome> {
  try {
    const { headers } = await client.account.get();
    return {
      status: 200,
      remaining: Number(headers.get("ratelimit-remaining")),
      limit: headers.get("ratelimit-limit"),
      retryAfter: null,
    };
  } catch (error) {
    if (!(error instanceof SalvoApiError)) throw error;
    return {
      status: error.status,
      remaining: Number(error.headers.get("ratelimit-remaining")),
      limit: error.headers.get("ratelimit-limit"),
      retryAfter: error.headers.get("retry-after"),
      code: error.code,
    };
  }
}

/**
 * Sends requests one after another until one is refused, and returns them all.
 * The limiter counts in one-second windows: if a window ends mid-run (the
 * remaining count goes up), the run is retried so the assertions see one window.
 */
async function runUntilRefused(clients: Salvo[], max: number): Promise<Outcome[]> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const outcomes: Outcome[] = [];
    for (let i = 0; i < max; i++) {
      const next = await outcome(clients[i % clients.length] as Salvo);
      const previous = outcomes.at(-1);
      if (previous && previous.status === 200 && next.status === 200 && next.remaining >= previous.remaining)
        break;
      outcomes.push(next);
      if (next.status === 429) return outcomes;
    }
    // Wait for a fresh window before trying again.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
  }
  throw new Error("no run fitted in one rate-limit window");
}

describe("per-account API throttle", () => {
  it("allows 15 requests a second by default, then answers 429 OVER_LIMIT with Retry-After", async () => {
    const { client } = await t.newAccount();
    const outcomes = await runUntilRefused([client], 40);
    expect(outcomes.filter((o) => o.status === 200)).toHaveLength(15);
    expect(outcomes.map((o) => o.remaining)).toEqual([14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0]);
    const refused = outcomes.at(-1) as Outcome;
    expect(refused).toMatchObject({ status: 429, code: "OVER_LIMIT", limit: "15", retryAfter: "1" });
  });

  it("honours a per-account override", async () => {
    const { client } = await t.newAccount({ apiRateLimit: 3 });
    const outcomes = await runUntilRefused([client], 10);
    expect(outcomes.map((o) => o.status)).toEqual([200, 200, 200, 429]);
    expect(outcomes[0]?.limit).toBe("3");
  });

  it("counts each account on its own", async () => {
    const busy = await t.newAccount({ apiRateLimit: 2 });
    const quiet = await t.newAccount({ apiRateLimit: 2 });
    await runUntilRefused([busy.client], 10);
    await expect(quiet.client.account.get()).resolves.toBeDefined();
  });

  it("holds across several API processes sharing Redis", async () => {
    const other = await t.startAnother();
    const { token } = await t.newAccount({ apiRateLimit: 4 });
    const clients = [t.client(token), new Salvo({ baseUrl: other.url, token })];
    const outcomes = await runUntilRefused(clients, 20);
    // Alternating between the two processes, the fifth request is refused: one shared count.
    expect(outcomes.map((o) => o.status)).toEqual([200, 200, 200, 200, 429]);
    expect(outcomes.map((o) => o.remaining)).toEqual([3, 2, 1, 0, 0]);
  });

  it("lets requests through again once the window has passed", async () => {
    const { client } = await t.newAccount({ apiRateLimit: 1 });
    await runUntilRefused([client], 5);
    await expect
      .poll(async () => (await outcome(client)).status, { timeout: 5_000, interval: 200 })
      .toBe(200);
  });
});
