// prisma/schema.prisma is the source of truth and prisma/migrations must build the
// same database (PRISMA-OFFLINE.md): compare a database migrated with `prisma
// migrate deploy` with one built from the SQL Prisma derives from the schema alone.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateDatabase } from "../src/migrate";
import { createDatabaseIfMissing, dropDatabase, withDatabase } from "../src/server";
import { createTestDatabase, testServerUrl } from "../src/testing";

const packageDir = path.join(import.meta.dirname, "..");
const migrationsDir = path.join(packageDir, "../../prisma/migrations");
const prismaCli = createRequire(import.meta.url).resolve("prisma/build/index.js");

/** Runs the Prisma CLI the way migrate.ts does, and returns its stdout. */
function prisma(args: string[], databaseUrl: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [prismaCli, ...args], {
      cwd: packageDir,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        CHECKPOINT_DISABLE: "1",
        PRISMA_HIDE_UPDATE_MESSAGE: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`prisma ${args.join(" ")} exited ${code}\n${stderr}`)),
    );
  });
}

async function withClient<T>(databaseUrl: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const OURS = "n.nspname = 'public' AND c.relname <> '_prisma_migrations'";

/**
 * The public schema as sorted lines, one per table, column, constraint, index and
 * enum, so two databases compare with a readable diff. Column order is left out:
 * a column added by a later migration comes last, where the schema may list it first.
 */
async function describeSchema(databaseUrl: string): Promise<Record<string, string[]>> {
  return withClient(databaseUrl, async (client) => {
    const lines = async (sql: string) =>
      (await client.query<{ line: string }>(sql)).rows.map((row) => row.line).sort();
    return {
      tables: await lines(`
        SELECT c.relname AS line FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND ${OURS}`),
      columns: await lines(`
        SELECT concat_ws(' ', c.relname || '.' || a.attname, format_type(a.atttypid, a.atttypmod),
                 CASE WHEN a.attnotnull THEN 'NOT NULL' ELSE 'NULL' END,
                 'DEFAULT ' || pg_get_expr(d.adbin, d.adrelid),
                 CASE WHEN a.attidentity <> '' THEN 'IDENTITY ' || a.attidentity::text END,
                 CASE WHEN a.attgenerated <> '' THEN 'GENERATED ' || a.attgenerated::text END) AS line
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND ${OURS}`),
      constraints: await lines(`
        SELECT c.relname || ' ' || k.conname || ' ' || pg_get_constraintdef(k.oid) AS line
        FROM pg_constraint k
        JOIN pg_class c ON c.oid = k.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE ${OURS}`),
      indexes: await lines(`
        SELECT indexdef AS line FROM pg_indexes
        WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`),
      enums: await lines(`
        SELECT t.typname || ' (' || string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) || ')' AS line
        FROM pg_type t
        JOIN pg_enum e ON e.enumtypid = t.oid
        JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = 'public'
        GROUP BY t.typname`),
    };
  });
}

/** Lines only in one of two descriptions, for a failure message a person can act on. */
function schemaDiff(migrations: Record<string, string[]>, schema: Record<string, string[]>): string {
  const out: string[] = [];
  for (const kind of Object.keys(migrations)) {
    const a = new Set(migrations[kind]);
    const b = new Set(schema[kind]);
    for (const line of a) if (!b.has(line)) out.push(`  - ${kind}: ${line}   (migrations only)`);
    for (const line of b) if (!a.has(line)) out.push(`  + ${kind}: ${line}   (schema.prisma only)`);
  }
  return out.join("\n");
}

describe("schema.prisma and prisma/migrations", () => {
  let migrated: Awaited<ReturnType<typeof createTestDatabase>>;
  const fromSchemaUrl = withDatabase(testServerUrl, `salvo_test_${randomBytes(6).toString("hex")}`);

  beforeAll(async () => {
    // A copy of the template `prisma migrate deploy` built from the committed migrations.
    migrated = await createTestDatabase();
    await createDatabaseIfMissing(fromSchemaUrl);
    const sql = await prisma(
      ["migrate", "diff", "--from-empty", "--to-schema-datamodel", "../../prisma/schema.prisma", "--script"],
      fromSchemaUrl,
    );
    await withClient(fromSchemaUrl, (client) => client.query(sql));
  });

  afterAll(async () => {
    await migrated?.drop();
    await dropDatabase(fromSchemaUrl);
  });

  it("build the same database", async () => {
    const fromMigrations = await describeSchema(migrated.url);
    const fromSchema = await describeSchema(fromSchemaUrl);
    expect(fromMigrations.tables).toContain("accounts");
    const diff = schemaDiff(fromMigrations, fromSchema);
    expect(
      diff,
      `prisma/schema.prisma and prisma/migrations have drifted apart:\n${diff}\n` +
        "Write the missing migration with `prisma migrate diff --from-schema-datamodel <old schema> " +
        "--to-schema-datamodel prisma/schema.prisma --script` (see PRISMA-OFFLINE.md).",
    ).toBe("");
    expect(fromSchema).toEqual(fromMigrations);
  });

  it("would notice a difference in a column, a constraint or an index", async () => {
    // The comparison itself must see drift: change a scratch database and look again.
    const before = await describeSchema(fromSchemaUrl);
    await withClient(fromSchemaUrl, async (client) => {
      await client.query(`
        ALTER TABLE accounts ALTER COLUMN api_rate_limit SET DEFAULT 16;
        ALTER TABLE api_tokens ADD CONSTRAINT label_short CHECK (length(label) < 100);
        CREATE INDEX accounts_name_idx ON accounts (name);`);
    });
    const diff = schemaDiff(before, await describeSchema(fromSchemaUrl));
    expect(diff.split("\n").sort()).toEqual([
      "  + columns: accounts.api_rate_limit integer NOT NULL DEFAULT 16   (schema.prisma only)",
      "  + constraints: api_tokens label_short CHECK ((length(label) < 100))   (schema.prisma only)",
      "  + indexes: CREATE INDEX accounts_name_idx ON public.accounts USING btree (name)   (schema.prisma only)",
      "  - columns: accounts.api_rate_limit integer NOT NULL DEFAULT 15   (migrations only)",
    ]);
  });
});

describe("migrateDatabase", () => {
  const url = withDatabase(testServerUrl, `salvo_test_${randomBytes(6).toString("hex")}`);
  const migrationNames = readdirSync(migrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();

  const appliedMigrations = () =>
    withClient(url, async (client) => {
      const { rows } = await client.query<{ migration_name: string; finished_at: Date | null }>(
        "SELECT migration_name, finished_at FROM _prisma_migrations ORDER BY migration_name",
      );
      return rows;
    });

  afterAll(() => dropDatabase(url));

  // Each `prisma migrate deploy` takes about ten seconds (a timer in Prisma's Wasm engine).
  it("creates a missing database and applies every migration", { timeout: 90_000 }, async () => {
    const exists = await withClient(withDatabase(testServerUrl, "postgres"), async (client) => {
      const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [
        new URL(url).pathname.slice(1),
      ]);
      return rowCount;
    });
    expect(exists).toBe(0);

    await expect(migrateDatabase(url, { quiet: true })).resolves.toBe("migrated");

    const applied = await appliedMigrations();
    expect(applied.map((row) => row.migration_name)).toEqual(migrationNames);
    expect(applied.every((row) => row.finished_at !== null)).toBe(true);
    const tables = (await describeSchema(url)).tables;
    expect(tables).toEqual(expect.arrayContaining(["accounts", "api_tokens"]));
  });

  // A second start (scripts/start.sh) must not wait for Prisma when there is nothing to apply.
  it("is safe to run again on a migrated database, and then does not run Prisma", async () => {
    const before = await appliedMigrations();
    const schema = await describeSchema(url);
    expect(before.length).toBe(migrationNames.length);

    await expect(migrateDatabase(url, { quiet: true })).resolves.toBe("up-to-date");

    expect(await appliedMigrations()).toEqual(before);
    expect(await describeSchema(url)).toEqual(schema);
  });

  it("applies a migration committed since the last run", { timeout: 90_000 }, async () => {
    const schema = await describeSchema(url);
    // The database as it was before 20261122140000_idempotency_resource was committed.
    await withClient(url, async (client) => {
      await client.query('ALTER TABLE "idempotency_keys" DROP COLUMN "resource_id"');
      await client.query("DELETE FROM _prisma_migrations WHERE migration_name = $1", [
        "20261122140000_idempotency_resource",
      ]);
    });

    await expect(migrateDatabase(url, { quiet: true })).resolves.toBe("migrated");

    expect((await appliedMigrations()).map((row) => row.migration_name)).toEqual(migrationNames);
    expect(await describeSchema(url)).toEqual(schema);
  });
});
