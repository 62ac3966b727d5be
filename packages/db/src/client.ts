import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client";

export type Db = PrismaClient;

/**
 * A Prisma client over node-postgres: the query compiler is Wasm and the driver is
 * `pg`, so nothing native is downloaded or loaded (PRISMA-OFFLINE.md).
 */
export function createDb(databaseUrl: string, options: { poolSize?: number } = {}): Db {
  const adapter = new PrismaPg({
    connectionString: databaseUrl,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5_000,
  });
  return new PrismaClient({ adapter });
}

// Writes nobody awaits (e.g. a token's last use) are tracked, because
// disconnecting while one is in flight leaves its connection checked out and the
// pool never finishes closing.
const backgroundWrites = new WeakMap<Db, Set<Promise<unknown>>>();

/** Runs a write without making the caller wait for it; closeDb() waits for it. */
export function writeInBackground(db: Db, write: Promise<unknown>): void {
  let pending = backgroundWrites.get(db);
  if (!pending) {
    pending = new Set();
    backgroundWrites.set(db, pending);
  }
  const tracked: Promise<unknown> = write.catch(() => {}).finally(() => pending.delete(tracked));
  pending.add(tracked);
}

/** Waits for background writes, then closes the connection pool. */
export async function closeDb(db: Db): Promise<void> {
  await Promise.allSettled([...(backgroundWrites.get(db) ?? [])]);
  await db.$disconnect();
}
