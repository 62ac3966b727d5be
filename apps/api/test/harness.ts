// Starts a real API (real HTTP, PostgreSQL and Redis) on a free port, with a
// database and Redis prefix of its own, and hands out SDK clients as users.
import { Writable } from "node:stream";
import type { Store } from "@salvo/db";
import { createTestDatabase } from "@salvo/db/testing";
import { deleteRedisKeys, testRedisPrefix, testRedisUrl } from "@salvo/queue/testing";
import { createLogger } from "@salvo/runtime";
import { type AuthStyle, Salvo, SalvoApiError } from "@salvo/sdk";
import { type ApiEnv, parseApiEnv } from "../src/env";
import { type RunningApi, startApi } from "../src/server";
import { checkResponse } from "./openapi-check";

export interface TestApi {
  api: RunningApi;
  /** The test database's store, as the apps use it. */
  store: Store;
  /** One SQL statement on the test database: for a state no repository writes, or what a test asserts. */
  query<T = Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>;
  /** Rows of `table` whose columns equal `where`'s values (null: IS NULL). */
  count(table: string, where?: Record<string, unknown>): Promise<number>;
  /** Rows of `table` as `count` picks them, keys in camelCase as @salvo/db's row types name them. */
  rows<T>(table: string, where?: Record<string, unknown>, orderBy?: string): Promise<T[]>;
  /** The one row of `table` that `where` picks; throws when there is none. */
  row<T>(table: string, where: Record<string, unknown>): Promise<T>;
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
  /** Another API process on the same database and Redis, its settings changed by `changes`. */
  startAnother(changes?: Partial<ApiEnv>): Promise<RunningApi>;
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
  const started: RunningApi[] = [await startApi(env, logger, { observeResponses: checkResponse })];
  const api = started[0] as RunningApi;

  const selectRows = <T>(what: string, table: string, where: Record<string, unknown>, orderBy?: string) => {
    const values: unknown[] = [];
    const conditions = Object.entries(where).map(([column, value]) => {
      if (value === null) return `${column} IS NULL`;
      values.push(value);
      return `${column} = $${values.length}`;
    });
    const filter = conditions.length ? ` WHERE ${conditions.join(" AND ")}` : "";
    return database.query<T>(
      `SELECT ${what} FROM ${table}${filter}${orderBy ? ` ORDER BY ${orderBy}` : ""}`,
      values,
    );
  };

  const client = (token?: string, auth?: AuthStyle) => new Salvo({ baseUrl: api.url, token, auth });
  return {
    api,
    store: database.store,
    query: database.query,
    async count(table, where = {}) {
      const [row] = await selectRows<{ count: number }>("count(*)::int AS count", table, where);
      return row?.count ?? 0;
    },
    async rows<T>(table: string, where: Record<string, unknown> = {}, orderBy?: string) {
      const rows = await selectRows<Record<string, unknown>>("*", table, where, orderBy);
      return rows.map(camelCaseKeys) as T[];
    },
    async row<T>(table: string, where: Record<string, unknown>) {
      const [row] = await selectRows<Record<string, unknown>>("*", table, where);
      if (!row) throw new Error(`no row of ${table} where ${JSON.stringify(where)}`);
      return camelCaseKeys(row) as T;
    },
    env,
    logs,
    client,
    async newAccount(options = {}) {
      const { account, token } = await database.store.accounts.create({
        name: "test",
        credits: options.credits ?? 100,
        apiRateLimit: options.apiRateLimit,
      });
      return { accountId: account.id, token, client: client(token, options.auth) };
    },
    async startAnother(changes = {}) {
      const another = await startApi({ ...env, ...changes }, logger, { observeResponses: checkResponse });
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

function camelCaseKeys(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row).map(([key, value]) => [
      key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()),
      value,
    ]),
  );
}

/** What follows batches' live progress in an API process, for tests that count its reads. */
export { BatchEvents } from "../src/services/batch-events";
export { metricValue, parseMetrics, type Sample, scrape } from "./metrics-text";
