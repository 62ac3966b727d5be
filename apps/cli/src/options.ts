import { createStore, type Store } from "@salvo/db";
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

/** Runs an admin command with the store, closed afterwards. */
export async function withStore<T>(fn: (store: Store) => Promise<T>): Promise<T> {
  const store = createStore(parseCliEnv().DATABASE_URL, { poolSize: 1, name: "salvo-cli" });
  try {
    return await fn(store);
  } finally {
    await store.close();
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
