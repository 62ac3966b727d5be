import pg from "pg";

/** The store's connection pool. Nothing outside packages/db sees it: apps take a Store. */
export type Sql = pg.Pool;
/** A connection taken from the pool for a transaction. */
export type SqlClient = pg.PoolClient;
/** What a repository runs its queries on: the pool, or a transaction's connection. */
export type Queryable = Sql | SqlClient;

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

/**
 * A SELECT list naming each column as its field (`api_rate_limit AS "apiRateLimit"`),
 * from a table's fields → columns map; `prefix` qualifies the columns (`t.`) and
 * `as` prefixes the names (for two tables' rows read in one query).
 */
export function selectList(columns: Record<string, string>, options: { prefix?: string; as?: string } = {}) {
  return Object.entries(columns)
    .map(([field, column]) => `${options.prefix ?? ""}${column} AS "${options.as ?? ""}${field}"`)
    .join(", ");
}

/**
 * Runs `fn` atomically: in a transaction of its own on the pool, or as part of
 * the transaction whose connection `sql` already is.
 */
export async function atomically<T>(sql: Queryable, fn: (client: Queryable) => Promise<T>): Promise<T> {
  return sql instanceof pg.Pool ? inTransaction(sql, fn) : fn(sql);
}

/**
 * A PostgreSQL array literal (`{"a","b",NULL}`, `{1,2,3}`) for a `$n::text[]` or
 * `$n::int[]` parameter: what node-postgres would send for the array, built
 * faster for the pipeline's large arrays (numbers, positions, statuses), which
 * node-postgres escapes element by element with two regular expressions. Only
 * strings holding a quote or a backslash are escaped here.
 */
export function arrayLiteral(values: readonly (string | number | null | undefined)[]): string {
  let literal = "{";
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (i > 0) literal += ",";
    if (value === null || value === undefined) literal += "NULL";
    else if (typeof value === "number") literal += value;
    else if (value.includes('"') || value.includes("\\")) literal += `"${value.replace(/["\\]/g, "\\$&")}"`;
    else literal += `"${value}"`;
  }
  return `${literal}}`;
}
