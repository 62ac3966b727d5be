import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { Client } from "pg";
import { createDatabaseIfMissing, redactUrl } from "./server";

const packageDir = path.join(import.meta.dirname, "..");
const migrationsDir = path.join(packageDir, "../../prisma/migrations");
const prismaCli = createRequire(import.meta.url).resolve("prisma/build/index.js");

/**
 * Whether every committed migration is applied, read from Prisma's own table:
 * one query, where `prisma migrate deploy` takes seconds even with nothing to do.
 * A failed or unknown state answers false, so that Prisma looks and explains.
 */
async function allMigrationsApplied(databaseUrl: string): Promise<boolean> {
  const committed = readdirSync(migrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
  const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ migration_name: string; finished: boolean }>(
      `SELECT migration_name, finished_at IS NOT NULL AS finished
         FROM _prisma_migrations WHERE rolled_back_at IS NULL`,
    );
    const applied = new Set(rows.filter((row) => row.finished).map((row) => row.migration_name));
    return rows.every((row) => row.finished) && committed.every((name) => applied.has(name));
  } catch (error) {
    if ((error as { code?: string }).code === "42P01") return false; // no _prisma_migrations yet
    throw error;
  } finally {
    await client.end();
  }
}

/**
 * Applies the committed migrations with `prisma migrate deploy` (the Wasm engine,
 * configured in prisma.config.ts), creating the database first when it is missing;
 * answers "up-to-date", without running Prisma, when every one is applied already.
 */
export async function migrateDatabase(
  databaseUrl: string,
  options: { quiet?: boolean } = {},
): Promise<"migrated" | "up-to-date"> {
  await createDatabaseIfMissing(databaseUrl);
  if (await allMigrationsApplied(databaseUrl)) return "up-to-date";
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [prismaCli, "migrate", "deploy"], {
      cwd: packageDir,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        CHECKPOINT_DISABLE: "1",
        PRISMA_HIDE_UPDATE_MESSAGE: "1",
      },
      stdio: options.quiet ? ["ignore", "ignore", "pipe"] : "inherit",
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0
        ? resolve()
        : reject(
            new Error(`prisma migrate deploy failed on ${redactUrl(databaseUrl)} (exit ${code})\n${stderr}`),
          ),
    );
  });
  return "migrated";
}
