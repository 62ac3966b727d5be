import pg from "pg";

/** A node-postgres pool for the set-based SQL of the hot paths (bulk inserts and updates). */
export type Sql = pg.Pool;
/** A connection taken from the pool (inside `inTransaction`). */
export type SqlClient = pg.PoolClient;

export function createSql(databaseUrl: string, options: { poolSize?: number; name?: string } = {}): Sql {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5_000,
    application_name: options.name ?? "salvo",
  });
  // An idle connection that PostgreSQL closes (a restart, a failover, a backend
  // terminated) is dropped by the pool, which then emits "error": unheard, that
  // event would crash the process. Nothing is lost: the next query connects anew,
  // and a query in progress gets the error itself.
  pool.on("error", () => {});
  return pool;
}

/** Runs `fn` in a transaction: committed when it returns, rolled back when it throws. */
export async function inTransaction<T>(sql: Sql, fn: (client: SqlClient) => Promise<T>): Promise<T> {
  const client = await sql.connect();
  try {
    await client.query("BEGIN");
    const result = await fn(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
