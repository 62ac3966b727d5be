// The benchmarks' own reads of PostgreSQL that no repository of the store has
// (server settings and counters, the invariants checked from the rows). Each runs
// on a connection of its own, closed after it: a PostgreSQL restart (bench:chaos)
// costs the reads made while it is down, never a dead connection kept for later.
import pg from "pg";

/** Runs `fn` on a new connection to `databaseUrl`, closed afterwards. */
export async function withConnection<T>(
  databaseUrl: string,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({
    connectionString: databaseUrl,
    application_name: "salvo-bench",
    connectionTimeoutMillis: 5_000,
  });
  // A connection lost mid-query fails that query; the client's own error event must not crash the run.
  client.on("error", () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** One statement's rows, on a connection of its own. */
export async function queryRows<T>(databaseUrl: string, text: string, values?: unknown[]): Promise<T[]> {
  return withConnection(databaseUrl, async (client) => (await client.query(text, values)).rows as T[]);
}
