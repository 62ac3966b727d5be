import { closeDb, createDb, createSql, type Db, type Sql } from "@salvo/db";
import { InvalidArgumentError } from "commander";
import { parseCliEnv } from "./env";

/** The largest value a PostgreSQL `integer` column holds. */
const MAX_INTEGER = 2_147_483_647;

/** Commander parser for a whole number within bounds (by default, what an `integer` column holds). */
export function wholeNumber(min: number, max = MAX_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

/** Commander parser for an ISO 3166 alpha-2 country code. */
export function countryCode(value: string): string {
  if (!/^[A-Za-z]{2}$/.test(value))
    throw new InvalidArgumentError("expected a two-letter country code, e.g. FR");
  return value.toUpperCase();
}

/** Runs an admin command with a database connection, closed afterwards. */
export async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const db = createDb(parseCliEnv().DATABASE_URL, { poolSize: 2 });
  try {
    return await fn(db);
  } finally {
    await closeDb(db);
  }
}

/** Runs an admin command with a plain SQL connection, closed afterwards. */
export async function withSql<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
  const sql = createSql(parseCliEnv().DATABASE_URL, { poolSize: 1, name: "salvo-cli" });
  try {
    return await fn(sql);
  } finally {
    await sql.end();
  }
}

/** Prints a value as JSON or as aligned `key  value` lines. */
export function print(value: Record<string, unknown> | Record<string, unknown>[], json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    return;
  }
  const rows = Array.isArray(value) ? value : [value];
  for (const [i, row] of rows.entries()) {
    if (i > 0) process.stdout.write("\n");
    const width = Math.max(...Object.keys(row).map((k) => k.length));
    for (const [key, v] of Object.entries(row)) {
      process.stdout.write(`${key.padEnd(width)}  ${v instanceof Date ? v.toISOString() : (v ?? "-")}\n`);
    }
  }
}
