// Test databases: one per test file, copied from a template built once per set of
// migrations, so files run in parallel and leave nothing behind.
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { migrateDatabase } from "./migrate";
import { createDatabaseIfMissing, dropDatabase, withDatabase, withServer } from "./server";
import { createSql } from "./sql";
import { createStore, type Store } from "./store";

const migrationsDir = path.join(import.meta.dirname, "../../../prisma/migrations");

/** The server tests run against: DATABASE_URL's, or the local default. */
export const testServerUrl = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

function migrationsHash(): string {
  const hash = createHash("sha256");
  for (const entry of readdirSync(migrationsDir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort()) {
    // Relative paths: every checkout of the same migrations shares one template.
    hash.update(path.relative(migrationsDir, entry)).update(readFileSync(entry));
  }
  return hash.digest("hex").slice(0, 12);
}

/** A template of another migration set is dropped once it is this old (see migratedTemplate). */
const STALE_TEMPLATE_SECONDS = 24 * 3600;

/**
 * The name of a database holding every migration, built with `prisma migrate
 * deploy` the first time (under an advisory lock, so parallel test files wait for
 * one build) and reused until the migrations change.
 */
export async function migratedTemplate(): Promise<string> {
  const name = `salvo_tpl_${migrationsHash()}`;
  await withServer(testServerUrl, async (client) => {
    await client.query("SELECT pg_advisory_lock(hashtext('salvo_test_template'))");
    try {
      const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
      if (found.rowCount) return;
      const building = `${name}_building`;
      await dropDatabase(testServerUrl, building);
      await migrateDatabase(withDatabase(testServerUrl, building), { quiet: true });
      await client.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
      await client.query(`COMMENT ON DATABASE ${name} IS 'built ${Math.floor(Date.now() / 1000)}'`);
      // Templates of other migration sets are of no further use once they are old:
      // a younger one may be another checkout's (a branch with a new migration)
      // whose tests are copying it right now.
      const others = await client.query(
        `SELECT datname, shobj_description(oid, 'pg_database') AS comment FROM pg_database
          WHERE datname LIKE 'salvo\\_tpl\\_%' AND datname <> $1`,
        [name],
      );
      const cutoff = Date.now() / 1000 - STALE_TEMPLATE_SECONDS;
      for (const row of others.rows as { datname: string; comment: string | null }[]) {
        const built = Number(/^built (\d+)$/.exec(row.comment ?? "")?.[1] ?? 0);
        if (built < cutoff) await dropDatabase(testServerUrl, row.datname);
      }
    } finally {
      await client.query("SELECT pg_advisory_unlock(hashtext('salvo_test_template'))");
    }
  });
  return name;
}

/** No test file runs for hours: a test database this old belongs to a run that was killed. */
const ABANDONED_AFTER_SECONDS = 3 * 3600;

async function dropAbandonedTestDatabases(): Promise<void> {
  const names = await withServer(testServerUrl, async (client) => {
    const { rows } = await client.query(
      "SELECT datname FROM pg_database WHERE datname LIKE 'salvo\\_test\\_%'",
    );
    return (rows as { datname: string }[]).map((row) => row.datname);
  });
  const cutoff = Date.now() / 1000 - ABANDONED_AFTER_SECONDS;
  for (const name of names) {
    const created = Number(/^salvo_test_(\d{10})_/.exec(name)?.[1]);
    if (created && created < cutoff) await dropDatabase(testServerUrl, name).catch(() => {});
  }
}

interface TestDatabase {
  url: string;
  /** The store, as the apps use it. */
  store: Store;
  /**
   * Runs one SQL statement and returns its rows: for a test to arrange a state
   * the repositories have no write for, or to read what it asserts.
   */
  query<T = Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>;
  /** Disconnects and drops the database. */
  drop(): Promise<void>;
}

/** A fresh, migrated database of its own for one test file. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const template = await migratedTemplate();
  await dropAbandonedTestDatabases();
  // The creation time in the name lets a later run recognise databases that a
  // killed run never dropped.
  const created = Math.floor(Date.now() / 1000);
  const url = withDatabase(testServerUrl, `salvo_test_${created}_${randomBytes(4).toString("hex")}`);
  await createDatabaseIfMissing(url, template);
  const store = createStore(url, { poolSize: 5, name: "salvo-test" });
  const sql = createSql(url, { poolSize: 2, name: "salvo-test-query" });
  return {
    url,
    store,
    async query<T>(text: string, values?: unknown[]) {
      return (await sql.query(text, values)).rows as T[];
    },
    async drop() {
      await Promise.all([store.close(), sql.end()]);
      await dropDatabase(url);
    },
  };
}
