// Starts a real API (real HTTP, PostgreSQL and Redis) on a free port, with a
// database and Redis prefix of its own, and hands out SDK clients as users.
import { Writable } from "node:stream";
import { createAccount, type Db } from "@salvo/db";
import { createTestDatabase } from "@salvo/db/testing";
import { deleteRedisKeys, testRedisPrefix, testRedisUrl } from "@salvo/queue/testing";
import { createLogger } from "@salvo/runtime";
import { type AuthStyle, Salvo, SalvoApiError } from "@salvo/sdk";
import { type ApiEnv, parseApiEnv } from "../src/env";
import { type RunningApi, startApi } from "../src/server";

export interface TestApi {
  api: RunningApi;
  db: Db;
  env: ApiEnv;
  /** Every log line the API wrote, raw. */
  logs: string[];
  /** A new account and an SDK client acting as it. */
  newAccount(options?: { credits?: number; apiRateLimit?: number; auth?: AuthStyle }): Promise<{
    accountId: string;
    token: string;
    client: Salvo;
  }>;
  client(token?: string, auth?: AuthStyle): Salvo;
  /** Another API process on the same database and Redis prefix. */
  startAnother(): Promise<RunningApi>;
  stop(): Promise<void>;
}

/** The error answer of a request that must fail. */
export async function refusal(request: Promise<unknown>): Promise<SalvoApiError> {
  try {
    await request;
  } catch (error) {
    if (error instanceof SalvoApiError) return error;
    throw error;
  }
  throw new Error("the request was accepted; it should have been refused");
}

/** An account's credits, as its client reads them. */
export async function credits(client: Salvo): Promise<number> {
  return (await client.account.get()).body.data.attributes.credits;
}

export async function startTestApi(overrides: Record<string, string> = {}): Promise<TestApi> {
  const database = await createTestDatabase();
  const prefix = testRedisPrefix();
  const env = parseApiEnv({
    DATABASE_URL: database.url,
    REDIS_URL: testRedisUrl,
    REDIS_PREFIX: prefix,
    HOST: "127.0.0.1",
    PORT: "0",
    LOG_LEVEL: "info",
    SHUTDOWN_TIMEOUT_MS: "2000",
    // Test receivers listen on 127.0.0.1; the SSRF rule's own tests turn this off.
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true",
    ...overrides,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger("salvo-api", env.LOG_LEVEL, sink);
  const started: RunningApi[] = [await startApi(env, logger)];
  const api = started[0] as RunningApi;

  const client = (token?: string, auth?: AuthStyle) => new Salvo({ baseUrl: api.url, token, auth });
  return {
    api,
    db: database.db,
    env,
    logs,
    client,
    async newAccount(options = {}) {
      const { account, token } = await createAccount(database.db, {
        name: "test",
        credits: options.credits ?? 100,
        apiRateLimit: options.apiRateLimit,
      });
      return { accountId: account.id, token, client: client(token, options.auth) };
    },
    async startAnother() {
      const another = await startApi(env, logger);
      started.push(another);
      return another;
    },
    async stop() {
      await Promise.all(started.map((s) => s.close()));
      await database.drop();
      await deleteRedisKeys(prefix);
    },
  };
}
