import { Client } from "pg";

/** The same server URL pointed at another database. */
export function withDatabase(databaseUrl: string, database: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** The database name in a PostgreSQL URL. */
function databaseName(databaseUrl: string): string {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
  if (!name) throw new Error(`DATABASE_URL names no database: ${redactUrl(databaseUrl)}`);
  return name;
}

/** A URL safe to print: the password is masked. */
export function redactUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  if (url.password) url.password = "****";
  return url.toString();
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Runs `fn` with a client connected to the server's maintenance database. */
export async function withServer<T>(databaseUrl: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({
    connectionString: withDatabase(databaseUrl, "postgres"),
    connectionTimeoutMillis: 5_000,
  });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates the database named in the URL unless it exists; safe to race. */
export async function createDatabaseIfMissing(databaseUrl: string, template?: string): Promise<boolean> {
  const name = databaseName(databaseUrl);
  return withServer(databaseUrl, async (client) => {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (found.rowCount) return false;
    try {
      await client.query(
        `CREATE DATABASE ${quoteIdent(name)}${template ? ` TEMPLATE ${quoteIdent(template)}` : ""}`,
      );
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === "42P04") return false; // created meanwhile
      throw error;
    }
  });
}

/** Drops a database, disconnecting whoever is still on it. */
export async function dropDatabase(databaseUrl: string, name = databaseName(databaseUrl)): Promise<void> {
  await withServer(databaseUrl, (client) =>
    client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`),
  );
}
